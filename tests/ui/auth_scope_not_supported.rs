use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s", auth = jwt(
    jwks_uri = "https://auth.example.com/jwks",
    audience = "https://s.example.com/mcp",
    scopes_supported = ["notes:read", "notes:write"],
))]
impl S {
    #[tool(scope = "notes:raed")]
    fn list(&self) -> i64 {
        1
    }
}

fn main() {}
