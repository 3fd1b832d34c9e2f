//! One `tools/call` through the whole HTTP stack in-process (axum router, stateless Streamable
//! HTTP, JSON-RPC decode, dispatch, result encoding): without auth, with an API key, and with a
//! JWT (verified-token cache hit). The difference between them is what auth costs per request.
//!
//! `cargo bench -p fastmcp --bench dispatch` (`-- --quick` for a fast run).

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use fastmcp::auth::{ApiKeys, JwtVerifier, ScopeSet, TokenVerifierProvider};
use fastmcp::{CallToolResult, Content, HttpConfig, Server, ToolDef};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
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

fn request(bearer: Option<&str>) -> Request<Body> {
    let mut r = Request::post("/mcp")
        .header(header::HOST, "127.0.0.1:8000")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(t) = bearer {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    r.body(Body::from(BODY)).unwrap()
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let call = |app: &axum::Router, bearer: Option<&str>| {
        let resp = rt.block_on(app.clone().oneshot(request(bearer))).unwrap();
        assert_eq!(resp.status(), 200);
        rt.block_on(axum::body::to_bytes(resp.into_body(), usize::MAX)).unwrap()
    };

    let none = server(None);
    c.bench_function("http/tools_call/no_auth", |b| b.iter(|| call(&none, None)));

    let key = "bench-api-key-0123456789abcdef";
    let keys = server(Some(TokenVerifierProvider::new(ApiKeys::new().key(key, "bench", ScopeSet::new(), None))));
    c.bench_function("http/tools_call/api_key", |b| b.iter(|| call(&keys, Some(key))));

    let claims = serde_json::json!({"sub": "bench", "aud": "http://127.0.0.1:8000/mcp", "exp": fastmcp::auth::now_unix() + 3600, "scope": "a b"});
    let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
    let jwt = JwtVerifier::builder()
        .secret(SECRET)
        .algorithm(Algorithm::HS256)
        .audience("http://127.0.0.1:8000/mcp")
        .build()
        .unwrap();
    let jwt = server(Some(TokenVerifierProvider::new(jwt)));
    c.bench_function("http/tools_call/jwt_cached", |b| b.iter(|| call(&jwt, Some(&token))));

    c.bench_function("jsonrpc/decode tools/call", |b| {
        b.iter(|| fastmcp::protocol::jsonrpc::decode(BODY.as_bytes()).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
