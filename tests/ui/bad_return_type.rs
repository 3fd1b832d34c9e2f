use fastmcp::mcp_server;

struct S;

struct Opaque;

#[mcp_server(name = "ret")]
impl S {
    #[tool]
    fn make(&self) -> Opaque {
        Opaque
    }
}

fn main() {}
