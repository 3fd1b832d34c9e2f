//! The one table of auth providers and their options, and the rules their values follow.
//!
//! Both `fastmcp-macros` (to reject a misconfigured `#[mcp_server(auth = ...)]` at compile
//! time) and `fastmcp-auth` (to read `FASTMCP_SERVER_AUTH_*` variables and check values at
//! start-up) use this crate, so the two can never disagree.

#![warn(missing_docs)]

/// How an option's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    Str,
    /// An absolute URL (https, or http to loopback).
    Url,
    /// A list of strings (`[...]` in the macro, comma-separated in the environment).
    List,
    /// A list of URLs.
    UrlList,
    /// A list of OAuth scopes.
    Scopes,
    /// A secret: only `env("VAR")` in the macro, never a literal.
    Secret,
    /// `true` / `false`.
    Bool,
    /// A non-negative integer.
    Int,
    /// A nested JWT verifier configuration (`verifier = jwt(...)` of `remote`).
    Verifier,
}

/// One option of a provider.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    /// Name in the macro and builder (`jwks_uri`).
    pub name: &'static str,
    /// Environment variable (`FASTMCP_SERVER_AUTH_JWT_JWKS_URI`).
    pub env: &'static str,
    /// Value kind.
    pub kind: Kind,
}

/// One provider.
#[derive(Clone, Copy, Debug)]
pub struct ProviderSpec {
    /// Name in the macro and `FASTMCP_SERVER_AUTH` (`jwt`).
    pub name: &'static str,
    /// What it is, for messages and docs.
    pub summary: &'static str,
    /// Its options.
    pub options: &'static [OptionSpec],
}

impl ProviderSpec {
    /// The option called `name`.
    pub fn option(&self, name: &str) -> Option<&'static OptionSpec> {
        self.options.iter().find(|o| o.name == name)
    }
}

macro_rules! opt {
    ($name:literal, $env:expr, $kind:ident) => {
        OptionSpec { name: $name, env: concat!("FASTMCP_SERVER_AUTH_", $env), kind: Kind::$kind }
    };
}

const JWT: &[OptionSpec] = &[
    opt!("jwks_uri", "JWT_JWKS_URI", Url),
    opt!("public_key", "JWT_PUBLIC_KEY", Str),
    opt!("secret", "JWT_SECRET", Secret),
    opt!("issuer", "JWT_ISSUER", List),
    opt!("audience", "JWT_AUDIENCE", List),
    opt!("algorithm", "JWT_ALGORITHM", List),
    opt!("required_scopes", "JWT_REQUIRED_SCOPES", Scopes),
    opt!("scopes_supported", "JWT_SCOPES_SUPPORTED", Scopes),
    opt!("leeway", "JWT_LEEWAY", Int),
    opt!("require_at_jwt", "JWT_REQUIRE_AT_JWT", Bool),
    opt!("scope_claim", "JWT_SCOPE_CLAIM", Str),
];

const REMOTE: &[OptionSpec] = &[
    opt!("verifier", "JWT", Verifier),
    opt!("authorization_servers", "REMOTE_AUTHORIZATION_SERVERS", UrlList),
    opt!("scopes_supported", "REMOTE_SCOPES_SUPPORTED", Scopes),
    opt!("required_scopes", "REMOTE_REQUIRED_SCOPES", Scopes),
    opt!("resource_name", "REMOTE_RESOURCE_NAME", Str),
    opt!("resource_documentation", "REMOTE_RESOURCE_DOCUMENTATION", Url),
];

const API_KEYS: &[OptionSpec] = &[
    opt!("keys", "API_KEYS_KEYS", Secret),
    opt!("keys_file", "API_KEYS_KEYS_FILE", Str),
    opt!("required_scopes", "API_KEYS_REQUIRED_SCOPES", Scopes),
];

