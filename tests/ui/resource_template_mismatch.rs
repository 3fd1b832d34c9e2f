use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "res")]
impl S {
    /// The variable `{id}` has no parameter, and `note` is not in the template.
    #[resource(uri = "notes://{id}")]
    fn note(&self, note: String) -> String {
        note
    }
}

fn main() {}
