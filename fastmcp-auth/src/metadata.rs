//! [`ResourceMetadata`]: OAuth 2.0 Protected Resource Metadata (RFC 9728).

use serde::{Deserialize, Serialize};

/// The document served at `/.well-known/oauth-protected-resource[/path]`, telling clients
/// which authorization servers issue tokens for this resource.
///
/// ```
/// use fastmcp_auth::ResourceMetadata;
/// let m = ResourceMetadata::new("https://notes.example.com/mcp", vec!["https://auth.example.com".into()]);
/// assert_eq!(m.metadata_url(), "https://notes.example.com/.well-known/oauth-protected-resource/mcp");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceMetadata {
    /// The protected resource's identifier: the canonical URL of the MCP endpoint.
    pub resource: String,
    /// Issuers of tokens for this resource.
    pub authorization_servers: Vec<String>,
    /// Scopes clients may request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// How tokens may be sent: only the `Authorization` header.
    pub bearer_methods_supported: Vec<String>,
    /// Human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Documentation URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
}

impl ResourceMetadata {
    /// Metadata for `resource` served by `authorization_servers`.
    pub fn new(resource: impl Into<String>, authorization_servers: Vec<String>) -> Self {
        ResourceMetadata {
            resource: resource.into(),
            authorization_servers,
            scopes_supported: Vec::new(),
            bearer_methods_supported: vec!["header".into()],
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// The path-inserted metadata URL of RFC 9728 §3.1: `https://host/.well-known/oauth-protected-resource/<path>`.
    pub fn metadata_url(&self) -> String {
        let (origin, path) = split_origin(&self.resource);
        format!("{origin}/.well-known/oauth-protected-resource{}", path.trim_end_matches('/'))
    }

    /// The paths (on the resource's host) at which the document is served: the path-inserted
    /// form and the root form.
    pub fn well_known_paths(&self) -> Vec<String> {
        let (_, path) = split_origin(&self.resource);
        let path = path.trim_end_matches('/');
        let mut paths = vec!["/.well-known/oauth-protected-resource".to_owned()];
        if !path.is_empty() {
            paths.insert(0, format!("/.well-known/oauth-protected-resource{path}"));
        }
        paths
    }
}

/// `("https://host:port", "/path")` of an absolute URL.
pub fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, ""),
    }
}
