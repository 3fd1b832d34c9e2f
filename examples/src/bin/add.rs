//! One stateless tool for horizontal scaling and load tests: `add(a, b)`. Auth is whatever the
//! environment says (`FASTMCP_SERVER_AUTH*`, none by default).
//!
//! ```sh
//! cargo run --release -p examples --bin add -- --stateless --port 8000
//! ```

use fastmcp::{McpServer, mcp_server};

struct Add;

#[mcp_server(name = "add", auth = env)]
impl Add {
    /// Add two integers.
    #[tool(annotations(read_only = true, idempotent = true))]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    Add.into_server().run().await
}
