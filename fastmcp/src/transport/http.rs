//! Streamable HTTP transport (MCP 2025-03-26 and later) on axum: one endpoint answering POST
//! (client messages), GET (server-to-client stream) and DELETE (end session).

// Handlers return a ready-to-send `Response` as the error: it is the HTTP answer itself.
#![allow(clippy::result_large_err)]

use super::guard::HostPolicy;
use super::sse_stream::{self, Until};
use crate::protocol::ProtocolVersion;
use crate::protocol::jsonrpc::{self, ErrorObject, Message, Payload, Response as RpcResponse, codes};
use crate::session::{Session, lock, new_session_id};
use crate::{McpError, Server};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use fastmcp_auth::{AccessToken, AuthProvider, BearerGuard, ConfigError, ConnectionMemo};
use futures_util::future::join_all;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The header carrying the session id.
pub const SESSION_ID_HEADER: &str = "mcp-session-id";
/// The header carrying the negotiated protocol revision.
pub const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";

/// Settings of the HTTP transports.
///
/// ```
/// use fastmcp::{HttpConfig, HostPolicy};
/// let config = HttpConfig::default()
///     .path("/api/mcp")
///     .stateless(true)
///     .host_policy(HostPolicy::List { hosts: vec!["mcp.example.com".into()], origins: vec![] });
/// assert_eq!(config.max_body_bytes, 4 * 1024 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Path of the Streamable HTTP endpoint (default `/mcp`).
    pub endpoint: String,
    /// No sessions: every POST stands alone (for horizontal scaling). GET and DELETE answer 405;
    /// server-to-client requests (sampling, elicitation) are unavailable.
    pub stateless: bool,
    /// `Host` / `Origin` validation (DNS-rebinding protection).
    pub host_policy: HostPolicy,
    /// Largest accepted request body; larger bodies get 413 (default 4 MiB).
    pub max_body_bytes: usize,
    /// Sessions idle this long are ended (default 30 minutes).
    pub session_idle_timeout: Duration,
    /// At most this many live sessions; new ones get 503 (default 10,000).
    pub max_sessions: usize,
    /// Also serve the legacy HTTP+SSE transport (`GET /sse`, `POST /messages`). Default on.
    pub legacy_sse: bool,
    /// Path of the legacy SSE stream (default `/sse`).
    pub sse_endpoint: String,
    /// Path of the legacy message endpoint (default `/messages`).
    pub messages_endpoint: String,
    /// Interval of keep-alive comments on idle streams (default 15 s).
    pub keep_alive: Duration,
    /// The server's public base URL (`https://notes.example.com`, or with a path prefix when a
    /// proxy mounts it there). The MCP resource URL is this plus `endpoint`. Needed with auth;
    /// defaults to `FASTMCP_SERVER_BASE_URL`, or `http://HOST:PORT` when serving directly.
    pub public_url: Option<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            endpoint: "/mcp".into(),
            stateless: false,
            host_policy: HostPolicy::Loopback,
            max_body_bytes: 4 * 1024 * 1024,
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            legacy_sse: true,
            sse_endpoint: "/sse".into(),
            messages_endpoint: "/messages".into(),
            keep_alive: Duration::from_secs(15),
            public_url: None,
        }
    }
}

impl HttpConfig {
    /// Sets the endpoint path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.endpoint = path.into();
        self
    }
    /// Enables or disables stateless mode.
    pub fn stateless(mut self, stateless: bool) -> Self {
        self.stateless = stateless;
        self
    }
    /// Sets the host policy.
    pub fn host_policy(mut self, policy: HostPolicy) -> Self {
        self.host_policy = policy;
        self
    }
    /// Sets the body limit.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }
    /// Enables or disables the legacy HTTP+SSE endpoints.
    pub fn legacy_sse(mut self, on: bool) -> Self {
        self.legacy_sse = on;
        self
    }
    /// Sets the public base URL.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }
    /// The canonical URL of the MCP endpoint (the OAuth resource identifier), if known.
    pub fn resource_url(&self) -> Option<String> {
        let base = self.public_url.clone().or_else(|| std::env::var(fastmcp_auth::config::BASE_URL_VAR).ok())?;
        Some(format!("{}{}", base.trim_end_matches('/'), self.endpoint))
    }
    /// The default for a server listening on `addr`: loopback-only hosts when bound to
    /// loopback; otherwise same-origin checks only (put a host allow-list or a proxy in front).
    pub fn for_addr(addr: SocketAddr) -> Self {
        let host_policy = if addr.ip().is_loopback() { HostPolicy::Loopback } else { HostPolicy::SameOrigin };
        HttpConfig { host_policy, ..HttpConfig::default() }
    }
}

