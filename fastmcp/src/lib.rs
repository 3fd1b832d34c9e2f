//! # fastmcp
//!
//! Build [Model Context Protocol](https://modelcontextprotocol.io) servers in Rust.
//!
//! ```no_run
//! use fastmcp::{mcp_server, Context, ToolError};
//!
//! struct Hello;
//!
//! #[mcp_server(name = "hello", version = "1.0.0")]
//! impl Hello {
//!     /// Add two integers.
//!     #[tool]
//!     fn add(&self, a: i64, b: i64) -> i64 {
//!         a + b
//!     }
//!
//!     /// Greet someone, reporting progress.
//!     #[tool(annotations(read_only = true))]
//!     async fn greet(&self, ctx: &Context, name: String) -> Result<String, ToolError> {
//!         ctx.report_progress(1.0, Some(1.0), None).await;
//!         Ok(format!("Hello, {name}!"))
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     use fastmcp::McpServer;
//!     Hello.into_server().run().await
//! }
//! ```
//!
//! The macros expand to the public builder API ([`Server::builder`], [`ToolDef`],
//! [`ResourceDef`], [`PromptDef`]), which can be used directly.

#![warn(missing_docs)]

mod arguments;
mod context;
mod dispatch;
mod error;
mod prompt;
pub mod protocol;
mod resource;
mod run;
mod server;
mod session;
mod tool;
mod transport;
mod uri_template;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use arguments::Arguments;
pub use context::Context;
pub use error::{McpError, ToolError};
pub use fastmcp_macros::{mcp_server, prompt, resource, tool};
pub use prompt::PromptDef;
pub use protocol::{
    CallToolResult, CompleteParams, CompleteResult, Completion, Content, CreateMessageParams, CreateMessageResult,
    ElicitAction, ElicitResult, GetPromptResult, LoggingLevel, PromptMessage, ResourceContents, Role, ToolAnnotations,
};
pub use resource::{ResourceDef, ResourceTemplateDef};
pub use run::{RunOptions, Transport, UsageError, init_logging};
pub use server::{McpServer, Server, ServerBuilder};
pub use tool::ToolDef;
pub use transport::{HostPolicy, HttpConfig, PROTOCOL_VERSION_HEADER, SESSION_ID_HEADER};
pub use uri_template::UriTemplate;

/// The auth runtime (token verifiers, discovery metadata), re-exported.
pub use fastmcp_auth as auth;

/// Standard base64 (with padding), as MCP uses for binary content.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
