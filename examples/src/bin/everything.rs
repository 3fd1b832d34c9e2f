//! A server implementing every tool, resource and prompt the MCP conformance suite's server
//! scenarios call (`npx @modelcontextprotocol/conformance list --server`), written with the macros.
//!
//! ```sh
//! cargo run -p examples --bin everything -- --port 3001
//! npx @modelcontextprotocol/conformance server --url http://127.0.0.1:3001/mcp --suite active
//! ```

use fastmcp::{
    CallToolResult, Content, Context, CreateMessageParams, McpError, McpServer, PromptMessage, ResourceContents, Role,
    ToolDef, mcp_server,
};
use serde_json::{Value, json};
use std::time::Duration;

/// A 1×1 red PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A minimal WAV file.
const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

fn png() -> Content {
    Content::Image { data: PNG.into(), mime_type: "image/png".into(), annotations: None }
}

fn describe(result: &fastmcp::ElicitResult) -> String {
    format!(
        "action={}, content={}",
        serde_json::to_value(result.action).unwrap_or_default().as_str().unwrap_or_default(),
        serde_json::to_string(&result.content).unwrap_or_default()
    )
}

struct Everything;

#[mcp_server(name = "fastmcp-everything", instructions = "Conformance test server: every MCP feature in one place.")]
impl Everything {
    /// Returns a simple text response.
    #[tool]
    fn test_simple_text(&self) -> Content {
        Content::text("This is a simple text response for testing.")
    }

    /// Returns an image.
    #[tool]
    fn test_image_content(&self) -> Content {
        png()
    }

    /// Returns an audio clip.
    #[tool]
    fn test_audio_content(&self) -> Content {
        Content::Audio { data: WAV.into(), mime_type: "audio/wav".into(), annotations: None }
    }

    /// Returns an embedded resource.
    #[tool]
    fn test_embedded_resource(&self) -> Content {
        Content::resource(ResourceContents::text(
            "test://embedded-resource",
            Some("text/plain".into()),
            "This is an embedded resource content.",
        ))
    }

    /// Returns text, an image and an embedded resource.
    #[tool]
    fn test_multiple_content_types(&self) -> Vec<Content> {
        vec![
            Content::text("Multiple content types test:"),
            png(),
            Content::resource(ResourceContents::text(
                "test://mixed-content-resource",
                Some("application/json".into()),
                r#"{"test":"data","value":123}"#,
            )),
        ]
    }

    /// Sends three log messages while it runs.
    #[tool]
    async fn test_tool_with_logging(&self, ctx: &Context) -> String {
        for (i, message) in
            ["Tool execution started", "Tool processing data", "Tool execution completed"].iter().enumerate()
        {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ctx.info(*message).await;
        }
        "Tool with logging executed successfully".into()
    }

