//! Resource-server auth against a real OpenID provider (npm `oidc-provider`): the official
//! TypeScript and Python SDK clients' OAuth flows end to end, tokens the provider issues,
//! key rotation, scope challenges, an attack corpus, and JWKS outages.

use fastmcp_tests::{
    IdpProcess, ServerProcess, example_bin, initialize_body, mcp_post, passed_failed, required_env, run_with_timeout,
    workspace_root,
};
use serde_json::json;
use std::process::Command;
use std::time::Duration;

/// `examples/notes` trusting `idp` through RFC 9728 discovery (`FASTMCP_SERVER_AUTH=remote`).
fn notes_for(idp: &IdpProcess, extra: &[(&str, &str)]) -> ServerProcess {
    let jwks = format!("{}/jwks", idp.issuer);
    let mut env = vec![
        ("FASTMCP_SERVER_AUTH", "remote"),
        ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", jwks.as_str()),
        ("FASTMCP_SERVER_AUTH_JWT_ISSUER", idp.issuer.as_str()),
        ("FASTMCP_SERVER_AUTH_REMOTE_AUTHORIZATION_SERVERS", idp.issuer.as_str()),
        ("FASTMCP_SERVER_AUTH_REMOTE_SCOPES_SUPPORTED", "notes:read notes:write"),
        ("RUST_LOG", "debug"),
    ];
    env.extend_from_slice(extra);
    ServerProcess::start_http(&example_bin("notes"), &[], &env)
}

fn oauth_client(script: &str, url: &str) -> (u32, u32, String) {
    let scripts = workspace_root().join("tests/clients");
    let mut cmd = if script.ends_with(".py") {
        Command::new(required_env("FASTMCP_TEST_PYTHON"))
    } else {
        let mut c = Command::new(required_env("FASTMCP_TEST_NODE"));
        c.env("NODE_PATH", required_env("FASTMCP_TEST_NODE_MODULES"));
        c
    };
    cmd.arg(scripts.join(script)).args(["--url", url]);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (p, f) = passed_failed(&stdout).unwrap_or_else(|| panic!("no summary\n{stdout}\n{stderr}"));
    (p, f, format!("{stdout}\n--- stderr ---\n{stderr}"))
}

#[test]
fn typescript_sdk_completes_oauth_discovery_registration_and_step_up() {
    let idp = IdpProcess::start("RS256");
    let server = notes_for(&idp, &[]);
    let (passed, failed, out) = oauth_client("ts_oauth_client.mjs", &server.mcp_url());
    println!("{out}");
    assert_eq!((passed, failed), (8, 0), "{out}\nserver:\n{}", server.stderr());
}

#[test]
fn python_sdk_completes_oauth_discovery_registration_and_step_up_with_es256() {
    let idp = IdpProcess::start("ES256");
    let server = notes_for(&idp, &[]);
    let (passed, failed, out) = oauth_client("py_oauth_client.py", &server.mcp_url());
    println!("{out}");
    assert_eq!((passed, failed), (8, 0), "{out}\nserver:\n{}", server.stderr());
}

