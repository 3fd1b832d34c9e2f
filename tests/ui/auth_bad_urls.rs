use fastmcp::mcp_server;

struct A;

#[mcp_server(name = "a", auth = jwt(jwks_uri = "auth.example.com/jwks", audience = "https://a.example.com/mcp"))]
impl A {}

struct B;

#[mcp_server(name = "b", auth = remote(
    verifier = jwt(jwks_uri = "http://auth.example.com/jwks"),
    authorization_servers = ["http://auth.example.com"],
))]
impl B {}

fn main() {}
