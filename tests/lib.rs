//! Shared helpers for the integration tests: building and starting the example servers, and
//! locating the third-party tools `scripts/test` installs (Node 22, the MCP SDKs, the
//! conformance suite, the Python `mcp` client).

pub mod pg;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Path of an `examples` binary, built once per test process.
pub fn example_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "examples", "--bins"])
            .current_dir(workspace_root())
            .status()
            .expect("failed to run cargo build for the examples");
        assert!(status.success(), "building the examples failed");
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
        target.join("debug")
    });
    dir.join(name)
}

/// A tool installed by `scripts/test`, named by an environment variable. Panics with
/// instructions when it is missing: tests never skip silently.
pub fn required_env(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if Path::new(&p).exists() => PathBuf::from(p),
        Some(p) => panic!(
            "{var}={} does not exist; re-run `scripts/test` to reinstall the test dependencies",
            Path::new(&p).display()
        ),
        None => panic!(
            "{var} is not set: this test needs third-party tools that `scripts/test` installs (Node 22, the MCP SDKs, \
             the conformance suite, the Python `mcp` client). Run the tests with `scripts/test`."
        ),
    }
}

/// A running example server; killed on drop.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    stderr_log: PathBuf,
}

impl ServerProcess {
    /// Starts `bin` with `--port 0` plus `args` and waits until it reports its address.
    pub fn start_http(bin: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let log_dir = workspace_root().join("target").join("test-logs");
        std::fs::create_dir_all(&log_dir).expect("create target/test-logs");
        let name = bin.file_name().and_then(|n| n.to_str()).unwrap_or("server");
        let stderr_log = log_dir.join(format!("{name}-{}-{}.log", std::process::id(), unique()));
        let mut cmd = Command::new(bin);
        cmd.args(["--transport", "http", "--host", "127.0.0.1", "--port", "0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("failed to start {}: {e}", bin.display()));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log_path = stderr_log.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut log = std::fs::File::create(&log_path).ok();
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(f) = log.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
                if !sent && let Some(url) = listening_url(&line) {
                    let _ = tx.send(url);
                    sent = true;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let base_url = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(100)) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{} exited with {status} before listening; see {}", bin.display(), stderr_log.display());
            }
            assert!(Instant::now() < deadline, "{} did not start within 30 s", bin.display());
        };
        ServerProcess { child, base_url, stderr_log }
    }

    /// The Streamable HTTP endpoint.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base_url)
    }

    /// The legacy SSE endpoint.
    pub fn sse_url(&self) -> String {
        format!("{}/sse", self.base_url)
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Extracts `http://127.0.0.1:PORT` from the server's "listening on" log line.
fn listening_url(line: &str) -> Option<String> {
    let start = line.find("listening on http://")? + "listening on ".len();
    let rest = &line[start..];
    let end = rest.find("/mcp").unwrap_or(rest.len());
    Some(rest[..end].trim().to_owned())
}

/// Runs a command with a time limit, returning its output (stdout and stderr captured).
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to run {cmd:?}: {e}"));
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default().into_bytes(),
        stderr: err.join().unwrap_or_default().into_bytes(),
    }
}

