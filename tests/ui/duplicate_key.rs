use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "a", name = "b")]
impl S {
    #[tool(title = "One", title = "Two")]
    fn t(&self) -> i64 {
        1
    }
}

fn main() {}
