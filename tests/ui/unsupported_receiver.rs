use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "recv")]
impl S {
    #[tool]
    fn bump(&mut self) -> i64 {
        1
    }

    #[tool]
    fn consume(self) -> i64 {
        2
    }
}

fn main() {}