pub(crate) struct HttpState {
    pub server: Server,
    pub config: HttpConfig,
    /// Bearer-token protection, when the server declares auth.
    pub guard: Option<BearerGuard>,
    last_sweep: Mutex<Instant>,
}

impl HttpState {
    pub fn new(server: Server, config: HttpConfig, guard: Option<BearerGuard>) -> Arc<Self> {
        Arc::new(HttpState { server, config, guard, last_sweep: Mutex::new(Instant::now()) })
    }

    /// Verifies the caller's token (when auth is on); the error is the response to send.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        uri: &axum::http::Uri,
        connection: Option<&ConnectionMemo>,
    ) -> Result<Option<Arc<AccessToken>>, Response> {
        match &self.guard {
            Some(g) => g.authenticate(headers, uri, connection).await.map(Some),
            None => Ok(None),
        }
    }

    /// Checks that the caller may use a session, and that it holds the scopes `message`
    /// needs; the error is a 403 response.
    pub fn authorize(
        &self,
        session: &Session,
        caller: Option<&AccessToken>,
        message: &Message,
    ) -> Result<(), Response> {
        let (Some(guard), Some(caller)) = (&self.guard, caller) else { return Ok(()) };
        // Stateless requests have no session to hijack.
        if session.id.is_some() {
            owned_by(session, Some(caller))?;
        }
        match self.server.scopes_needed(message) {
            Some(needed) if !caller.scopes.contains_all(&needed) => {
                let body = match message {
                    Message::Request(r) => {
                        RpcResponse::error(Some(r.id.clone()), McpError::insufficient_scope(&needed).into())
                    }
                    _ => RpcResponse::error(None, McpError::insufficient_scope(&needed).into()),
                };
                let mut resp = rpc_response(StatusCode::FORBIDDEN, body);
                if let Ok(v) = HeaderValue::from_str(&guard.insufficient_scope_challenge(&caller.scopes, &needed)) {
                    resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                tracing::info!(subject = %caller.subject, needed = %needed, "insufficient scope");
                Err(resp)
            }
            _ => Ok(()),
        }
    }

    /// Creates and registers a session, first ending idle ones; `None` when at capacity.
    pub fn open_session(&self, version: ProtocolVersion) -> Option<Arc<Session>> {
        let sessions = &self.server.inner.sessions;
        {
            let mut last = lock(&self.last_sweep);
            if last.elapsed() > Duration::from_secs(30) || sessions.len() >= self.config.max_sessions {
                sessions.expire_idle(self.config.session_idle_timeout);
                *last = Instant::now();
            }
        }
        if sessions.len() >= self.config.max_sessions {
            return None;
        }
        let session = Session::new(Some(new_session_id()), version);
        sessions.insert(&session);
        Some(session)
    }
}

/// 403 unless the session belongs to the caller (bound on first use); anyone without auth.
fn owned_by(session: &Session, caller: Option<&AccessToken>) -> Result<(), Response> {
    match caller {
        Some(c) if !session.bind_owner(&c.subject) => Err(error_response(
            StatusCode::FORBIDDEN,
            TRANSPORT_ERROR,
            "Forbidden: this session belongs to another principal",
        )),
        _ => Ok(()),
    }
}

/// A JSON-RPC error as an HTTP response with the given status.
pub(crate) fn error_response(status: StatusCode, code: i64, message: impl Into<String>) -> Response {
    rpc_response(status, RpcResponse::error(None, ErrorObject::new(code, message)))
}

fn rpc_response(status: StatusCode, r: RpcResponse) -> Response {
    json_body(status, jsonrpc::encode(&Message::Response(r)))
}

