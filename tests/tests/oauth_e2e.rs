//! The built-in authorization server end to end, as `examples/notes` runs it: third-party MCP
//! clients, the conformance suite's authorization-server scenarios, the pages in a real
//! Chromium, two instances sharing PostgreSQL, and durability across `kill -9`.

use base64::Engine as _;
use fastmcp_tests::pg::Postgres;
use fastmcp_tests::{ServerProcess, example_bin, passed_failed, required_env, run_with_timeout, workspace_root};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::Duration;

const USERS: &str = "alice:password123";

fn notes(store: &str, auto_approve: bool, extra: &[(&str, &str)]) -> ServerProcess {
    let mut env = vec![
        ("FASTMCP_SERVER_AUTH_OAUTH_STORE", store),
        ("FASTMCP_SERVER_AUTH_OAUTH_USERS", USERS),
        ("FASTMCP_SERVER_AUTH_OAUTH_AUTO_APPROVE", if auto_approve { "true" } else { "false" }),
    ];
    env.extend_from_slice(extra);
    ServerProcess::start_http(&example_bin("notes"), &[], &env)
}

fn temp_db(name: &str) -> String {
    let dir = workspace_root().join("target").join("test-dbs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    format!("sqlite:{}", path.display())
}

fn oauth_client(script: &str, url: &str, extra: &[&str]) -> (u32, u32, String) {
    let scripts = workspace_root().join("tests/clients");
    let mut cmd = if script.ends_with(".py") {
        Command::new(required_env("FASTMCP_TEST_PYTHON"))
    } else {
        let mut c = Command::new(required_env("FASTMCP_TEST_NODE"));
        c.env("NODE_PATH", required_env("FASTMCP_TEST_NODE_MODULES"));
        c
    };
    cmd.arg(scripts.join(script)).args(["--url", url]).args(extra);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (p, f) = passed_failed(&stdout).unwrap_or_else(|| panic!("no summary\n{stdout}\n{stderr}"));
    (p, f, format!("{stdout}\n--- stderr ---\n{stderr}"))
}

fn assert_all_passed(script: &str, extra: &[&str], env: &[(&str, &str)]) {
    let name = format!("{}{}", script.split('.').next().unwrap(), extra.join("").replace(['-', '/'], ""));
    let server = notes(&temp_db(&name), true, env);
    let (passed, failed, out) = oauth_client(script, &server.mcp_url(), extra);
    println!("{out}");
    assert!(failed == 0 && passed >= 8, "{passed} passed, {failed} failed\n{out}\nserver:\n{}", server.stderr());
}

#[test]
fn typescript_sdk_full_flow_against_the_built_in_server() {
    assert_all_passed("ts_oauth_client.mjs", &[], &[]);
}

#[test]
fn python_sdk_full_flow_against_the_built_in_server() {
    assert_all_passed("py_oauth_client.py", &[], &[]);
}

/// Access tokens live 3 s; after 4 s the client must use (and rotate) its refresh token.
const SHORT_TTL: &[(&str, &str)] = &[("FASTMCP_SERVER_AUTH_OAUTH_ACCESS_TOKEN_TTL", "3s")];

#[test]
fn typescript_sdk_refreshes_an_expired_access_token() {
    assert_all_passed("ts_oauth_client.mjs", &["--access-token-ttl-wait", "4"], SHORT_TTL);
}

#[test]
fn python_sdk_refreshes_an_expired_access_token() {
    assert_all_passed("py_oauth_client.py", &["--access-token-ttl-wait", "4"], SHORT_TTL);
}

/// The client identifies itself with a Client ID Metadata Document it serves over https on
/// loopback; the server trusts the test CA and is allowed to fetch from loopback.
fn cimd(script: &str) {
    let ca = workspace_root().join("target").join("test-ca");
    std::fs::create_dir_all(&ca).unwrap();
    let ca_file = ca.join("ca.pem").display().to_string();
    let ca_dir = ca.display().to_string();
    // The CA must exist before the server starts reading it (one creator at a time).
    static CREATE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = CREATE.lock().unwrap_or_else(|p| p.into_inner());
    if !ca.join("ca.pem").exists() {
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=fastmcp test CA",
            ])
            .arg("-keyout")
            .arg(ca.join("ca.key"))
            .arg("-out")
            .arg(ca.join("ca.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is needed for the CIMD test (Debian package openssl)");
        assert!(status.success());
    }
    drop(_guard);
    let env = [("FASTMCP_SERVER_AUTH_OAUTH_CIMD_ALLOW_PRIVATE", "true"), ("SSL_CERT_FILE", ca_file.as_str())];
    assert_all_passed(script, &["--cimd", "--cimd-ca", &ca_dir], &env);
}

#[test]
fn typescript_sdk_uses_a_client_id_metadata_document() {
    cimd("ts_oauth_client.mjs");
}

