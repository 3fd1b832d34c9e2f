use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s", auth = jwt(
    jwks_uri = "https://auth.example.com/jwks",
    audience = "https://s.example.com/mcp",
    audience = "https://other.example.com/mcp",
))]
impl S {}

fn main() {}
