//! Auth on the HTTP transports, in-process with static API keys: 401 before anything else,
//! per-item scopes on tools, resources and prompts (filtered lists, real 403s), and the same on
//! the legacy SSE endpoints. (JWT/OAuth against a real OpenID provider: tests/tests/auth_oidc.rs.)

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fastmcp::auth::{ApiKeys, ScopeSet, TokenVerifierProvider};
use fastmcp::{
    CallToolResult, Content, GetPromptResult, HttpConfig, PromptDef, ResourceContents, ResourceDef, Server, ToolDef,
};
use serde_json::json;
use tower::ServiceExt;

const READER: &str = "reader-key-0123456789abcdef";
const WRITER: &str = "writer-key-0123456789abcdef";

fn app() -> axum::Router {
    let keys = ApiKeys::new().key(READER, "reader", ScopeSet::parse("read"), None).key(
        WRITER,
        "writer",
        ScopeSet::parse("read write"),
        None,
    );
    Server::builder("guarded")
        .auth_provider(TokenVerifierProvider::new(keys))
        .tool(ToolDef::new("open").description("no scope").handler(|ctx, _| async move {
            let who = ctx.access_token().map(|t| t.subject.clone()).unwrap_or_default();
            Ok(CallToolResult::success(vec![Content::text(who)]))
        }))
        .tool(
            ToolDef::new("write")
                .description("needs write")
                .scopes(["write"])
                .handler(|_, _| async { Ok(CallToolResult::success(vec![Content::text("written")])) }),
        )
        .resource(
            ResourceDef::new("x://secret", "secret")
                .scopes(["write"])
                .handler(|_, uri, _| async move { Ok(vec![ResourceContents::text(uri, None, "s")]) }),
        )
        .prompt(
            PromptDef::new("admin")
                .scopes(["write"])
                .handler(|_, _| async { Ok(GetPromptResult { description: None, messages: vec![] }) }),
        )
        .build()
        .router(HttpConfig::default().public_url("http://127.0.0.1:8000"))
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, Option<String>, String, Option<String>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let www = resp.headers().get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let sid = resp.headers().get("mcp-session-id").map(|v| v.to_str().unwrap().to_owned());
    let body = String::from_utf8_lossy(&axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap()).into_owned();
    (status, www, body, sid)
}

fn post(key: Option<&str>, session: Option<&str>, body: serde_json::Value) -> Request<Body> {
    let mut b = Request::post("/mcp")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    if let Some(s) = session {
        b = b.header("mcp-session-id", s);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn init() -> serde_json::Value {
    json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})
}

#[tokio::test]
async fn every_endpoint_needs_a_token() {
    let app = app();
    let (status, www, _, _) = send(&app, post(None, None, init())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(www.as_deref(), Some("Bearer"), "no metadata without discovery; no error without credentials");
    let (status, www, _, _) = send(&app, post(Some("wrong-key-0123456789"), None, init())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(www.unwrap().contains(r#"error="invalid_token""#));
    let get = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, get).await.0, StatusCode::UNAUTHORIZED);
    let del = Request::delete("/mcp").header(header::HOST, "localhost").body(Body::empty()).unwrap();
    assert_eq!(send(&app, del).await.0, StatusCode::UNAUTHORIZED);
    let sse = Request::get("/sse").header(header::HOST, "localhost").body(Body::empty()).unwrap();
    assert_eq!(send(&app, sse).await.0, StatusCode::UNAUTHORIZED);
    let msg = Request::post("/messages?session_id=x").header(header::HOST, "localhost").body(Body::from("{}")).unwrap();
    assert_eq!(send(&app, msg).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn scopes_filter_lists_and_gate_calls_reads_and_prompts() {
    let app = app();
    let (status, _, _, sid) = send(&app, post(Some(READER), None, init())).await;
    assert_eq!(status, StatusCode::OK);
    let sid = sid.unwrap();
    let s = Some(sid.as_str());
    let (_, _, body, _) =
        send(&app, post(Some(READER), s, json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))).await;
    assert!(body.contains("\"open\"") && !body.contains("\"write\""), "{body}");
    let (_, _, body, _) =
        send(&app, post(Some(READER), s, json!({"jsonrpc":"2.0","id":2,"method":"resources/list"}))).await;
    assert!(!body.contains("x://secret"), "{body}");
    let (_, _, body, _) =
        send(&app, post(Some(READER), s, json!({"jsonrpc":"2.0","id":3,"method":"prompts/list"}))).await;
    assert!(!body.contains("admin"), "{body}");
    for (method, params) in [
        ("tools/call", json!({"name":"write"})),
        ("resources/read", json!({"uri":"x://secret"})),
        ("prompts/get", json!({"name":"admin"})),
    ] {
        let (status, www, body, _) =
            send(&app, post(Some(READER), s, json!({"jsonrpc":"2.0","id":9,"method":method,"params":params}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method}: {body}");
        assert_eq!(www.as_deref(), Some(r#"Bearer error="insufficient_scope", scope="read write""#), "{method}");
        assert!(body.contains("\"id\":9") && body.contains("-32003"), "{body}");
    }
    let (_, _, body, _) = send(
        &app,
        post(Some(READER), s, json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"open"}})),
    )
    .await;
    assert!(body.contains("reader"), "the tool sees the caller: {body}");
    // The writer cannot use the reader's session…
    let (status, _, _, _) = send(
        &app,
        post(Some(WRITER), s, json!({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"write"}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // …but in its own session it may write.
    let (_, _, _, wsid) = send(&app, post(Some(WRITER), None, init())).await;
    let (status, _, body, _) = send(
        &app,
        post(
            Some(WRITER),
            wsid.as_deref(),
            json!({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"write"}}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn legacy_sse_messages_get_the_same_scope_checks() {
    use futures_util::StreamExt;
    let app = app();
    let open = Request::get("/sse")
        .header(header::HOST, "localhost")
        .header(header::AUTHORIZATION, format!("Bearer {READER}"))
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(open).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.into_body().into_data_stream();
    let first = String::from_utf8_lossy(&stream.next().await.unwrap().unwrap()).into_owned();
    let endpoint = first.lines().find_map(|l| l.strip_prefix("data: ")).unwrap().to_owned();
    let msg = |key: &str, body: serde_json::Value| {
        Request::post(&endpoint)
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, www, _, _) =
        send(&app, msg(READER, json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"write"}}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(www.unwrap().contains("insufficient_scope"));
    let (status, _, _, _) = send(&app, msg(READER, json!({"jsonrpc":"2.0","id":2,"method":"ping"}))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[test]
fn auth_without_a_public_url_is_a_clear_error() {
    let server = Server::builder("x").auth_provider(TokenVerifierProvider::new(ApiKeys::new())).build();
    let err = server.try_router(HttpConfig::default()).expect_err("needs a URL").to_string();
    assert!(err.contains("FASTMCP_SERVER_BASE_URL"), "{err}");
}