#[test]
fn python_sdk_uses_a_client_id_metadata_document() {
    cimd("py_oauth_client.py");
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn register(base: &str, redirect: &str) -> String {
    let r: Value = http()
        .post(format!("{base}/register"))
        .json(&json!({ "redirect_uris": [redirect], "client_name": "E2E Test Client" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["client_id"].as_str().unwrap_or_else(|| panic!("registration failed: {r}")).to_owned()
}

fn pkce() -> (String, String) {
    let verifier = format!("e2e-verifier-{}-abcdefghijklmnopqrstuvwxyz0123456789", std::process::id());
    (
        verifier.clone(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fastmcp_auth::sha256(verifier.as_bytes())),
    )
}

fn authorize_url(base: &str, client: &str, redirect: &str, challenge: &str, resource: &str) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", redirect),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "e2e-state"),
            ("scope", "notes:read notes:write"),
            ("resource", resource),
        ])
        .finish();
    format!("{base}/authorize?{q}")
}

/// Follows the auto-approve redirect and returns the code.
async fn auto_code(base: &str, client: &str, redirect: &str, challenge: &str, resource: &str) -> String {
    let r = http().get(authorize_url(base, client, redirect, challenge, resource)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    loc.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
}

async fn token(base: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = http().post(format!("{base}/token")).form(form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn mcp_call(mcp: &str, access: &str) -> u16 {
    let r = fastmcp_tests::mcp_post(mcp, Some(access), None, &fastmcp_tests::initialize_body()).await;
    r.status
}

#[tokio::test(flavor = "multi_thread")]
async fn conformance_authorization_server_scenarios_pass() {
    let server = notes(&temp_db("conformance"), true, &[]);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let callback = format!("http://127.0.0.1:{port}/callback");
    let client = register(&server.base_url, &callback).await;
    let mut child = Command::new(required_env("FASTMCP_TEST_NODE"))
        .arg(required_env("FASTMCP_TEST_CONFORMANCE_ALPHA"))
        .args([
            "authorization",
            "--url",
            &server.base_url,
            "--client-id",
            &client,
            "--resource",
            &server.mcp_url(),
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut output = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut authorized = false;
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
        output.push_str(&line);
        output.push('\n');
        if !authorized && line.starts_with(&format!("{}/authorize?", server.base_url)) {
            // Play the browser: auto-approve sends us to the suite's callback server.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let r = reqwest::get(line.trim()).await.unwrap();
            assert!(r.status().is_success(), "callback: {}", r.status());
            authorized = true;
        }
        if line.starts_with("Total:") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    println!("{output}");
    assert!(authorized, "the suite never asked for authorization\n{output}");
    assert_eq!(passed_failed(&output).map(|(_, f)| f), Some(0), "{output}");
    assert!(passed_failed(&output).unwrap().0 >= 3, "{output}");
}

fn browser(authorize: &str, mode: &str, redirect: &str, shots: &std::path::Path, extra: &[&str]) -> Value {
    let mut cmd = Command::new(required_env("FASTMCP_TEST_NODE"));
    cmd.arg(workspace_root().join("tests/clients/browser_flow.mjs"))
        .env("FASTMCP_TEST_NODE_MODULES", required_env("FASTMCP_TEST_NODE_MODULES"))
        .env("FASTMCP_TEST_CHROMIUM", required_env("FASTMCP_TEST_CHROMIUM"))
        .args([
            "--authorize-url",
            authorize,
            "--mode",
            mode,
            "--redirect-prefix",
            redirect,
            "--username",
            "alice",
            "--password",
        ])
        .arg(if mode == "wrong-password" { "not-the-password" } else { "password123" })
        .arg("--screenshots")
        .arg(shots)
        .args(extra);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(90));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{mode}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_consent_pages_work_in_chromium() {
    let server = notes(&temp_db("browser"), false, &[]);
    let base = &server.base_url;
    let redirect = "http://127.0.0.1:9/callback";
    let client = register(base, redirect).await;
    let artifacts = workspace_root().join("target/test-artifacts/oauth-pages");
    let (verifier, challenge) = pkce();

    // Approve only notes:read: land on the redirect with a code, redeem it, get a read-only token.
    let shots = artifacts.join("approve");
    let r = browser(
        &authorize_url(base, &client, redirect, &challenge, &server.mcp_url()),
        "approve",
        redirect,
        &shots,
        &["--uncheck-scope", "notes:write"],
    );
    let url = url::Url::parse(r["url"].as_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "e2e-state");
    let (status, t) = token(
        base,
        &[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["scope"], "notes:read");
    for page in ["login.png", "consent.png"] {
        assert!(shots.join(page).metadata().map(|m| m.len() > 1000).unwrap_or(false), "screenshot {page}");
    }

    // Deny: access_denied back at the client.
    let r = browser(
        &authorize_url(base, &client, redirect, &challenge, &server.mcp_url()),
        "deny",
        redirect,
        &artifacts.join("deny"),
        &[],
    );
    assert!(r["url"].as_str().unwrap().contains("error=access_denied"), "{r}");

    // Wrong password: the error is shown and no redirect (so no code) happens.
    let r = browser(
        &authorize_url(base, &client, redirect, &challenge, &server.mcp_url()),
        "wrong-password",
        redirect,
        &artifacts.join("wrong-password"),
        &[],
    );
    assert_eq!(r["result"], "error-shown");
    assert!(r["message"].as_str().unwrap().contains("Invalid username or password"));
    println!("screenshots in {}", artifacts.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_share_one_postgresql_database() {
    let pg = Postgres::start();
    let db = pg.create_database("oauth_shared");
    // Both sit behind one public URL (a load balancer); we call each directly.
    let public = "http://127.0.0.1:18999";
    let env = [("FASTMCP_SERVER_BASE_URL", public)];
    let a = notes(&db, true, &env);
    let b = notes(&db, true, &env);
    let resource = format!("{public}/mcp");
    let redirect = "http://127.0.0.1:9/callback";
    let client = register(&a.base_url, redirect).await;
    let (verifier, challenge) = pkce();
    // Authorize on A, redeem on B.
    let code = auto_code(&a.base_url, &client, redirect, &challenge, &resource).await;
    let (status, t) = token(
        &b.base_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    // A token minted by B is accepted by A (shared signing keys).
    assert_eq!(mcp_call(&a.mcp_url(), t["access_token"].as_str().unwrap()).await, 200);
    // Refresh on A, revoke on B.
    let (status, t2) = token(
        &a.base_url,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t2}");
    assert_eq!(mcp_call(&b.mcp_url(), t2["access_token"].as_str().unwrap()).await, 200);
    let refresh2 = t2["refresh_token"].as_str().unwrap();
    let r = http()
        .post(format!("{}/revoke", b.base_url))
        .form(&[("token", refresh2), ("client_id", client.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, e) =
        token(&a.base_url, &[("grant_type", "refresh_token"), ("refresh_token", refresh2), ("client_id", &client)])
            .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")), "revoked on B is revoked on A");
    // The code replayed on A after B redeemed it: refused.
    let (status, _) = token(
        &a.base_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
            ("client_id", &client),
        ],
    )
    .await;
    assert_eq!(status, 400);
    let rows = pg.psql("oauth_shared", "SELECT count(*) FROM oauth_clients");
    assert_eq!(rows.trim(), "1");
    let secrets = pg.psql("oauth_shared", "SELECT count(*) FROM oauth_refresh_tokens WHERE length(token_hash) = 64");
    assert_eq!(secrets.trim(), "2", "refresh tokens are stored as SHA-256 digests");
}

async fn crash_keeps_clients_and_refresh_tokens(store: &str) {
    let redirect = "http://127.0.0.1:9/callback";
    let (verifier, challenge) = pkce();
    let first = notes(store, true, &[]);
    let client = register(&first.base_url, redirect).await;
    let code = auto_code(&first.base_url, &client, redirect, &challenge, &first.mcp_url()).await;
    let (_, t) = token(
        &first.base_url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("code_verifier", &verifier),
            ("client_id", &client),
        ],
    )
    .await;
    let refresh = t["refresh_token"].as_str().expect("a refresh token").to_owned();
    drop(first); // SIGKILL: no shutdown, no flush
    let second = notes(store, true, &[]);
    let (status, t2) = token(
        &second.base_url,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", &client)],
    )
    .await;
    assert_eq!(status, 200, "the refresh token survived the crash: {t2}");
    // The client survived too: it can start a new authorization.
    let (_, challenge) = pkce();
    auto_code(&second.base_url, &client, redirect, &challenge, &second.mcp_url()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_survives_kill_9() {
    crash_keeps_clients_and_refresh_tokens(&temp_db("crash")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgresql_survives_kill_9() {
    let pg = Postgres::start();
    crash_keeps_clients_and_refresh_tokens(&pg.create_database("crash")).await;
}

#[test]
fn auto_approve_refuses_to_start_for_a_public_issuer() {
    let out = Command::new(example_bin("notes"))
        .args(["--port", "0"])
        .env("FASTMCP_SERVER_AUTH_OAUTH_STORE", "memory")
        .env("FASTMCP_SERVER_AUTH_OAUTH_AUTO_APPROVE", "true")
        .env("FASTMCP_SERVER_BASE_URL", "https://notes.example.com")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auto_approve") && err.contains("notes.example.com"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgresql_store_keeps_the_contract() {
    let pg = Postgres::start();
    let url = pg.create_database("contract");
    let store = fastmcp_auth::oauth::SqlStore::connect(&url).await.unwrap();
    assert!(store.is_postgres());
    fastmcp_auth::oauth::contract::check_store(std::sync::Arc::new(store)).await;
}
