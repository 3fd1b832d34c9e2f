//! Throughput of the built-in authorization server on SQLite, in-process (no HTTP): how many
//! authorization-code exchanges and refresh-token rotations per second, with 16 concurrent
//! clients. Codes are prepared first so only `/token` is measured.
//!
//! `cargo bench -p fastmcp-auth --bench oauth_throughput` (`-- --quick`: fewer operations;
//! under `cargo test` it runs quick, as a smoke test).

use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine as _;
use fastmcp_auth::AuthProvider;
use fastmcp_auth::oauth::{OAuthServer, OAuthSettings, StoreLocation};
use std::time::Instant;
use tower::ServiceExt;

const CALLBACK: &str = "http://127.0.0.1:7777/callback";

async fn call(app: &axum::Router, req: Request<Body>) -> (u16, String, Option<String>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let loc = resp.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
    let body = String::from_utf8_lossy(&axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap()).into_owned();
    (status, body, loc)
}

fn form(path: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` runs this once as a smoke test.
    let args: Vec<String> = std::env::args().collect();
    let quick = !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--quick");
    let n: usize = if quick { 200 } else { 4000 };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let dir = std::env::temp_dir().join(format!("fastmcp-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut s = OAuthSettings::new("http://127.0.0.1:9000", "http://127.0.0.1:9000/mcp");
        s.auto_approve = true;
        s.users = vec![("alice".into(), "password123".into())];
        s.registration_rate_per_minute = 1_000_000;
        let server = OAuthServer::builder(s)
            .store(StoreLocation::Sqlite(dir.join("bench.db").display().to_string()))
            .build()
            .unwrap();
        server.start().await.unwrap();
        let app = server.routes();
        let reg = Request::post("/register")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::json!({"redirect_uris": [CALLBACK]}).to_string()))
            .unwrap();
        let client: serde_json::Value = serde_json::from_str(&call(&app, reg).await.1).unwrap();
        let client = client["client_id"].as_str().unwrap().to_owned();
        let verifier = "bench-verifier-0123456789abcdefghijklmnopqrstuvwxyz";
        let challenge =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fastmcp_auth::sha256(verifier.as_bytes()));
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("response_type", "code"),
                ("client_id", &client),
                ("redirect_uri", CALLBACK),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let mut codes = Vec::with_capacity(n);
        for _ in 0..n {
            let (_, _, loc) = call(&app, Request::get(format!("/authorize?{q}")).body(Body::empty()).unwrap()).await;
            let url = url::Url::parse(&loc.unwrap()).unwrap();
            codes.push(url.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned());
        }
        let concurrency = 16;
        let run = |jobs: Vec<Request<Body>>| {
            let app = app.clone();
            async move {
                let chunks: Vec<Vec<Request<Body>>> = {
                    let mut chunks: Vec<Vec<Request<Body>>> = (0..concurrency).map(|_| Vec::new()).collect();
                    for (i, j) in jobs.into_iter().enumerate() {
                        chunks[i % concurrency].push(j);
                    }
                    chunks
                };
                let start = Instant::now();
                let tasks: Vec<_> = chunks
                    .into_iter()
                    .map(|chunk| {
                        let app = app.clone();
                        tokio::spawn(async move {
                            let mut out = Vec::new();
                            for req in chunk {
                                out.push(call(&app, req).await);
                            }
                            out
                        })
                    })
                    .collect();
                let mut results = Vec::new();
                for t in tasks {
                    results.extend(t.await.unwrap());
                }
                (start.elapsed(), results)
            }
        };
        let jobs = codes
            .iter()
            .map(|c| {
                form(
                    "/token",
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", c),
                        ("redirect_uri", CALLBACK),
                        ("code_verifier", verifier),
                        ("client_id", &client),
                    ],
                )
            })
            .collect();
        let (elapsed, results) = run(jobs).await;
        assert!(results.iter().all(|r| r.0 == 200), "an exchange failed: {:?}", results.iter().find(|r| r.0 != 200));
        println!(
            "oauth/code_exchange (SQLite, 16 concurrent): {:.0} exchanges/s ({n} in {:.2?})",
            n as f64 / elapsed.as_secs_f64(),
            elapsed
        );
        let refresh: Vec<String> = results
            .iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(&r.1).unwrap()["refresh_token"].as_str().unwrap().to_owned()
            })
            .collect();
        let jobs = refresh
            .iter()
            .map(|t| form("/token", &[("grant_type", "refresh_token"), ("refresh_token", t), ("client_id", &client)]))
            .collect();
        let (elapsed, results) = run(jobs).await;
        assert!(results.iter().all(|r| r.0 == 200));
        println!(
            "oauth/refresh_rotation (SQLite, 16 concurrent): {:.0} rotations/s ({n} in {:.2?})",
            n as f64 / elapsed.as_secs_f64(),
            elapsed
        );
        let _ = std::fs::remove_dir_all(dir);
    });
}
