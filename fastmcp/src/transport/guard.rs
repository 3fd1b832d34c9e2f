//! DNS-rebinding protection: `Host` and `Origin` checked against allow-lists.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Which `Host` / `Origin` values the HTTP transports accept.
///
/// The default, [`HostPolicy::Loopback`], accepts only `localhost`, `127.0.0.1` and `[::1]`
/// (any port) — right for a server bound to loopback, where a malicious web page could
/// otherwise reach it through DNS rebinding.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum HostPolicy {
    /// Only loopback host names, any port; `Origin`, when sent, must be a loopback origin.
    #[default]
    Loopback,
    /// Exactly these hosts (`host` or `host:port`; a bare host allows any port) and origins
    /// (`scheme://host[:port]`). An `Origin` header, when sent, must be listed.
    List {
        /// Allowed `Host` values.
        hosts: Vec<String>,
        /// Allowed `Origin` values.
        origins: Vec<String>,
    },
    /// No `Host` check; an `Origin`, when sent, must name the same host as `Host`.
    /// For servers behind a reverse proxy that checks hosts itself.
    SameOrigin,
}

fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        // [v6]:port
        if let Some(end) = rest.find(']') {
            let host = &authority[..end + 2];
            let port = authority[end + 2..].strip_prefix(':');
            return (host, port);
        }
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p)),
        _ => (authority, None),
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost" || host == "[::1]" || host.starts_with("127.") && host.split('.').count() == 4
}

fn origin_authority(origin: &str) -> Option<&str> {
    let (scheme, rest) = origin.split_once("://")?;
    (scheme == "http" || scheme == "https").then_some(rest.trim_end_matches('/'))
}

impl HostPolicy {
    /// Returns the reason for rejecting these headers, or `None` when they are acceptable.
    pub fn check(&self, headers: &HeaderMap) -> Option<String> {
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        let origin = headers.get(ORIGIN).and_then(|h| h.to_str().ok());
        match self {
            HostPolicy::Loopback => {
                match host {
                    Some(h) if is_loopback_host(split_host_port(h).0) => {}
                    Some(h) => {
                        return Some(format!("Host `{h}` is not allowed (this server accepts loopback hosts only)"));
                    }
                    None => return Some("missing Host header".into()),
                }
                if let Some(o) = origin
                    && !origin_authority(o).is_some_and(|a| is_loopback_host(split_host_port(a).0))
                {
                    return Some(format!("Origin `{o}` is not allowed"));
                }
                None
            }
            HostPolicy::List { hosts, origins } => {
                let h = host.unwrap_or_default();
                let (bare, _) = split_host_port(h);
                let ok = hosts.iter().any(|allowed| {
                    allowed.eq_ignore_ascii_case(h)
                        || (split_host_port(allowed).1.is_none() && allowed.eq_ignore_ascii_case(bare))
                });
                if !ok {
                    return Some(format!("Host `{h}` is not allowed"));
                }
                if let Some(o) = origin
                    && !origins.iter().any(|a| a.eq_ignore_ascii_case(o.trim_end_matches('/')))
                {
                    return Some(format!("Origin `{o}` is not allowed"));
                }
                None
            }
            HostPolicy::SameOrigin => match (origin, host) {
                (Some(o), Some(h)) if origin_authority(o).is_some_and(|a| a.eq_ignore_ascii_case(h)) => None,
                (Some(o), _) => Some(format!("Origin `{o}` is not allowed")),
                (None, _) => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(HOST, HeaderValue::from_str(v).unwrap());
        }
        if let Some(v) = origin {
            h.insert(ORIGIN, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn loopback_policy() {
        let p = HostPolicy::Loopback;
        assert!(p.check(&headers(Some("127.0.0.1:8000"), None)).is_none());
        assert!(p.check(&headers(Some("localhost"), Some("http://localhost:3000"))).is_none());
        assert!(p.check(&headers(Some("[::1]:9"), None)).is_none());
        assert!(p.check(&headers(Some("evil.example:8000"), None)).is_some());
        assert!(p.check(&headers(Some("127.0.0.1.evil.example"), None)).is_some());
        assert!(p.check(&headers(Some("localhost:8000"), Some("https://evil.example"))).is_some());
        assert!(p.check(&headers(None, None)).is_some());
    }

    #[test]
    fn list_policy() {
        let p =
            HostPolicy::List { hosts: vec!["mcp.example.com".into()], origins: vec!["https://app.example.com".into()] };
        assert!(p.check(&headers(Some("mcp.example.com:443"), None)).is_none());
        assert!(p.check(&headers(Some("mcp.example.com"), Some("https://app.example.com"))).is_none());
        assert!(p.check(&headers(Some("mcp.example.com"), Some("https://evil.example"))).is_some());
        assert!(p.check(&headers(Some("other.example.com"), None)).is_some());
    }

    #[test]
    fn same_origin_policy() {
        let p = HostPolicy::SameOrigin;
        assert!(p.check(&headers(Some("a.example"), None)).is_none());
        assert!(p.check(&headers(Some("a.example"), Some("https://a.example"))).is_none());
        assert!(p.check(&headers(Some("a.example"), Some("https://b.example"))).is_some());
    }
}