fn json_body(status: StatusCode, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Transport-level error code used by MCP SDKs for HTTP-layer rejections.
const TRANSPORT_ERROR: i64 = -32000;
/// Error code MCP SDKs use for an unknown or terminated session.
const SESSION_NOT_FOUND: i64 = -32001;
/// Reconnection delay advertised in the priming event.
const RETRY: Duration = Duration::from_secs(1);

struct Accepts {
    json: bool,
    sse: bool,
}

fn accepts(headers: &HeaderMap) -> Accepts {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .collect();
    if values.is_empty() {
        return Accepts { json: true, sse: true };
    }
    let any = values.contains(&"*/*");
    Accepts {
        json: any || values.iter().any(|v| v.eq_ignore_ascii_case("application/json") || *v == "application/*"),
        sse: any || values.iter().any(|v| v.eq_ignore_ascii_case("text/event-stream") || *v == "text/*"),
    }
}

/// Validates `MCP-Protocol-Version`. `Ok(None)` when absent.
fn header_version(headers: &HeaderMap) -> Result<Option<ProtocolVersion>, Response> {
    match headers.get(PROTOCOL_VERSION_HEADER) {
        None => Ok(None),
        Some(v) => match v.to_str().ok().and_then(ProtocolVersion::parse) {
            Some(version) => Ok(Some(version)),
            None => Err(error_response(
                StatusCode::BAD_REQUEST,
                TRANSPORT_ERROR,
                format!(
                    "Bad Request: unsupported MCP-Protocol-Version `{}` (supported: {})",
                    String::from_utf8_lossy(v.as_bytes()),
                    ProtocolVersion::ALL.map(|v| v.as_str()).join(", ")
                ),
            )),
        },
    }
}

/// Finds the session named by `Mcp-Session-Id`: 400 when missing, 404 when unknown or ended.
fn find_session(state: &HttpState, headers: &HeaderMap) -> Result<Arc<Session>, Response> {
    let id = headers.get(SESSION_ID_HEADER).and_then(|v| v.to_str().ok());
    match id {
        None => {
            Err(error_response(StatusCode::BAD_REQUEST, TRANSPORT_ERROR, "Bad Request: missing Mcp-Session-Id header"))
        }
        Some(id) => state.server.inner.sessions.get(id).ok_or_else(|| {
            error_response(
                StatusCode::NOT_FOUND,
                SESSION_NOT_FOUND,
                "Session not found: it was terminated or has expired; initialize a new session",
            )
        }),
    }
}

/// DNS-rebinding protection for every HTTP endpoint: 403 unless Host/Origin are allowed.
pub(crate) fn guard(state: &HttpState, headers: &HeaderMap) -> Result<(), Response> {
    match state.config.host_policy.check(headers) {
        None => Ok(()),
        Some(why) => {
            tracing::warn!(%why, "rejected request (DNS-rebinding protection)");
            Err(error_response(StatusCode::FORBIDDEN, TRANSPORT_ERROR, format!("Forbidden: {why}")))
        }
    }
}

pub(crate) async fn read_body(state: &HttpState, body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, state.config.max_body_bytes).await.map_err(|_| {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::INVALID_REQUEST,
            format!("Payload Too Large: the request body exceeds {} bytes", state.config.max_body_bytes),
        )
    })
}

