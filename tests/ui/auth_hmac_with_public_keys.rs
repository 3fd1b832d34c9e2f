use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "s", auth = jwt(
    jwks_uri = "https://auth.example.com/jwks",
    algorithm = ["RS256", "HS256"],
    audience = "https://s.example.com/mcp",
))]
impl S {}

fn main() {}