const INTROSPECTION: &[OptionSpec] = &[
    opt!("introspection_url", "INTROSPECTION_URL", Url),
    opt!("client_id", "INTROSPECTION_CLIENT_ID", Str),
    opt!("client_secret", "INTROSPECTION_CLIENT_SECRET", Secret),
    opt!("auth_method", "INTROSPECTION_AUTH_METHOD", Str),
    opt!("audience", "INTROSPECTION_AUDIENCE", List),
    opt!("required_scopes", "INTROSPECTION_REQUIRED_SCOPES", Scopes),
    opt!("cache_ttl", "INTROSPECTION_CACHE_TTL", Int),
];

const OAUTH: &[OptionSpec] = &[
    opt!("issuer", "OAUTH_ISSUER", Url),
    opt!("store", "OAUTH_STORE", Str),
    opt!("scopes_supported", "OAUTH_SCOPES_SUPPORTED", Scopes),
    opt!("required_scopes", "OAUTH_REQUIRED_SCOPES", Scopes),
    opt!("access_token_ttl", "OAUTH_ACCESS_TOKEN_TTL", Str),
    opt!("refresh_token_ttl", "OAUTH_REFRESH_TOKEN_TTL", Str),
    opt!("auto_approve", "OAUTH_AUTO_APPROVE", Bool),
    opt!("users", "OAUTH_USERS", Secret),
    opt!("registration", "OAUTH_REGISTRATION", Str),
    opt!("registration_token", "OAUTH_REGISTRATION_TOKEN", Secret),
    opt!("remember_consent", "OAUTH_REMEMBER_CONSENT", Bool),
    opt!("cimd_allow_private", "OAUTH_CIMD_ALLOW_PRIVATE", Bool),
    opt!("resource_name", "OAUTH_RESOURCE_NAME", Str),
];

macro_rules! preset {
    ($p:literal, [$($extra:expr),* $(,)?]) => {
        &[
            $($extra,)*
            opt!("audience", concat!($p, "_AUDIENCE"), List),
            opt!("required_scopes", concat!($p, "_REQUIRED_SCOPES"), Scopes),
            opt!("scopes_supported", concat!($p, "_SCOPES_SUPPORTED"), Scopes),
            opt!("resource_name", concat!($p, "_RESOURCE_NAME"), Str),
            opt!("resource_documentation", concat!($p, "_RESOURCE_DOCUMENTATION"), Url),
        ]
    };
}

/// Every provider, in the order documentation lists them.
pub const PROVIDERS: &[ProviderSpec] = &[
    ProviderSpec { name: "api_keys", summary: "static API keys", options: API_KEYS },
    ProviderSpec { name: "jwt", summary: "JWT access tokens (JWKS URL, public key or HMAC secret)", options: JWT },
    ProviderSpec {
        name: "introspection",
        summary: "opaque tokens checked by RFC 7662 introspection",
        options: INTROSPECTION,
    },
    ProviderSpec {
        name: "remote",
        summary: "tokens from an external authorization server advertised via RFC 9728",
        options: REMOTE,
    },
    ProviderSpec { name: "oauth", summary: "the built-in OAuth 2.1 authorization server", options: OAUTH },
    ProviderSpec {
        name: "authkit",
        summary: "WorkOS AuthKit",
        options: preset!("AUTHKIT", [opt!("domain", "AUTHKIT_DOMAIN", Str)]),
    },
    ProviderSpec { name: "auth0", summary: "Auth0", options: preset!("AUTH0", [opt!("domain", "AUTH0_DOMAIN", Str)]) },
    ProviderSpec {
        name: "keycloak",
        summary: "Keycloak realm",
        options: preset!("KEYCLOAK", [opt!("realm_url", "KEYCLOAK_REALM_URL", Url)]),
    },
    ProviderSpec {
        name: "entra",
        summary: "Microsoft Entra ID",
        options: preset!(
            "ENTRA",
            [opt!("tenant_id", "ENTRA_TENANT_ID", Str), opt!("client_id", "ENTRA_CLIENT_ID", Str)]
        ),
    },
    ProviderSpec {
        name: "supabase",
        summary: "Supabase Auth",
        options: preset!("SUPABASE", [opt!("project_url", "SUPABASE_PROJECT_URL", Url)]),
    },
    ProviderSpec {
        name: "descope",
        summary: "Descope",
        options: preset!(
            "DESCOPE",
            [opt!("project_id", "DESCOPE_PROJECT_ID", Str), opt!("base_url", "DESCOPE_BASE_URL", Url)]
        ),
    },
    ProviderSpec {
        name: "scalekit",
        summary: "Scalekit",
        options: preset!(
            "SCALEKIT",
            [
                opt!("environment_url", "SCALEKIT_ENVIRONMENT_URL", Url),
                opt!("resource_id", "SCALEKIT_RESOURCE_ID", Str)
            ]
        ),
    },
    ProviderSpec {
        name: "google",
        summary: "Google-issued ID tokens",
        options: preset!("GOOGLE", [opt!("client_id", "GOOGLE_CLIENT_ID", Str)]),
    },
];

