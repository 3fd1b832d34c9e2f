//! The built-in authorization server, request by request (in-process router, memory store):
//! one test per security rule — PKCE, redirect URIs, code replay, refresh reuse, client
//! authentication, resources, expiry, CSRF, registration, introspection, revocation, keys.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use fastmcp_auth::oauth::{OAuthServer, OAuthSettings, Registration};
use fastmcp_auth::{AuthProvider, ScopeSet, TokenVerifier};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use tower::ServiceExt;

const ISSUER: &str = "http://127.0.0.1:9000";
const RESOURCE: &str = "http://127.0.0.1:9000/mcp";
const CALLBACK: &str = "http://127.0.0.1:7777/callback";

fn settings(auto_approve: bool) -> OAuthSettings {
    let mut s = OAuthSettings::new(ISSUER, RESOURCE);
    s.scopes_supported = ScopeSet::parse("notes:read notes:write");
    s.auto_approve = auto_approve;
    s.users = vec![("alice".into(), "password123".into())];
    s
}

struct As {
    server: OAuthServer,
    app: axum::Router,
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
    fn location(&self) -> url::Url {
        let l = self
            .headers
            .get(header::LOCATION)
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body));
        url::Url::parse(l.to_str().unwrap())
            .or_else(|_| url::Url::parse(ISSUER).unwrap().join(l.to_str().unwrap()))
            .unwrap()
    }
    fn query(&self) -> HashMap<String, String> {
        self.location().query_pairs().into_owned().collect()
    }
}

