//! Errors a handler can return: protocol errors ([`McpError`]) and tool failures ([`ToolError`]).

use crate::protocol::jsonrpc::{ErrorObject, codes};
use serde_json::Value;
use std::fmt;

/// Error code for a missing scope (HTTP transports answer 403 instead).
pub const INSUFFICIENT_SCOPE: i64 = -32003;

/// A JSON-RPC error returned to the client instead of a result.
///
/// ```
/// use fastmcp::McpError;
/// let e = McpError::invalid_params("`limit` must be positive");
/// assert_eq!(e.code, -32602);
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct McpError {
    /// JSON-RPC error code.
    pub code: i64,
    /// Human-readable message.
    pub message: String,
    /// Optional structured detail.
    pub data: Option<Value>,
}

impl McpError {
    /// An error with an explicit code.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }
    /// Attaches structured detail.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    /// `-32602 Invalid params`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_PARAMS, message)
    }
    /// `-32600 Invalid request`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_REQUEST, message)
    }
    /// `-32601 Method not found`.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(codes::METHOD_NOT_FOUND, format!("method not found: {method}"))
    }
    /// `-32603 Internal error`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(codes::INTERNAL_ERROR, message)
    }
    /// The caller's token lacks `scopes`. Over HTTP this becomes a real `403` with
    /// `WWW-Authenticate: Bearer error="insufficient_scope"`, so clients can step up.
    pub fn insufficient_scope(scopes: &fastmcp_auth::ScopeSet) -> Self {
        Self::new(INSUFFICIENT_SCOPE, format!("insufficient scope: this requires `{scopes}`"))
            .with_data(serde_json::json!({ "requiredScopes": scopes.to_vec() }))
    }

    /// The scopes named by an [`insufficient_scope`](Self::insufficient_scope) error.
    pub fn required_scopes(&self) -> Option<fastmcp_auth::ScopeSet> {
        if self.code != INSUFFICIENT_SCOPE {
            return None;
        }
        let list = self.data.as_ref()?.get("requiredScopes")?.as_array()?;
        Some(list.iter().filter_map(Value::as_str).collect())
    }

    /// `-32002 Resource not found`, with the URI in `data`.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::new(codes::RESOURCE_NOT_FOUND, format!("resource not found: {uri}"))
            .with_data(serde_json::json!({ "uri": uri }))
    }
}

impl From<McpError> for ErrorObject {
    fn from(e: McpError) -> Self {
        ErrorObject { code: e.code, message: e.message, data: e.data }
    }
}

impl From<ErrorObject> for McpError {
    fn from(e: ErrorObject) -> Self {
        McpError { code: e.code, message: e.message, data: e.data }
    }
}

/// A tool failed: reported to the model as a result with `isError: true`, not as a
/// protocol error, so the model can read it and try again.
///
/// Any `std::error::Error` converts into it with `?`.
///
/// ```
/// use fastmcp::ToolError;
/// fn parse(s: &str) -> Result<i64, ToolError> {
///     Ok(s.parse::<i64>()?)
/// }
/// assert!(parse("x").unwrap_err().to_string().contains("invalid digit"));
/// let e = ToolError::new("note not found");
/// assert_eq!(e.to_string(), "note not found");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError {
    message: String,
}

impl ToolError {
    /// A tool error with a message for the model.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: std::error::Error> From<E> for ToolError {
    fn from(e: E) -> Self {
        Self::new(e.to_string())
    }
}

impl From<ToolError> for McpError {
    fn from(e: ToolError) -> Self {
        McpError::internal(e.to_string())
    }
}
impl From<std::io::Error> for McpError {
    fn from(e: std::io::Error) -> Self {
        McpError::internal(e.to_string())
    }
}
