//! The MCP wire protocol: JSON-RPC framing, message payloads and revisions.

pub mod jsonrpc;
mod types;
mod version;

pub use types::*;
pub use version::ProtocolVersion;
