//! Transports: stdio, Streamable HTTP and legacy HTTP+SSE.

mod connection;
mod guard;
pub(crate) mod http;
mod legacy_sse;
mod sse_stream;
pub(crate) mod stdio;

pub use guard::HostPolicy;
pub use http::{HttpConfig, PROTOCOL_VERSION_HEADER, SESSION_ID_HEADER};
