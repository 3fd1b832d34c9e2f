use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "keys", instructons = "typo")]
impl S {
    #[tool(descripton = "typo")]
    fn a(&self) -> i64 {
        1
    }

    #[tool(annotations(readonly = true))]
    fn b(&self) -> i64 {
        2
    }

    #[resource(uri = "x://y", mimetype = "text/plain")]
    fn c(&self) -> String {
        String::new()
    }
}

fn main() {}
