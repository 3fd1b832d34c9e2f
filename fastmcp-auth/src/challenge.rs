//! [`Challenge`]: the `WWW-Authenticate: Bearer ...` header (RFC 6750 §3, RFC 9728 §5.1).

use crate::ScopeSet;
use std::fmt::Write;

/// A Bearer challenge.
///
/// ```
/// use fastmcp_auth::{Challenge, ScopeSet};
/// let c = Challenge::insufficient_scope(ScopeSet::parse("notes:read notes:write"))
///     .resource_metadata("https://notes.example.com/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     c.to_string(),
///     r#"Bearer error="insufficient_scope", scope="notes:read notes:write", resource_metadata="https://notes.example.com/.well-known/oauth-protected-resource/mcp""#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Challenge {
    error: Option<&'static str>,
    description: Option<String>,
    scope: Option<ScopeSet>,
    resource_metadata: Option<String>,
}

impl Challenge {
    /// No credentials were sent: no `error` parameter (RFC 6750 §3.1).
    pub fn missing_token() -> Self {
        Challenge::default()
    }
    /// The token is bad.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Challenge { error: Some("invalid_token"), description: Some(description.into()), ..Challenge::default() }
    }
    /// The request is malformed (e.g. a token in the query string).
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Challenge { error: Some("invalid_request"), description: Some(description.into()), ..Challenge::default() }
    }
    /// The token lacks scopes; `scope` lists what a new token should carry.
    pub fn insufficient_scope(scope: ScopeSet) -> Self {
        Challenge { error: Some("insufficient_scope"), scope: Some(scope), ..Challenge::default() }
    }
    /// Sets the scopes to request.
    pub fn scope(mut self, scope: ScopeSet) -> Self {
        if !scope.is_empty() {
            self.scope = Some(scope);
        }
        self
    }
    /// Sets the RFC 9728 metadata URL.
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }
}

fn quoted(out: &mut String, name: &str, value: &str) {
    if !out.ends_with("Bearer") {
        out.push(',');
    }
    let _ = write!(out, " {name}=\"");
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl std::fmt::Display for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::from("Bearer");
        if let Some(e) = self.error {
            quoted(&mut out, "error", e);
        }
        if let Some(d) = &self.description {
            quoted(&mut out, "error_description", d);
        }
        if let Some(s) = &self.scope {
            quoted(&mut out, "scope", &s.to_string());
        }
        if let Some(m) = &self.resource_metadata {
            quoted(&mut out, "resource_metadata", m);
        }
        f.write_str(&out)
    }
}
