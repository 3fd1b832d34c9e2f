//! Redirect URI rules: what may be registered, and whether a requested URI matches.

use url::Url;

fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1") | Some("[::1]") | Some("::1") | Some("localhost"))
}

/// Checks a redirect URI for registration: `https`, or `http` to a loopback host; absolute, no
/// fragment, no user information.
pub fn validate(uri: &str) -> Result<Url, String> {
    let url = Url::parse(uri).map_err(|e| format!("`{uri}` is not a valid absolute URI: {e}"))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(format!("`{uri}` must not contain a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{uri}` must not contain user information"));
    }
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!("`{uri}` uses http to a non-loopback host; use https")),
        other => Err(format!("`{uri}` has scheme `{other}`; only https (or http to 127.0.0.1/localhost) is allowed")),
    }
}

/// True if `requested` matches a registered URI: exactly, or — for loopback redirect URIs —
/// with any port (RFC 8252 §7.3).
pub fn matches(registered: &[String], requested: &str) -> bool {
    if registered.iter().any(|r| r == requested) {
        return true;
    }
    let Ok(req) = Url::parse(requested) else { return false };
    if !is_loopback(&req) || req.scheme() != "http" {
        return false;
    }
    registered.iter().filter_map(|r| Url::parse(r).ok()).any(|reg| {
        is_loopback(&reg)
            && reg.scheme() == req.scheme()
            && reg.host_str() == req.host_str()
            && reg.path() == req.path()
            && reg.query() == req.query()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(validate("https://app.example.com/cb").is_ok());
        assert!(validate("http://127.0.0.1:3000/cb").is_ok());
        assert!(validate("http://localhost/cb").is_ok());
        for bad in [
            "http://app.example.com/cb",
            "https://app.example.com/cb#frag",
            "https://user:pw@app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "/relative",
            "https://",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_rules() {
        let reg = vec!["https://app.example.com/cb".to_owned(), "http://127.0.0.1:3000/callback".to_owned()];
        assert!(matches(&reg, "https://app.example.com/cb"));
        assert!(!matches(&reg, "https://app.example.com/cb/"));
        assert!(!matches(&reg, "https://app.example.com/cb?x=1"));
        assert!(!matches(&reg, "https://app.example.com.evil.test/cb"));
        assert!(matches(&reg, "http://127.0.0.1:51234/callback"), "loopback: any port");
        assert!(!matches(&reg, "http://127.0.0.1:51234/other"));
        assert!(!matches(&reg, "http://localhost:51234/callback"), "the host must match too");
    }
}
