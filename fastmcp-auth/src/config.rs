//! [`AuthConfig`]: auth declared in code (by `#[mcp_server(auth = ...)]` or by hand) and/or
//! read from `FASTMCP_SERVER_AUTH*` environment variables, resolved into an [`AuthProvider`]
//! at start-up. The providers, options and variable names live in one table,
//! [`fastmcp_auth_schema::PROVIDERS`], which the macros use for compile-time checks too.

use crate::introspection::ClientAuth;
use crate::{
    ApiKeys, AuthProvider, ConfigError, IntrospectionVerifier, JwtVerifier, RemoteAuthProvider, ScopeSet,
    TokenVerifierProvider, parse_algorithm, presets,
};
pub use fastmcp_auth_schema::{BASE_URL_VAR, PROVIDER_VAR};
use fastmcp_auth_schema::{CONFLICTS, Kind, OptionSpec, ProviderSpec, did_you_mean, provider as spec_of};
use std::collections::HashMap;
use std::sync::Arc;

/// A value given in code.
#[derive(Clone, Debug)]
pub enum Setting {
    /// A literal.
    Value(String),
    /// A list of literals.
    List(Vec<String>),
    /// Read from this environment variable at start-up.
    Env(String),
    /// A nested verifier configuration (`remote(verifier = jwt(...))`).
    Verifier(Box<AuthConfig>),
}

/// Builds a provider by hand (`custom(path::to::fn)`).
pub type CustomProvider = fn() -> Result<Arc<dyn AuthProvider>, ConfigError>;

#[derive(Clone)]
enum Source {
    Provider(String),
    Env(Option<Box<AuthConfig>>),
    Custom(CustomProvider),
    Ready(Arc<dyn AuthProvider>),
    None,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Provider(p) => write!(f, "Provider({p:?})"),
            Source::Env(d) => write!(f, "Env({d:?})"),
            Source::Custom(_) => f.write_str("Custom"),
            Source::Ready(_) => f.write_str("Ready"),
            Source::None => f.write_str("None"),
        }
    }
}

/// Declarative auth configuration.
///
/// ```
/// use fastmcp_auth::AuthConfig;
/// let config = AuthConfig::provider("jwt")
///     .set("jwks_uri", "https://auth.example.com/jwks")
///     .set("issuer", "https://auth.example.com")
///     .set_env("audience", "NOTES_AUDIENCE");
/// let env = |k: &str| (k == "NOTES_AUDIENCE").then(|| "https://notes.example.com/mcp".to_string());
/// assert!(config.resolve_with("https://notes.example.com/mcp", &env).unwrap().is_some());
/// let err = config.resolve_with("https://notes.example.com/mcp", &|_| None).err().unwrap();
/// assert!(err.to_string().contains("NOTES_AUDIENCE"));
/// ```
#[derive(Clone, Debug)]
pub struct AuthConfig {
    source: Source,
    settings: Vec<(String, Setting)>,
}

impl AuthConfig {
    /// A provider by name (`jwt`, `api_keys`, `introspection`, `remote`, `authkit`, …).
    pub fn provider(name: &str) -> Self {
        AuthConfig { source: Source::Provider(name.to_owned()), settings: Vec::new() }
    }
    /// Everything from the environment; no auth when `FASTMCP_SERVER_AUTH` is unset.
    pub fn from_env() -> Self {
        AuthConfig { source: Source::Env(None), settings: Vec::new() }
    }
    /// From the environment when `FASTMCP_SERVER_AUTH` is set, else `default`.
    pub fn from_env_or(default: AuthConfig) -> Self {
        AuthConfig { source: Source::Env(Some(Box::new(default))), settings: Vec::new() }
    }
    /// A provider built by a function.
    pub fn custom(f: CustomProvider) -> Self {
        AuthConfig { source: Source::Custom(f), settings: Vec::new() }
    }
    /// A provider already built in code.
    pub fn ready(provider: Arc<dyn AuthProvider>) -> Self {
        AuthConfig { source: Source::Ready(provider), settings: Vec::new() }
    }
    /// No authentication.
    pub fn none() -> Self {
        AuthConfig { source: Source::None, settings: Vec::new() }
    }
    /// Sets an option to a literal.
    pub fn set(mut self, option: &str, value: impl Into<String>) -> Self {
        self.settings.push((option.to_owned(), Setting::Value(value.into())));
        self
    }
    /// Sets an option to a list.
    pub fn set_list<I: IntoIterator<Item = S>, S: Into<String>>(mut self, option: &str, values: I) -> Self {
        self.settings.push((option.to_owned(), Setting::List(values.into_iter().map(Into::into).collect())));
        self
    }
    /// Reads an option from an environment variable at start-up.
    pub fn set_env(mut self, option: &str, var: &str) -> Self {
        self.settings.push((option.to_owned(), Setting::Env(var.to_owned())));
        self
    }
    /// Sets the nested verifier of `remote`.
    pub fn verifier(mut self, jwt: AuthConfig) -> Self {
        self.settings.push(("verifier".to_owned(), Setting::Verifier(Box::new(jwt))));
        self
    }

