//! One `tools/call` through the whole HTTP stack in-process (axum router, stateless Streamable
//! HTTP, JSON-RPC decode, dispatch, result encoding): without auth, with an API key, and with a
//! JWT the size of an RS256 access token (verified-token cache hit) — once as the first request
//! of a connection (the token is hashed) and once repeated on a kept-alive connection (the
//! connection's memo supplies the digest, as `Server::serve_http` does). The difference between
//! them is what auth costs per request.
//!
//! `cargo bench -p fastmcp --bench dispatch` (`-- --quick` for a fast run).

use axum::body::Body;
use axum::http::{HeaderValue, Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use fastmcp::auth::{ApiKeys, ConnectionMemo, JwtVerifier, ScopeSet, TokenVerifierProvider};
use fastmcp::{CallToolResult, Content, HttpConfig, Server, ToolDef};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use std::sync::Arc;
use tower::ServiceExt;

const BODY: &str =
    r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}"#;
const SECRET: &[u8] = b"benchmark-secret-benchmark-secret-0123456789";

fn server(auth: Option<TokenVerifierProvider>) -> axum::Router {
    let mut b =
        Server::builder("bench").tool(ToolDef::new("add").description("Add").handler(|_, mut args| async move {
            let (a, b): (i64, i64) = (args.take("a", true)?, args.take("b", true)?);
            Ok(CallToolResult::success(vec![Content::text((a + b).to_string())]))
        }));
    if let Some(p) = auth {
        b = b.auth_provider(p);
    }
    b.build().router(HttpConfig::default().stateless(true).public_url("http://127.0.0.1:8000"))
}

/// The request; `bearer` is the prepared `Authorization` value (built once, so the harness does
/// not copy the token on every iteration).
fn request(bearer: Option<&HeaderValue>, connection: Option<&Arc<ConnectionMemo>>) -> Request<Body> {
    let mut r = Request::post("/mcp")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(t) = bearer {
        r = r.header(header::AUTHORIZATION, t.clone());
    }
    let mut r = r.body(Body::from(BODY)).unwrap();
    if let Some(memo) = connection {
        r.extensions_mut().insert(memo.clone());
    }
    r
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let call_on = |app: &axum::Router, bearer: Option<&HeaderValue>, connection: Option<&Arc<ConnectionMemo>>| {
        let resp = rt.block_on(app.clone().oneshot(request(bearer, connection))).unwrap();
        assert_eq!(resp.status(), 200);
        rt.block_on(axum::body::to_bytes(resp.into_body(), usize::MAX)).unwrap()
    };
    let call = |app: &axum::Router, bearer: Option<&HeaderValue>| call_on(app, bearer, None);
    let bearer = |t: &str| HeaderValue::from_str(&format!("Bearer {t}")).unwrap();

    let none = server(None);
    c.bench_function("http/tools_call/no_auth", |b| b.iter(|| call(&none, None)));

    let key = "bench-api-key-0123456789abcdef";
    let keys = server(Some(TokenVerifierProvider::new(ApiKeys::new().key(key, "bench", ScopeSet::new(), None))));
    let key = bearer(key);
    c.bench_function("http/tools_call/api_key", |b| b.iter(|| call(&keys, Some(&key))));

    // Padded so the token is as long as the RS256 access tokens of the load benchmark (≈ 665 bytes).
    let claims = serde_json::json!({"sub": "bench", "aud": "http://127.0.0.1:8000/mcp", "exp": fastmcp::auth::now_unix() + 3600, "scope": "a b", "pad": "p".repeat(350)});
    let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    assert!((600..700).contains(&token.len()), "{}", token.len());
    let jwt = JwtVerifier::builder()
        .secret(SECRET)
        .algorithm(Algorithm::HS256)
        .audience("http://127.0.0.1:8000/mcp")
        .build()
        .unwrap();
    let jwt = server(Some(TokenVerifierProvider::new(jwt)));
    let token = bearer(&token);
    c.bench_function("http/tools_call/jwt_cached", |b| b.iter(|| call(&jwt, Some(&token))));
    let connection = Arc::new(ConnectionMemo::new());
    c.bench_function("http/tools_call/jwt_cached_same_connection", |b| {
        b.iter(|| call_on(&jwt, Some(&token), Some(&connection)))
    });

    c.bench_function("jsonrpc/decode tools/call", |b| {
        b.iter(|| fastmcp::protocol::jsonrpc::decode(BODY.as_bytes()).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
