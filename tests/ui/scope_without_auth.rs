use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s")]
impl S {
    #[tool(scope = "notes:write")]
    fn add(&self) -> i64 {
        1
    }
}

fn main() {}
