//! Every accepted form of `auth = ...`: must compile.
use fastmcp::{McpServer, mcp_server};

struct Jwt;
#[mcp_server(name = "jwt", auth = jwt(
    jwks_uri = "https://auth.example.com/.well-known/jwks.json",
    issuer = ["https://auth.example.com", "https://auth2.example.com"],
    audience = env("AUDIENCE"),
    algorithm = ["RS256", "ES256"],
    leeway = 60,
    require_at_jwt = true,
    scopes_supported = ["notes:read", "notes:write"],
    required_scopes = ["notes:read"],
))]
impl Jwt {
    #[tool(scope = "notes:write")]
    fn add(&self) -> i64 {
        1
    }
}

struct Hmac;
#[mcp_server(name = "hmac", auth = jwt(secret = env("JWT_SECRET"), algorithm = "HS256", audience = "http://127.0.0.1:8000/mcp"))]
impl Hmac {}

struct Remote;
#[mcp_server(name = "remote", auth = remote(
    verifier = jwt(jwks_uri = "https://auth.example.com/jwks", issuer = "https://auth.example.com"),
    authorization_servers = ["https://auth.example.com"],
    resource_name = "Notes",
))]
impl Remote {}

struct AuthKit;
#[mcp_server(name = "authkit", auth = authkit(domain = "acme.authkit.app", scopes_supported = ["notes:read"]))]
impl AuthKit {
    #[resource(uri = "notes://{id}", scope = "notes:read")]
    fn note(&self, id: String) -> String {
        id
    }
}

struct Keys;
#[mcp_server(name = "keys", auth = api_keys(keys = env("API_KEYS")))]
impl Keys {
    #[prompt(scopes = ["prompts:use"])]
    fn p(&self) -> String {
        String::new()
    }
}

struct Env;
#[mcp_server(name = "env", auth = env(default = introspection(
    introspection_url = "https://auth.example.com/introspect",
    client_id = "notes",
    client_secret = env("INTROSPECTION_SECRET"),
)))]
impl Env {}

struct Oauth;
#[mcp_server(name = "oauth", auth = oauth(
    store = sqlite("notes.db"),
    scopes_supported = ["notes:read", "notes:write"],
    access_token_ttl = "15m",
    users = env("NOTES_USERS"),
))]
impl Oauth {
    #[tool(scope = "notes:read")]
    fn read(&self) -> i64 {
        1
    }
}

struct OauthPg;
#[mcp_server(name = "oauth-pg", auth = oauth(store = postgres(env("DATABASE_URL")), registration = "closed"))]
impl OauthPg {}

struct OauthMem;
#[mcp_server(name = "oauth-mem", auth = env(default = oauth(store = memory, auto_approve = true)))]
impl OauthMem {}

fn my_provider() -> Result<std::sync::Arc<dyn fastmcp::auth::AuthProvider>, fastmcp::auth::ConfigError> {
    Ok(std::sync::Arc::new(fastmcp::auth::TokenVerifierProvider::new(fastmcp::auth::ApiKeys::new())))
}
struct Custom;
#[mcp_server(name = "custom", auth = custom(my_provider))]
impl Custom {}

fn main() {
    let _ = (Jwt.into_server(), Hmac.into_server(), Remote.into_server(), AuthKit.into_server());
    let _ = (Keys.into_server(), Env.into_server(), Custom.into_server());
    let _ = (Oauth.into_server(), OauthPg.into_server(), OauthMem.into_server());
}
