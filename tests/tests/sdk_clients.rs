//! The official MCP SDK clients against our example servers: the TypeScript SDK
//! (`@modelcontextprotocol/sdk`) over Streamable HTTP, legacy SSE and stdio, and the Python
//! `mcp` client over the same three transports. Each client script runs named checks that
//! assert exact values and ends with `N passed, M failed`.

use fastmcp_tests::{ServerProcess, example_bin, passed_failed, required_env, run_with_timeout, workspace_root};
use std::process::Command;
use std::time::Duration;

#[derive(Clone, Copy)]
enum Client {
    TypeScript,
    Python,
}

fn client_command(client: Client) -> Command {
    let scripts = workspace_root().join("tests/clients");
    match client {
        Client::TypeScript => {
            let mut c = Command::new(required_env("FASTMCP_TEST_NODE"));
            c.arg(scripts.join("ts_client.mjs"));
            c.env("NODE_PATH", required_env("FASTMCP_TEST_NODE_MODULES"));
            c
        }
        Client::Python => {
            let mut c = Command::new(required_env("FASTMCP_TEST_PYTHON"));
            c.arg(scripts.join("py_client.py"));
            c
        }
    }
}

fn check(client: Client, transport: &str, scenario: &str) {
    let bin = example_bin(scenario);
    let mut cmd = client_command(client);
    cmd.args(["--transport", transport, "--scenario", scenario]);
    let server = (transport != "stdio").then(|| ServerProcess::start_http(&bin, &[], &[]));
    match &server {
        Some(s) => {
            let url = if transport == "sse" { s.sse_url() } else { s.mcp_url() };
            cmd.args(["--url", &url]);
        }
        None => {
            cmd.arg("--command").arg(&bin).args(["--arg", "--transport", "--arg", "stdio"]);
        }
    }
    let out = run_with_timeout(&mut cmd, Duration::from_secs(180));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let server_log = server.as_ref().map(ServerProcess::stderr).unwrap_or_default();
    let (passed, failed) = passed_failed(&stdout).unwrap_or_else(|| {
        panic!("no summary line from the client\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver:\n{server_log}")
    });
    println!("{stdout}");
    assert!(
        out.status.success() && failed == 0 && passed > 0,
        "{passed} passed, {failed} failed\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver:\n{server_log}"
    );
}

#[test]
fn typescript_sdk_hello_over_streamable_http() {
    check(Client::TypeScript, "http", "hello");
}
#[test]
fn typescript_sdk_hello_over_legacy_sse() {
    check(Client::TypeScript, "sse", "hello");
}
#[test]
fn typescript_sdk_hello_over_stdio() {
    check(Client::TypeScript, "stdio", "hello");
}
#[test]
fn typescript_sdk_everything_over_streamable_http() {
    check(Client::TypeScript, "http", "everything");
}
#[test]
fn typescript_sdk_everything_over_legacy_sse() {
    check(Client::TypeScript, "sse", "everything");
}
#[test]
fn typescript_sdk_everything_over_stdio() {
    check(Client::TypeScript, "stdio", "everything");
}
#[test]
fn python_sdk_hello_over_streamable_http() {
    check(Client::Python, "http", "hello");
}
#[test]
fn python_sdk_hello_over_legacy_sse() {
    check(Client::Python, "sse", "hello");
}
#[test]
fn python_sdk_hello_over_stdio() {
    check(Client::Python, "stdio", "hello");
}
#[test]
fn python_sdk_everything_over_streamable_http() {
    check(Client::Python, "http", "everything");
}
#[test]
fn python_sdk_everything_over_legacy_sse() {
    check(Client::Python, "sse", "everything");
}
#[test]
fn python_sdk_everything_over_stdio() {
    check(Client::Python, "stdio", "everything");
}
