//! URL rules shared with the macros' compile-time checks (see `fastmcp-auth-schema`).

use crate::ConfigError;
pub use fastmcp_auth_schema::{is_loopback_host, validate_url};

/// An endpoint we fetch from (JWKS, introspection) or advertise: `https`, or `http` only to a
/// loopback host; the error names the option.
pub fn check_fetch_url(url: &str, option: &str) -> Result<(), ConfigError> {
    validate_url(url).map_err(|e| ConfigError::new(format!("{option}: {e}")))
}
