//! The `auth = ...` expression of `#[mcp_server]`: parsing (`AuthExpr`), checking against the
//! provider table of `fastmcp-auth-schema`, and expansion to `fastmcp::auth::AuthConfig` calls.

use crate::errors::{Errors, unknown_key};
use fastmcp_auth_schema::{CONFLICTS, Kind, PROVIDERS, SPECIAL_PROVIDERS, did_you_mean, validate_scope, validate_url};
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitInt, LitStr, Token, bracketed, parenthesized};

/// `jwt(jwks_uri = "...", audience = env("AUD"))`, `env(default = ...)`, `custom(path)`, `none`.
pub enum AuthExpr {
    Provider { name: Ident, args: Vec<AuthArg> },
    Custom { path: syn::Path },
}

pub struct AuthArg {
    pub key: Ident,
    pub value: AuthValue,
}

pub enum AuthValue {
    Str(LitStr),
    Env(LitStr),
    List(Vec<LitStr>),
    Bool(LitBool),
    Int(LitInt),
    Nested(Box<AuthExpr>),
    /// `sqlite("notes.db")`, `postgres(env("DATABASE_URL"))`: a typed value.
    Call(Ident, Box<AuthValue>),
}

impl Parse for AuthExpr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        if !input.peek(syn::token::Paren) {
            return Ok(AuthExpr::Provider { name, args: Vec::new() });
        }
        let content;
        parenthesized!(content in input);
        if name == "custom" {
            let path: syn::Path = content.parse()?;
            return Ok(AuthExpr::Custom { path });
        }
        let args = Punctuated::<AuthArg, Token![,]>::parse_terminated(&content)?;
        Ok(AuthExpr::Provider { name, args: args.into_iter().collect() })
    }
}

impl Parse for AuthArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        Ok(AuthArg { key, value: input.parse()? })
    }
}

impl Parse for AuthValue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(AuthValue::Str(input.parse()?));
        }
        if input.peek(LitBool) {
            return Ok(AuthValue::Bool(input.parse()?));
        }
        if input.peek(LitInt) {
            return Ok(AuthValue::Int(input.parse()?));
        }
        if input.peek(syn::token::Bracket) {
            let content;
            bracketed!(content in input);
            let items = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
            return Ok(AuthValue::List(items.into_iter().collect()));
        }
        if input.peek(Ident) && input.peek2(syn::token::Paren) {
            let ident: Ident = input.parse()?;
            let content;
            parenthesized!(content in input);
            if ident == "env" {
                if content.peek(LitStr) {
                    return Ok(AuthValue::Env(content.parse()?));
                }
                return Err(content.error("`env(...)` takes the variable name as a string: env(\"MY_VAR\")"));
            }
            if content.peek(LitStr)
                || (content.peek(Ident) && content.fork().parse::<Ident>().is_ok_and(|i| i == "env"))
            {
                return Ok(AuthValue::Call(ident, Box::new(content.parse()?)));
            }
            let args = Punctuated::<AuthArg, Token![,]>::parse_terminated(&content)?;
            return Ok(AuthValue::Nested(Box::new(AuthExpr::Provider {
                name: ident,
                args: args.into_iter().collect(),
            })));
        }
        if input.peek(Ident) {
            return Ok(AuthValue::Nested(Box::new(input.parse()?)));
        }
        Err(input.error("expected a string, env(\"VAR\"), a list [\"a\", \"b\"], true/false, a number, or a provider such as jwt(...)"))
    }
}

