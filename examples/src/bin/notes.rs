//! A notes server whose tools need OAuth scopes. By default it is its own OAuth 2.1
//! authorization server, keeping clients, tokens and keys in `notes.db` (SQLite); at start-up
//! `FASTMCP_SERVER_AUTH*` variables can point it at anything else (see docs/auth.md): static API
//! keys, JWTs from any issuer, or an identity provider such as WorkOS AuthKit.
//!
//! ```sh
//! cargo run -p examples --bin notes      # prints the development user's password once
//! FASTMCP_SERVER_AUTH=authkit FASTMCP_SERVER_AUTH_AUTHKIT_DOMAIN=acme.authkit.app cargo run -p examples --bin notes
//! ```

use fastmcp::{Context, McpServer, ToolError, mcp_server};
use serde::Serialize;
use std::sync::Mutex;

#[derive(Serialize, schemars::JsonSchema, Clone)]
struct Note {
    id: u32,
    author: String,
    text: String,
}

#[derive(Default)]
struct Notes {
    notes: Mutex<Vec<Note>>,
}

fn caller(ctx: &Context) -> String {
    ctx.access_token().map(|t| t.subject.clone()).unwrap_or_else(|| "local user".into())
}

#[mcp_server(
    name = "notes",
    instructions = "A shared notebook. Reading needs notes:read, writing notes:write.",
    auth = env(default = oauth(
        store = sqlite("notes.db"),
        scopes_supported = ["notes:read", "notes:write", "notes:admin"],
        resource_name = "Notes",
    ))
)]
impl Notes {
    /// Who am I? Returns the caller's identity and granted scopes.
    #[tool(annotations(read_only = true))]
    fn whoami(&self, ctx: &Context) -> String {
        match ctx.access_token() {
            Some(t) => {
                format!("subject={} client={} scopes={}", t.subject, t.client_id.as_deref().unwrap_or("-"), t.scopes)
            }
            None => "subject=local user (stdio)".into(),
        }
    }

    /// List all notes.
    #[tool(scope = "notes:read", annotations(read_only = true))]
    fn list_notes(&self) -> Vec<Note> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    /// Add a note.
    #[tool(scope = "notes:write")]
    fn add_note(&self, ctx: &Context, text: String) -> Result<Note, ToolError> {
        if text.trim().is_empty() {
            return Err(ToolError::new("a note needs some text"));
        }
        let mut notes = self.notes.lock().map_err(|_| ToolError::new("notes are unavailable"))?;
        let note = Note { id: notes.len() as u32 + 1, author: caller(ctx), text };
        notes.push(note.clone());
        Ok(note)
    }

    /// Delete every note (administrators only).
    #[tool(scope = "notes:admin", annotations(destructive = true))]
    fn admin_reset(&self) -> String {
        let mut notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        let n = notes.len();
        notes.clear();
        format!("deleted {n} notes")
    }

    /// One note by id.
    #[resource(uri = "notes://{id}", mime_type = "application/json", scope = "notes:read")]
    fn note(&self, id: u32) -> Result<String, fastmcp::McpError> {
        let notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        let note = notes
            .iter()
            .find(|n| n.id == id)
            .ok_or_else(|| fastmcp::McpError::resource_not_found(&format!("notes://{id}")))?;
        serde_json::to_string(note).map_err(|e| fastmcp::McpError::internal(e.to_string()))
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    Notes::default().into_server().run().await
}
