use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s", auth = jwt(
    jwks_uri = "https://auth.example.com/jwks",
    audience = "https://s.example.com/mcp",
    scopes_supported = ["notes:read", "notes write", ""],
))]
impl S {
    #[tool(scope = "quote\"d")]
    fn a(&self) -> i64 {
        1
    }

    #[tool(scopes = ["back\\slash"])]
    fn b(&self) -> i64 {
        2
    }
}

fn main() {}