impl As {
    async fn new(s: OAuthSettings) -> Self {
        let server = OAuthServer::builder(s).build().unwrap();
        server.start().await.unwrap();
        As { app: server.routes(), server }
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body =
            String::from_utf8_lossy(&axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap()).into_owned();
        Reply { status, headers, body }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    async fn form(&self, uri: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    async fn register(&self, meta: Value) -> Reply {
        self.send(
            Request::post("/register")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(meta.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn public_client(&self) -> String {
        let r = self.register(json!({"redirect_uris": [CALLBACK], "client_name": "Test App"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["client_id"].as_str().unwrap().to_owned()
    }

    async fn authorize(&self, params: &[(&str, &str)]) -> Reply {
        let q = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        self.get(&format!("/authorize?{q}")).await
    }

    /// A code for `client` through auto-approve; returns (code, verifier).
    async fn code(&self, client: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let r = self.authorize(&auth_params(client, &challenge)).await;
        assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
        let q = r.query();
        assert_eq!(q.get("state").map(String::as_str), Some("xyz"));
        assert_eq!(q.get("iss").map(String::as_str), Some(ISSUER), "RFC 9207 iss");
        (q.get("code").unwrap_or_else(|| panic!("no code: {q:?}")).clone(), verifier)
    }

    async fn exchange(&self, client: &str, code: &str, verifier: &str) -> Reply {
        self.form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
                ("client_id", client),
                ("resource", RESOURCE),
            ],
            &[],
        )
        .await
    }

    async fn refresh(&self, client: &str, token: &str) -> Reply {
        self.form("/token", &[("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client)], &[])
            .await
    }
}

fn pkce() -> (String, String) {
    let verifier = format!("verifier-{}-0123456789abcdefghijklmnopqrstuvwxyz", fastmcp_auth::now_unix());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fastmcp_auth::sha256(verifier.as_bytes()));
    (verifier, challenge)
}

fn auth_params<'a>(client: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", CALLBACK),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", "xyz"),
        ("scope", "notes:read notes:write"),
        ("resource", RESOURCE),
    ]
}

#[tokio::test]
async fn metadata_describes_what_is_supported() {
    let a = As::new(settings(false)).await;
    for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        let m = a.get(path).await.json();
        assert_eq!(m["issuer"], ISSUER);
        assert_eq!(m["authorization_endpoint"], format!("{ISSUER}/authorize"));
        assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(m["client_id_metadata_document_supported"], true);
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(m["grant_types_supported"], json!(["authorization_code", "refresh_token", "client_credentials"]));
        assert_eq!(m["scopes_supported"], json!(["notes:read", "notes:write"]));
    }
    let prm = a.server.resource_metadata(RESOURCE).unwrap();
    assert_eq!(prm.authorization_servers, [ISSUER]);
}

#[tokio::test]
async fn full_code_flow_issues_a_locally_verifiable_at_jwt_and_rotating_refresh_tokens() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (code, verifier) = a.code(&client).await;
    let r = a.exchange(&client, &code, &verifier).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let t = r.json();
    let access = t["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!((header.alg, header.typ.as_deref()), (jsonwebtoken::Algorithm::ES256, Some("at+jwt")));
    let verified = a.server.verifier().verify(access).await.unwrap();
    assert_eq!((verified.subject.as_str(), verified.audience.clone()), ("alice", vec![RESOURCE.to_owned()]));
    assert_eq!(verified.scopes, ScopeSet::parse("notes:read notes:write"));
    let refresh1 = t["refresh_token"].as_str().unwrap().to_owned();
    let r = a.refresh(&client, &refresh1).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let refresh2 = r.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2, "rotation on every use");
    // Narrowing on refresh is allowed, widening is not.
    let r = a
        .form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh2),
                ("client_id", &client),
                ("scope", "notes:read"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.json()["scope"], "notes:read");
    let refresh3 = r.json()["refresh_token"].as_str().unwrap().to_owned();
    let r = a
        .form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh3),
                ("client_id", &client),
                ("scope", "notes:read notes:admin"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.json()["error"], "invalid_scope");
}

#[tokio::test]
async fn pkce_is_required_s256_only_and_checked() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (verifier, challenge) = pkce();
    let mut without = auth_params(&client, &challenge);
    without.retain(|(k, _)| !k.starts_with("code_challenge"));
    let q = a.authorize(&without).await.query();
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("invalid_request", "xyz"));
    let mut plain = auth_params(&client, &verifier);
    plain.retain(|(k, _)| *k != "code_challenge_method");
    plain.push(("code_challenge_method", "plain"));
    assert_eq!(a.authorize(&plain).await.query()["error"], "invalid_request");
    let (code, _) = a.code(&client).await;
    let r = a.exchange(&client, &code, "wrong-verifier-wrong-verifier-wrong-verifier-123").await;
    assert_eq!((r.status, r.json()["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let r = a.exchange(&client, &code, "").await;
    assert_eq!(r.json()["error"], "invalid_grant", "a failed attempt consumed the code");
}

#[tokio::test]
async fn replayed_codes_revoke_every_token_issued_from_them() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (code, verifier) = a.code(&client).await;
    let first = a.exchange(&client, &code, &verifier).await.json();
    let refresh = first["refresh_token"].as_str().unwrap();
    let replay = a.exchange(&client, &code, &verifier).await;
    assert_eq!(replay.json()["error"], "invalid_grant");
    assert!(replay.json()["error_description"].as_str().unwrap().contains("revoked"));
    assert_eq!(
        a.refresh(&client, refresh).await.json()["error"],
        "invalid_grant",
        "the first exchange's refresh token died too"
    );
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_family() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (code, verifier) = a.code(&client).await;
    let old = a.exchange(&client, &code, &verifier).await.json()["refresh_token"].as_str().unwrap().to_owned();
    let new = a.refresh(&client, &old).await.json()["refresh_token"].as_str().unwrap().to_owned();
    let stolen = a.refresh(&client, &old).await;
    assert_eq!(stolen.json()["error"], "invalid_grant");
    assert_eq!(
        a.refresh(&client, &new).await.json()["error"],
        "invalid_grant",
        "the legitimate holder's token is revoked too"
    );
}

#[tokio::test]
async fn redirect_uris_are_matched_and_bad_ones_never_redirected() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (_, challenge) = pkce();
    for evil in [
        "https://evil.example/callback",
        "http://127.0.0.1:7777/callback/../../evil",
        "http://127.0.0.1:7777/callbackx",
        "http://localhost:7777/callback",
    ] {
        let mut p = auth_params(&client, &challenge);
        p.retain(|(k, _)| *k != "redirect_uri");
        p.push(("redirect_uri", evil));
        let r = a.authorize(&p).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{evil}: must not redirect");
        assert!(r.headers.get(header::LOCATION).is_none(), "{evil}");
        assert!(r.body.contains("role=\"alert\""), "{evil}: an error page");
    }
    // Loopback redirect URIs may use any port (RFC 8252 §7.3).
    let mut p = auth_params(&client, &challenge);
    p.retain(|(k, _)| *k != "redirect_uri");
    p.push(("redirect_uri", "http://127.0.0.1:40123/callback"));
    let r = a.authorize(&p).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location().port(), Some(40123));
    // Unknown clients get a page too, never a redirect.
    let r = a.authorize(&auth_params("no-such-client", &challenge)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.headers.get(header::LOCATION).is_none());
    // The code is bound to the redirect URI used.
    let (code, verifier) = a.code(&client).await;
    let r = a
        .form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:7777/other"),
                ("code_verifier", &verifier),
                ("client_id", &client),
            ],
            &[],
        )
        .await;
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn resources_and_scopes_are_validated() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (_, challenge) = pkce();
    let mut p = auth_params(&client, &challenge);
    p.retain(|(k, _)| *k != "resource");
    p.push(("resource", "http://127.0.0.1:9000/other"));
    assert_eq!(a.authorize(&p).await.query()["error"], "invalid_target");
    let mut p = auth_params(&client, &challenge);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "notes:read admin:all"));
    assert_eq!(a.authorize(&p).await.query()["error"], "invalid_scope");
    let (code, verifier) = a.code(&client).await;
    let r = a
        .form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
                ("client_id", &client),
                ("resource", "http://127.0.0.1:1/mcp"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.json()["error"], "invalid_target");
}

