use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s", auth = jwt(jwks_uri = "https://auth.example.com/jwks", issuer = "https://auth.example.com"))]
impl S {}

fn main() {}
