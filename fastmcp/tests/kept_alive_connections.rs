//! A kept-alive connection remembers the digest of its last accepted bearer token
//! (`ConnectionMemo`), never the verdict: over real TCP against `Server::serve_http_on`, a repeated
//! token skips the SHA-256, a token that differs in one byte, an expired token and a new
//! connection are all checked afresh.

use fastmcp::auth::{
    AccessToken, JwtVerifier, PresentedToken, TokenVerifier, TokenVerifierProvider, Verified, now_unix,
};
use fastmcp::{CallToolResult, Content, HttpConfig, Server, ToolDef};
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &[u8] = b"kept-alive-test-secret-kept-alive-test-secret";

/// Forwards to a JWT verifier and records, per request, whether the digest was remembered.
struct Recording {
    inner: JwtVerifier,
    remembered: Arc<Mutex<Vec<bool>>>,
}

impl TokenVerifier for Recording {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Verified> {
        self.inner.verify(token)
    }
    fn verify_presented<'a>(&'a self, token: &'a PresentedToken<'a>) -> BoxFuture<'a, Verified> {
        self.inner.verify_presented(token)
    }
    /// Asked first on every request (a cache hit answers here).
    fn verify_now(&self, token: &PresentedToken<'_>) -> Option<Verified> {
        self.remembered.lock().unwrap().push(token.remembered());
        self.inner.verify_now(token)
    }
}

/// One HTTP/1.1 connection, kept alive across requests.
struct Connection {
    stream: TcpStream,
    port: u16,
}

impl Connection {
    async fn open(port: u16) -> Self {
        Connection { stream: TcpStream::connect(("127.0.0.1", port)).await.unwrap(), port }
    }

    /// `tools/call add(2, 3)` with `token`; the status code and the body.
    async fn call(&mut self, token: &str) -> (u16, String) {
        let body =
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}"#;
        let request = format!(
            "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json\r\n\
             accept: application/json, text/event-stream\r\nauthorization: Bearer {token}\r\n\
             content-length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let head_end = loop {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the server closed the connection");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        assert!(!head.contains("connection: close"), "the server must keep the connection open: {head}");
        let status: u16 = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .expect("a content-length")
            .trim()
            .parse()
            .unwrap();
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the server closed the connection mid-body");
            buf.extend_from_slice(&chunk[..n]);
        }
        (status, String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned())
    }
}

fn token(resource: &str, expires_in: u64) -> String {
    let claims = serde_json::json!({"sub": "alice", "aud": resource, "exp": now_unix() + expires_in, "scope": "a"});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

#[tokio::test]
async fn a_kept_alive_connection_reuses_the_digest_never_the_verdict() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let remembered = Arc::new(Mutex::new(Vec::new()));
    let verifier = Recording {
        inner: JwtVerifier::builder()
            .secret(SECRET)
            .algorithm(Algorithm::HS256)
            .audience(resource.clone())
            .leeway_secs(0)
            .build()
            .unwrap(),
        remembered: remembered.clone(),
    };
    let server = Server::builder("kept-alive")
        .auth_provider(TokenVerifierProvider::new(verifier))
        .tool(ToolDef::new("add").description("Add").handler(|ctx, mut args| async move {
            let (a, b): (i64, i64) = (args.take("a", true)?, args.take("b", true)?);
            let who = ctx.access_token().map(|t: &AccessToken| t.subject.clone()).unwrap_or_default();
            Ok(CallToolResult::success(vec![Content::text(format!("{who}:{}", a + b))]))
        }))
        .build();
    let serving =
        tokio::spawn(async move { server.serve_http_on(listener, HttpConfig::default().stateless(true)).await });
    let last = |expected: bool, step: &str| {
        let seen = *remembered.lock().unwrap().last().unwrap();
        assert_eq!(seen, expected, "{step}: digest remembered?");
    };

    let good = token(&resource, 3600);
    // The same length, one signature character different (not the last, whose low bits may be padding).
    let mut forged = good.clone().into_bytes();
    let i = forged.len() - 10;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let short_lived = token(&resource, 2);

    let mut first = Connection::open(port).await;
    let (status, body) = first.call(&good).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("alice:5"), "{body}");
    last(false, "first request of a connection");
    assert_eq!(first.call(&good).await.0, 200);
    last(true, "the same token again on the same connection");
    let (status, body) = first.call(&forged).await;
    assert_eq!(status, 401, "a token one byte away from the remembered one: {body}");
    last(false, "a different token of the same length");
    assert_eq!(first.call(&good).await.0, 200);
    last(true, "a rejected token does not replace the remembered one");

    let mut second = Connection::open(port).await;
    assert_eq!(second.call(&good).await.0, 200);
    last(false, "another connection has its own memo");

    assert_eq!(first.call(&short_lived).await.0, 200);
    last(false, "a new token on the first connection");
    assert_eq!(first.call(&short_lived).await.0, 200);
    last(true, "and again");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (status, body) = first.call(&short_lived).await;
    assert_eq!(status, 401, "an expired token is refused even though its digest is remembered: {body}");
    last(true, "the expired token's digest came from the memo");
    assert_eq!(remembered.lock().unwrap().len(), 8, "every request reached the verifier");
    serving.abort();
}
