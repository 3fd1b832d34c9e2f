//! URL presets for common identity providers. Each only fills in the issuer, JWKS URL,
//! authorization server and default audience of a [`RemoteAuthProvider`]; verification is the
//! same [`JwtVerifier`] as everywhere.

use crate::{ConfigError, JwtVerifier, RemoteAuthProvider, ScopeSet};

/// Where an identity provider's tokens come from and whom they are for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetUrls {
    /// Expected `iss`.
    pub issuer: String,
    /// Where the signing keys are published.
    pub jwks_uri: String,
    /// The authorization server advertised in RFC 9728 metadata.
    pub authorization_server: String,
    /// Expected `aud`; `None` means the MCP resource URL itself (RFC 8707 resource binding).
    pub audience: Option<String>,
}

fn origin(domain: &str) -> String {
    let d = domain.trim().trim_end_matches('/');
    if d.contains("://") { d.to_owned() } else { format!("https://{d}") }
}

/// WorkOS AuthKit: `domain` such as `acme.authkit.app`. Tokens are bound to the MCP resource URL.
///
/// ```
/// let p = fastmcp_auth::presets::authkit("acme.authkit.app");
/// assert_eq!(p.issuer, "https://acme.authkit.app");
/// assert_eq!(p.jwks_uri, "https://acme.authkit.app/oauth2/jwks");
/// assert_eq!(p.authorization_server, "https://acme.authkit.app");
/// assert_eq!(p.audience, None);
/// ```
pub fn authkit(domain: &str) -> PresetUrls {
    let o = origin(domain);
    PresetUrls { jwks_uri: format!("{o}/oauth2/jwks"), authorization_server: o.clone(), issuer: o, audience: None }
}

/// Auth0: tenant `domain` such as `acme.us.auth0.com`; the issuer ends with `/`. `aud` is the
/// API identifier (by default the MCP resource URL).
pub fn auth0(domain: &str) -> PresetUrls {
    let o = origin(domain);
    PresetUrls {
        issuer: format!("{o}/"),
        jwks_uri: format!("{o}/.well-known/jwks.json"),
        authorization_server: format!("{o}/"),
        audience: None,
    }
}

/// Keycloak: the realm URL, e.g. `https://kc.example.com/realms/acme`.
pub fn keycloak(realm_url: &str) -> PresetUrls {
    let r = realm_url.trim_end_matches('/').to_owned();
    PresetUrls {
        jwks_uri: format!("{r}/protocol/openid-connect/certs"),
        authorization_server: r.clone(),
        issuer: r,
        audience: None,
    }
}

/// Microsoft Entra ID (v2.0 tokens): tenant id and the API's application (client) id, which
/// is the audience.
pub fn entra(tenant_id: &str, client_id: &str) -> PresetUrls {
    let base = format!("https://login.microsoftonline.com/{}", tenant_id.trim());
    PresetUrls {
        issuer: format!("{base}/v2.0"),
        jwks_uri: format!("{base}/discovery/v2.0/keys"),
        authorization_server: format!("{base}/v2.0"),
        audience: Some(client_id.trim().to_owned()),
    }
}

/// Supabase Auth: project URL such as `https://abc123.supabase.co`; `aud` is `authenticated`.
pub fn supabase(project_url: &str) -> PresetUrls {
    let auth = format!("{}/auth/v1", project_url.trim_end_matches('/'));
    PresetUrls {
        jwks_uri: format!("{auth}/.well-known/jwks.json"),
        authorization_server: auth.clone(),
        issuer: auth,
        audience: Some("authenticated".into()),
    }
}

/// Descope: project id, optionally another API base URL (default `https://api.descope.com`).
pub fn descope(project_id: &str, base_url: Option<&str>) -> PresetUrls {
    let base = base_url.unwrap_or("https://api.descope.com").trim_end_matches('/');
    let issuer = format!("{base}/v1/apps/{project_id}");
    PresetUrls {
        jwks_uri: format!("{base}/{project_id}/.well-known/jwks.json"),
        authorization_server: issuer.clone(),
        issuer,
        audience: Some(project_id.to_owned()),
    }
}

