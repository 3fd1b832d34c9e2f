//! stdio transport: newline-delimited JSON-RPC over in-process pipes.

use fastmcp::{CallToolResult, Content, CreateMessageParams, Server, ToolDef};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};

struct Peer {
    to_server: DuplexStream,
    from_server: Lines<BufReader<DuplexStream>>,
}

impl Peer {
    fn start(server: Server) -> Self {
        let (client_in, server_out) = tokio::io::duplex(1 << 16);
        let (server_in, client_out) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move { server.serve_io(server_in, server_out).await });
        Peer { to_server: client_out, from_server: BufReader::new(client_in).lines() }
    }

    async fn send(&mut self, line: &str) {
        self.to_server.write_all(line.as_bytes()).await.unwrap();
        self.to_server.write_all(b"\n").await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(5), self.from_server.next_line())
            .await
            .expect("a reply within 5 s")
            .unwrap()
            .expect("server still open");
        serde_json::from_str(&line).unwrap()
    }

    async fn initialize(&mut self, capabilities: Value) {
        self.send(&json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":capabilities,"clientInfo":{"name":"t","version":"1"}}}).to_string()).await;
        assert_eq!(self.recv().await["result"]["protocolVersion"], "2025-11-25");
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).await;
    }
}

fn server() -> Server {
    Server::builder("stdio-test")
        .tool(ToolDef::new("ask").description("Samples the client").handler(|ctx, _| async move {
            ctx.report_progress(1.0, None, None).await;
            let reply = ctx.create_message(CreateMessageParams::user_text("hi", 10)).await?;
            Ok(CallToolResult::success(vec![Content::text(format!("model said: {}", reply.text()))]))
        }))
        .tool(ToolDef::new("sleep").description("Waits until cancelled").handler(|ctx, _| async move {
            ctx.cancelled().await;
            Ok(CallToolResult::success(vec![]))
        }))
        .build()
}

#[tokio::test]
async fn requests_before_initialize_are_refused_except_ping() {
    let mut p = Peer::start(server());
    p.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    assert_eq!(p.recv().await["error"]["code"], -32600);
    p.send(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#).await;
    assert_eq!(p.recv().await["result"], json!({}));
}

#[tokio::test]
async fn garbage_lines_get_parse_errors_and_notifications_get_nothing() {
    let mut p = Peer::start(server());
    p.initialize(json!({})).await;
    p.send("this is not json").await;
    let r = p.recv().await;
    assert_eq!((r["error"]["code"].as_i64(), &r["id"]), (Some(-32700), &Value::Null));
    p.send(r#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#).await;
    p.send(r#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#).await;
    // The next line is the ping's answer: the notification produced none.
    assert_eq!(p.recv().await["id"], "after");
    p.send(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).await;
    assert_eq!(p.recv().await["error"]["code"], -32600, "batches are refused on 2025-11-25");
}

#[tokio::test]
async fn a_tool_can_sample_the_client_mid_call() {
    let mut p = Peer::start(server());
    p.initialize(json!({"sampling": {}})).await;
    p.send(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ask","_meta":{"progressToken":42}}}"#)
        .await;
    let progress = p.recv().await;
    assert_eq!(progress["method"], "notifications/progress");
    assert_eq!(progress["params"]["progressToken"], 42);
    let sampling = p.recv().await;
    assert_eq!(sampling["method"], "sampling/createMessage");
    assert_eq!(sampling["params"]["maxTokens"], 10);
    let id = sampling["id"].clone();
    p.send(&json!({"jsonrpc":"2.0","id":id,"result":{"role":"assistant","content":{"type":"text","text":"hello"},"model":"m"}}).to_string()).await;
    let result = p.recv().await;
    assert_eq!(result["id"], 7);
    assert_eq!(result["result"]["content"][0]["text"], "model said: hello");
}

#[tokio::test]
async fn sampling_without_the_client_capability_is_an_error() {
    let mut p = Peer::start(server());
    p.initialize(json!({})).await;
    p.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ask"}}"#).await;
    let r = p.recv().await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
}

#[tokio::test]
async fn cancelled_requests_get_no_response() {
    let mut p = Peer::start(server());
    p.initialize(json!({})).await;
    p.send(r#"{"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"sleep"}}"#).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"user"}}"#)
        .await;
    p.send(r#"{"jsonrpc":"2.0","id":"next","method":"ping"}"#).await;
    assert_eq!(p.recv().await["id"], "next");
    // Nothing else arrives for the cancelled request.
    let extra = tokio::time::timeout(Duration::from_millis(200), p.from_server.next_line()).await;
    assert!(extra.is_err(), "unexpected output after cancellation: {extra:?}");
}