async fn handle_post(state: Arc<HttpState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    if let Err(r) = guard(&state, headers) {
        return r;
    }
    let connection = parts.extensions.get::<Arc<ConnectionMemo>>().map(Arc::as_ref);
    let caller = match state.authenticate(headers, &parts.uri, connection).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json") {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TRANSPORT_ERROR,
            "Unsupported Media Type: Content-Type must be application/json",
        );
    }
    let accept = accepts(headers);
    if !accept.json && !accept.sse {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            TRANSPORT_ERROR,
            "Not Acceptable: the client must accept application/json or text/event-stream",
        );
    }
    let version = match header_version(headers) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let bytes = match read_body(&state, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let payload = match jsonrpc::decode(&bytes) {
        Ok(p) => p,
        Err(r) => return rpc_response(StatusCode::BAD_REQUEST, r),
    };
    let is_initialize = matches!(&payload, Payload::Single(Message::Request(r)) if r.method == "initialize");

    let (session, created) = if state.config.stateless {
        let s = Session::new(None, version.unwrap_or(ProtocolVersion::HTTP_DEFAULT));
        if !is_initialize {
            s.set_negotiated(crate::session::Negotiated {
                version: version.unwrap_or(ProtocolVersion::HTTP_DEFAULT),
                client_info: Default::default(),
                client_capabilities: Default::default(),
            });
        }
        (s, false)
    } else if is_initialize {
        match state.open_session(version.unwrap_or(ProtocolVersion::HTTP_DEFAULT)) {
            Some(s) => (s, true),
            None => {
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    TRANSPORT_ERROR,
                    "Service Unavailable: too many sessions",
                );
            }
        }
    } else {
        match find_session(&state, headers) {
            Ok(s) => (s, false),
            Err(r) => return r,
        }
    };
    session.touch();
    if let Payload::Single(message) = &payload
        && let Err(r) = state.authorize(&session, caller.as_deref(), message)
    {
        return r;
    }

    let mut response = match payload {
        Payload::Single(Message::Request(request)) => respond(&state, &session, request, &accept, caller).await,
        Payload::Single(message) => {
            state.server.handle_message(&session, message, None, caller).await;
            StatusCode::ACCEPTED.into_response()
        }
        Payload::Batch(items) => {
            if !session.version().allows_batches() {
                return rpc_response(StatusCode::BAD_REQUEST, super::stdio::batch_rejected(session.version()));
            }
            for message in items.iter().flatten() {
                if let Err(r) = state.authorize(&session, caller.as_deref(), message) {
                    return r;
                }
            }
            let responses = join_all(items.into_iter().map(|item| {
                let (server, session, caller) = (state.server.clone(), session.clone(), caller.clone());
                async move {
                    match item {
                        Ok(Message::Request(r)) if r.method == "initialize" => Some(RpcResponse::error(
                            Some(r.id),
                            ErrorObject::new(codes::INVALID_REQUEST, "invalid request: `initialize` cannot be batched"),
                        )),
                        Ok(m) => server.handle_message(&session, m, None, caller).await,
                        Err(r) => Some(r),
                    }
                }
            }))
            .await;
            let out: Vec<Message> = responses.into_iter().flatten().map(Message::Response).collect();
            if out.is_empty() {
                StatusCode::ACCEPTED.into_response()
            } else {
                json_body(StatusCode::OK, serde_json::to_string(&out).unwrap_or_default())
            }
        }
    };
    if created && let Some(id) = session.id.as_deref().and_then(|id| HeaderValue::from_str(id).ok()) {
        response.headers_mut().insert(SESSION_ID_HEADER, id);
    }
    response
}

/// Answers one request: plain JSON when the handler finishes without sending anything else
/// first; otherwise (progress, logs, sampling …) an SSE stream ending with the response.
async fn respond(
    state: &HttpState,
    session: &Arc<Session>,
    request: jsonrpc::Request,
    accept: &Accepts,
    caller: Option<Arc<AccessToken>>,
) -> Response {
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let related = accept.sse.then(|| tx.clone());
    let (server, task_session) = (state.server.clone(), session.clone());
    tokio::spawn(async move {
        if let Some(r) = server.handle_request(&task_session, request, related, caller).await {
            let _ = tx.send(Message::Response(r));
        }
    });
    let first = match rx.recv().await {
        Some(m) => m,
        // Cancelled by the client: nothing to answer.
        None => return StatusCode::ACCEPTED.into_response(),
    };
    if let (Message::Response(_), true) = (&first, accept.json) {
        return json_body(StatusCode::OK, jsonrpc::encode(&first));
    }
    let (replay_tx, replay_rx) = mpsc::unbounded_channel();
    let _ = replay_tx.send(first);
    let prefix = format!("{}-", session.next_stream_id());
    // Clients of 2025-11-25 and later understand the empty priming event; older ones may not.
    let priming = if session.version() >= ProtocolVersion::V2025_11_25 {
        vec![sse_stream::priming(&format!("{prefix}0"), RETRY)]
    } else {
        Vec::new()
    };
    let frames = sse_stream::message_frames(
        priming,
        chain(replay_rx, rx, replay_tx),
        Until::Response,
        prefix,
        state.config.keep_alive,
        (),
    );
    sse_stream::response(frames)
}

