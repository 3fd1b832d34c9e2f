//! Verifiers and configuration, in-process: API keys, JWT with an HMAC secret (asymmetric keys
//! are exercised against a real OpenID provider in `tests/tests/auth_oidc.rs`), introspection
//! against a loopback endpoint, `MultiVerifier`, and `AuthConfig` from the environment.

use fastmcp_auth::{
    ApiKeys, AuthConfig, IntrospectionVerifier, JwtVerifier, MultiVerifier, ScopeSet, TokenVerifier, VerifyError,
    introspection::ClientAuth, now_unix,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-only";
const AUD: &str = "http://127.0.0.1:8000/mcp";

fn hmac_verifier() -> JwtVerifier {
    JwtVerifier::builder()
        .secret(SECRET)
        .algorithm(Algorithm::HS256)
        .issuer("https://issuer.test")
        .audience(AUD)
        .build()
        .unwrap()
}

fn sign(claims: Value) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

fn claims() -> Value {
    json!({ "sub": "alice", "iss": "https://issuer.test", "aud": AUD, "exp": now_unix() + 300, "scope": "a b", "client_id": "c1" })
}

fn invalid(r: Result<Arc<fastmcp_auth::AccessToken>, VerifyError>) -> String {
    match r {
        Err(VerifyError::Invalid(why)) => why,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn api_keys_verify_expire_and_reject() {
    let json = format!(
        r#"[{{"key":"0123456789abcdef-alice","subject":"alice","scopes":["a","b"]}},
            {{"key":"0123456789abcdef-old","subject":"old","expires_at":{}}}]"#,
        now_unix() - 1
    );
    let keys = ApiKeys::from_json(&json).unwrap();
    let t = keys.verify("0123456789abcdef-alice").await.unwrap();
    assert_eq!((t.subject.as_str(), t.scopes.to_string().as_str()), ("alice", "a b"));
    assert!(invalid(keys.verify("0123456789abcdef-old").await).contains("expired"));
    assert!(invalid(keys.verify("0123456789abcdef-alicE").await).contains("unknown"));
    assert!(ApiKeys::from_json(r#"[{"key":"short","subject":"x"}]"#).unwrap_err().contains("shorter than 16"));
    assert!(ApiKeys::from_json(r#"[{"key":"0123456789abcdef","subject":"x","scopes":["bad scope"]}]"#).is_err());
}

#[test]
fn jwt_builder_refuses_unsafe_configurations() {
    let err = |b: fastmcp_auth::JwtVerifierBuilder| b.build().err().expect("should fail").to_string();
    assert!(err(JwtVerifier::builder().jwks_uri("https://a.test/jwks")).contains("audience"));
    assert!(
        err(JwtVerifier::builder().jwks_uri("https://a.test/jwks").secret(SECRET).audience(AUD))
            .contains("algorithm confusion")
    );
    assert!(err(JwtVerifier::builder().secret(SECRET).audience(AUD)).contains("explicit algorithm"));
    assert!(
        err(JwtVerifier::builder().secret(SECRET).algorithm(Algorithm::RS256).audience(AUD)).contains("only HS256")
    );
    assert!(
        err(JwtVerifier::builder().jwks_uri("https://a.test/jwks").algorithm(Algorithm::HS256).audience(AUD))
            .contains("shared secret")
    );
    assert!(
        err(JwtVerifier::builder().secret(b"short").algorithm(Algorithm::HS256).audience(AUD)).contains("32 bytes")
    );
    assert!(err(JwtVerifier::builder().jwks_uri("http://a.test/jwks").audience(AUD)).contains("https"));
    assert!(fastmcp_auth::parse_algorithm("none").is_err());
}

#[tokio::test]
async fn jwt_claims_are_checked() {
    let v = hmac_verifier();
    let t = v.verify(&sign(claims())).await.unwrap();
    assert_eq!(
        (t.subject.as_str(), t.client_id.as_deref(), t.scopes.to_string().as_str()),
        ("alice", Some("c1"), "a b")
    );
    let with = |k: &str, val: Value| {
        let mut c = claims();
        c[k] = val;
        sign(c)
    };
    assert!(invalid(v.verify(&with("exp", json!(now_unix() - 120))).await).contains("expired"));
    assert!(invalid(v.verify(&with("nbf", json!(now_unix() + 3600))).await).contains("not yet valid"));
    assert!(invalid(v.verify(&with("iat", json!(now_unix() + 3600))).await).contains("future"));
    assert!(invalid(v.verify(&with("aud", json!("https://other.test/mcp"))).await).contains("audience"));
    assert!(invalid(v.verify(&with("iss", json!("https://evil.test"))).await).contains("issuer"));
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert!(invalid(v.verify(&sign(no_exp)).await).contains("exp"));
    // Within leeway is fine.
    assert!(v.verify(&with("exp", json!(now_unix() - 5))).await.is_ok());
    // A token signed with another secret.
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(b"another-secret-another-secret-xx"),
    )
    .unwrap();
    assert!(invalid(v.verify(&forged).await).contains("signature"));
    // An algorithm outside the allow-list.
    let hs512 = encode(&Header::new(Algorithm::HS512), &claims(), &EncodingKey::from_secret(SECRET)).unwrap();
    assert!(invalid(v.verify(&hs512).await).contains("not accepted"));
    // Size cap.
    let big = with("pad", json!("x".repeat(20_000)));
    assert!(invalid(v.verify(&big).await).contains("larger"));
}

#[tokio::test]
async fn jwt_scopes_from_scp_and_custom_claims_and_typ() {
    let v = hmac_verifier();
    let mut c = claims();
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["x", "y"]);
    assert_eq!(v.verify(&sign(c)).await.unwrap().scopes, ScopeSet::parse("x y"));
    let custom = JwtVerifier::builder()
        .secret(SECRET)
        .algorithm(Algorithm::HS256)
        .audience(AUD)
        .scope_claim("perms")
        .build()
        .unwrap();
    let mut c = claims();
    c["perms"] = json!("p q");
    assert_eq!(custom.verify(&sign(c)).await.unwrap().scopes, ScopeSet::parse("p q"));
    let strict = JwtVerifier::builder()
        .secret(SECRET)
        .algorithm(Algorithm::HS256)
        .audience(AUD)
        .require_at_jwt(true)
        .build()
        .unwrap();
    assert!(invalid(strict.verify(&sign(claims())).await).contains("at+jwt"));
    let mut h = Header::new(Algorithm::HS256);
    h.typ = Some("at+jwt".into());
    assert!(strict.verify(&encode(&h, &claims(), &EncodingKey::from_secret(SECRET)).unwrap()).await.is_ok());
}

#[tokio::test]
async fn verified_tokens_are_cached() {
    let v = hmac_verifier();
    let token = sign(claims());
    let a = v.verify(&token).await.unwrap();
    let b = v.verify(&token).await.unwrap();
    assert!(Arc::ptr_eq(&a, &b), "the second verification is a cache hit");
}

/// A loopback RFC 7662 endpoint answering from a table; counts calls and records auth.
async fn introspection_server(
    answers: HashMap<&'static str, Value>,
) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>) {
    use axum::extract::Form;
    use axum::http::HeaderMap;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (c, s) = (calls.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/introspect",
        axum::routing::post(move |headers: HeaderMap, Form(form): Form<HashMap<String, String>>| {
            let (c, s, answers) = (c.clone(), s.clone(), answers.clone());
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                s.lock().unwrap().push(format!("{auth}|{}", form.get("client_id").cloned().unwrap_or_default()));
                let token = form.get("token").cloned().unwrap_or_default();
                match answers.get(token.as_str()) {
                    Some(Value::String(s)) if s == "500" => {
                        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned())
                    }
                    Some(v) => (axum::http::StatusCode::OK, v.to_string()),
                    None => (axum::http::StatusCode::OK, r#"{"active":false}"#.to_owned()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/introspect"), calls, seen)
}

#[tokio::test]
async fn introspection_checks_active_exp_aud_caches_and_fails_closed() {
    let exp = now_unix() + 300;
    let answers = HashMap::from([
        ("good", json!({"active": true, "sub": "alice", "scope": "a", "aud": AUD, "exp": exp, "client_id": "c"})),
        ("other-aud", json!({"active": true, "sub": "alice", "aud": "https://other.test", "exp": exp})),
        ("expired", json!({"active": true, "sub": "alice", "aud": AUD, "exp": now_unix() - 10})),
        ("broken", json!("500")),
    ]);
    let (url, calls, seen) = introspection_server(answers).await;
    let v = IntrospectionVerifier::new(&url, "notes server", "p@ss").unwrap().audience(AUD);
    assert_eq!(v.verify("good").await.unwrap().subject, "alice");
    v.verify("good").await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "positive results are cached");
    assert!(seen.lock().unwrap()[0].starts_with("Basic "), "client_secret_basic by default");
    assert!(invalid(v.verify("unknown").await).contains("not active"));
    invalid(v.verify("unknown").await);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "negative results are cached briefly");
    assert!(invalid(v.verify("other-aud").await).contains("audience"));
    assert!(invalid(v.verify("expired").await).contains("expired"));
    assert!(matches!(v.verify("broken").await, Err(VerifyError::Unavailable(_))));

    let post = IntrospectionVerifier::new(&url, "notes", "p@ss").unwrap().client_auth(ClientAuth::Post);
    post.verify("good").await.unwrap();
    assert_eq!(seen.lock().unwrap().last().unwrap(), "|notes", "client_secret_post sends form fields, no header");

    let down = IntrospectionVerifier::new("http://127.0.0.1:9/introspect", "c", "s").unwrap();
    assert!(matches!(down.verify("good").await, Err(VerifyError::Unavailable(_))), "unreachable → 503, never accepted");
}

#[tokio::test]
async fn multi_verifier_tries_in_order_and_prefers_outage_over_invalid() {
    let keys = ApiKeys::new().key("0123456789abcdef-bot", "bot", ScopeSet::parse("a"), None);
    let multi = MultiVerifier::new().with(keys.clone()).with(hmac_verifier());
    assert_eq!(multi.verify("0123456789abcdef-bot").await.unwrap().subject, "bot");
    assert_eq!(multi.verify(&sign(claims())).await.unwrap().subject, "alice");
    assert!(matches!(multi.verify("nope").await, Err(VerifyError::Invalid(_))));
    let down = IntrospectionVerifier::new("http://127.0.0.1:9/introspect", "c", "s").unwrap();
    let multi = MultiVerifier::new().with(keys).with(down);
    assert!(matches!(multi.verify("nope").await, Err(VerifyError::Unavailable(_))));
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

#[test]
fn env_configuration_names_the_variable_at_fault() {
    let cfg = AuthConfig::from_env();
    assert!(cfg.resolve_with(AUD, &env_of(&[])).unwrap().is_none(), "no FASTMCP_SERVER_AUTH: no auth");
    let jwt = env_of(&[
        ("FASTMCP_SERVER_AUTH", "jwt"),
        ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", "https://auth.example.com/jwks"),
        ("FASTMCP_SERVER_AUTH_JWT_AUDIENCE", AUD),
        ("FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES", "notes:read,notes:write"),
    ]);
    let p = cfg.resolve_with(AUD, &jwt).unwrap().unwrap();
    assert_eq!(p.required_scopes(), ScopeSet::parse("notes:read notes:write"));
    let err = |pairs: &[(&str, &str)]| cfg.resolve_with(AUD, &env_of(pairs)).err().expect("should fail").to_string();
    let e = err(&[("FASTMCP_SERVER_AUTH", "jwt"), ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", "https://a.test/jwks")]);
    assert!(e.contains("FASTMCP_SERVER_AUTH_JWT_AUDIENCE"), "{e}");
    let e = err(&[
        ("FASTMCP_SERVER_AUTH", "jwt"),
        ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", "http://a.test/jwks"),
        ("FASTMCP_SERVER_AUTH_JWT_AUDIENCE", AUD),
    ]);
    assert!(e.starts_with("`FASTMCP_SERVER_AUTH_JWT_JWKS_URI`"), "{e}");
    let e = err(&[("FASTMCP_SERVER_AUTH", "jtw")]);
    assert!(e.contains("did you mean `jwt`"), "{e}");
    let e = err(&[
        ("FASTMCP_SERVER_AUTH", "jwt"),
        ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", "https://a.test/jwks"),
        ("FASTMCP_SERVER_AUTH_JWT_PUBLIC_KEY", "x"),
        ("FASTMCP_SERVER_AUTH_JWT_AUDIENCE", AUD),
    ]);
    assert!(e.contains("cannot be used together"), "{e}");
    let e = err(&[
        ("FASTMCP_SERVER_AUTH", "jwt"),
        ("FASTMCP_SERVER_AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("FASTMCP_SERVER_AUTH_JWT_AUDIENCE", AUD),
    ]);
    assert!(e.contains("explicit algorithm"), "{e}");
}

#[test]
fn remote_reads_the_python_fastmcp_jwt_variables_and_defaults_the_audience() {
    use fastmcp_auth::AuthProvider;
    let env = env_of(&[
        ("FASTMCP_SERVER_AUTH", "remote"),
        ("FASTMCP_SERVER_AUTH_JWT_JWKS_URI", "https://auth.example.com/jwks"),
        ("FASTMCP_SERVER_AUTH_JWT_ISSUER", "https://auth.example.com"),
        ("FASTMCP_SERVER_AUTH_REMOTE_AUTHORIZATION_SERVERS", "https://auth.example.com,https://backup.example.com"),
        ("FASTMCP_SERVER_AUTH_REMOTE_RESOURCE_NAME", "Notes"),
    ]);
    let p = AuthConfig::from_env().resolve_with("https://notes.example.com/mcp", &env).unwrap().unwrap();
    let m = p.resource_metadata("https://notes.example.com/mcp").unwrap();
    assert_eq!(m.authorization_servers, ["https://auth.example.com", "https://backup.example.com"]);
    assert_eq!(m.resource_name.as_deref(), Some("Notes"));
}

#[test]
fn declared_defaults_env_overrides_and_presets() {
    use fastmcp_auth::AuthProvider;
    let declared = AuthConfig::from_env_or(AuthConfig::provider("api_keys").set_env("keys", "MY_KEYS"));
    let keys = r#"[{"key":"0123456789abcdef-k","subject":"k"}]"#;
    assert!(declared.resolve_with(AUD, &env_of(&[("MY_KEYS", keys)])).unwrap().is_some());
    let e = declared.resolve_with(AUD, &env_of(&[])).err().unwrap().to_string();
    assert!(e.contains("`MY_KEYS` is not set"), "{e}");
    let authkit =
        env_of(&[("FASTMCP_SERVER_AUTH", "authkit"), ("FASTMCP_SERVER_AUTH_AUTHKIT_DOMAIN", "acme.authkit.app")]);
    let p = declared.resolve_with("https://notes.example.com/mcp", &authkit).unwrap().unwrap();
    assert_eq!(
        p.resource_metadata("https://notes.example.com/mcp").unwrap().authorization_servers,
        ["https://acme.authkit.app"]
    );
    assert!(declared.resolve_with(AUD, &env_of(&[("FASTMCP_SERVER_AUTH", "none")])).unwrap().is_none());
    // Inside env(default = …) the environment overrides the default's literals…
    let default_file =
        AuthConfig::from_env_or(AuthConfig::provider("api_keys").set("keys_file", "/nonexistent/keys.json"));
    let e = default_file.resolve_with(AUD, &env_of(&[])).err().unwrap().to_string();
    assert!(e.contains("/nonexistent/keys.json"), "{e}");
    let over = env_of(&[("FASTMCP_SERVER_AUTH_API_KEYS_KEYS_FILE", "/other/keys.json")]);
    assert!(default_file.resolve_with(AUD, &over).err().unwrap().to_string().contains("/other/keys.json"));
    // …while a provider declared outright keeps them.
    let outright = AuthConfig::provider("api_keys").set("keys_file", "/nonexistent/keys.json");
    assert!(outright.resolve_with(AUD, &over).err().unwrap().to_string().contains("/nonexistent/keys.json"));
    for (provider, vars) in [
        ("auth0", vec![("FASTMCP_SERVER_AUTH_AUTH0_DOMAIN", "acme.us.auth0.com")]),
        ("keycloak", vec![("FASTMCP_SERVER_AUTH_KEYCLOAK_REALM_URL", "https://kc.example.com/realms/acme")]),
        ("entra", vec![("FASTMCP_SERVER_AUTH_ENTRA_TENANT_ID", "t"), ("FASTMCP_SERVER_AUTH_ENTRA_CLIENT_ID", "c")]),
        ("supabase", vec![("FASTMCP_SERVER_AUTH_SUPABASE_PROJECT_URL", "https://abc.supabase.co")]),
        ("descope", vec![("FASTMCP_SERVER_AUTH_DESCOPE_PROJECT_ID", "P2abc")]),
        (
            "scalekit",
            vec![
                ("FASTMCP_SERVER_AUTH_SCALEKIT_ENVIRONMENT_URL", "https://acme.scalekit.com"),
                ("FASTMCP_SERVER_AUTH_SCALEKIT_RESOURCE_ID", "res_1"),
            ],
        ),
        ("google", vec![("FASTMCP_SERVER_AUTH_GOOGLE_CLIENT_ID", "123.apps.googleusercontent.com")]),
    ] {
        let mut pairs = vec![("FASTMCP_SERVER_AUTH", provider)];
        pairs.extend(vars);
        let p = AuthConfig::from_env().resolve_with("https://notes.example.com/mcp", &env_of(&pairs));
        assert!(p.as_ref().is_ok_and(|p| p.is_some()), "{provider}: {:?}", p.err());
        let missing = AuthConfig::from_env()
            .resolve_with("https://notes.example.com/mcp", &env_of(&[("FASTMCP_SERVER_AUTH", provider)]));
        assert!(
            missing.err().unwrap().to_string().contains(&format!("FASTMCP_SERVER_AUTH_{}", provider.to_uppercase())),
            "{provider}"
        );
    }
}

fn b64url(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[tokio::test]
async fn static_ec_and_eddsa_jwks_verify_and_keys_cannot_cross_algorithms() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
    let rng = SystemRandom::new();
    let ec_pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let ec = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, ec_pkcs8.as_ref()).unwrap();
    let point = ec.public_key().as_ref();
    let ec_jwk = json!({"kty":"EC","crv":"P-256","kid":"ec1","x":b64url(&point[1..33]),"y":b64url(&point[33..65])});
    let ed_pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let ed = Ed25519KeyPair::from_pkcs8(ed_pkcs8.as_ref()).unwrap();
    let ed_jwk = json!({"kty":"OKP","crv":"Ed25519","kid":"ed1","x":b64url(ed.public_key().as_ref())});
    let v =
        JwtVerifier::builder().public_key(json!({"keys":[ec_jwk, ed_jwk]}).to_string()).audience(AUD).build().unwrap();

    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("ec1".into());
    let es = encode(&h, &claims(), &EncodingKey::from_ec_der(ec_pkcs8.as_ref())).unwrap();
    assert_eq!(v.verify(&es).await.unwrap().subject, "alice");
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some("ed1".into());
    let eddsa = encode(&h, &claims(), &EncodingKey::from_ed_der(ed_pkcs8.as_ref())).unwrap();
    assert_eq!(v.verify(&eddsa).await.unwrap().subject, "alice");
    // An EdDSA token naming the EC key's kid: the key type must agree with the algorithm.
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some("ec1".into());
    let crossed = encode(&h, &claims(), &EncodingKey::from_ed_der(ed_pkcs8.as_ref())).unwrap();
    assert!(invalid(v.verify(&crossed).await).contains("cannot verify"));
}

#[tokio::test]
async fn critical_header_extensions_are_rejected() {
    let mut h = Header::new(Algorithm::HS256);
    h.crit = Some(vec!["x-custom".into()]);
    h.extras.insert("x-custom".into(), "1".into());
    let token = encode(&h, &claims(), &EncodingKey::from_secret(SECRET)).unwrap();
    assert!(invalid(hmac_verifier().verify(&token).await).contains("crit"));
}