fn mint_for(idp: &IdpProcess, server: &ServerProcess, scope: &str) -> String {
    idp.mint(json!({ "resource": server.mcp_url(), "scope": scope, "sub": "alice" }))
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_metadata_and_challenges() {
    let idp = IdpProcess::start("RS256");
    let server = notes_for(&idp, &[]);
    let url = server.mcp_url();
    let r = mcp_post(&url, None, None, &initialize_body()).await;
    assert_eq!(r.status, 401);
    let challenge = r.www_authenticate.expect("a challenge");
    let metadata_url = format!("{}/.well-known/oauth-protected-resource/mcp", server.base_url);
    assert_eq!(challenge, format!(r#"Bearer scope="notes:read notes:write", resource_metadata="{metadata_url}""#));
    assert!(!challenge.contains("error="), "no error parameter without credentials (RFC 6750 §3.1)");
    for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
        let m: serde_json::Value =
            reqwest::get(format!("{}{path}", server.base_url)).await.unwrap().json().await.unwrap();
        assert_eq!(m["resource"], url);
        assert_eq!(m["authorization_servers"], json!([idp.issuer]));
        assert_eq!(m["bearer_methods_supported"], json!(["header"]));
        assert_eq!(m["scopes_supported"], json!(["notes:read", "notes:write"]));
    }

    // A read-only token: tools/list hides write tools, add_note is a real HTTP 403 step-up challenge.
    let token = mint_for(&idp, &server, "notes:read");
    let init = mcp_post(&url, Some(&token), None, &initialize_body()).await;
    assert_eq!(init.status, 200, "{}", init.body);
    let sid = init.session_id.expect("session");
    let list = mcp_post(&url, Some(&token), Some(&sid), &json!({"jsonrpc":"2.0","id":2,"method":"tools/list"})).await;
    assert!(list.body.contains("list_notes") && list.body.contains("whoami"), "{}", list.body);
    assert!(!list.body.contains("add_note") && !list.body.contains("admin_reset"), "{}", list.body);
    let call =
        json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add_note","arguments":{"text":"hi"}}});
    let denied = mcp_post(&url, Some(&token), Some(&sid), &call).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(
        denied.www_authenticate.as_deref(),
        Some(format!(r#"Bearer error="insufficient_scope", scope="notes:read notes:write", resource_metadata="{metadata_url}""#).as_str())
    );
    assert!(denied.body.contains("\"id\":3"), "the 403 body answers the request: {}", denied.body);
    let who = mcp_post(
        &url,
        Some(&token),
        Some(&sid),
        &json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"whoami"}}),
    )
    .await;
    assert!(who.body.contains("subject=alice"), "{}", who.body);
    // The same session with a broader token (step-up) may now write.
    let wider = mint_for(&idp, &server, "notes:read notes:write");
    let ok = mcp_post(&url, Some(&wider), Some(&sid), &call).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // A token of another user cannot ride on alice's session.
    let bob = idp.mint(json!({ "resource": url, "scope": "notes:read notes:write", "sub": "bob" }));
    assert_eq!(mcp_post(&url, Some(&bob), Some(&sid), &call).await.status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_wide_required_scopes_answer_403() {
    let idp = IdpProcess::start("RS256");
    let server = notes_for(&idp, &[("FASTMCP_SERVER_AUTH_REMOTE_REQUIRED_SCOPES", "notes:read")]);
    let token = mint_for(&idp, &server, "notes:write");
    let r = mcp_post(&server.mcp_url(), Some(&token), None, &initialize_body()).await;
    assert_eq!(r.status, 403);
    assert!(
        r.www_authenticate.unwrap().starts_with(r#"Bearer error="insufficient_scope", scope="notes:read notes:write""#)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_for_another_resource_are_rejected() {
    let idp = IdpProcess::start("RS256");
    let server = notes_for(&idp, &[]);
    let good = mint_for(&idp, &server, "notes:read");
    assert_eq!(mcp_post(&server.mcp_url(), Some(&good), None, &initialize_body()).await.status, 200);
    let other = idp.mint(json!({ "resource": "http://127.0.0.1:1/mcp", "scope": "notes:read", "sub": "alice" }));
    let r = mcp_post(&server.mcp_url(), Some(&other), None, &initialize_body()).await;
    assert_eq!(r.status, 401);
    assert!(r.www_authenticate.unwrap().contains(r#"error="invalid_token""#));
}

#[tokio::test(flavor = "multi_thread")]
async fn key_rotation_is_picked_up_without_restart() {
    let idp = IdpProcess::start("RS256");
    let server = notes_for(&idp, &[]);
    let url = server.mcp_url();
    let before = mint_for(&idp, &server, "notes:read");
    assert_eq!(mcp_post(&url, Some(&before), None, &initialize_body()).await.status, 200);

    // The issuer drops the old key: new tokens work at once (unknown kid → one refetch)...
    idp.rotate(false);
    let after = mint_for(&idp, &server, "notes:read");
    assert_eq!(mcp_post(&url, Some(&after), None, &initialize_body()).await.status, 200);
    // ...and tokens signed with the withdrawn key stop working, even though they were cached.
    assert_eq!(mcp_post(&url, Some(&before), None, &initialize_body()).await.status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_with_overlap_keeps_old_tokens_valid() {
    let idp = IdpProcess::start("ES256");
    let server = notes_for(&idp, &[]);
    let url = server.mcp_url();
    let before = mint_for(&idp, &server, "notes:read");
    assert_eq!(mcp_post(&url, Some(&before), None, &initialize_body()).await.status, 200);
    idp.rotate(true);
    let after = mint_for(&idp, &server, "notes:read");
    assert_eq!(mcp_post(&url, Some(&after), None, &initialize_body()).await.status, 200);
    assert_eq!(mcp_post(&url, Some(&before), None, &initialize_body()).await.status, 200);
}

fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

#[tokio::test(flavor = "multi_thread")]
async fn attack_corpus_is_rejected_and_never_logged() {
    let idp = IdpProcess::start("RS256");
    let server = notes_for(&idp, &[]);
    let url = server.mcp_url();
    let resource = url.clone();
    let now = fastmcp_auth::now_unix();
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", idp.issuer)).await.unwrap().json().await.unwrap();
    let es_kid = jwks["keys"].as_array().unwrap().iter().find(|k| k["kty"] == "EC").expect("an EC key")["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let valid = idp.mint(json!({ "resource": resource, "scope": "notes:read" }));
    let (valid_header, valid_payload) = {
        let mut parts = valid.split('.');
        (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned())
    };
    // HS256 "signed" with the issuer's public key material (the classic algorithm-confusion attack).
    let hs256_with_public_key = {
        use jsonwebtoken::{EncodingKey, Header, encode};
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &valid_payload).unwrap(),
        )
        .unwrap();
        let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = jwks["keys"][0]["kid"].as_str().map(str::to_owned);
        encode(&header, &claims, &EncodingKey::from_secret(jwks.to_string().as_bytes())).unwrap()
    };
    let cases: Vec<(&str, String)> = vec![
        ("alg none", idp.mint(json!({ "resource": resource, "alg": "none" }))),
        ("HS256 signed with the RSA public key", hs256_with_public_key),
        ("unknown kid", idp.mint(json!({ "resource": resource, "header": { "kid": "no-such-key" } }))),
        ("kid of a key of another type", idp.mint(json!({ "resource": resource, "header": { "kid": es_kid } }))),
        ("expired", idp.mint(json!({ "resource": resource, "expires_in": -600 }))),
        ("nbf in the future", idp.mint(json!({ "resource": resource, "claims": { "nbf": now + 3600 } }))),
        ("iat in the future", idp.mint(json!({ "resource": resource, "claims": { "iat": now + 3600 } }))),
        ("wrong iss", idp.mint(json!({ "resource": resource, "iss": "http://127.0.0.1:1" }))),
        ("wrong aud", idp.mint(json!({ "resource": "http://127.0.0.1:1/mcp" }))),
        ("missing aud", idp.mint(json!({ "resource": resource, "claims": { "aud": null } }))),
        ("missing exp", idp.mint(json!({ "resource": resource, "claims": { "exp": null } }))),
        ("crit header", idp.mint(json!({ "resource": resource, "header": { "crit": ["b64"], "b64": true } }))),
        ("oversized", idp.mint(json!({ "resource": resource, "claims": { "pad": "x".repeat(20_000) } }))),
        (
            "tampered payload",
            format!("{valid_header}.{}.{}", b64(br#"{"sub":"mallory","aud":"x"}"#), valid.rsplit('.').next().unwrap()),
        ),
        ("bad signature", format!("{}.{}", valid.rsplit_once('.').unwrap().0, b64(b"not a signature"))),
        ("malformed base64", format!("{valid_header}.%%%.{}", valid.rsplit('.').next().unwrap())),
        ("payload not JSON", format!("{valid_header}.{}.{}", b64(b"not json"), valid.rsplit('.').next().unwrap())),
        ("header not JSON", format!("{}.{valid_payload}.sig", b64(b"{nope"))),
        ("two segments", format!("{valid_header}.{valid_payload}")),
        ("empty bearer", String::new()),
        ("garbage", "definitely-not-a-jwt".into()),
    ];
    let mut checked = 0;
    for (name, token) in &cases {
        let r = mcp_post(&url, Some(token), None, &initialize_body()).await;
        assert_eq!(r.status, 401, "{name}: expected 401, got {} {}", r.status, r.body);
        let challenge = r.www_authenticate.unwrap_or_default();
        assert!(challenge.contains(r#"error="invalid_token""#), "{name}: {challenge}");
        checked += 1;
    }
    // A token in the query string is refused even when it is valid.
    let r = reqwest::Client::new()
        .post(format!("{url}?access_token={valid}"))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(initialize_body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_request"));
    checked += 1;
    // The valid token itself still works (the corpus did not poison anything).
    assert_eq!(mcp_post(&url, Some(&valid), None, &initialize_body()).await.status, 200);

    let log = server.stderr();
    for (name, token) in &cases {
        let secret_part = token.rsplit('.').next().unwrap_or_default();
        if secret_part.len() > 8 {
            assert!(!log.contains(secret_part), "{name}: the server log contains the token");
        }
    }
    assert!(!log.contains(valid.rsplit('.').next().unwrap()), "the server log contains a valid token");
    println!("attack corpus: {checked} cases rejected");
    assert_eq!(checked, 22);
}

/// A JWKS endpoint that misbehaves in the given way (`redirect` points at the real JWKS,
/// which must not be followed).
async fn bad_jwks(mode: &'static str, real: String) -> String {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/jwks",
        get(move || {
            let real = real.clone();
            async move {
                match mode {
                    "500" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
                    "garbage" => (StatusCode::OK, "<html>not json</html>").into_response(),
                    "huge" => {
                        (StatusCode::OK, format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(2_000_000))).into_response()
                    }
                    "redirect" => (StatusCode::FOUND, [(header::LOCATION, real)]).into_response(),
                    _ => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        (StatusCode::OK, r#"{"keys":[]}"#).into_response()
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/jwks")
}

#[tokio::test(flavor = "multi_thread")]
async fn jwks_outage_fails_closed_with_503() {
    let idp = IdpProcess::start("RS256");
    for mode in ["500", "garbage", "huge", "redirect", "slow", "down"] {
        let jwks = if mode == "down" {
            "http://127.0.0.1:9/jwks".to_owned()
        } else {
            bad_jwks(mode, format!("{}/jwks", idp.issuer)).await
        };
        let server = ServerProcess::start_http(
            &example_bin("notes"),
            &[],
            &[
                ("FASTMCP_SERVER_AUTH", "jwt"),
                ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", &jwks),
                ("FASTMCP_SERVER_AUTH_JWT_ISSUER", &idp.issuer),
                ("FASTMCP_SERVER_AUTH_JWT_AUDIENCE", "http://placeholder/mcp"),
            ],
        );
        let token = idp.mint(json!({ "resource": "http://placeholder/mcp", "scope": "notes:read" }));
        let r = mcp_post(&server.mcp_url(), Some(&token), None, &initialize_body()).await;
        assert_eq!(r.status, 503, "{mode}: {} {}", r.status, r.body);
        assert!(r.body.contains("Service Unavailable"), "{mode}: {}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_concurrent_new_kid_tokens_cause_one_jwks_fetch() {
    use fastmcp_auth::{JwtVerifier, TokenVerifier};
    let idp = IdpProcess::start("RS256");
    let resource = "http://127.0.0.1:7/mcp";
    let verifier = std::sync::Arc::new(
        JwtVerifier::builder()
            .jwks_uri(format!("{}/jwks", idp.issuer))
            .issuer(&idp.issuer)
            .audience(resource)
            .build()
            .unwrap(),
    );
    let tokens: Vec<String> =
        (0..1000).map(|i| idp.mint(json!({ "resource": resource, "sub": format!("user{i}") }))).collect();
    idp.jwks_hits(true);
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let v = verifier.clone();
            tokio::spawn(async move { v.verify(&t).await.map(|a| a.subject.clone()) })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        assert!(t.await.unwrap().is_ok());
        ok += 1;
    }
    assert_eq!(ok, 1000);
    assert_eq!(idp.jwks_hits(false), 1, "single-flight: one fetch for 1,000 concurrent verifications");
    assert_eq!(verifier.jwks().unwrap().fetch_count(), 1);
}

fn in_process_verifier(
    idp: &IdpProcess,
    resource: &str,
    policy: fastmcp_auth::jwks::JwksPolicy,
) -> fastmcp_auth::JwtVerifier {
    fastmcp_auth::JwtVerifier::builder()
        .jwks_uri(format!("{}/jwks", idp.issuer))
        .issuer(&idp.issuer)
        .audience(resource)
        .jwks_policy(policy)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    use fastmcp_auth::TokenVerifier;
    let idp = IdpProcess::start("RS256");
    let resource = "http://127.0.0.1:7/mcp";
    let v = in_process_verifier(&idp, resource, Default::default());
    v.verify(&idp.mint(json!({ "resource": resource }))).await.unwrap();
    idp.jwks_hits(true);
    for i in 0..20 {
        let forged_kid = idp.mint(json!({ "resource": resource, "header": { "kid": format!("attacker-{i}") } }));
        assert!(v.verify(&forged_kid).await.is_err());
    }
    assert_eq!(idp.jwks_hits(false), 1, "20 unknown kids within the cooldown cause one refetch");
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_keys_are_served_while_the_jwks_endpoint_is_down() {
    use fastmcp_auth::{TokenVerifier, VerifyError};
    let idp = IdpProcess::start("ES256");
    let resource = "http://127.0.0.1:7/mcp";
    // TTL zero: every verification wants fresh keys.
    let policy =
        fastmcp_auth::jwks::JwksPolicy { default_ttl: Duration::ZERO, min_ttl: Duration::ZERO, ..Default::default() };
    let v = in_process_verifier(&idp, resource, policy);
    let first = idp.mint(json!({ "resource": resource, "sub": "a" }));
    let second = idp.mint(json!({ "resource": resource, "sub": "b" }));
    v.verify(&first).await.unwrap();
    drop(idp); // the issuer goes away
    let t = v.verify(&second).await.expect("cached keys still verify while the endpoint is down");
    assert_eq!(t.subject, "b");
    // A verifier that never saw the keys cannot decide: unavailable, never accepted.
    let fresh =
        fastmcp_auth::JwtVerifier::builder().jwks_uri("http://127.0.0.1:9/jwks").audience(resource).build().unwrap();
    assert!(matches!(fresh.verify(&second).await, Err(VerifyError::Unavailable(_))));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_static_jwk_from_the_issuer_verifies_its_tokens() {
    use fastmcp_auth::TokenVerifier;
    let idp = IdpProcess::start("RS256");
    let resource = "http://127.0.0.1:7/mcp";
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", idp.issuer)).await.unwrap().json().await.unwrap();
    let rsa = jwks["keys"].as_array().unwrap().iter().find(|k| k["kty"] == "RSA").unwrap().to_string();
    let v =
        fastmcp_auth::JwtVerifier::builder().public_key(rsa).issuer(&idp.issuer).audience(resource).build().unwrap();
    assert_eq!(v.verify(&idp.mint(json!({ "resource": resource }))).await.unwrap().subject, "alice");
    assert!(
        v.verify(&idp.mint(json!({ "resource": resource, "alg": "ES256" }))).await.is_err(),
        "an ES256 token does not match an RSA key"
    );
}