#[tokio::test]
async fn expired_codes_are_refused() {
    let mut s = settings(true);
    s.code_ttl = Duration::from_secs(1);
    let a = As::new(s).await;
    let client = a.public_client().await;
    let (code, verifier) = a.code(&client).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(a.exchange(&client, &code, &verifier).await.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn confidential_clients_must_authenticate() {
    let a = As::new(settings(true)).await;
    let r = a.register(json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_basic", "grant_types": ["authorization_code", "refresh_token", "client_credentials"]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (id, secret) =
        (r.json()["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    let basic = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{s}")));
    let cc = [("grant_type", "client_credentials"), ("scope", "notes:read")];
    let ok = a.form("/token", &cc, &[("authorization", &basic(&secret))]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let t = a.server.verifier().verify(ok.json()["access_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(t.subject, id, "client credentials tokens are the client's own");
    let wrong = a.form("/token", &cc, &[("authorization", &basic("wrong"))]).await;
    assert_eq!((wrong.status, wrong.json()["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
    let none = a.form("/token", &[("grant_type", "client_credentials"), ("client_id", &id)], &[]).await;
    assert_eq!(none.json()["error"], "invalid_client", "a confidential client cannot act as public");
    let post = a
        .form("/token", &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)], &[])
        .await;
    assert_eq!(post.json()["error"], "invalid_client", "registered for basic, not post");
    // Public clients cannot use client credentials, and codes are bound to their client.
    let public = a.public_client().await;
    let r = a.form("/token", &[("grant_type", "client_credentials"), ("client_id", &public)], &[]).await;
    assert_eq!(r.json()["error"], "unauthorized_client");
    let (code, verifier) = a.code(&public).await;
    let stolen = a
        .form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
            ],
            &[("authorization", &basic(&secret))],
        )
        .await;
    assert_eq!(stolen.json()["error"], "invalid_grant");
    let r = a.form("/token", &[("grant_type", "password"), ("client_id", &public)], &[]).await;
    assert_eq!(r.json()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn registration_validates_redirect_uris_and_is_rate_limited() {
    let a = As::new(settings(false)).await;
    for bad in [
        json!(["javascript:alert(1)"]),
        json!(["http://evil.example/cb"]),
        json!(["https://app.example/cb#x"]),
        json!(["https://user@app.example/cb"]),
        json!(["data:text/html,x"]),
        json!([]),
    ] {
        let r = a.register(json!({ "redirect_uris": bad })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }
    let r = a.register(json!({"redirect_uris": [CALLBACK], "grant_types": ["client_credentials"]})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "client credentials need a confidential client");
    let mut limited = settings(false);
    limited.registration_rate_per_minute = 3;
    let l = As::new(limited).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(l.register(json!({"redirect_uris": [CALLBACK]})).await.status.as_u16());
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429]);

    let mut closed = settings(false);
    closed.registration = Registration::Closed;
    let c = As::new(closed).await;
    assert_eq!(c.register(json!({"redirect_uris": [CALLBACK]})).await.status, StatusCode::FORBIDDEN);
    assert!(c.get("/.well-known/oauth-authorization-server").await.json().get("registration_endpoint").is_none());
    let mut token = settings(false);
    token.registration = Registration::Token("initial-access-token-0123456789".into());
    let t = As::new(token).await;
    assert_eq!(t.register(json!({"redirect_uris": [CALLBACK]})).await.status, StatusCode::UNAUTHORIZED);
    let ok = t
        .send(
            Request::post("/register")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, "Bearer initial-access-token-0123456789")
                .body(Body::from(json!({"redirect_uris": [CALLBACK]}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

/// Drives login and consent like a browser: returns the cookie and the pending request id.
async fn start_interactive(a: &As, client: &str) -> (String, String) {
    let (_, challenge) = pkce();
    let r = a.authorize(&auth_params(client, &challenge)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let loc = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    let request = loc.split("request=").nth(1).unwrap().to_owned();
    (cookie, request)
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn login_and_consent_resist_csrf_framing_and_bad_passwords() {
    let a = As::new(settings(false)).await;
    let client = a.public_client().await;
    let (cookie, request) = start_interactive(&a, &client).await;
    let page = a
        .send(
            Request::get(format!("/login?request={request}"))
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(page.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    let csrf = csrf_of(&page.body);
    // Wrong password: the page says so and nothing is issued.
    let bad = a
        .form(
            "/login",
            &[("request", &request), ("csrf", &csrf), ("username", "alice"), ("password", "nope")],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("role=\"alert\"") && bad.body.contains("Invalid username or password"));
    assert!(bad.headers.get(header::LOCATION).is_none());
    // A forged login without the CSRF cookie is refused.
    let forged = a
        .form(
            "/login",
            &[("request", &request), ("csrf", &csrf), ("username", "alice"), ("password", "password123")],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let good = a
        .form(
            "/login",
            &[("request", &request), ("csrf", &csrf), ("username", "alice"), ("password", "password123")],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let consent = a
        .send(
            Request::get(format!("/consent?request={request}"))
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        consent.body.contains("Test App") && consent.body.contains("127.0.0.1:7777"),
        "client name and redirect host shown"
    );
    assert!(consent.body.contains("value=\"notes:read\"") && consent.body.contains("value=\"notes:write\""));
    // Cross-site consent forgery: right form, no cookie.
    let forged = a
        .form(
            "/consent",
            &[("request", &request), ("csrf", &csrf), ("decision", "approve"), ("scope", "notes:read")],
            &[],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong_token = a
        .form("/consent", &[("request", &request), ("csrf", "guess"), ("decision", "approve")], &[("cookie", &cookie)])
        .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    // Approving a subset of scopes.
    let ok = a
        .form(
            "/consent",
            &[("request", &request), ("csrf", &csrf), ("decision", "approve"), ("scope", "notes:read")],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::FOUND);
    assert!(ok.query().contains_key("code"));
    // Remembered consent: next time, login goes straight back to the client.
    let (cookie, request) = start_interactive(&a, &client).await;
    let page = a
        .send(
            Request::get(format!("/login?request={request}"))
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let csrf = csrf_of(&page.body);
    let p =
        [("request", request.as_str()), ("csrf", csrf.as_str()), ("username", "alice"), ("password", "password123")];
    let r = a.form("/login", &p, &[("cookie", &cookie)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.headers[header::LOCATION].to_str().unwrap().starts_with("consent?"),
        "notes:write was not approved before, so consent is asked again"
    );
}

#[tokio::test]
async fn denying_consent_redirects_access_denied() {
    let a = As::new(settings(false)).await;
    let client = a.public_client().await;
    let (cookie, request) = start_interactive(&a, &client).await;
    let csrf = csrf_of(
        &a.send(
            Request::get(format!("/login?request={request}"))
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .body,
    );
    a.form(
        "/login",
        &[("request", &request), ("csrf", &csrf), ("username", "alice"), ("password", "password123")],
        &[("cookie", &cookie)],
    )
    .await;
    let r = a
        .form("/consent", &[("request", &request), ("csrf", &csrf), ("decision", "deny")], &[("cookie", &cookie)])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let q = r.query();
    assert_eq!((q["error"].as_str(), q["state"].as_str(), q["iss"].as_str()), ("access_denied", "xyz", ISSUER));
    // The request is finished: it cannot be approved afterwards.
    let again = a
        .form("/consent", &[("request", &request), ("csrf", &csrf), ("decision", "approve")], &[("cookie", &cookie)])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revocation_and_introspection() {
    let a = As::new(settings(true)).await;
    let r = a.register(json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_post"})).await;
    let (id, secret) =
        (r.json()["client_id"].as_str().unwrap().to_owned(), r.json()["client_secret"].as_str().unwrap().to_owned());
    let (code, verifier) = a.code(&id).await;
    let t = a
        .form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            &[],
        )
        .await
        .json();
    let (access, refresh) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    let auth = [("client_id", id.as_str()), ("client_secret", secret.as_str())];
    let intro = |tok: &str| {
        let mut f = auth.to_vec();
        f.push(("token", tok));
        f.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<_>>()
    };
    let i = a.form("/introspect", &refs(&intro(access)), &[]).await.json();
    assert_eq!(
        (i["active"].as_bool(), i["sub"].as_str(), i["token_type"].as_str()),
        (Some(true), Some("alice"), Some("access_token"))
    );
    assert_eq!(a.form("/introspect", &refs(&intro(refresh)), &[]).await.json()["active"], true);
    assert_eq!(a.form("/introspect", &refs(&intro("garbage")), &[]).await.json()["active"], false);
    // Unauthenticated callers may not introspect.
    let public = a.public_client().await;
    let r = a.form("/introspect", &[("client_id", &public), ("token", access)], &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Revoking the refresh token ends it; unknown tokens still get 200 (RFC 7009).
    let revoke_form = intro(refresh);
    let mut f = refs(&revoke_form);
    f.push(("token_type_hint", "refresh_token"));
    assert_eq!(a.form("/revoke", &f, &[]).await.status, StatusCode::OK);
    assert_eq!(a.form("/introspect", &refs(&intro(refresh)), &[]).await.json()["active"], false);
    assert_eq!(
        a.form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", &id),
                ("client_secret", &secret)
            ],
            &[]
        )
        .await
        .json()["error"],
        "invalid_grant"
    );
    assert_eq!(a.form("/revoke", &refs(&intro("unknown")), &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn signing_key_rotation_keeps_old_tokens_valid_during_the_overlap() {
    let a = As::new(settings(true)).await;
    let client = a.public_client().await;
    let (code, verifier) = a.code(&client).await;
    let old = a.exchange(&client, &code, &verifier).await.json()["access_token"].as_str().unwrap().to_owned();
    let old_kid = jsonwebtoken::decode_header(&old).unwrap().kid.unwrap();
    let new_kid = a.server.rotate_signing_key().await.unwrap();
    assert_ne!(old_kid, new_kid);
    let jwks = a.get("/jwks").await.json();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{kids:?}");
    assert!(a.server.verifier().verify(&old).await.is_ok(), "old tokens verify during the overlap");
    let (code, verifier) = a.code(&client).await;
    let fresh = a.exchange(&client, &code, &verifier).await.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(jsonwebtoken::decode_header(&fresh).unwrap().kid.unwrap(), new_kid);
    // Purging keys retired before "now + 1" drops the old key; then old tokens fail.
    let store = a.server.store().await.unwrap();
    store.purge(fastmcp_auth::now_unix(), fastmcp_auth::now_unix() + 1).await.unwrap();
    let other = OAuthServer::builder(settings(true)).custom_store(store).build().unwrap();
    other.start().await.unwrap();
    assert!(other.verifier().verify(&old).await.is_err());
    assert!(other.verifier().verify(&fresh).await.is_ok());
}

#[test]
fn auto_approve_is_refused_for_a_public_issuer() {
    let mut s = OAuthSettings::new("https://notes.example.com", "https://notes.example.com/mcp");
    s.auto_approve = true;
    let err = OAuthServer::builder(s).build().err().expect("refused").to_string();
    assert!(err.contains("auto_approve"), "{err}");
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
