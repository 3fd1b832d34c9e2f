//! Comparison server for fastmcp load benchmarks, built on the official Rust MCP SDK (`rmcp`).
//!
//! One tool, `add(a, b)`, served over Streamable HTTP at `http://127.0.0.1:PORT/mcp` in stateless
//! JSON mode (no session; every POST is self-contained and answered with `application/json`).
//!
//! With `--auth jwt` the server is wrapped in the kind of hand-written axum middleware users write
//! today: read `Authorization: Bearer`, pick the JWKS key by `kid`, and verify the JWT with
//! `jsonwebtoken` on every request (signature, `alg`, `exp`, `aud`, `iss`). Keys are fetched once
//! at start-up; verified tokens are deliberately not cached.

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use anyhow::{Context as _, bail};
use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use clap::{Parser, ValueEnum};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use rmcp::{
    ServerHandler,
    handler::server::{router::tool::ToolRouter, wrapper::Parameters},
    model::{ServerCapabilities, ServerConfig},
    schemars, tool, tool_handler, tool_router,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
    },
};

// ---------------------------------------------------------------------------------------------
// The MCP server: one tool.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct AddArgs {
    a: i64,
    b: i64,
}

#[derive(Debug, Clone)]
struct AddServer {
    tool_router: ToolRouter<Self>,
}

impl AddServer {
    fn new() -> Self {
        Self { tool_router: Self::tool_router() }
    }
}

#[tool_router]
impl AddServer {
    /// Add two integers.
    #[tool(description = "Add two integers.")]
    fn add(&self, Parameters(AddArgs { a, b }): Parameters<AddArgs>) -> String {
        a.wrapping_add(b).to_string()
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for AddServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

// ---------------------------------------------------------------------------------------------
// CLI.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AuthMode {
    None,
    Jwt,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Alg {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
}

impl From<Alg> for Algorithm {
    fn from(alg: Alg) -> Self {
        match alg {
            Alg::Rs256 => Algorithm::RS256,
            Alg::Es256 => Algorithm::ES256,
        }
    }
}

#[derive(Debug, Parser)]
#[command(name = "rmcp-bench-server", about = "rmcp `add` server (stateless JSON Streamable HTTP)")]
struct Cli {
    /// Port to listen on (127.0.0.1).
    #[arg(long)]
    port: u16,
    /// Authentication: none, or JWT bearer tokens verified against a JWKS.
    #[arg(long, value_enum, default_value = "none")]
    auth: AuthMode,
    /// JWKS URL, fetched once at start-up (required with --auth jwt).
    #[arg(long)]
    jwks_uri: Option<String>,
    /// Expected `iss` claim (required with --auth jwt).
    #[arg(long)]
    issuer: Option<String>,
    /// Expected `aud` claim (required with --auth jwt).
    #[arg(long)]
    audience: Option<String>,
    /// Accepted signing algorithm.
    #[arg(long, value_enum, default_value = "RS256")]
    alg: Alg,
}

// ---------------------------------------------------------------------------------------------
// Hand-written JWT middleware.
// ---------------------------------------------------------------------------------------------

struct JwtAuth {
    /// Decoding keys from the JWKS, by `kid`.
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
    www_authenticate: HeaderValue,
}

impl JwtAuth {
    async fn load(jwks_uri: &str, issuer: &str, audience: &str, alg: Algorithm) -> anyhow::Result<Self> {
        let jwks: JwkSet = reqwest::Client::new()
            .get(jwks_uri)
            .send()
            .await
            .context("fetching JWKS")?
            .error_for_status()
            .context("fetching JWKS")?
            .json()
            .await
            .context("parsing JWKS")?;
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(err) => eprintln!("skipping JWK {kid}: {err}"),
            }
        }
        if keys.is_empty() {
            bail!("no usable keys with a kid in {jwks_uri}");
        }

        let mut validation = Validation::new(alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        validation.validate_exp = true;
        validation.leeway = 0;

        Ok(Self { keys, validation, www_authenticate: HeaderValue::from_static("Bearer") })
    }

    fn verify(&self, token: &str) -> Result<(), jsonwebtoken::errors::Error> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token)?;
        let kid = header.kid.as_deref().ok_or(ErrorKind::InvalidToken)?;
        let key = self.keys.get(kid).ok_or(ErrorKind::InvalidToken)?;
        jsonwebtoken::decode::<serde_json::Value>(token, key, &self.validation)?;
        Ok(())
    }

    fn unauthorized(&self) -> Response {
        let mut response = (StatusCode::UNAUTHORIZED, "unauthorized").into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, self.www_authenticate.clone());
        response
    }
}

async fn require_jwt(State(auth): State<Arc<JwtAuth>>, request: Request, next: Next) -> Response {
    let token = request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    match token {
        Some(token) if auth.verify(token).is_ok() => next.run(request).await,
        _ => auth.unauthorized(),
    }
}

// ---------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();

    // Stateless JSON: no sessions (every POST is routed statelessly), and plain
    // `application/json` responses for request/response tools instead of SSE.
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None);
    let mcp = StreamableHttpService::new(|| Ok(AddServer::new()), Arc::new(NeverSessionManager::default()), config);
    let mut app = Router::new().nest_service("/mcp", mcp);

    if cli.auth == AuthMode::Jwt {
        let (Some(jwks_uri), Some(issuer), Some(audience)) = (&cli.jwks_uri, &cli.issuer, &cli.audience) else {
            bail!("--auth jwt needs --jwks-uri, --issuer and --audience");
        };
        let auth = Arc::new(JwtAuth::load(jwks_uri, issuer, audience, cli.alg.into()).await?);
        eprintln!("JWT auth: {} key(s) from {jwks_uri}, alg {:?}", auth.keys.len(), cli.alg);
        app = app.layer(middleware::from_fn_with_state(auth, require_jwt));
    }

    let addr = SocketAddr::from(([127, 0, 0, 1], cli.port));
    let listener = tokio::net::TcpListener::bind(addr).await.context("binding")?;
    eprintln!("rmcp-bench-server listening on http://{}/mcp", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
