//! URL rules shared by configuration checks (and mirrored at compile time by the macros).

use crate::ConfigError;

/// True for `localhost`, `127.x.x.x` and `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost" || h == "[::1]" || h == "::1" || (h.starts_with("127.") && h.split('.').count() == 4 && h.split('.').all(|p| p.parse::<u8>().is_ok()))
}

/// `(scheme, host)` of an absolute URL, or why it is not one.
pub fn scheme_and_host(url: &str) -> Result<(&str, &str), String> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| format!("`{url}` is not an absolute URL (expected https://host/...)"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(format!("`{url}` must not contain user information"));
    }
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok((scheme, host))
}

/// An endpoint we fetch from (JWKS, introspection) or advertise (issuer, resource): `https`,
/// or `http` only to a loopback host.
pub fn check_fetch_url(url: &str, option: &str) -> Result<(), ConfigError> {
    let (scheme, host) = scheme_and_host(url).map_err(|e| ConfigError::new(format!("{option}: {e}")))?;
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback_host(host) => Ok(()),
        "http" => Err(ConfigError::new(format!("{option}: `{url}` uses http to a non-loopback host; use https"))),
        other => Err(ConfigError::new(format!("{option}: `{url}` has unsupported scheme `{other}`; use https"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_fetch_url("https://auth.example.com/jwks", "x").is_ok());
        assert!(check_fetch_url("http://127.0.0.1:9000/jwks", "x").is_ok());
        assert!(check_fetch_url("http://localhost/jwks", "x").is_ok());
        assert!(check_fetch_url("http://auth.example.com/jwks", "x").is_err());
        assert!(check_fetch_url("auth.example.com/jwks", "x").is_err());
        assert!(check_fetch_url("ftp://auth.example.com", "x").is_err());
        assert!(check_fetch_url("http://127.0.0.1@evil.example/", "x").is_err());
        assert!(check_fetch_url("http://127.0.0.1.evil.example/", "x").is_err());
    }
}
