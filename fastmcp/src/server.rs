//! [`Server`] and its [`ServerBuilder`]: the registry of tools, resources and prompts.

use crate::prompt::PromptDef;
use crate::protocol::jsonrpc::Message;
use crate::protocol::{CompleteParams, CompleteResult, Implementation};
use crate::resource::{ResourceDef, ResourceTemplateDef};
use crate::session::{Session, Sessions, lock};
use crate::tool::ToolDef;
use crate::{Context, McpError};
use fastmcp_auth::{AuthConfig, AuthProvider};
use futures_util::future::BoxFuture;
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

pub(crate) type CompletionHandler =
    Arc<dyn Fn(Context, CompleteParams) -> BoxFuture<'static, Result<CompleteResult, McpError>> + Send + Sync>;

/// Everything a server offers, replaced wholesale (copy-on-write) when it changes at runtime.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    pub tools: Vec<ToolDef>,
    pub tool_index: HashMap<String, usize>,
    pub resources: Vec<ResourceDef>,
    pub resource_index: HashMap<String, usize>,
    pub templates: Vec<ResourceTemplateDef>,
    pub prompts: Vec<PromptDef>,
    pub prompt_index: HashMap<String, usize>,
    /// True if any item needs scopes (otherwise per-request scope checks are skipped).
    pub any_scoped: bool,
}

impl Registry {
    fn reindex(&mut self) {
        self.tool_index = self.tools.iter().enumerate().map(|(i, t)| (t.tool.name.clone(), i)).collect();
        self.resource_index = self.resources.iter().enumerate().map(|(i, r)| (r.resource.uri.clone(), i)).collect();
        self.prompt_index = self.prompts.iter().enumerate().map(|(i, p)| (p.prompt.name.clone(), i)).collect();
        self.any_scoped = self.tools.iter().any(|t| !t.scopes.is_empty())
            || self.resources.iter().any(|r| !r.scopes.is_empty())
            || self.templates.iter().any(|t| !t.scopes.is_empty())
            || self.prompts.iter().any(|p| !p.scopes.is_empty());
    }

    pub fn tool(&self, name: &str) -> Option<&ToolDef> {
        self.tool_index.get(name).map(|&i| &self.tools[i])
    }

    pub fn prompt(&self, name: &str) -> Option<&PromptDef> {
        self.prompt_index.get(name).map(|&i| &self.prompts[i])
    }

    pub fn resource(&self, uri: &str) -> Option<&ResourceDef> {
        self.resource_index.get(uri).map(|&i| &self.resources[i])
    }
}

pub(crate) struct Inner {
    pub info: Implementation,
    pub instructions: Option<String>,
    pub registry: Mutex<Arc<Registry>>,
    pub completion: Option<CompletionHandler>,
    pub page_size: usize,
    pub sessions: Sessions,
    pub auth: Option<AuthConfig>,
}

/// A configured MCP server. Cheap to clone (an `Arc`); serve it over any transport:
/// [`serve_stdio`](Server::serve_stdio), [`serve_http`](Server::serve_http), or nest
/// [`router`](Server::router) into an axum app.
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<Inner>,
}

/// Builds a [`Server`].
///
/// ```
/// use fastmcp::{Server, ToolDef, CallToolResult, Content};
/// let server = Server::builder("demo")
///     .version("1.0.0")
///     .instructions("Call `hello`.")
///     .tool(ToolDef::new("hello").handler(|_, _| async { Ok(CallToolResult::success(vec![Content::text("hi")])) }))
///     .build();
/// assert_eq!(server.info().name, "demo");
/// ```
#[must_use]
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    registry: Registry,
    completion: Option<CompletionHandler>,
    page_size: usize,
    auth: Option<AuthConfig>,
}

impl Server {
    /// Starts a builder for a server named `name`.
    pub fn builder(name: impl Into<String>) -> ServerBuilder {
        ServerBuilder {
            info: Implementation { name: name.into(), version: "0.0.0".into(), ..Implementation::default() },
            instructions: None,
            registry: Registry::default(),
            completion: None,
            page_size: 100,
            auth: None,
        }
    }

    /// The declared auth configuration, if any.
    pub fn auth_config(&self) -> Option<&AuthConfig> {
        self.inner.auth.as_ref()
    }

    /// Name and version reported at `initialize`.
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    pub(crate) fn registry(&self) -> Arc<Registry> {
        lock(&self.inner.registry).clone()
    }

    fn update(&self, notify: &str, f: impl FnOnce(&mut Registry)) {
        {
            let mut guard = lock(&self.inner.registry);
            let mut next = Registry::clone(&guard);
            f(&mut next);
            next.reindex();
            *guard = Arc::new(next);
        }
        self.broadcast(|_| Some(Message::notification(notify, None)));
    }

    /// Adds or replaces a tool at runtime and sends `notifications/tools/list_changed`.
    pub fn add_tool(&self, tool: ToolDef) {
        self.update("notifications/tools/list_changed", |r| {
            r.tools.retain(|t| t.tool.name != tool.tool.name);
            r.tools.push(tool);
        });
    }

