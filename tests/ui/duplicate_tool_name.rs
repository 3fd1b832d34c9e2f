use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "dup")]
impl S {
    #[tool]
    fn search(&self) -> String {
        String::new()
    }

    #[tool(name = "search")]
    fn find(&self) -> String {
        String::new()
    }
}

fn main() {}