    /// The provider name this configuration selects, without resolving values (`None` = no auth).
    pub fn provider_name(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match &self.source {
            Source::Provider(p) => Some(p.clone()),
            Source::Env(default) => match env(PROVIDER_VAR) {
                Some(p) if !p.trim().is_empty() => Some(p.trim().to_ascii_lowercase()),
                _ => default.as_ref().and_then(|d| d.provider_name(env)),
            },
            Source::Custom(_) => Some("custom".into()),
            Source::Ready(_) => Some("custom".into()),
            Source::None => None,
        }
    }

    /// Resolves against the real environment.
    pub fn resolve(&self, resource_url: &str) -> Result<Option<Arc<dyn AuthProvider>>, ConfigError> {
        self.resolve_with(resource_url, &|k| std::env::var(k).ok())
    }

    /// Resolves into a provider for the MCP endpoint at `resource_url`, reading variables
    /// through `env`. Errors name the option or variable at fault.
    ///
    /// Precedence: a provider declared outright keeps the values written in code, and the
    /// environment fills only what the code leaves out; inside `from_env_or(default)` the
    /// environment decides, so `FASTMCP_SERVER_AUTH_<PROVIDER>_<OPTION>` overrides the default's
    /// values too.
    pub fn resolve_with(
        &self,
        resource_url: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Arc<dyn AuthProvider>>, ConfigError> {
        self.resolve_inner(resource_url, env, false)
    }

    fn resolve_inner(
        &self,
        resource_url: &str,
        env: &dyn Fn(&str) -> Option<String>,
        env_first: bool,
    ) -> Result<Option<Arc<dyn AuthProvider>>, ConfigError> {
        match &self.source {
            Source::None => Ok(None),
            Source::Custom(f) => f().map(Some),
            Source::Ready(p) => Ok(Some(p.clone())),
            Source::Env(default) => match env(PROVIDER_VAR).filter(|p| !p.trim().is_empty()) {
                Some(p) if p.trim().eq_ignore_ascii_case("none") => Ok(None),
                Some(p) => AuthConfig::provider(&p.trim().to_ascii_lowercase()).resolve_with(resource_url, env),
                None => match default {
                    Some(d) => d.resolve_inner(resource_url, env, true),
                    None => Ok(None),
                },
            },
            Source::Provider(name) => {
                let spec = spec_of(name).ok_or_else(|| {
                    let names = fastmcp_auth_schema::PROVIDERS.iter().map(|p| p.name);
                    let hint = did_you_mean(name, names).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
                    ConfigError::new(format!(
                        "unknown auth provider `{name}`{hint}; expected one of: {}",
                        fastmcp_auth_schema::PROVIDERS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                    ))
                })?;
                let values = Values::collect(spec, &self.settings, env, &[], env_first)?;
                build(spec, &values, resource_url, env).map(Some)
            }
        }
    }
}

/// Resolved option values, with where each came from (for error messages).
struct Values {
    provider: &'static str,
    map: HashMap<&'static str, (Raw, String)>,
}

enum Raw {
    One(String),
    Many(Vec<String>),
    Verifier(AuthConfig),
}

impl Values {
    /// Collects values from code settings and variables. `defaulted` options may be missing
    /// even if the table requires them (the caller supplies a default). With `env_first`,
    /// `FASTMCP_SERVER_AUTH_*` variables override literal values from code.
    fn collect(
        spec: &'static ProviderSpec,
        settings: &[(String, Setting)],
        env: &dyn Fn(&str) -> Option<String>,
        defaulted: &[&str],
        env_first: bool,
    ) -> Result<Self, ConfigError> {
        let mut map = HashMap::new();
        for (name, setting) in settings {
            let opt = spec.option(name).ok_or_else(|| {
                let hint = did_you_mean(name, spec.options.iter().map(|o| o.name))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                ConfigError::new(format!("unknown option `{name}` for auth provider `{}`{hint}", spec.name))
            })?;
            let value = match setting {
                Setting::Value(v) => (Raw::One(v.clone()), format!("option `{name}` of `{}`", spec.name)),
                Setting::List(v) => (Raw::Many(v.clone()), format!("option `{name}` of `{}`", spec.name)),
                Setting::Verifier(c) => {
                    (Raw::Verifier(AuthConfig::clone(c)), format!("option `{name}` of `{}`", spec.name))
                }
                Setting::Env(var) => {
                    let v = env(var).ok_or_else(|| {
                        ConfigError::new(format!("environment variable `{var}` is not set (it provides option `{name}` of auth provider `{}`)", spec.name))
                    })?;
                    (Raw::One(v), format!("`{var}`"))
                }
            };
            map.insert(opt.name, value);
        }
        for opt in spec.options {
            let from_code_literal =
                settings.iter().any(|(n, s)| n == opt.name && matches!(s, Setting::Value(_) | Setting::List(_)));
            if map.contains_key(opt.name) && !(env_first && from_code_literal && env(opt.env).is_some()) {
                continue;
            }
            if opt.kind == Kind::Verifier {
                // `remote` takes the JWT variables of Python FastMCP 2.x.
                if env("FASTMCP_SERVER_AUTH_JWT_JWKS_URI").is_some()
                    || env("FASTMCP_SERVER_AUTH_JWT_PUBLIC_KEY").is_some()
                {
                    map.insert(
                        opt.name,
                        (Raw::Verifier(AuthConfig::provider("jwt")), "the FASTMCP_SERVER_AUTH_JWT_* variables".into()),
                    );
                }
                continue;
            }
            if let Some(v) = env(opt.env) {
                map.insert(opt.name, (Raw::One(v), format!("`{}`", opt.env)));
            }
        }
        let values = Values { provider: spec.name, map };
        values.check(spec, defaulted)?;
        Ok(values)
    }

