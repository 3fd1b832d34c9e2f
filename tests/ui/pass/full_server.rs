//! Everything the macro accepts, in one server: must compile.
use fastmcp::{CallToolResult, Content, Context, McpError, McpServer, PromptMessage, ToolError, mcp_server};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
struct Filter {
    tag: String,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Note {
    id: u32,
    text: String,
}

struct Notes;

#[mcp_server(name = "notes", version = "1.2.3", title = "Notes", instructions = "Use search.")]
impl Notes {
    /// Search notes.
    #[tool(title = "Search", annotations(read_only = true, open_world = false, title = "Search notes"))]
    async fn search(&self, ctx: &Context, query: String, limit: Option<u32>, filter: Option<Filter>) -> Result<Vec<Note>, ToolError> {
        ctx.info("searching").await;
        let _ = (limit, filter.map(|f| f.tag));
        Ok(vec![Note { id: 1, text: query }])
    }

    #[tool(name = "raw.result")]
    fn raw(&self) -> CallToolResult {
        CallToolResult::success(vec![Content::text("x")])
    }

    #[tool]
    fn unit(&self) {}

    #[tool]
    fn fails(&self) -> Result<String, McpError> {
        Err(McpError::invalid_params("nope"))
    }

    #[tool]
    fn no_receiver(r#type: String) -> String {
        r#type
    }

    /// A note by id.
    #[resource(uri = "notes://{id}", mime_type = "text/plain")]
    fn note(&self, id: u32) -> Result<String, McpError> {
        Ok(format!("note {id}"))
    }

    #[resource(uri = "notes://all")]
    async fn all(&self, _ctx: &Context) -> Vec<u8> {
        vec![1, 2, 3]
    }

    /// Summarize.
    #[prompt]
    fn summarize(&self, text: String, style: Option<String>) -> Vec<PromptMessage> {
        vec![PromptMessage::user(format!("{text} {style:?}"))]
    }

    fn helper(&self) -> u8 {
        0
    }
}

fn main() {
    let _ = Notes.helper();
    let server = Notes.into_server();
    assert_eq!(server.info().name, "notes");
}