/// Forwards `rest` into the channel that already holds the first message.
fn chain(
    rx: mpsc::UnboundedReceiver<Message>,
    mut rest: mpsc::UnboundedReceiver<Message>,
    tx: mpsc::UnboundedSender<Message>,
) -> mpsc::UnboundedReceiver<Message> {
    tokio::spawn(async move {
        while let Some(m) = rest.recv().await {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    rx
}

/// Detaches a session's standalone stream when the GET response is dropped.
struct StandaloneGuard {
    session: Arc<Session>,
}

impl Drop for StandaloneGuard {
    fn drop(&mut self) {
        self.session.set_standalone(None);
    }
}

async fn handle_get(state: Arc<HttpState>, uri: axum::http::Uri, headers: HeaderMap) -> Response {
    if let Err(r) = guard(&state, &headers) {
        return r;
    }
    let caller = match state.authenticate(&headers, &uri, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if state.config.stateless {
        return method_not_allowed("GET is not available: this server is stateless");
    }
    if !accepts(&headers).sse {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            TRANSPORT_ERROR,
            "Not Acceptable: the client must accept text/event-stream",
        );
    }
    if let Err(r) = header_version(&headers) {
        return r;
    }
    let session = match find_session(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = owned_by(&session, caller.as_deref()) {
        return r;
    }
    if session.has_standalone() {
        return error_response(
            StatusCode::CONFLICT,
            TRANSPORT_ERROR,
            "Conflict: only one GET stream per session is allowed",
        );
    }
    session.touch();
    let (tx, rx) = mpsc::unbounded_channel();
    session.set_standalone(Some(tx));
    let closed = session.closed.clone();
    let frames = sse_stream::message_frames(
        Vec::new(),
        close_on(rx, closed),
        Until::Closed,
        "g".into(),
        state.config.keep_alive,
        StandaloneGuard { session },
    );
    sse_stream::response(frames)
}

/// Ends the receiver when the session closes.
pub(crate) fn close_on(
    mut rx: mpsc::UnboundedReceiver<Message>,
    closed: tokio_util::sync::CancellationToken,
) -> mpsc::UnboundedReceiver<Message> {
    let (tx, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                m = rx.recv() => match m {
                    Some(m) => if tx.send(m).is_err() { break },
                    None => break,
                },
                _ = closed.cancelled() => break,
                _ = tx.closed() => break,
            }
        }
    });
    out
}

async fn handle_delete(state: Arc<HttpState>, uri: axum::http::Uri, headers: HeaderMap) -> Response {
    if let Err(r) = guard(&state, &headers) {
        return r;
    }
    let caller = match state.authenticate(&headers, &uri, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if state.config.stateless {
        return method_not_allowed("DELETE is not available: this server is stateless");
    }
    if let Err(r) = header_version(&headers) {
        return r;
    }
    let session = match find_session(&state, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = owned_by(&session, caller.as_deref()) {
        return r;
    }
    if let Some(id) = &session.id {
        state.server.inner.sessions.remove(id);
    }
    StatusCode::OK.into_response()
}

fn method_not_allowed(message: &str) -> Response {
    let mut r = error_response(StatusCode::METHOD_NOT_ALLOWED, TRANSPORT_ERROR, message);
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

impl Server {
    /// The HTTP transports as an axum router: Streamable HTTP at `config.endpoint` and, when
    /// enabled, legacy SSE. Nest or merge it into an existing app.
    ///
    /// ```
    /// # let server = fastmcp::Server::builder("demo").build();
    /// let app = axum::Router::new()
    ///     .route("/health", axum::routing::get(|| async { "ok" }))
    ///     .merge(server.router(fastmcp::HttpConfig::default()));
    /// # let _ = app;
    /// ```
    ///
    /// # Panics
    /// If the server declares auth that cannot be resolved (see [`try_router`](Self::try_router)).
    pub fn router(&self, config: HttpConfig) -> Router {
        self.try_router(config).unwrap_or_else(|e| panic!("invalid auth configuration: {e}"))
    }

    /// Like [`router`](Self::router), resolving the declared auth (which may read
    /// `FASTMCP_SERVER_AUTH*` variables) and reporting a misconfiguration as an error. With
    /// auth, the resource URL comes from `config.public_url` or `FASTMCP_SERVER_BASE_URL`.
    pub fn try_router(&self, config: HttpConfig) -> Result<Router, ConfigError> {
        self.build_router(config).map(|(router, _)| router)
    }

    /// The router and the resolved auth provider (which [`serve_http`](Self::serve_http) starts).
    fn build_router(&self, config: HttpConfig) -> Result<(Router, Option<Arc<dyn AuthProvider>>), ConfigError> {
        let provider = match &self.inner.auth {
            None => None,
            Some(auth) => {
                let resource = config.resource_url().ok_or_else(|| {
                    ConfigError::new(
                        "auth needs the server's public URL: set HttpConfig::public_url or FASTMCP_SERVER_BASE_URL",
                    )
                })?;
                auth.resolve(&resource)?.map(|p| (BearerGuard::new(p.as_ref(), &resource), p))
            }
        };
        let (guard, provider) = match provider {
            Some((g, p)) => (Some(g), Some(p)),
            None => (None, None),
        };
        let extra_routes = provider.as_ref().map(|p| p.routes());
        let state = HttpState::new(self.clone(), config, guard);
        let endpoint: MethodRouter = {
            let (p, g, d) = (state.clone(), state.clone(), state.clone());
            MethodRouter::new()
                .post(move |req: Request| handle_post(p.clone(), req))
                .get(move |uri: axum::http::Uri, h: HeaderMap| handle_get(g.clone(), uri, h))
                .delete(move |uri: axum::http::Uri, h: HeaderMap| handle_delete(d.clone(), uri, h))
                .fallback(
                    |m: Method| async move { method_not_allowed(&format!("{m} is not supported on this endpoint")) },
                )
        };
        let mut router = Router::new().route(&state.config.endpoint, endpoint);
        if state.config.legacy_sse {
            router = router.merge(super::legacy_sse::router(state.clone()));
        }
        if let Some(g) = &state.guard {
            tracing::info!(resource = ?g.metadata().map(|m| &m.resource), "MCP endpoint requires bearer tokens");
            router = router.merge(g.metadata_routes());
        }
        if let Some(routes) = extra_routes {
            router = router.merge(routes);
        }
        Ok((router, provider))
    }

    /// Serves the HTTP transports on `addr` until Ctrl-C. Without a configured public URL
    /// (`config.public_url`, `FASTMCP_SERVER_BASE_URL`) it is `http://<bound address>`.
    pub async fn serve_http(&self, addr: SocketAddr, config: HttpConfig) -> std::io::Result<()> {
        self.serve_http_on(tokio::net::TcpListener::bind(addr).await?, config).await
    }

    /// Like [`serve_http`](Self::serve_http), on a listener the caller bound (port 0 in tests,
    /// a socket handed over by systemd, …). Every connection gets its peer address as
    /// `ConnectInfo<SocketAddr>` and, when the server checks bearer tokens, its own
    /// [`ConnectionMemo`](fastmcp_auth::ConnectionMemo), so a kept-alive client's repeated token
    /// is verified without being hashed again.
    pub async fn serve_http_on(
        &self,
        listener: tokio::net::TcpListener,
        mut config: HttpConfig,
    ) -> std::io::Result<()> {
        let local = listener.local_addr()?;
        if config.resource_url().is_none() {
            config.public_url = Some(format!("http://{local}"));
        }
        let invalid = |e: ConfigError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string());
        let (router, provider) = self.build_router(config.clone()).map_err(invalid)?;
        let bearer_tokens = provider.is_some();
        if let Some(p) = provider {
            p.start().await.map_err(invalid)?;
        }
        tracing::info!("MCP server `{}` listening on http://{local}{}", self.info().name, config.endpoint);
        axum::serve(listener, super::connection::PerConnection::new(router, bearer_tokens))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    }
}
