//! The legacy HTTP+SSE transport (MCP 2024-11-05): `GET /sse` opens a stream whose first event
//! names the message endpoint; the client POSTs to `/messages?session_id=…`; every answer
//! arrives on the stream.

use super::http::{HttpState, error_response, guard, read_body};
use super::sse_stream::{self, Until};
use crate::protocol::ProtocolVersion;
use crate::protocol::jsonrpc::{self, Message, Payload};
use crate::session::Session;
use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, OriginalUri, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fastmcp_auth::ConnectionMemo;
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::mpsc;

pub(crate) fn router(state: Arc<HttpState>) -> Router {
    let (s, m) = (state.clone(), state.clone());
    let messages_path = state.config.messages_endpoint.clone();
    Router::new()
        .route(&state.config.sse_endpoint, get(move |uri: OriginalUri, h: HeaderMap| open_stream(s.clone(), uri, h)))
        .route(
            &messages_path,
            post(
                move |uri: axum::http::Uri,
                      q: Query<SessionQuery>,
                      connection: Option<Extension<Arc<ConnectionMemo>>>,
                      h: HeaderMap,
                      body: Body| {
                    post_message(m.clone(), uri, q.0, connection.map(|e| e.0), h, body)
                },
            ),
        )
}

#[derive(Deserialize)]
struct SessionQuery {
    session_id: Option<String>,
}

/// Removes the session when its stream ends.
struct SessionGuard {
    state: Arc<HttpState>,
    session: Arc<Session>,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if let Some(id) = &self.session.id {
            self.state.server.inner.sessions.remove(id);
        }
    }
}

async fn open_stream(state: Arc<HttpState>, uri: OriginalUri, headers: HeaderMap) -> Response {
    if let Err(r) = guard(&state, &headers) {
        return r;
    }
    let caller = match state.authenticate(&headers, &uri.0, None).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(session) = state.open_session(ProtocolVersion::V2024_11_05) else {
        return error_response(StatusCode::SERVICE_UNAVAILABLE, -32000, "Service Unavailable: too many sessions");
    };
    if let Some(c) = &caller {
        session.bind_owner(&c.subject);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    session.set_standalone(Some(tx));
    // Mounted under a prefix (`nest`), the endpoint must carry it too.
    let path = uri.0.path();
    let prefix = path.strip_suffix(state.config.sse_endpoint.as_str()).unwrap_or("");
    let id = session.id.clone().unwrap_or_default();
    let endpoint = format!("{prefix}{}?session_id={id}", state.config.messages_endpoint);
    let first = vec![sse_stream::event(None, Some("endpoint"), &endpoint)];
    let closed = session.closed.clone();
    let frames = sse_stream::message_frames(
        first,
        super::http::close_on(rx, closed),
        Until::Closed,
        String::new(),
        state.config.keep_alive,
        SessionGuard { state: state.clone(), session },
    );
    sse_stream::response(frames)
}

async fn post_message(
    state: Arc<HttpState>,
    uri: axum::http::Uri,
    query: SessionQuery,
    connection: Option<Arc<ConnectionMemo>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(r) = guard(&state, &headers) {
        return r;
    }
    let caller = match state.authenticate(&headers, &uri, connection.as_deref()).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(id) = query.session_id else {
        return error_response(StatusCode::BAD_REQUEST, -32000, "Bad Request: missing session_id query parameter");
    };
    let Some(session) = state.server.inner.sessions.get(&id) else {
        return error_response(StatusCode::NOT_FOUND, -32000, "Session not found");
    };
    let bytes = match read_body(&state, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    session.touch();
    let messages = match jsonrpc::decode(&bytes) {
        Err(r) => {
            let reply = jsonrpc::encode(&Message::Response(r.clone()));
            session.send_standalone(Message::Response(r));
            let mut resp = (StatusCode::BAD_REQUEST, reply).into_response();
            resp.headers_mut()
                .insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"));
            return resp;
        }
        Ok(Payload::Single(m)) => vec![Ok(m)],
        Ok(Payload::Batch(items)) => items,
    };
    for message in messages.iter().flatten() {
        if let Err(r) = state.authorize(&session, caller.as_deref(), message) {
            return r;
        }
    }
    for item in messages {
        let (server, session, caller) = (state.server.clone(), session.clone(), caller.clone());
        tokio::spawn(async move {
            let response = match item {
                Ok(m) => server.handle_message(&session, m, None, caller).await,
                Err(r) => Some(r),
            };
            // Every answer travels on the session's SSE stream.
            if let Some(r) = response {
                session.send_standalone(Message::Response(r));
            }
        });
    }
    (StatusCode::ACCEPTED, "Accepted").into_response()
}
