//! JSON-RPC dispatch: one incoming message → the method that handles it → one response.
//! Transport-independent; transports decide where responses and related messages go.

use crate::protocol::jsonrpc::{
    ErrorObject, Message, Notification, Request, RequestId, Response, codes, params_object,
};
use crate::protocol::{
    CallToolResult, CompleteParams, CompleteResult, GetPromptResult, InitializeParams, InitializeResult,
    ListCapability, LoggingLevel, ProtocolVersion, ReadResourceResult, ResourcesCapability, ServerCapabilities,
};
use crate::session::{Negotiated, Session, Sink};
use crate::{Arguments, Context, McpError, Server};
use base64::Engine as _;
use fastmcp_auth::{AccessToken, ScopeSet};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::sync::Arc;

impl Server {
    /// Handles a request. Returns `None` when the request was cancelled (no response is sent).
    pub(crate) async fn handle_request(
        &self,
        session: &Arc<Session>,
        request: Request,
        related: Option<Sink>,
        caller: Option<Arc<AccessToken>>,
    ) -> Option<Response> {
        let id = request.id.clone();
        let cancel = session.start_request(&id);
        let ctx = Context::new(self.clone(), session.clone(), &request, related, cancel.clone(), caller);
        let outcome = tokio::select! {
            // A handler that returns because it saw the cancellation must not be answered.
            biased;
            _ = cancel.cancelled() => None,
            r = self.call_method(session, &ctx, request) => Some(r),
        };
        session.finish_request(&id);
        outcome.map(|r| Response { id: Some(id), outcome: r.map_err(ErrorObject::from) })
    }

    /// Handles a notification from the client.
    pub(crate) fn handle_notification(&self, session: &Session, n: Notification) {
        match n.method.as_str() {
            "notifications/cancelled" => {
                let id = n.params.as_ref().and_then(|p| p.get("requestId")).cloned();
                if let Some(id) = id.and_then(|v| serde_json::from_value::<RequestId>(v).ok()) {
                    session.cancel_request(&id);
                }
            }
            "notifications/initialized" | "notifications/roots/list_changed" | "notifications/progress" => {}
            other => tracing::debug!(method = other, "ignoring unknown notification"),
        }
    }

    /// Routes a client's response to the server request that waits for it.
    pub(crate) fn handle_response(&self, session: &Session, r: Response) {
        match r.id {
            Some(id) => {
                if !session.complete_outgoing(&id, r.outcome) {
                    tracing::debug!(%id, "response to an unknown or finished server request");
                }
            }
            None => tracing::debug!("client reported an error without an id"),
        }
    }

    /// The scopes a message needs beyond the server-wide ones: those of the tool, resource or
    /// prompt it names. Transports check this before dispatching, so a missing scope can be a
    /// real HTTP 403 even though the name is inside the JSON-RPC body.
    pub(crate) fn scopes_needed(&self, message: &Message) -> Option<ScopeSet> {
        let Message::Request(r) = message else { return None };
        let registry = self.registry();
        if !registry.any_scoped {
            return None;
        }
        let param = |k: &str| r.params.as_ref()?.get(k)?.as_str();
        let scopes = match r.method.as_str() {
            "tools/call" => &registry.tool(param("name")?)?.scopes,
            "prompts/get" => &registry.prompt(param("name")?)?.scopes,
            "resources/read" => {
                let uri = param("uri")?;
                match registry.resource(uri) {
                    Some(res) => &res.scopes,
                    None => &registry.templates.iter().find(|t| t.matcher.matches(uri).is_some())?.scopes,
                }
            }
            _ => return None,
        };
        (!scopes.is_empty()).then(|| scopes.clone())
    }

    /// Dispatches any message; returns the response to send, if any.
    pub(crate) async fn handle_message(
        &self,
        session: &Arc<Session>,
        message: Message,
        related: Option<Sink>,
        caller: Option<Arc<AccessToken>>,
    ) -> Option<Response> {
        match message {
            Message::Request(r) => self.handle_request(session, r, related, caller).await,
            Message::Notification(n) => {
                self.handle_notification(session, n);
                None
            }
            Message::Response(r) => {
                self.handle_response(session, r);
                None
            }
        }
    }

