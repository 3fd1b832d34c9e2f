use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "names")]
impl S {
    #[tool(name = "search notes")]
    fn search(&self) -> i64 {
        1
    }
}

fn main() {}
