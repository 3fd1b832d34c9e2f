use fastmcp::mcp_server;

struct A;

#[mcp_server(name = "a", auth = oauth(store = postgres("postgres://app:hunter2@db.example.com/app")))]
impl A {}

struct B;

#[mcp_server(name = "b", auth = oauth(store = redis("redis://cache")))]
impl B {}

fn main() {}