    async fn call_method(&self, session: &Arc<Session>, ctx: &Context, request: Request) -> Result<Value, McpError> {
        let method = request.method.as_str();
        if method != "initialize" && method != "ping" && session.id.is_none() && !session.is_initialized() {
            // stdio: the spec requires initialize first. (Stateless HTTP marks its sessions initialized.)
            return Err(McpError::invalid_request(format!("`{method}` before `initialize`")));
        }
        let params = params_object(request.params).map_err(McpError::from)?;
        match method {
            "initialize" => reply(self.initialize(session, params)?),
            "ping" => Ok(json!({})),
            "tools/list" => self.list(
                params,
                |r| r.tools.iter().filter(|t| ctx.may_use(&t.scopes)).map(|t| &t.tool).collect(),
                "tools",
            ),
            "tools/call" => reply(self.call_tool(ctx, params).await?),
            "resources/list" => self.list(
                params,
                |r| r.resources.iter().filter(|x| ctx.may_use(&x.scopes)).map(|x| &x.resource).collect(),
                "resources",
            ),
            "resources/templates/list" => self.list(
                params,
                |r| r.templates.iter().filter(|x| ctx.may_use(&x.scopes)).map(|x| &x.template).collect(),
                "resourceTemplates",
            ),
            "resources/read" => reply(self.read_resource(ctx, params).await?),
            "resources/subscribe" => {
                session.subscribe(uri_param(&params)?.to_owned());
                Ok(json!({}))
            }
            "resources/unsubscribe" => {
                session.unsubscribe(uri_param(&params)?);
                Ok(json!({}))
            }
            "prompts/list" => self.list(
                params,
                |r| r.prompts.iter().filter(|p| ctx.may_use(&p.scopes)).map(|p| &p.prompt).collect(),
                "prompts",
            ),
            "prompts/get" => reply(self.get_prompt(ctx, params).await?),
            "completion/complete" => {
                let p: CompleteParams = parse(params)?;
                match &self.inner.completion {
                    Some(f) => reply(f(ctx.clone(), p).await?),
                    None => reply(CompleteResult::default()),
                }
            }
            "logging/setLevel" => {
                let level: LoggingLevel = serde_json::from_value(params.get("level").cloned().unwrap_or_default())
                    .map_err(|_| {
                        McpError::invalid_params(
                            "`level` must be one of debug, info, notice, warning, error, critical, alert, emergency",
                        )
                    })?;
                session.set_log_level(level);
                Ok(json!({}))
            }
            other => Err(McpError::method_not_found(other)),
        }
    }

    fn initialize(&self, session: &Session, params: Map<String, Value>) -> Result<InitializeResult, McpError> {
        let p: InitializeParams = parse(params)?;
        let version = ProtocolVersion::negotiate(&p.protocol_version);
        session.set_negotiated(Negotiated { version, client_info: p.client_info, client_capabilities: p.capabilities });
        Ok(InitializeResult {
            protocol_version: version.as_str().to_owned(),
            capabilities: ServerCapabilities {
                tools: Some(ListCapability { list_changed: true }),
                resources: Some(ResourcesCapability { subscribe: true, list_changed: true }),
                prompts: Some(ListCapability { list_changed: true }),
                logging: Some(Map::new()),
                completions: Some(Map::new()),
            },
            server_info: self.inner.info.clone(),
            instructions: self.inner.instructions.clone(),
        })
    }