/// Providers that are not a list of options: `env` (everything from the environment, optional
/// `default = <provider>`), `custom(path::to::fn)` and `none`.
pub const SPECIAL_PROVIDERS: &[&str] = &["env", "custom", "none"];

/// The variable that selects a provider at start-up.
pub const PROVIDER_VAR: &str = "FASTMCP_SERVER_AUTH";
/// The server's public base URL (default `http://HOST:PORT`).
pub const BASE_URL_VAR: &str = "FASTMCP_SERVER_BASE_URL";

/// The provider called `name`.
pub fn provider(name: &str) -> Option<&'static ProviderSpec> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// Options that must be present for a provider, as groups of which at least one is needed.
pub fn required(provider: &str) -> &'static [&'static [&'static str]] {
    match provider {
        "jwt" => &[&["jwks_uri", "public_key", "secret"], &["audience"]],
        "remote" => &[&["verifier"], &["authorization_servers"]],
        "api_keys" => &[&["keys", "keys_file"]],
        "introspection" => &[&["introspection_url"], &["client_id"], &["client_secret"]],
        "authkit" | "auth0" => &[&["domain"]],
        "keycloak" => &[&["realm_url"]],
        "entra" => &[&["tenant_id"], &["client_id"]],
        "supabase" => &[&["project_url"]],
        "descope" => &[&["project_id"]],
        "scalekit" => &[&["environment_url"], &["resource_id"]],
        "google" => &[&["client_id"]],
        _ => &[],
    }
}

/// Pairs of options that cannot be used together, with the reason.
pub const CONFLICTS: &[(&str, &str, &str)] = &[
    ("jwks_uri", "public_key", "choose one key source: a JWKS URL or a static public key"),
    ("jwks_uri", "secret", "an HMAC secret cannot be combined with a JWKS URL (algorithm confusion)"),
    ("public_key", "secret", "an HMAC secret cannot be combined with a public key (algorithm confusion)"),
    ("keys", "keys_file", "choose one: keys from a variable or from a file"),
];

/// The closest of `candidates` to `word`, if close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Checks one scope token against RFC 6749 §3.3: printable ASCII except space, `"` and `\`.
///
/// ```
/// use fastmcp_auth_schema::validate_scope;
/// assert!(validate_scope("notes:read").is_ok());
/// assert!(validate_scope("two words").is_err());
/// assert!(validate_scope("").is_err());
/// ```
pub fn validate_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err("a scope cannot be empty".into());
    }
    match scope.chars().find(|&c| !matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')) {
        None => Ok(()),
        Some(' ') => Err(format!("scope `{scope}` contains a space; list scopes separately: [\"a\", \"b\"]")),
        Some(c) => Err(format!(
            "scope `{}` contains {c:?}, which RFC 6749 §3.3 forbids (use printable ASCII except space, `\"` and `\\`)",
            scope.escape_debug()
        )),
    }
}

