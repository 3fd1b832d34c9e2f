use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s", auth = jwt(
    jwks_uri = "https://auth.example.com/jwks",
    public_key = "-----BEGIN PUBLIC KEY-----",
    audience = "https://s.example.com/mcp",
))]
impl S {}

fn main() {}