    fn check(&self, spec: &ProviderSpec, defaulted: &[&str]) -> Result<(), ConfigError> {
        for (a, b, why) in CONFLICTS {
            if let (Some((_, wa)), Some((_, wb))) = (self.map.get(a), self.map.get(b)) {
                return Err(ConfigError::new(format!("`{a}` ({wa}) and `{b}` ({wb}) cannot be used together: {why}")));
            }
        }
        for group in fastmcp_auth_schema::required(spec.name) {
            if !group.iter().any(|o| self.map.contains_key(o) || defaulted.contains(o)) {
                let names = group.iter().map(|o| {
                    let env = spec.option(o).map(|s| s.env).unwrap_or_default();
                    format!("`{o}` ({env})")
                });
                return Err(ConfigError::new(format!(
                    "auth provider `{}` needs {}",
                    spec.name,
                    names.collect::<Vec<_>>().join(" or ")
                )));
            }
        }
        for opt in spec.options {
            if let Some((raw, from)) = self.map.get(opt.name) {
                validate(opt, raw, from)?;
            }
        }
        Ok(())
    }

    fn one(&self, name: &str) -> Option<&str> {
        match self.map.get(name) {
            Some((Raw::One(v), _)) => Some(v.as_str()),
            Some((Raw::Many(v), _)) => v.first().map(String::as_str),
            _ => None,
        }
    }

    fn list(&self, name: &str) -> Option<Vec<String>> {
        match self.map.get(name) {
            Some((Raw::One(v), _)) => Some(split_list(v)),
            Some((Raw::Many(v), _)) => Some(v.clone()),
            _ => None,
        }
    }

    fn scopes(&self, name: &str) -> ScopeSet {
        self.list(name).map(|v| v.into_iter().collect()).unwrap_or_default()
    }

