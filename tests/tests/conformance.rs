//! The official MCP conformance suite (`@modelcontextprotocol/conformance`) against
//! `examples/everything` over Streamable HTTP: the released 0.1.16 active suite, and the
//! 0.2.0-alpha line's active suite (adds session lifecycle and wire-schema validation of every
//! message the server sends).

use fastmcp_tests::{ServerProcess, example_bin, passed_failed, required_env, run_with_timeout};
use std::process::Command;
use std::time::Duration;

fn run_suite(entry: &std::path::Path, extra: &[&str]) -> (u32, u32, String) {
    let server = ServerProcess::start_http(&example_bin("everything"), &[], &[]);
    let node = required_env("FASTMCP_TEST_NODE");
    let mut cmd = Command::new(node);
    cmd.arg(entry).args(["server", "--url", &server.mcp_url()]).args(extra);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(600));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (passed, failed) = passed_failed(&stdout)
        .unwrap_or_else(|| panic!("no `Total:` line from the conformance suite\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    println!("{stdout}");
    assert!(
        out.status.success() && failed == 0,
        "conformance suite failed ({passed} passed, {failed} failed)\n{stdout}\nserver log:\n{}",
        server.stderr()
    );
    (passed, failed, stdout)
}

#[test]
fn conformance_0_1_16_active_suite_passes() {
    let modules = required_env("FASTMCP_TEST_NODE_MODULES");
    let entry = modules.join("@modelcontextprotocol/conformance/dist/index.js");
    let (passed, _, out) = run_suite(&entry, &["--suite", "active"]);
    // 30 scenarios; every scenario must have reported success.
    assert!(passed >= 39, "expected at least 39 passing checks, got {passed}\n{out}");
    assert_eq!(out.matches("✓ ").count(), 30, "expected 30 passing scenarios\n{out}");
}

#[test]
fn conformance_alpha_active_suite_passes() {
    let entry = required_env("FASTMCP_TEST_CONFORMANCE_ALPHA");
    let (passed, _, out) = run_suite(&entry, &[]);
    assert!(out.contains("server-session-lifecycle"), "the alpha suite should include session lifecycle\n{out}");
    assert!(passed >= 72, "expected at least 72 passing checks, got {passed}\n{out}");
}

#[test]
fn conformance_alpha_2025_11_25_requirements_pass() {
    let entry = required_env("FASTMCP_TEST_CONFORMANCE_ALPHA");
    let (_, _, out) = run_suite(&entry, &["--requirements", "2025-11-25"]);
    assert!(out.contains("json-schema-2020-12"), "{out}");
}
