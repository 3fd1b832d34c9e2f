//! URL rules shared with the macros' compile-time checks (see `fastmcp-auth-schema`).

use crate::ConfigError;
pub use fastmcp_auth_schema::{is_loopback_host, validate_url};

/// An endpoint we fetch from (JWKS, introspection) or advertise: `https`, or `http` only to a
/// loopback host; the error names the option.
pub fn check_fetch_url(url: &str, option: &str) -> Result<(), ConfigError> {
    validate_url(url).map_err(|e| ConfigError::new(format!("{option}: {e}")))
}

/// `(scheme, host)` of an absolute URL (host without port; IPv6 in brackets).
pub fn scheme_and_host(url: &str) -> Result<(&str, &str), String> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| format!("`{url}` is not an absolute URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    Ok((scheme, host))
}
