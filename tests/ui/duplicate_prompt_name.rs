use fastmcp::mcp_server;

struct S;

#[mcp_server(name = "dup")]
impl S {
    #[prompt]
    fn summarize(&self, text: String) -> String {
        text
    }

    #[prompt(name = "summarize")]
    fn other(&self) -> String {
        String::new()
    }
}

fn main() {}
