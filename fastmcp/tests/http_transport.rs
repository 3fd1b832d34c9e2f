//! Streamable HTTP transport behaviour, request by request, against the axum router in-process:
//! status codes, headers, sessions, JSON vs SSE responses, and JSON-RPC error codes.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fastmcp::{CallToolResult, Content, HttpConfig, Server, ToolDef};
use serde_json::{Value, json};
use tower::ServiceExt;

fn server() -> Server {
    Server::builder("test")
        .version("1.0.0")
        .tool(
            ToolDef::new("add")
                .description("Add")
                .input_schema(json!({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}))
                .handler(|_ctx, mut args| async move {
                    let (a, b): (i64, i64) = (args.take("a", true)?, args.take("b", true)?);
                    Ok(CallToolResult::success(vec![Content::text((a + b).to_string())]))
                }),
        )
        .tool(ToolDef::new("progress").description("Reports progress").handler(|ctx, _| async move {
            ctx.report_progress(1.0, Some(2.0), None).await;
            ctx.report_progress(2.0, Some(2.0), None).await;
            Ok(CallToolResult::success(vec![Content::text("done")]))
        }))
        .build()
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn error_code(&self) -> i64 {
        self.json()["error"]["code"].as_i64().expect("a JSON-RPC error")
    }
    fn content_type(&self) -> &str {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
    /// The JSON of each SSE `data:` line with content.
    fn sse_messages(&self) -> Vec<Value> {
        self.body
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .filter(|d| !d.trim().is_empty())
            .map(|d| serde_json::from_str(d).expect("SSE data is JSON"))
            .collect()
    }
}

struct Client {
    server: Server,
    app: axum::Router,
    session: Option<String>,
    version: Option<&'static str>,
}

impl Client {
    fn new(config: HttpConfig) -> Self {
        Self::with_server(server(), config)
    }

    fn with_server(server: Server, config: HttpConfig) -> Self {
        Client { app: server.router(config), server, session: None, version: None }
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.expect("router is infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    fn post_builder(&self, body: impl Into<Body>) -> axum::http::request::Builder {
        let mut b = Request::post("/mcp")
            .header(header::HOST, "127.0.0.1:8000")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, text/event-stream");
        if let Some(s) = &self.session {
            b = b.header("mcp-session-id", s);
        }
        if let Some(v) = self.version {
            b = b.header("mcp-protocol-version", v);
        }
        let _ = body;
        b
    }

    async fn post(&self, body: &str) -> Reply {
        self.send(self.post_builder(()).body(Body::from(body.to_owned())).unwrap()).await
    }

    async fn initialize(&mut self, version: &'static str) -> Reply {
        let r = self
            .post(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":version,"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}).to_string())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        self.session = r.headers.get("mcp-session-id").map(|v| v.to_str().unwrap().to_owned());
        let negotiated = r.json()["result"]["protocolVersion"].as_str().unwrap().to_owned();
        self.version = fastmcp::protocol::ProtocolVersion::parse(&negotiated).map(|v| v.as_str());
        let n = self.post(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).await;
        assert_eq!(n.status, StatusCode::ACCEPTED);
        r
    }
}