    /// A page of a `*/list` result. The cursor is the base64 of the next offset.
    fn list<T: Serialize>(
        &self,
        params: Map<String, Value>,
        items: impl FnOnce(&crate::server::Registry) -> Vec<&T>,
        key: &str,
    ) -> Result<Value, McpError> {
        let start = match params.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => decode_cursor(c).ok_or_else(|| McpError::invalid_params("invalid cursor"))?,
            Some(_) => return Err(McpError::invalid_params("invalid cursor")),
        };
        let registry = self.registry();
        let all = items(&registry);
        if start > all.len() {
            return Err(McpError::invalid_params("invalid cursor"));
        }
        let size = if self.inner.page_size == 0 { all.len() } else { self.inner.page_size };
        let end = (start + size).min(all.len());
        let mut result = json!({ key: &all[start..end] });
        if end < all.len() {
            result["nextCursor"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(end.to_string()));
        }
        Ok(result)
    }

    async fn call_tool(&self, ctx: &Context, mut params: Map<String, Value>) -> Result<CallToolResult, McpError> {
        let (name, arguments) = name_and_arguments(&mut params)?;
        let registry = self.registry();
        let tool = registry.tool(&name).ok_or_else(|| McpError::invalid_params(format!("unknown tool: {name}")))?;
        ctx.require(&tool.scopes)?;
        match (tool.handler)(ctx.clone(), Arguments::from(arguments)).await {
            Ok(result) => Ok(result),
            // Bad arguments are the model's mistake: report them as a tool error it can read
            // and correct (MCP 2025-11-25, SEP-1303), not as a protocol error.
            Err(e) if e.code == codes::INVALID_PARAMS => Ok(CallToolResult::error(e.message)),
            Err(e) => Err(e),
        }
    }

    async fn read_resource(&self, ctx: &Context, params: Map<String, Value>) -> Result<ReadResourceResult, McpError> {
        let uri = uri_param(&params)?.to_owned();
        let registry = self.registry();
        if let Some(r) = registry.resource(&uri) {
            ctx.require(&r.scopes)?;
            let contents = (r.handler)(ctx.clone(), uri, Arguments::default()).await?;
            return Ok(ReadResourceResult { contents });
        }
        for t in &registry.templates {
            if let Some(vars) = t.matcher.matches(&uri) {
                ctx.require(&t.scopes)?;
                let contents = (t.handler)(ctx.clone(), uri, Arguments::from(vars)).await?;
                return Ok(ReadResourceResult { contents });
            }
        }
        Err(McpError::resource_not_found(&uri))
    }

    async fn get_prompt(&self, ctx: &Context, mut params: Map<String, Value>) -> Result<GetPromptResult, McpError> {
        let (name, arguments) = name_and_arguments(&mut params)?;
        let registry = self.registry();
        let prompt =
            registry.prompt(&name).ok_or_else(|| McpError::invalid_params(format!("unknown prompt: {name}")))?;
        ctx.require(&prompt.scopes)?;
        for arg in &prompt.prompt.arguments {
            if arg.required == Some(true) && !arguments.contains_key(&arg.name) {
                return Err(McpError::invalid_params(format!("missing required argument `{}`", arg.name)));
            }
        }
        (prompt.handler)(ctx.clone(), Arguments::from(arguments)).await
    }
}

/// `name` (a string) and `arguments` (an object, absent = empty) of `tools/call` and `prompts/get`.
fn name_and_arguments(params: &mut Map<String, Value>) -> Result<(String, Map<String, Value>), McpError> {
    let name = match params.remove("name") {
        Some(Value::String(n)) => n,
        _ => return Err(McpError::invalid_params("`name` must be a string")),
    };
    let arguments = match params.remove("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(McpError::invalid_params("`arguments` must be an object")),
    };
    Ok((name, arguments))
}

fn reply<T: Serialize>(value: T) -> Result<Value, McpError> {
    serde_json::to_value(value).map_err(|e| McpError::internal(e.to_string()))
}

fn parse<T: DeserializeOwned>(params: Map<String, Value>) -> Result<T, McpError> {
    serde_json::from_value(Value::Object(params)).map_err(|e| McpError::invalid_params(format!("invalid params: {e}")))
}

fn uri_param(params: &Map<String, Value>) -> Result<&str, McpError> {
    params.get("uri").and_then(Value::as_str).ok_or_else(|| McpError::invalid_params("`uri` must be a string"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c).ok()?;
    std::str::from_utf8(&bytes).ok()?.parse().ok()
}