/// Parses a trailing `N passed, M failed` line.
pub fn passed_failed(text: &str) -> Option<(u32, u32)> {
    text.lines().rev().find_map(|line| {
        let line = line.trim();
        let line = line.strip_prefix("Total:").unwrap_or(line).trim();
        let (p, rest) = line.split_once(" passed, ")?;
        let f = rest.strip_suffix(" failed").or_else(|| rest.split(" failed").next())?;
        Some((p.trim().parse().ok()?, f.trim().parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_counts() {
        assert_eq!(super::passed_failed("x\nTotal: 39 passed, 0 failed\n"), Some((39, 0)));
        assert_eq!(super::passed_failed("ok a\n12 passed, 1 failed"), Some((12, 1)));
        assert_eq!(
            super::listening_url("INFO MCP server `x` listening on http://127.0.0.1:4000/mcp").as_deref(),
            Some("http://127.0.0.1:4000")
        );
    }
}

/// A running OpenID provider (npm `oidc-provider`, `tests/clients/oidc_provider.mjs`); killed on drop.
pub struct IdpProcess {
    child: Child,
    /// The issuer, `http://127.0.0.1:PORT`.
    pub issuer: String,
}

impl IdpProcess {
    /// Starts the provider signing access tokens with `alg` (`RS256` or `ES256`).
    pub fn start(alg: &str) -> Self {
        let node = required_env("FASTMCP_TEST_NODE");
        let modules = required_env("FASTMCP_TEST_NODE_MODULES");
        let mut child = Command::new(node)
            .arg(workspace_root().join("tests/clients/oidc_provider.mjs"))
            .args(["--port", "0", "--alg", alg])
            .env("NODE_PATH", &modules)
            .env("FASTMCP_TEST_NODE_MODULES", &modules)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OpenID provider");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("OIDC issuer ") {
                    let _ = tx.send(issuer.trim().to_owned());
                }
            }
        });
        let issuer = rx.recv_timeout(Duration::from_secs(30)).expect("the OpenID provider did not start within 30 s");
        IdpProcess { child, issuer }
    }

    /// Mints an access token through the provider's test endpoint (same keys and format as
    /// its real tokens). `body` may override claims and header fields.
    pub fn mint(&self, body: serde_json::Value) -> String {
        let resp = blocking_post_json(&format!("{}/__test/token", self.issuer), &body);
        resp["access_token"].as_str().unwrap_or_else(|| panic!("no access_token in {resp}")).to_owned()
    }

    /// Rotates the signing keys; with `keep_old` the previous public keys stay in the JWKS.
    pub fn rotate(&self, keep_old: bool) -> serde_json::Value {
        blocking_post_json(&format!("{}/__test/rotate?keep_old={keep_old}", self.issuer), &serde_json::json!({}))
    }

    /// How many times the JWKS was fetched (and reset the counter when `reset`).
    pub fn jwks_hits(&self, reset: bool) -> u64 {
        let url = format!("{}/__test/jwks_hits{}", self.issuer, if reset { "?reset=true" } else { "" });
        let v: serde_json::Value =
            blocking(async move { reqwest::get(url).await.expect("jwks_hits").json().await.expect("json") });
        v["count"].as_u64().expect("count")
    }
}

impl Drop for IdpProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn blocking<F: std::future::Future + Send + 'static>(f: F) -> F::Output
where
    F::Output: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
    })
    .join()
    .expect("thread")
}

fn blocking_post_json(url: &str, body: &serde_json::Value) -> serde_json::Value {
    let (url, body) = (url.to_owned(), body.clone());
    blocking(async move {
        let resp =
            reqwest::Client::new().post(&url).json(&body).send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
        resp.json().await.unwrap_or_else(|e| panic!("POST {url}: not JSON: {e}"))
    })
}

/// The outcome of one HTTP request in a test.
#[derive(Debug)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// `WWW-Authenticate`, if any.
    pub www_authenticate: Option<String>,
    /// `Mcp-Session-Id`, if any.
    pub session_id: Option<String>,
    /// The body.
    pub body: String,
}

/// POSTs a JSON-RPC body to an MCP endpoint with an optional bearer token (and session id).
pub async fn mcp_post(url: &str, bearer: Option<&str>, session: Option<&str>, body: &serde_json::Value) -> HttpReply {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string());
    if let Some(t) = bearer {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(s) = session {
        req = req.header("mcp-session-id", s).header("mcp-protocol-version", "2025-11-25");
    }
    let resp = req.send().await.unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, www_authenticate, session_id) =
        (resp.status().as_u16(), header("www-authenticate"), header("mcp-session-id"));
    HttpReply { status, www_authenticate, session_id, body: resp.text().await.unwrap_or_default() }
}

/// An `initialize` request body.
pub fn initialize_body() -> serde_json::Value {
    serde_json::json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test","version":"1"}}})
}
