use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "res")]
impl S {
    #[resource(name = "config")]
    fn config(&self) -> String {
        String::new()
    }
}

fn main() {}
