//! The outbound HTTP client used for JWKS and introspection: no redirects, a timeout, and a
//! cap on response size.

use std::time::Duration;

/// Limits for outbound requests.
#[derive(Clone, Debug)]
pub struct FetchLimits {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest accepted response body.
    pub max_bytes: usize,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits { timeout: Duration::from_secs(5), max_bytes: 256 * 1024 }
    }
}

/// Builds a client that never follows redirects.
pub(crate) fn client(limits: &FetchLimits) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(limits.timeout)
        .connect_timeout(limits.timeout)
        .user_agent(concat!("fastmcp-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Reads a body, failing once it exceeds `max_bytes`.
pub(crate) async fn read_capped(mut response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|n| n as usize > max_bytes) {
        return Err(format!("response larger than {max_bytes} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("reading response: {e}"))? {
        if body.len() + chunk.len() > max_bytes {
            return Err(format!("response larger than {max_bytes} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
