//! [`PromptDef`]: a prompt template's listing plus the function that renders it.

use crate::protocol::{GetPromptResult, Prompt, PromptArgument};
use crate::{Arguments, Context, McpError};
use fastmcp_auth::ScopeSet;
use futures_util::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;

pub(crate) type PromptHandler =
    Arc<dyn Fn(Context, Arguments) -> BoxFuture<'static, Result<GetPromptResult, McpError>> + Send + Sync>;

/// A prompt: what `prompts/list` shows and what `prompts/get` renders.
///
/// ```
/// use fastmcp::{PromptDef, GetPromptResult, PromptMessage};
/// let p = PromptDef::new("greet")
///     .argument("name", Some("Who to greet"), true)
///     .handler(|_ctx, mut args| async move {
///         let name: String = args.take("name", true)?;
///         Ok(GetPromptResult { description: None, messages: vec![PromptMessage::user(format!("Say hi to {name}"))] })
///     });
/// assert_eq!(p.prompt().arguments.len(), 1);
/// ```
#[derive(Clone)]
pub struct PromptDef {
    pub(crate) prompt: Prompt,
    pub(crate) scopes: ScopeSet,
    pub(crate) handler: PromptHandler,
}

impl PromptDef {
    /// A prompt without arguments that renders no messages until a handler is set.
    pub fn new(name: impl Into<String>) -> Self {
        PromptDef {
            prompt: Prompt { name: name.into(), title: None, description: None, arguments: Vec::new() },
            scopes: ScopeSet::new(),
            handler: Arc::new(|_, _| Box::pin(async { Ok(GetPromptResult { description: None, messages: vec![] }) })),
        }
    }
    /// Display title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.prompt.title = Some(title.into());
        self
    }
    /// Description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.prompt.description = Some(description.into());
        self
    }
    /// Declares an argument.
    pub fn argument(mut self, name: impl Into<String>, description: Option<&str>, required: bool) -> Self {
        self.prompt.arguments.push(PromptArgument {
            name: name.into(),
            description: description.map(str::to_owned),
            required: Some(required),
        });
        self
    }
    /// Scopes a caller's token must hold to see and use this (checked only when the transport
    /// is authenticated).
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The function run by `prompts/get`.
    pub fn handler<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Context, Arguments) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, McpError>> + Send + 'static,
    {
        self.handler = Arc::new(move |ctx, args| Box::pin(f(ctx, args)));
        self
    }
    /// The listing.
    pub fn prompt(&self) -> &Prompt {
        &self.prompt
    }
}
