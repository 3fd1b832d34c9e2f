//! [`ResourceDef`] and [`ResourceTemplateDef`]: readable data addressed by URI.

use crate::protocol::{Resource, ResourceContents, ResourceTemplate};
use crate::{Arguments, Context, McpError, UriTemplate};
use fastmcp_auth::ScopeSet;
use futures_util::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;

pub(crate) type ResourceHandler = Arc<
    dyn Fn(Context, String, Arguments) -> BoxFuture<'static, Result<Vec<ResourceContents>, McpError>> + Send + Sync,
>;

fn unset_handler() -> ResourceHandler {
    Arc::new(|_, uri, _| Box::pin(async move { Err(McpError::resource_not_found(&uri)) }))
}

/// A resource with a fixed URI.
///
/// ```
/// use fastmcp::{ResourceDef, ResourceContents};
/// let r = ResourceDef::new("config://app", "app-config")
///     .mime_type("application/json")
///     .handler(|_ctx, uri, _| async move { Ok(vec![ResourceContents::text(uri, None, "{}")]) });
/// assert_eq!(r.resource().uri, "config://app");
/// ```
#[derive(Clone)]
pub struct ResourceDef {
    pub(crate) resource: Resource,
    pub(crate) scopes: ScopeSet,
    pub(crate) handler: ResourceHandler,
}

impl ResourceDef {
    /// A resource at `uri` named `name`.
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceDef {
            resource: Resource { uri: uri.into(), name: name.into(), ..Resource::default() },
            scopes: ScopeSet::new(),
            handler: unset_handler(),
        }
    }
    /// Display title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.resource.title = Some(title.into());
        self
    }
    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.resource.description = Some(description.into());
        self
    }
    /// MIME type.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.resource.mime_type = Some(mime_type.into());
        self
    }
    /// Scopes a caller's token must hold to see and use this (checked only when the transport
    /// is authenticated).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The function run by `resources/read`; it receives the URI and no arguments.
    pub fn handler<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Context, String, Arguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<ResourceContents>, McpError>> + Send + 'static,
    {
        self.handler = Arc::new(move |ctx, uri, args| Box::pin(f(ctx, uri, args)));
        self
    }
    /// The listing.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }
}

/// A family of resources matching a URI template; the handler receives the variables.
///
/// ```
/// use fastmcp::{ResourceTemplateDef, ResourceContents};
/// let t = ResourceTemplateDef::new("notes://{id}", "note")
///     .unwrap()
///     .handler(|_ctx, uri, mut vars| async move {
///         let id: u32 = vars.take_from_str("id", true)?;
///         Ok(vec![ResourceContents::text(uri, None, format!("note {id}"))])
///     });
/// assert_eq!(t.template().uri_template, "notes://{id}");
/// ```
#[derive(Clone)]
pub struct ResourceTemplateDef {
    pub(crate) template: ResourceTemplate,
    pub(crate) scopes: ScopeSet,
    pub(crate) matcher: UriTemplate,
    pub(crate) handler: ResourceHandler,
}

impl ResourceTemplateDef {
    /// A template named `name`; errors if `uri_template` is malformed.
    pub fn new(uri_template: &str, name: impl Into<String>) -> Result<Self, String> {
        Ok(ResourceTemplateDef {
            matcher: UriTemplate::parse(uri_template)?,
            template: ResourceTemplate {
                uri_template: uri_template.to_owned(),
                name: name.into(),
                title: None,
                description: None,
                mime_type: None,
            },
            scopes: ScopeSet::new(),
            handler: unset_handler(),
        })
    }
    /// Display title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.template.title = Some(title.into());
        self
    }
    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.template.description = Some(description.into());
        self
    }
    /// MIME type.
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.template.mime_type = Some(mime_type.into());
        self
    }
    /// Scopes a caller's token must hold to see and use this (checked only when the transport
    /// is authenticated).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The function run by `resources/read` for a matching URI.
    pub fn handler<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Context, String, Arguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<ResourceContents>, McpError>> + Send + 'static,
    {
        self.handler = Arc::new(move |ctx, uri, args| Box::pin(f(ctx, uri, args)));
        self
    }
    /// The listing.
    pub fn template(&self) -> &ResourceTemplate {
        &self.template
    }
}