/// Scalekit: environment URL and the resource id registered for this MCP server.
pub fn scalekit(environment_url: &str, resource_id: &str) -> PresetUrls {
    let e = environment_url.trim_end_matches('/').to_owned();
    PresetUrls {
        jwks_uri: format!("{e}/keys"),
        authorization_server: format!("{e}/resources/{resource_id}"),
        issuer: e,
        audience: Some(resource_id.to_owned()),
    }
}

/// Google-issued ID tokens for an OAuth client id.
pub fn google(client_id: &str) -> PresetUrls {
    PresetUrls {
        issuer: "https://accounts.google.com".into(),
        jwks_uri: "https://www.googleapis.com/oauth2/v3/certs".into(),
        authorization_server: "https://accounts.google.com".into(),
        audience: Some(client_id.to_owned()),
    }
}

impl PresetUrls {
    /// The provider for the MCP endpoint at `resource_url`.
    pub fn provider(
        &self,
        resource_url: &str,
        audience: Option<Vec<String>>,
        scopes_supported: ScopeSet,
    ) -> Result<RemoteAuthProvider, ConfigError> {
        let audiences =
            audience.unwrap_or_else(|| vec![self.audience.clone().unwrap_or_else(|| resource_url.to_owned())]);
        let mut b = JwtVerifier::builder().jwks_uri(&self.jwks_uri).issuer(&self.issuer);
        if self.issuer == "https://accounts.google.com" {
            b = b.issuer("accounts.google.com");
        }
        for a in audiences {
            b = b.audience(a);
        }
        Ok(RemoteAuthProvider::new(b.build()?, vec![self.authorization_server.clone()])
            .scopes_supported(scopes_supported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Formats as documented by each provider (see docs/auth.md for sources).
    #[test]
    fn documented_formats() {
        assert_eq!(authkit("https://acme.authkit.app/"), authkit("acme.authkit.app"));
        let a = auth0("acme.us.auth0.com");
        assert_eq!(a.issuer, "https://acme.us.auth0.com/");
        assert_eq!(a.jwks_uri, "https://acme.us.auth0.com/.well-known/jwks.json");
        let k = keycloak("https://kc.example.com/realms/acme/");
        assert_eq!(k.issuer, "https://kc.example.com/realms/acme");
        assert_eq!(k.jwks_uri, "https://kc.example.com/realms/acme/protocol/openid-connect/certs");
        let e = entra("72f988bf-86f1-41af-91ab-2d7cd011db47", "api-client");
        assert_eq!(e.issuer, "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0");
        assert_eq!(
            e.jwks_uri,
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys"
        );
        assert_eq!(e.audience.as_deref(), Some("api-client"));
        let s = supabase("https://abc123.supabase.co");
        assert_eq!(s.issuer, "https://abc123.supabase.co/auth/v1");
        assert_eq!(s.jwks_uri, "https://abc123.supabase.co/auth/v1/.well-known/jwks.json");
        assert_eq!(s.audience.as_deref(), Some("authenticated"));
        let d = descope("P2abc", None);
        assert_eq!(d.jwks_uri, "https://api.descope.com/P2abc/.well-known/jwks.json");
        assert_eq!(d.issuer, "https://api.descope.com/v1/apps/P2abc");
        let sk = scalekit("https://acme.scalekit.com", "res_123");
        assert_eq!(sk.jwks_uri, "https://acme.scalekit.com/keys");
        assert_eq!(sk.authorization_server, "https://acme.scalekit.com/resources/res_123");
        assert_eq!(sk.audience.as_deref(), Some("res_123"));
        let g = google("123.apps.googleusercontent.com");
        assert_eq!(g.jwks_uri, "https://www.googleapis.com/oauth2/v3/certs");
        assert_eq!(g.issuer, "https://accounts.google.com");
    }

    #[test]
    fn audience_defaults_to_the_resource() {
        use crate::AuthProvider;
        let p = authkit("acme.authkit.app").provider("https://notes.example.com/mcp", None, ScopeSet::new()).unwrap();
        let m = p.resource_metadata("https://notes.example.com/mcp").unwrap();
        assert_eq!(m.authorization_servers, ["https://acme.authkit.app"]);
    }
}