    fn from(&self, name: &str) -> String {
        self.map.get(name).map(|(_, f)| f.clone()).unwrap_or_else(|| format!("option `{name}` of `{}`", self.provider))
    }
}

/// Lists from the environment: comma- or whitespace-separated.
fn split_list(v: &str) -> Vec<String> {
    v.split([',', ' ', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn validate(opt: &OptionSpec, raw: &Raw, from: &str) -> Result<(), ConfigError> {
    let items: Vec<String> = match raw {
        Raw::One(v) => match opt.kind {
            Kind::List | Kind::UrlList | Kind::Scopes => split_list(v),
            _ => vec![v.clone()],
        },
        Raw::Many(v) => v.clone(),
        Raw::Verifier(_) => return Ok(()),
    };
    for item in &items {
        let result = match opt.kind {
            Kind::Url | Kind::UrlList => fastmcp_auth_schema::validate_url(item),
            Kind::Scopes => fastmcp_auth_schema::validate_scope(item),
            Kind::Bool => item.parse::<bool>().map(drop).map_err(|_| format!("`{item}` is not true or false")),
            Kind::Int => item.parse::<u64>().map(drop).map_err(|_| format!("`{item}` is not a non-negative integer")),
            _ if item.trim().is_empty() => Err("the value is empty".into()),
            _ => Ok(()),
        };
        result.map_err(|e| ConfigError::new(format!("{from}: {e}")))?;
    }
    Ok(())
}

fn jwt_verifier(v: &Values, default_audience: Option<&str>) -> Result<JwtVerifier, ConfigError> {
    let mut b = JwtVerifier::builder();
    if let Some(u) = v.one("jwks_uri") {
        b = b.jwks_uri(u);
    }
    if let Some(k) = v.one("public_key") {
        b = b.public_key(k.replace("\\n", "\n"));
    }
    if let Some(s) = v.one("secret") {
        b = b.secret(s);
    }
    for i in v.list("issuer").unwrap_or_default() {
        b = b.issuer(i);
    }
    let audiences = v.list("audience").or_else(|| default_audience.map(|a| vec![a.to_owned()])).unwrap_or_default();
    for a in audiences {
        b = b.audience(a);
    }
    for a in v.list("algorithm").unwrap_or_default() {
        b = b.algorithm(parse_algorithm(&a).map_err(|e| ConfigError::new(format!("{}: {e}", v.from("algorithm"))))?);
    }
    if let Some(l) = v.one("leeway") {
        b = b.leeway_secs(l.parse().unwrap_or(30));
    }
    if let Some(t) = v.one("require_at_jwt") {
        b = b.require_at_jwt(t.parse().unwrap_or(false));
    }
    if let Some(c) = v.one("scope_claim") {
        b = b.scope_claim(c);
    }
    b.build().map_err(|e| ConfigError::new(format!("auth provider `{}`: {e}", v.provider)))
}

fn build(
    spec: &'static ProviderSpec,
    v: &Values,
    resource_url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn AuthProvider>, ConfigError> {
    let required = v.scopes("required_scopes");
    let supported = v.scopes("scopes_supported");
    let with_metadata = |p: RemoteAuthProvider| -> Arc<dyn AuthProvider> {
        let mut p = p.required_scopes(required.clone());
        if let Some(n) = v.one("resource_name") {
            p = p.resource_name(n);
        }
        if let Some(d) = v.one("resource_documentation") {
            p = p.resource_documentation(d);
        }
        Arc::new(p)
    };
    Ok(match spec.name {
        "jwt" => Arc::new(TokenVerifierProvider::new(jwt_verifier(v, None)?).required_scopes(required)),
        "api_keys" => {
            // `required` guarantees one of them.
            let keys = match (v.one("keys"), v.one("keys_file")) {
                (Some(json), _) => ApiKeys::from_json(json),
                (None, path) => ApiKeys::from_file(std::path::Path::new(path.unwrap_or_default())),
            }
            .map_err(|e| {
                ConfigError::new(format!("{}: {e}", v.from(if v.one("keys").is_some() { "keys" } else { "keys_file" })))
            })?;
            Arc::new(TokenVerifierProvider::new(keys).required_scopes(required))
        }
        "introspection" => {
            let mut i = IntrospectionVerifier::new(
                v.one("introspection_url").unwrap_or_default(),
                v.one("client_id").unwrap_or_default(),
                v.one("client_secret").unwrap_or_default(),
            )?;
            i = match v.one("auth_method") {
                None | Some("client_secret_basic") | Some("basic") => i.client_auth(ClientAuth::Basic),
                Some("client_secret_post") | Some("post") => i.client_auth(ClientAuth::Post),
                Some(other) => {
                    return Err(ConfigError::new(format!(
                        "{}: `{other}` is not client_secret_basic or client_secret_post",
                        v.from("auth_method")
                    )));
                }
            };
            for a in v.list("audience").unwrap_or_default() {
                i = i.audience(a);
            }
            if let Some(ttl) = v.one("cache_ttl").and_then(|t| t.parse().ok()) {
                i = i.cache_ttl(std::time::Duration::from_secs(ttl));
            }
            Arc::new(TokenVerifierProvider::new(i).required_scopes(required))
        }
        "oauth" => Arc::new(oauth_server(v, resource_url)?),
        "remote" => {
            let jwt_config = match v.map.get("verifier") {
                Some((Raw::Verifier(c), _)) => c.clone(),
                _ => AuthConfig::provider("jwt"),
            };
            let jwt_spec = spec_of("jwt").expect("jwt is in the table");
            // The audience defaults to the resource URL (RFC 8707 binding).
            let jwt_values = Values::collect(jwt_spec, &jwt_config.settings, env, &["audience"], false)?;
            let verifier = jwt_verifier(&jwt_values, Some(resource_url))?;
            let servers = v.list("authorization_servers").unwrap_or_default();
            let required = required.union(&jwt_values.scopes("required_scopes"));
            let p = RemoteAuthProvider::new(verifier, servers)
                .scopes_supported(supported.union(&jwt_values.scopes("scopes_supported")));
            let mut p = p.required_scopes(required);
            if let Some(n) = v.one("resource_name") {
                p = p.resource_name(n);
            }
            if let Some(d) = v.one("resource_documentation") {
                p = p.resource_documentation(d);
            }
            Arc::new(p)
        }
        preset => {
            let urls = match preset {
                "authkit" => presets::authkit(v.one("domain").unwrap_or_default()),
                "auth0" => presets::auth0(v.one("domain").unwrap_or_default()),
                "keycloak" => presets::keycloak(v.one("realm_url").unwrap_or_default()),
                "entra" => {
                    presets::entra(v.one("tenant_id").unwrap_or_default(), v.one("client_id").unwrap_or_default())
                }
                "supabase" => presets::supabase(v.one("project_url").unwrap_or_default()),
                "descope" => presets::descope(v.one("project_id").unwrap_or_default(), v.one("base_url")),
                "scalekit" => presets::scalekit(
                    v.one("environment_url").unwrap_or_default(),
                    v.one("resource_id").unwrap_or_default(),
                ),
                "google" => presets::google(v.one("client_id").unwrap_or_default()),
                other => return Err(ConfigError::new(format!("auth provider `{other}` cannot be built"))),
            };
            with_metadata(urls.provider(resource_url, v.list("audience"), supported.clone())?)
        }
    })
}

fn oauth_server(v: &Values, resource_url: &str) -> Result<crate::oauth::OAuthServer, ConfigError> {
    use crate::oauth::{OAuthServer, OAuthSettings, Registration, StoreLocation, parse_duration};
    let default_issuer = resource_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(resource_url);
    let issuer = v.one("issuer").unwrap_or(default_issuer);
    let mut s = OAuthSettings::new(issuer, resource_url);
    s.scopes_supported = v.scopes("scopes_supported");
    s.required_scopes = v.scopes("required_scopes");
    let bool_of = |k: &str| v.one(k).map(|b| b.parse::<bool>().unwrap_or(false));
    let duration =
        |k: &str| v.one(k).map(parse_duration).transpose().map_err(|e| ConfigError::new(format!("{}: {e}", v.from(k))));
    if let Some(d) = duration("access_token_ttl")? {
        s.access_token_ttl = d;
    }
    if let Some(d) = duration("refresh_token_ttl")? {
        s.refresh_token_ttl = d;
    }
    s.auto_approve = bool_of("auto_approve").unwrap_or(false);
    s.remember_consent = bool_of("remember_consent").unwrap_or(true);
    s.cimd_allow_private = bool_of("cimd_allow_private").unwrap_or(false);
    s.resource_name = v.one("resource_name").map(str::to_owned);
    if let Some(users) = v.one("users") {
        for pair in users.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (u, p) = pair.split_once(':').ok_or_else(|| {
                ConfigError::new(format!("{}: expected `user:password[,user:password…]`", v.from("users")))
            })?;
            if p.len() < 8 {
                return Err(ConfigError::new(format!(
                    "{}: the password of `{u}` is shorter than 8 characters",
                    v.from("users")
                )));
            }
            s.users.push((u.to_owned(), p.to_owned()));
        }
    }
    s.registration = match (v.one("registration"), v.one("registration_token")) {
        (Some("closed"), _) => Registration::Closed,
        (Some("token"), Some(t)) | (None, Some(t)) => Registration::Token(t.to_owned()),
        (Some("token"), None) => {
            return Err(ConfigError::new(
                "registration = token needs registration_token (FASTMCP_SERVER_AUTH_OAUTH_REGISTRATION_TOKEN)",
            ));
        }
        (Some("open") | None, None) => Registration::Open,
        (Some(other), _) => {
            return Err(ConfigError::new(format!(
                "{}: `{other}` is not open, closed or token",
                v.from("registration")
            )));
        }
    };
    let location = StoreLocation::parse(v.one("store").unwrap_or("memory"))
        .map_err(|e| ConfigError::new(format!("{}: {e}", v.from("store"))))?;
    let server = OAuthServer::builder(s).store(location).build()?;
    Ok(server)
}