impl AuthValue {
    fn literals(&self) -> Vec<&LitStr> {
        match self {
            AuthValue::Str(s) => vec![s],
            AuthValue::List(v) => v.iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// What the checks learned: the scopes the configuration declares.
#[derive(Default)]
pub struct Declared {
    pub scopes_supported: Option<Vec<String>>,
}

fn provider_names() -> Vec<&'static str> {
    PROVIDERS.iter().map(|p| p.name).chain(SPECIAL_PROVIDERS.iter().copied()).collect()
}

/// Checks an `auth = ...` expression. `top_level` is false for `remote(verifier = jwt(...))`,
/// whose audience defaults to the resource URL.
pub fn check(expr: &AuthExpr, top_level: bool, errors: &mut Errors, declared: &mut Declared) {
    let (name, args) = match expr {
        AuthExpr::Custom { .. } => return,
        AuthExpr::Provider { name, args } => (name, args),
    };
    let name_str = name.to_string();
    match name_str.as_str() {
        "none" | "env" => {
            for a in args {
                match (a.key.to_string().as_str(), &a.value, name_str.as_str()) {
                    ("default", AuthValue::Nested(inner), "env") => check(inner, top_level, errors, declared),
                    ("default", _, "env") => {
                        errors.spanned(&a.key, "`default` takes a provider, e.g. env(default = jwt(...))")
                    }
                    (k, _, "env") => errors.spanned(&a.key, unknown_key("`env` option", k, &["default"])),
                    _ => errors.spanned(&a.key, "`none` takes no options"),
                }
            }
            return;
        }
        "custom" => {
            errors.spanned(
                name,
                "`custom` takes the path of a function returning the provider: custom(my_auth::provider)",
            );
            return;
        }
        _ => {}
    }
    let Some(spec) = fastmcp_auth_schema::provider(&name_str) else {
        let names = provider_names();
        let msg = match did_you_mean(&name_str, names.iter().copied()) {
            Some(s) => format!(
                "unknown auth provider `{name_str}`: did you mean `{s}`? (expected one of {})",
                names.join(", ")
            ),
            None => format!("unknown auth provider `{name_str}` (expected one of {})", names.join(", ")),
        };
        errors.spanned(name, msg);
        return;
    };
    let mut seen: Vec<(String, &Ident)> = Vec::new();
    for a in args {
        let key = a.key.to_string();
        let Some(opt) = spec.option(&key) else {
            let known: Vec<&str> = spec.options.iter().map(|o| o.name).collect();
            errors.spanned(&a.key, unknown_key(&format!("`{name_str}` option"), &key, &known));
            continue;
        };
        if seen.iter().any(|(k, _)| *k == key) {
            errors.spanned(&a.key, format!("duplicate option `{key}`: each option may appear once"));
            continue;
        }
        seen.push((key.clone(), &a.key));
        check_value(&name_str, opt.kind, a, errors, declared);
        if key == "scopes_supported" {
            let list: Vec<String> = a.value.literals().iter().map(|l| l.value()).collect();
            declared.scopes_supported.get_or_insert_with(Vec::new).extend(list);
        }
    }
    let has = |k: &str| seen.iter().any(|(s, _)| s == k);
    for (a, b, why) in CONFLICTS {
        if has(a) && has(b) {
            let span = seen.iter().find(|(s, _)| s == b).map(|(_, i)| *i).expect("seen");
            errors.spanned(span, format!("`{a}` and `{b}` cannot be used together: {why}"));
        }
    }
    for group in fastmcp_auth_schema::required(&name_str) {
        if !top_level && group.contains(&"audience") {
            continue;
        }
        if !group.iter().any(|o| has(o)) {
            let names = group.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(" or ");
            let hint = if group.contains(&"audience") {
                " (the URL of this MCP server, so that tokens meant for other services are rejected)"
            } else {
                ""
            };
            errors.spanned(name, format!("`{name_str}` needs {names}{hint}; values may come from env(\"VAR\")"));
        }
    }
    // Algorithm confusion: HMAC algorithms only with a secret, and a secret only with HMAC.
    if let Some(alg) = args.iter().find(|a| a.key == "algorithm") {
        let algs: Vec<String> = alg.value.literals().iter().map(|l| l.value()).collect();
        let hmac = algs.iter().any(|a| a.to_ascii_uppercase().starts_with("HS"));
        if hmac && (has("jwks_uri") || has("public_key")) {
            errors.spanned(&alg.key, "HS* algorithms use a shared secret and cannot be combined with `jwks_uri` or `public_key` (algorithm confusion); use `secret = env(\"VAR\")` or an asymmetric algorithm");
        }
        if has("secret") && algs.iter().any(|a| !a.to_ascii_uppercase().starts_with("HS")) {
            errors.spanned(&alg.key, "a `secret` verifies only HS256, HS384 or HS512");
        }
        for l in alg.value.literals() {
            let v = l.value();
            let known = [
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA", "HS256", "HS384",
                "HS512",
            ];
            if !known.contains(&v.as_str()) {
                errors.spanned(l, format!("unknown JWT algorithm `{v}` (expected one of {})", known.join(", ")));
            }
        }
    } else if has("secret") {
        errors.spanned(name, "an HMAC `secret` needs an explicit `algorithm = \"HS256\"` (or HS384/HS512)");
    }
}

fn check_store(a: &AuthArg, errors: &mut Errors) {
    let hint = "`store` is `memory`, `sqlite(\"path.db\")` or `postgres(env(\"DATABASE_URL\"))`";
    match &a.value {
        AuthValue::Env(_) => {}
        AuthValue::Nested(inner) => match inner.as_ref() {
            AuthExpr::Provider { name, args } if name == "memory" && args.is_empty() => {}
            _ => errors.spanned(&a.key, hint),
        },
        AuthValue::Call(name, inner) => match (name.to_string().as_str(), inner.as_ref()) {
            ("sqlite", AuthValue::Str(path)) if !path.value().trim().is_empty() => {}
            ("postgres", AuthValue::Env(_)) => {}
            ("postgres", AuthValue::Str(url)) => {
                let v = url.value();
                let userinfo = v.split_once("://").map(|(_, r)| r.split('/').next().unwrap_or("")).unwrap_or("");
                if userinfo.contains('@') && userinfo.split('@').next().is_some_and(|u| u.contains(':')) {
                    errors.spanned(
                        url,
                        "this database URL contains a password: pass it as postgres(env(\"DATABASE_URL\"))",
                    );
                } else if !v.starts_with("postgres://") && !v.starts_with("postgresql://") {
                    errors.spanned(url, "expected a postgres:// URL");
                }
            }
            _ => errors.spanned(name, hint),
        },
        AuthValue::Str(s) => {
            let v = s.value();
            if !(v == "memory"
                || v.starts_with("sqlite:")
                || v.starts_with("postgres://")
                || v.starts_with("postgresql://"))
            {
                errors.spanned(s, hint);
            }
        }
        _ => errors.spanned(&a.key, hint),
    }
}

fn check_value(provider: &str, kind: Kind, a: &AuthArg, errors: &mut Errors, declared: &mut Declared) {
    let key = a.key.to_string();
    if key == "store" {
        return check_store(a, errors);
    }
    match (&a.value, kind) {
        (AuthValue::Env(..), Kind::Verifier) => {
            errors.spanned(&a.key, "`verifier` takes a provider: verifier = jwt(...)")
        }
        (AuthValue::Env(..), _) => {}
        (AuthValue::Str(_) | AuthValue::List(_), Kind::Secret) => {
            errors.spanned(
                a.value_tokens(),
                format!("`{key}` is a secret and must not be written in source code: use `{key} = env(\"VARIABLE\")`"),
            );
        }
        (AuthValue::Nested(inner), Kind::Verifier) => {
            if let AuthExpr::Provider { name, .. } = inner.as_ref()
                && name != "jwt"
            {
                errors.spanned(name, "`verifier` of `remote` must be `jwt(...)`");
            }
            check(inner, false, errors, declared);
        }
        (_, Kind::Verifier) => errors.spanned(&a.key, "`verifier` takes a provider: verifier = jwt(...)"),
        (AuthValue::Nested(_) | AuthValue::Call(..), _) => {
            errors.spanned(&a.key, format!("`{key}` of `{provider}` takes a value, not a provider"))
        }
        (AuthValue::Bool(_), Kind::Bool) | (AuthValue::Int(_), Kind::Int) => {}
        (_, Kind::Bool) => errors.spanned(&a.key, format!("`{key}` takes true or false")),
        (_, Kind::Int) => errors.spanned(&a.key, format!("`{key}` takes a number")),
        (AuthValue::Bool(_) | AuthValue::Int(_), _) => {
            errors.spanned(&a.key, format!("`{key}` takes a string or a list of strings"))
        }
        (value, kind) => {
            if matches!(value, AuthValue::List(..)) && matches!(kind, Kind::Str | Kind::Url) {
                errors.spanned(&a.key, format!("`{key}` takes one value, not a list"));
            }
            for l in value.literals() {
                let v = l.value();
                let result = match kind {
                    Kind::Url | Kind::UrlList => validate_url(&v),
                    Kind::Scopes => validate_scope(&v),
                    _ if v.trim().is_empty() => Err("the value is empty".into()),
                    _ => Ok(()),
                };
                if let Err(e) = result {
                    errors.spanned(l, format!("`{key}`: {e}"));
                }
            }
        }
    }
}

impl AuthArg {
    fn value_tokens(&self) -> TokenStream {
        match &self.value {
            AuthValue::Str(s) => quote!(#s),
            AuthValue::List(v) => quote!(#(#v),*),
            _ => {
                let k = &self.key;
                quote!(#k)
            }
        }
    }
}

/// `::fastmcp::auth::AuthConfig::...` for an expression.
pub fn expand(expr: &AuthExpr) -> TokenStream {
    let config = quote!(::fastmcp::auth::AuthConfig);
    match expr {
        AuthExpr::Custom { path, .. } => quote!(#config::custom(#path)),
        AuthExpr::Provider { name, args } if name == "none" => {
            let _ = args;
            quote!(#config::none())
        }
        AuthExpr::Provider { name, args } if name == "env" => match args.iter().find(|a| a.key == "default") {
            Some(AuthArg { value: AuthValue::Nested(inner), .. }) => {
                let inner = expand(inner);
                quote!(#config::from_env_or(#inner))
            }
            _ => quote!(#config::from_env()),
        },
        AuthExpr::Provider { name, args } => {
            let provider = name.to_string();
            let calls = args.iter().map(|a| {
                let key = a.key.to_string();
                match &a.value {
                    AuthValue::Str(s) => quote!(.set(#key, #s)),
                    AuthValue::Env(var) => quote!(.set_env(#key, #var)),
                    AuthValue::List(items) => quote!(.set_list(#key, [#(#items),*])),
                    AuthValue::Bool(b) => {
                        let v = b.value.to_string();
                        quote!(.set(#key, #v))
                    }
                    AuthValue::Int(i) => {
                        let v = i.base10_digits().to_owned();
                        quote!(.set(#key, #v))
                    }
                    AuthValue::Nested(inner) if key == "store" => {
                        let _ = inner;
                        quote!(.set(#key, "memory"))
                    }
                    AuthValue::Nested(inner) => {
                        let inner = expand(inner);
                        quote!(.verifier(#inner))
                    }
                    AuthValue::Call(kind, inner) => match inner.as_ref() {
                        AuthValue::Env(var) => quote!(.set_env(#key, #var)),
                        AuthValue::Str(v) if kind == "sqlite" => {
                            let v = format!("sqlite:{}", v.value());
                            quote!(.set(#key, #v))
                        }
                        AuthValue::Str(v) => quote!(.set(#key, #v)),
                        _ => quote!(),
                    },
                }
            });
            quote!(#config::provider(#provider) #(#calls)*)
        }
    }
}
