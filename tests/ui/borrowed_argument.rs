use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "borrow")]
impl S {
    #[tool]
    fn echo(&self, text: &str) -> String {
        text.to_owned()
    }
}

fn main() {}
