use fastmcp::mcp_server;

struct A;

#[mcp_server(name = "a", auth = jwtt(jwks_uri = "https://auth.example.com/jwks"))]
impl A {}

struct B;

#[mcp_server(name = "b", auth = jwt(jwks_url = "https://auth.example.com/jwks", audience = "https://b.example.com/mcp"))]
impl B {}

fn main() {}
