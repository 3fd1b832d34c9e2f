//! [`Context`]: what a handler can do besides computing its result — report progress, log to
//! the client, ask the client's model (sampling) or its user (elicitation), notice cancellation.

use crate::protocol::jsonrpc::{Message, Request, RequestId};
use crate::protocol::{
    CreateMessageParams, CreateMessageResult, ElicitResult, Implementation, LoggingLevel, ProtocolVersion,
};
use crate::session::{Session, Sink};
use crate::{McpError, Server};
use fastmcp_auth::{AccessToken, ScopeSet};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Per-request handle passed to tools, resources and prompts (declare `ctx: &Context` as any
/// parameter of a `#[tool]` method).
///
/// ```no_run
/// # use fastmcp::Context;
/// async fn long_job(ctx: &Context) -> Result<(), fastmcp::McpError> {
///     for step in 1..=3 {
///         ctx.report_progress(step as f64, Some(3.0), Some("working")).await;
///     }
///     ctx.info("done").await;
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    server: Server,
    session: Arc<Session>,
    request_id: RequestId,
    progress_token: Option<Value>,
    related: Option<Sink>,
    cancel: CancellationToken,
    caller: Option<Arc<AccessToken>>,
}

impl Context {
    pub(crate) fn new(
        server: Server,
        session: Arc<Session>,
        request: &Request,
        related: Option<Sink>,
        cancel: CancellationToken,
        caller: Option<Arc<AccessToken>>,
    ) -> Self {
        let progress_token = request
            .params
            .as_ref()
            .and_then(|p| p.get("_meta"))
            .and_then(|m| m.get("progressToken"))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned();
        Context {
            inner: Arc::new(Inner {
                server,
                session,
                request_id: request.id.clone(),
                progress_token,
                related,
                cancel,
                caller,
            }),
        }
    }

    /// The verified access token of the caller, when the transport is authenticated (HTTP with
    /// `auth` configured). `None` over stdio, where the local user's rights apply.
    ///
    /// ```no_run
    /// # fn f(ctx: &fastmcp::Context) {
    /// if let Some(token) = ctx.access_token() {
    ///     println!("{} via {:?} with {}", token.subject, token.client_id, token.scopes);
    /// }
    /// # }
    /// ```
    pub fn access_token(&self) -> Option<&AccessToken> {
        self.inner.caller.as_deref()
    }

    /// True when the caller may use something needing `scopes` (always, without auth).
    pub(crate) fn may_use(&self, scopes: &ScopeSet) -> bool {
        match &self.inner.caller {
            Some(t) => t.scopes.contains_all(scopes),
            None => true,
        }
    }

    /// Fails with [`McpError::insufficient_scope`] unless the caller holds `scopes`.
    pub(crate) fn require(&self, scopes: &ScopeSet) -> Result<(), McpError> {
        if self.may_use(scopes) { Ok(()) } else { Err(McpError::insufficient_scope(scopes)) }
    }

    /// The id of the request being handled.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.request_id
    }

    /// The session id (`Mcp-Session-Id`), when the transport has sessions.
    pub fn session_id(&self) -> Option<&str> {
        self.inner.session.id.as_deref()
    }

    /// The negotiated protocol revision.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.session.version()
    }

    /// The client's name and version, after `initialize`.
    pub fn client_info(&self) -> Option<Implementation> {
        self.inner.session.negotiated().map(|n| n.client_info.clone())
    }

    /// Whether the client declared a capability (`"sampling"`, `"elicitation"`, `"roots"`).
    pub fn client_supports(&self, capability: &str) -> bool {
        self.inner.session.client_supports(capability)
    }

    /// The server handling this request (to add tools, notify subscribers, …).
    pub fn server(&self) -> &Server {
        &self.inner.server
    }

    /// True once the client cancelled this request or the session ended.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Completes when the client cancels this request or the session ends.
    pub async fn cancelled(&self) {
        self.inner.cancel.cancelled().await
    }

    fn send(&self, message: Message) {
        let sent = match &self.inner.related {
            Some(sink) => sink.send(message).is_ok(),
            None => self.inner.session.send_standalone(message),
        };
        if !sent {
            tracing::debug!("no open stream to the client; message dropped");
        }
    }

    /// Sends `notifications/progress` if the client asked for progress (a `progressToken`).
    pub async fn report_progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.inner.progress_token else { return };
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = json!(total);
        }
        if let Some(message) = message {
            params["message"] = json!(message);
        }
        self.send(Message::notification("notifications/progress", Some(params)));
    }

    /// Sends `notifications/message` unless the client set a higher minimum level.
    pub async fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Serialize) {
        if !self.inner.session.wants_log(level) {
            return;
        }
        let mut params = json!({ "level": level, "data": data });
        if let Some(logger) = logger {
            params["logger"] = json!(logger);
        }
        self.send(Message::notification("notifications/message", Some(params)));
    }

    /// Logs at `debug`.
    pub async fn debug(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Debug, None, message.into()).await
    }
    /// Logs at `info`.
    pub async fn info(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Info, None, message.into()).await
    }
    /// Logs at `warning`.
    pub async fn warning(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Warning, None, message.into()).await
    }
    /// Logs at `error`.
    pub async fn error(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Error, None, message.into()).await
    }

    /// Sends a request to the client and waits for its answer (or cancellation).
    pub async fn request<R: DeserializeOwned>(&self, method: &str, params: impl Serialize) -> Result<R, McpError> {
        let params = serde_json::to_value(params).map_err(|e| McpError::internal(e.to_string()))?;
        let (id, answer) = self.inner.session.register_outgoing();
        self.send(Message::Request(Request { id: id.clone(), method: method.to_owned(), params: Some(params) }));
        let outcome = tokio::select! {
            r = answer => r,
            _ = self.inner.cancel.cancelled() => {
                self.inner.session.forget_outgoing(&id);
                return Err(McpError::internal(format!("request `{method}` cancelled")));
            }
        };
        match outcome {
            Ok(Ok(v)) => serde_json::from_value(v)
                .map_err(|e| McpError::internal(format!("malformed `{method}` response from client: {e}"))),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(McpError::internal(format!("client stream closed before answering `{method}`"))),
        }
    }

    /// Asks the client's model to generate a message (`sampling/createMessage`).
    pub async fn create_message(&self, params: CreateMessageParams) -> Result<CreateMessageResult, McpError> {
        if !self.client_supports("sampling") {
            return Err(McpError::invalid_request("the client does not support sampling"));
        }
        self.request("sampling/createMessage", params).await
    }

    /// Asks the client's user to fill in a form (`elicitation/create`, form mode).
    /// `requested_schema` is a flat JSON Schema object of primitive properties.
    pub async fn elicit(&self, message: &str, requested_schema: Value) -> Result<ElicitResult, McpError> {
        if !self.client_supports("elicitation") {
            return Err(McpError::invalid_request("the client does not support elicitation"));
        }
        self.request("elicitation/create", json!({ "message": message, "requestedSchema": requested_schema })).await
    }
}
