use fastmcp::mcp_server;

struct S;

/// Neither `Deserialize` nor `JsonSchema`.
struct Point {
    x: f64,
}

#[mcp_server(name = "args")]
impl S {
    #[tool]
    fn norm(&self, point: Point) -> f64 {
        point.x.abs()
    }
}

fn main() {}