#[tokio::test]
async fn initialize_issues_a_visible_ascii_session_id_and_negotiates() {
    let mut c = Client::new(HttpConfig::default());
    let r = c.initialize("2025-06-18").await;
    let sid = c.session.clone().expect("session id");
    assert!(sid.len() >= 32 && sid.bytes().all(|b| (0x21..=0x7e).contains(&b)), "{sid}");
    assert_eq!(r.json()["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(r.json()["result"]["serverInfo"]["name"], "test");

    let mut old = Client::new(HttpConfig::default());
    assert_eq!(old.initialize("2024-11-05").await.json()["result"]["protocolVersion"], "2024-11-05");
    let mut unknown = Client::new(HttpConfig::default());
    assert_eq!(unknown.initialize("2023-01-01").await.json()["result"]["protocolVersion"], "2025-11-25");
}

#[tokio::test]
async fn notification_gets_202_and_no_body() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let r = c.post(r#"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), -32700);
    assert_eq!(r.json()["id"], Value::Null);
}

#[tokio::test]
async fn invalid_request_unknown_method_and_bad_params() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let r = c.post(r#"{"jsonrpc":"2.0","id":1}"#).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32600));
    let r = c.post(r#"{"jsonrpc":"2.0","id":2,"method":"no/such/method"}"#).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::OK, -32601));
    assert_eq!(r.json()["id"], 2);
    let r = c.post(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":5}}"#).await;
    assert_eq!(r.error_code(), -32602);
    let r = c.post(r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":[1,2]}"#).await;
    assert_eq!(r.error_code(), -32602);
    let r = c.post(r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"nope"}}"#).await;
    assert_eq!(r.error_code(), -32602);
    let r = c.post(r#"{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"x://missing"}}"#).await;
    assert_eq!(r.error_code(), -32002);
}

#[tokio::test]
async fn bad_tool_arguments_are_a_tool_error_the_model_can_read() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let r = c
        .post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":"x","b":1}}}"#)
        .await;
    let result = &r.json()["result"];
    assert_eq!(result["isError"], true);
    assert!(result["content"][0]["text"].as_str().unwrap().contains("invalid argument `a`"), "{result}");
}

#[tokio::test]
async fn batches_are_rejected_from_2025_06_18_and_answered_before() {
    let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#;
    let mut new = Client::new(HttpConfig::default());
    new.initialize("2025-06-18").await;
    let r = new.post(batch).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32600));

    let mut old = Client::new(HttpConfig::default());
    old.initialize("2025-03-26").await;
    let r = old.post(batch).await;
    assert_eq!(r.status, StatusCode::OK);
    let replies = r.json();
    let replies = replies.as_array().expect("a batch response");
    assert_eq!(replies.len(), 2, "the notification gets no reply: {replies:?}");
    assert_eq!(replies[0]["result"], json!({}));
    assert_eq!(replies[1]["error"]["code"], -32601);
}

#[tokio::test]
async fn body_over_the_limit_gets_413() {
    let mut c = Client::new(HttpConfig::default().max_body_bytes(1024));
    c.initialize("2025-11-25").await;
    let big = json!({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"x".repeat(4096)}}).to_string();
    let r = c.post(&big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), -32600);
}

#[tokio::test]
async fn session_ids_are_required_and_checked() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let good = c.session.clone();
    c.session = None;
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    c.session = Some("not-a-session".into());
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    c.session = good;
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(r.status, StatusCode::OK);

    // DELETE ends the session (no Accept header needed); afterwards the id is unknown.
    let del = Request::delete("/mcp")
        .header(header::HOST, "localhost")
        .header("mcp-session-id", c.session.as_deref().unwrap())
        .body(Body::empty())
        .unwrap();
    assert!(c.send(del).await.status.is_success());
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn protocol_version_header_is_validated_against_supported_revisions() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    c.version = Some("2025-03-26");
    assert_eq!(c.post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await.status, StatusCode::OK);
    c.version = Some("1999-12-31");
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("unsupported MCP-Protocol-Version"), "{}", r.body);
}

#[tokio::test]
async fn dns_rebinding_hosts_and_origins_are_rejected() {
    let c = Client::new(HttpConfig::default());
    let init = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let evil_host = c.post_builder(()).header(header::HOST, "evil.example.com").body(Body::from(init)).unwrap();
    let mut req = evil_host;
    req.headers_mut().insert(header::HOST, "evil.example.com".parse().unwrap());
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
    let mut req = c.post_builder(()).body(Body::from(init)).unwrap();
    req.headers_mut().insert(header::ORIGIN, "http://evil.example.com".parse().unwrap());
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
    let mut req = c.post_builder(()).body(Body::from(init)).unwrap();
    req.headers_mut().insert(header::ORIGIN, "http://127.0.0.1:8000".parse().unwrap());
    assert_eq!(c.send(req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn content_type_and_accept_are_enforced() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let mut req = c.post_builder(()).body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)).unwrap();
    req.headers_mut().insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
    assert_eq!(c.send(req).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut req = c.post_builder(()).body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)).unwrap();
    req.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
    assert_eq!(c.send(req).await.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn plain_results_are_json_and_notifying_calls_stream() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let r = c
        .post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}"#)
        .await;
    assert!(r.content_type().starts_with("application/json"), "{}", r.content_type());
    assert_eq!(r.json()["result"]["content"][0]["text"], "5");

    let r = c
        .post(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"progress","_meta":{"progressToken":"tok"}}}"#)
        .await;
    assert_eq!(r.content_type(), "text/event-stream");
    let messages = r.sse_messages();
    assert_eq!(messages.len(), 3, "{}", r.body);
    assert_eq!(messages[0]["method"], "notifications/progress");
    assert_eq!(messages[0]["params"]["progressToken"], "tok");
    assert_eq!(messages[1]["params"]["progress"], 2.0);
    assert_eq!(messages[2]["id"], 2);
    assert_eq!(messages[2]["result"]["content"][0]["text"], "done");
    // 2025-11-25: the stream starts with a priming event (id + retry, empty data).
    assert!(r.body.starts_with("id: ") && r.body.contains("retry: "), "{}", r.body);
}