    /// Reports progress 0, 50 and 100 of 100.
    #[tool]
    async fn test_tool_with_progress(&self, ctx: &Context) -> String {
        for (i, p) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ctx.report_progress(p, Some(100.0), Some(&format!("step {}", i + 1))).await;
        }
        "Progress test completed".into()
    }

    /// Always fails, as a tool error the model can read.
    #[tool]
    fn test_error_handling(&self) -> CallToolResult {
        CallToolResult::error("This tool intentionally returns an error for testing")
    }

    /// Asks the client's model to answer `prompt` (sampling).
    #[tool]
    async fn test_sampling(&self, ctx: &Context, prompt: String) -> Result<String, McpError> {
        let reply = ctx.create_message(CreateMessageParams::user_text(prompt, 100)).await?;
        Ok(format!("LLM response: {}", reply.text()))
    }

    /// Asks the user for a username and email (elicitation).
    #[tool]
    async fn test_elicitation(&self, ctx: &Context, message: String) -> Result<String, McpError> {
        let schema = json!({
            "type": "object",
            "properties": {
                "username": { "type": "string", "description": "User's response" },
                "email": { "type": "string", "description": "User's email address" }
            },
            "required": ["username", "email"]
        });
        let result = ctx.elicit(&message, schema).await?;
        Ok(format!("User response: {}", describe(&result)))
    }

    /// Elicitation whose fields carry default values (SEP-1034).
    #[tool]
    async fn test_elicitation_sep1034_defaults(&self, ctx: &Context) -> Result<String, McpError> {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "User name", "default": "John Doe" },
                "age": { "type": "integer", "description": "User age", "default": 30 },
                "score": { "type": "number", "description": "User score", "default": 95.5 },
                "status": { "type": "string", "description": "User status", "enum": ["active", "inactive", "pending"], "default": "active" },
                "verified": { "type": "boolean", "description": "Verification status", "default": true }
            },
            "required": []
        });
        let result = ctx.elicit("Please review and update the form fields with defaults", schema).await?;
        Ok(format!("Elicitation completed: {}", describe(&result)))
    }

    /// Elicitation with every enum form (SEP-1330).
    #[tool]
    async fn test_elicitation_sep1330_enums(&self, ctx: &Context) -> Result<String, McpError> {
        let schema = json!({
            "type": "object",
            "properties": {
                "untitledSingle": { "type": "string", "description": "Select one option", "enum": ["option1", "option2", "option3"] },
                "titledSingle": { "type": "string", "description": "Select one option with titles", "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ] },
                "legacyEnum": { "type": "string", "description": "Select one option (legacy)", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"] },
                "untitledMulti": { "type": "array", "description": "Select multiple options", "minItems": 1, "maxItems": 3,
                    "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
                "titledMulti": { "type": "array", "description": "Select multiple options with titles", "minItems": 1, "maxItems": 3,
                    "items": { "anyOf": [
                        { "const": "value1", "title": "First Choice" },
                        { "const": "value2", "title": "Second Choice" },
                        { "const": "value3", "title": "Third Choice" }
                    ] } }
            },
            "required": []
        });
        let result = ctx.elicit("Please select options from the enum fields", schema).await?;
        Ok(format!("Elicitation completed: {}", describe(&result)))
    }

    /// A static text resource.
    #[resource(uri = "test://static-text", name = "static-text", mime_type = "text/plain")]
    fn static_text(&self) -> String {
        "This is the content of the static text resource.".into()
    }

    /// A static binary resource (a PNG).
    #[resource(uri = "test://static-binary", name = "static-binary", mime_type = "image/png")]
    fn static_binary(&self) -> ResourceContents {
        ResourceContents::Blob {
            uri: "test://static-binary".into(),
            mime_type: Some("image/png".into()),
            blob: PNG.into(),
        }
    }

    /// A resource clients can subscribe to.
    #[resource(uri = "test://watched-resource", name = "watched-resource", mime_type = "text/plain")]
    fn watched(&self) -> String {
        "Watched resource content".into()
    }

    /// A templated resource: data for any id.
    #[resource(uri = "test://template/{id}/data", name = "template", mime_type = "application/json")]
    fn template(&self, id: String) -> String {
        json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }).to_string()
    }

    /// A simple prompt without arguments.
    #[prompt]
    fn test_simple_prompt(&self) -> String {
        "This is a simple prompt for testing.".into()
    }

    /// A prompt with two required arguments.
    #[prompt]
    fn test_prompt_with_arguments(&self, arg1: String, arg2: String) -> String {
        format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
    }

    /// A prompt embedding a resource.
    #[prompt]
    fn test_prompt_with_embedded_resource(
        &self,
        #[arg(rename = "resourceUri")] resource_uri: String,
    ) -> Vec<PromptMessage> {
        vec![
            PromptMessage {
                role: Role::User,
                content: Content::resource(ResourceContents::text(
                    resource_uri,
                    Some("text/plain".into()),
                    "Embedded resource content for testing.",
                )),
            },
            PromptMessage::user("Please process the embedded resource above."),
        ]
    }

    /// A prompt containing an image.
    #[prompt]
    fn test_prompt_with_image(&self) -> Vec<PromptMessage> {
        vec![PromptMessage { role: Role::User, content: png() }, PromptMessage::user("Please analyze the image above.")]
    }
}

/// A tool whose input schema uses JSON Schema 2020-12 features verbatim — written with the
/// builder API, since its schema is hand-made rather than derived from parameter types.
fn json_schema_2020_12_tool() -> ToolDef {
    ToolDef::new("json_schema_2020_12_tool")
        .description("Tool with JSON Schema 2020-12 features")
        .input_schema(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "$defs": { "address": { "$anchor": "addressDef", "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } } } },
            "properties": {
                "name": { "type": "string" },
                "address": { "$ref": "#/$defs/address" },
                "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                "phone": { "type": "string" },
                "email": { "type": "string" }
            },
            "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
            "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
            "then": { "required": ["phone"] },
            "else": { "required": ["email"] },
            "additionalProperties": false
        }))
        .handler(|_ctx, args| async move {
            let echoed = Value::Object(args.into_inner()).to_string();
            Ok(CallToolResult::success(vec![Content::text(format!("Received: {echoed}"))]))
        })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let server = std::sync::Arc::new(Everything)
        .server_builder()
        .tool(json_schema_2020_12_tool())
        .completion(|_ctx, params| async move {
            // Suggest values that extend what was typed, for the prompt's arguments.
            let typed = params.argument.value;
            let values: Vec<String> = ["alpha", "beta", "gamma"].iter().map(|s| format!("{typed}{s}")).collect();
            Ok(fastmcp::CompleteResult {
                completion: fastmcp::Completion { total: Some(values.len() as u64), values, has_more: Some(false) },
            })
        })
        .build();
    server.run().await
}