    /// Removes a tool at runtime and sends `notifications/tools/list_changed`.
    pub fn remove_tool(&self, name: &str) {
        self.update("notifications/tools/list_changed", |r| r.tools.retain(|t| t.tool.name != name));
    }

    /// Adds or replaces a resource at runtime and sends `notifications/resources/list_changed`.
    pub fn add_resource(&self, resource: ResourceDef) {
        self.update("notifications/resources/list_changed", |r| {
            r.resources.retain(|x| x.resource.uri != resource.resource.uri);
            r.resources.push(resource);
        });
    }

    /// Adds or replaces a prompt at runtime and sends `notifications/prompts/list_changed`.
    pub fn add_prompt(&self, prompt: PromptDef) {
        self.update("notifications/prompts/list_changed", |r| {
            r.prompts.retain(|x| x.prompt.name != prompt.prompt.name);
            r.prompts.push(prompt);
        });
    }

    /// Tells every session subscribed to `uri` that it changed (`notifications/resources/updated`).
    pub fn notify_resource_updated(&self, uri: &str) {
        self.broadcast(|s| {
            s.is_subscribed(uri)
                .then(|| Message::notification("notifications/resources/updated", Some(json!({ "uri": uri }))))
        });
    }

    fn broadcast(&self, message_for: impl Fn(&Session) -> Option<Message>) {
        for session in self.inner.sessions.all() {
            if let Some(m) = message_for(&session) {
                session.send_standalone(m);
            }
        }
    }
}

impl ServerBuilder {
    /// Version reported at `initialize`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.info.version = version.into();
        self
    }
    /// Display title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }
    /// Instructions for the model, sent in the `initialize` result.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }
    /// Adds a tool.
    ///
    /// # Panics
    /// If a tool with the same name was already added (`#[mcp_server]` reports this at compile time).
    pub fn tool(mut self, tool: ToolDef) -> Self {
        assert!(
            self.registry.tools.iter().all(|t| t.tool.name != tool.tool.name),
            "duplicate tool name `{}`",
            tool.tool.name
        );
        self.registry.tools.push(tool);
        self
    }
    /// Adds a resource with a fixed URI.
    ///
    /// # Panics
    /// If a resource with the same URI was already added.
    pub fn resource(mut self, resource: ResourceDef) -> Self {
        assert!(
            self.registry.resources.iter().all(|r| r.resource.uri != resource.resource.uri),
            "duplicate resource URI `{}`",
            resource.resource.uri
        );
        self.registry.resources.push(resource);
        self
    }
    /// Adds a resource template.
    pub fn resource_template(mut self, template: ResourceTemplateDef) -> Self {
        self.registry.templates.push(template);
        self
    }
    /// Adds a prompt.
    ///
    /// # Panics
    /// If a prompt with the same name was already added.
    pub fn prompt(mut self, prompt: PromptDef) -> Self {
        assert!(
            self.registry.prompts.iter().all(|p| p.prompt.name != prompt.prompt.name),
            "duplicate prompt name `{}`",
            prompt.prompt.name
        );
        self.registry.prompts.push(prompt);
        self
    }
    /// Answers `completion/complete` (argument autocompletion for prompts and templates).
    pub fn completion<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Context, CompleteParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CompleteResult, McpError>> + Send + 'static,
    {
        self.completion = Some(Arc::new(move |ctx, p| Box::pin(f(ctx, p))));
        self
    }
    /// Protects the HTTP transports (stdio is never authenticated: a local process has its
    /// user's rights). Resolved when serving starts, so values may come from the environment.
    ///
    /// ```
    /// use fastmcp::{Server, auth::AuthConfig};
    /// let server = Server::builder("notes")
    ///     .auth(AuthConfig::provider("jwt")
    ///         .set("jwks_uri", "https://auth.example.com/jwks")
    ///         .set("audience", "https://notes.example.com/mcp"))
    ///     .build();
    /// # let _ = server;
    /// ```
    pub fn auth(mut self, config: AuthConfig) -> Self {
        self.auth = Some(config);
        self
    }
    /// Protects the HTTP transports with a provider built in code.
    pub fn auth_provider(self, provider: impl AuthProvider) -> Self {
        self.auth(AuthConfig::ready(std::sync::Arc::new(provider)))
    }
    /// Items per page of `*/list` results (default 100; 0 = no pagination).
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n;
        self
    }
    /// Finishes the server.
    pub fn build(mut self) -> Server {
        self.registry.reindex();
        Server {
            inner: Arc::new(Inner {
                info: self.info,
                instructions: self.instructions,
                registry: Mutex::new(Arc::new(self.registry)),
                completion: self.completion,
                page_size: self.page_size,
                sessions: Sessions::default(),
                auth: self.auth,
            }),
        }
    }
}

/// A type whose `#[mcp_server]` impl block declares a server. Generated by the macro; write it
/// by hand to combine a struct's state with builder calls.
pub trait McpServer: Send + Sync + Sized + 'static {
    /// The builder with everything the impl block declares.
    fn server_builder(self: Arc<Self>) -> ServerBuilder;

    /// Builds the server.
    fn into_server(self) -> Server {
        Arc::new(self).server_builder().build()
    }
}