/// True for `localhost`, `127.x.x.x` and `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost"
        || h == "[::1]"
        || h == "::1"
        || (h.starts_with("127.") && h.split('.').count() == 4 && h.split('.').all(|p| p.parse::<u8>().is_ok()))
}

/// Checks a URL we fetch from or advertise: absolute, no user info, `https` — or `http` only
/// to a loopback host.
///
/// ```
/// use fastmcp_auth_schema::validate_url;
/// assert!(validate_url("https://auth.example.com/jwks").is_ok());
/// assert!(validate_url("http://127.0.0.1:9000/jwks").is_ok());
/// assert!(validate_url("http://auth.example.com/jwks").is_err());
/// assert!(validate_url("/jwks").is_err());
/// ```
pub fn validate_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not an absolute URL; write it as https://host/path"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(format!("`{url}` must not contain user information (`user@`)"));
    }
    if url.contains('#') {
        return Err(format!("`{url}` must not contain a fragment"));
    }
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    match scheme {
        "https" => Ok(()),
        "http" if is_loopback_host(host) => Ok(()),
        "http" => Err(format!(
            "`{url}` uses plain http to a non-loopback host; use https (http is allowed only for localhost/127.0.0.1)"
        )),
        other => Err(format!("`{url}` has scheme `{other}`; use https")),
    }
}

/// Options a value must not be a literal for: secrets come only from the environment or files.
pub fn is_secret(kind: Kind) -> bool {
    kind == Kind::Secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_unique_per_provider_and_prefixed() {
        for p in PROVIDERS {
            for o in p.options {
                assert!(o.env.starts_with("FASTMCP_SERVER_AUTH_"), "{}", o.env);
            }
            let mut names: Vec<_> = p.options.iter().map(|o| o.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), p.options.len(), "duplicate option in {}", p.name);
            for group in required(p.name) {
                for name in *group {
                    assert!(p.option(name).is_some(), "{} requires unknown option {name}", p.name);
                }
            }
        }
    }

    #[test]
    fn python_fastmcp_jwt_names_are_kept() {
        let jwt = provider("jwt").unwrap();
        for (o, env) in [
            ("jwks_uri", "FASTMCP_SERVER_AUTH_JWT_JWKS_URI"),
            ("public_key", "FASTMCP_SERVER_AUTH_JWT_PUBLIC_KEY"),
            ("issuer", "FASTMCP_SERVER_AUTH_JWT_ISSUER"),
            ("audience", "FASTMCP_SERVER_AUTH_JWT_AUDIENCE"),
            ("algorithm", "FASTMCP_SERVER_AUTH_JWT_ALGORITHM"),
            ("required_scopes", "FASTMCP_SERVER_AUTH_JWT_REQUIRED_SCOPES"),
        ] {
            assert_eq!(jwt.option(o).unwrap().env, env);
        }
    }

    #[test]
    fn scopes_and_urls() {
        for bad in ["", "a b", "a\"b", "a\\b", "a\u{7}b", "é"] {
            assert!(validate_scope(bad).is_err(), "{bad:?}");
        }
        assert!(validate_url("http://localhost:3000/x").is_ok());
        assert!(validate_url("http://127.0.0.1@evil.example/").is_err());
        assert!(validate_url("http://127.0.0.1.evil.example/").is_err());
        assert!(validate_url("ftp://x.example").is_err());
    }
}

#[cfg(test)]
mod docs {
    /// docs/auth.md must list every variable of the table.
    #[test]
    fn every_variable_is_documented() {
        let doc = include_str!("../../docs/auth.md");
        for p in super::PROVIDERS {
            for o in p.options {
                if o.kind != super::Kind::Verifier {
                    assert!(doc.contains(&format!("`{}`", o.env)), "docs/auth.md lacks {}", o.env);
                }
            }
        }
    }
}
