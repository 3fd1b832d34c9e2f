//! [`ToolDef`]: a tool's listing plus the function that runs it.

use crate::protocol::{CallToolResult, Tool, ToolAnnotations};
use crate::{Arguments, Context, McpError};
use fastmcp_auth::ScopeSet;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;

pub(crate) type ToolHandler =
    Arc<dyn Fn(Context, Arguments) -> BoxFuture<'static, Result<CallToolResult, McpError>> + Send + Sync>;

/// A tool: what `tools/list` shows and what `tools/call` runs.
///
/// `#[tool]` methods expand to this; it can also be built by hand:
///
/// ```
/// use fastmcp::{ToolDef, CallToolResult, Content};
/// let add = ToolDef::new("add")
///     .description("Add two integers.")
///     .input_schema(serde_json::json!({
///         "type": "object",
///         "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
///         "required": ["a", "b"]
///     }))
///     .handler(|_ctx, mut args| async move {
///         let (a, b): (i64, i64) = (args.take("a", true)?, args.take("b", true)?);
///         Ok(CallToolResult::success(vec![Content::text((a + b).to_string())]))
///     });
/// assert_eq!(add.tool().name, "add");
/// ```
#[derive(Clone)]
pub struct ToolDef {
    pub(crate) tool: Tool,
    pub(crate) scopes: ScopeSet,
    pub(crate) handler: ToolHandler,
}

impl ToolDef {
    /// A tool with an empty-object input schema and a handler that fails until one is set.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let missing = name.clone();
        ToolDef {
            tool: Tool {
                name,
                title: None,
                description: None,
                input_schema: json!({ "type": "object", "properties": {} }),
                output_schema: None,
                annotations: None,
            },
            scopes: ScopeSet::new(),
            handler: Arc::new(move |_, _| {
                let name = missing.clone();
                Box::pin(async move { Err(McpError::internal(format!("tool `{name}` has no handler"))) })
            }),
        }
    }

    /// Display title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.tool.title = Some(title.into());
        self
    }

    /// Description shown to the model.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.tool.description = Some(description.into());
        self
    }

    /// JSON Schema of the arguments (must be `"type": "object"`).
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.tool.input_schema = schema;
        self
    }

    /// JSON Schema of `structuredContent`.
    pub fn output_schema(mut self, schema: Option<Value>) -> Self {
        self.tool.output_schema = schema;
        self
    }

    /// Behavioural hints.
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.tool.annotations = Some(annotations);
        self
    }

    /// Scopes a caller's token must hold to see and use this (checked only when the transport
    /// is authenticated).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The function run by `tools/call`.
    pub fn handler<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Context, Arguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, McpError>> + Send + 'static,
    {
        self.handler = Arc::new(move |ctx, args| Box::pin(f(ctx, args)));
        self
    }

    /// The listing.
    pub fn tool(&self) -> &Tool {
        &self.tool
    }
}