#[tokio::test]
async fn get_opens_one_standalone_stream_per_session() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let get = |sid: Option<&str>| {
        let mut b = Request::get("/mcp").header(header::HOST, "localhost").header(header::ACCEPT, "text/event-stream");
        if let Some(s) = sid {
            b = b.header("mcp-session-id", s);
        }
        b.body(Body::empty()).unwrap()
    };
    assert_eq!(c.send(get(None)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.send(get(Some("nope"))).await.status, StatusCode::NOT_FOUND);
    let first = c.app.clone().oneshot(get(c.session.as_deref())).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[header::CONTENT_TYPE], "text/event-stream");
    assert_eq!(c.send(get(c.session.as_deref())).await.status, StatusCode::CONFLICT);
    drop(first);
    // Once the first stream is gone, a new one may open.
    let again = c.app.clone().oneshot(get(c.session.as_deref())).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn stateless_mode_needs_no_session_and_refuses_get_and_delete() {
    let c = Client::new(HttpConfig::default().stateless(true));
    let r = c
        .post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1,"b":1}}}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["result"]["content"][0]["text"], "2");
    assert!(r.headers.get("mcp-session-id").is_none());
    let get = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap();
    assert_eq!(c.send(get).await.status, StatusCode::METHOD_NOT_ALLOWED);
    let del = Request::delete("/mcp").header(header::HOST, "localhost").body(Body::empty()).unwrap();
    assert_eq!(c.send(del).await.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn router_nests_under_a_prefix() {
    let app = axum::Router::new().nest("/api", server().router(HttpConfig::default()));
    let req = Request::get("/api/sse").header(header::HOST, "localhost").body(Body::empty()).unwrap();
    let resp = app.oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = resp.into_body().into_data_stream();
    use futures_util::StreamExt;
    let first = body.next().await.expect("an endpoint event").expect("bytes");
    let text = String::from_utf8_lossy(&first);
    assert!(text.starts_with("event: endpoint\ndata: /api/messages?session_id="), "{text}");
}

/// Reads SSE frames from a streaming body until one carries JSON data.
async fn next_sse_json(
    body: &mut (impl futures_util::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
) -> Value {
    use futures_util::StreamExt;
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("an event within 5 s")
            .expect("stream open")
            .expect("bytes");
        let text = String::from_utf8_lossy(&chunk).into_owned();
        if let Some(data) = text.lines().filter_map(|l| l.strip_prefix("data: ")).find(|d| !d.trim().is_empty()) {
            return serde_json::from_str(data).unwrap();
        }
    }
}

#[tokio::test]
async fn list_changes_and_resource_updates_reach_the_standalone_stream() {
    let mut c = Client::new(HttpConfig::default());
    c.initialize("2025-11-25").await;
    let get = Request::get("/mcp")
        .header(header::HOST, "localhost")
        .header(header::ACCEPT, "text/event-stream")
        .header("mcp-session-id", c.session.as_deref().unwrap())
        .body(Body::empty())
        .unwrap();
    let stream = c.app.clone().oneshot(get).await.unwrap();
    let mut body = stream.into_body().into_data_stream();

    c.server.add_tool(ToolDef::new("late").description("Added at runtime"));
    assert_eq!(next_sse_json(&mut body).await["method"], "notifications/tools/list_changed");
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    assert!(r.body.contains("\"late\""), "{}", r.body);

    // Only subscribed URIs are announced.
    c.server.notify_resource_updated("x://not-subscribed");
    let r = c.post(r#"{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"x://watched"}}"#).await;
    assert_eq!(r.json()["result"], json!({}));
    c.server.notify_resource_updated("x://watched");
    let n = next_sse_json(&mut body).await;
    assert_eq!(n["method"], "notifications/resources/updated");
    assert_eq!(n["params"]["uri"], "x://watched");
}

#[tokio::test]
async fn lists_paginate_with_opaque_cursors() {
    let mut builder = Server::builder("many").page_size(2);
    for i in 0..5 {
        builder = builder.tool(ToolDef::new(format!("t{i}")).description("numbered"));
    }
    let mut c = Client::with_server(builder.build(), HttpConfig::default());
    c.initialize("2025-11-25").await;
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let params = match &cursor {
            Some(c) => json!({ "cursor": c }),
            None => json!({}),
        };
        let r = c.post(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":params}).to_string()).await;
        let result = r.json()["result"].clone();
        names.extend(result["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()));
        cursor = result["nextCursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4"]);
    let r = c.post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"garbage!"}}"#).await;
    assert_eq!(r.error_code(), -32602);
}
