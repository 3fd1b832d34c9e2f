use fastmcp::mcp_server;

struct A;

#[mcp_server(name = "a", auth = jwt(secret = "hunter2-hunter2-hunter2-hunter2!", algorithm = "HS256", audience = "https://a.example.com/mcp"))]
impl A {}

struct B;

#[mcp_server(name = "b", auth = introspection(
    introspection_url = "https://auth.example.com/introspect",
    client_id = "b",
    client_secret = "s3cr3t",
))]
impl B {}

struct C;

#[mcp_server(name = "c", auth = api_keys(keys = "[{\"key\":\"abc\"}]"))]
impl C {}

fn main() {}
