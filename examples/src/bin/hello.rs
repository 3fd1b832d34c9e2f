//! The smallest useful server: two tools, served over stdio, Streamable HTTP or legacy SSE.
//!
//! ```sh
//! cargo run -p examples --bin hello                      # http://127.0.0.1:8000/mcp
//! cargo run -p examples --bin hello -- --transport stdio
//! ```

use fastmcp::{McpServer, mcp_server};

struct Hello;

#[mcp_server(name = "hello", instructions = "Adds numbers and greets people.")]
impl Hello {
    /// Add two integers.
    #[tool(annotations(read_only = true, idempotent = true))]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// Greet someone by name.
    #[tool]
    async fn greet(&self, name: String) -> String {
        format!("Hello, {name}!")
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    Hello.into_server().run().await
}
