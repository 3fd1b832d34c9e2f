//! Parsing of the attribute arguments: `#[mcp_server(...)]`, `#[tool(...)]`, `#[resource(...)]`,
//! `#[prompt(...)]`. Unknown and duplicate keys are errors with suggestions.

use crate::errors::{Errors, unknown_key};
use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{LitBool, LitStr};

/// A string value with the span of its literal.
#[derive(Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

fn set<T>(slot: &mut Option<Spanned<T>>, meta: &ParseNestedMeta, value: T, errors: &mut Errors) {
    let span = meta.path.get_ident().map_or_else(Span::call_site, |i| i.span());
    if slot.is_some() {
        errors.at(span, format!("duplicate `{}`: each key may appear once", path_name(meta)));
    } else {
        *slot = Some(Spanned { value, span });
    }
}

fn path_name(meta: &ParseNestedMeta) -> String {
    meta.path.get_ident().map(ToString::to_string).unwrap_or_else(|| "?".into())
}

fn string(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned { value: lit.value(), span: lit.span() })
}

/// Parses `key = "value"` into `slot` (reporting a duplicate); always a known key.
fn set_string(slot: &mut Option<Spanned<String>>, meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<bool> {
    let v = string(meta)?;
    set(slot, meta, v.value, errors);
    Ok(true)
}

fn boolean(meta: &ParseNestedMeta) -> syn::Result<bool> {
    if meta.input.peek(syn::Token![=]) {
        let lit: LitBool = meta.value()?.parse()?;
        Ok(lit.value)
    } else {
        Ok(true)
    }
}

/// Runs `each` over `key = value` pairs; errors (including unknown keys) go to `errors`.
fn parse_args(
    tokens: TokenStream,
    errors: &mut Errors,
    mut each: impl FnMut(&str, &ParseNestedMeta, &mut Errors) -> syn::Result<bool>,
    what: &str,
    known: &[&str],
) {
    let parser = syn::meta::parser(|meta| {
        let key = path_name(&meta);
        if !each(&key, &meta, errors)? {
            return Err(meta.error(unknown_key(what, &key, known)));
        }
        Ok(())
    });
    if let Err(e) = parser.parse2(tokens) {
        errors.push(e);
    }
}

/// `#[mcp_server(name = "...", version = "...", title = "...", instructions = "...")]`.
#[derive(Default)]
pub struct ServerAttr {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub instructions: Option<Spanned<String>>,
    pub auth: Option<crate::auth::AuthExpr>,
}

impl ServerAttr {
    pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut a = ServerAttr::default();
        const KNOWN: &[&str] = &["name", "version", "title", "instructions", "auth"];
        parse_args(
            tokens,
            errors,
            |key, meta, errors| {
                if key == "auth" {
                    let expr: crate::auth::AuthExpr = meta.value()?.parse()?;
                    if a.auth.is_some() {
                        errors.spanned(&meta.path, "duplicate `auth`: each key may appear once");
                    }
                    a.auth = Some(expr);
                    return Ok(true);
                }
                let slot = match key {
                    "name" => &mut a.name,
                    "version" => &mut a.version,
                    "title" => &mut a.title,
                    "instructions" => &mut a.instructions,
                    _ => return Ok(false),
                };
                set_string(slot, meta, errors)
            },
            "`#[mcp_server]` option",
            KNOWN,
        );
        a
    }
}

/// `annotations(read_only = true, destructive, idempotent, open_world, title = "...")`.
#[derive(Default)]
pub struct Annotations {
    pub title: Option<Spanned<String>>,
    pub read_only: Option<Spanned<bool>>,
    pub destructive: Option<Spanned<bool>>,
    pub idempotent: Option<Spanned<bool>>,
    pub open_world: Option<Spanned<bool>>,
}

/// `scope = "a"` or `scopes = ["a", "b"]` on a tool, resource or prompt.
pub fn parse_scopes(key: &str, meta: &ParseNestedMeta, into: &mut Vec<LitStr>, errors: &mut Errors) -> syn::Result<()> {
    if !into.is_empty() {
        errors.spanned(&meta.path, "give the scopes once: `scope = \"a\"` or `scopes = [\"a\", \"b\"]`");
    }
    let value = meta.value()?;
    if key == "scope" {
        into.push(value.parse()?);
    } else {
        let content;
        syn::bracketed!(content in value);
        into.extend(syn::punctuated::Punctuated::<LitStr, syn::Token![,]>::parse_terminated(&content)?);
    }
    Ok(())
}

/// `#[tool(name, title, description, annotations(...), scope(s))]`.
#[derive(Default)]
pub struct ToolAttr {
    pub name: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub annotations: Option<Annotations>,
    pub scopes: Vec<LitStr>,
}

impl ToolAttr {
    pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut a = ToolAttr::default();
        const KNOWN: &[&str] = &["name", "title", "description", "annotations", "scope", "scopes"];
        parse_args(
            tokens,
            errors,
            |key, meta, errors| {
                match key {
                    "scope" | "scopes" => parse_scopes(key, meta, &mut a.scopes, errors)?,
                    "name" | "title" | "description" => {
                        let slot = match key {
                            "name" => &mut a.name,
                            "title" => &mut a.title,
                            _ => &mut a.description,
                        };
                        set_string(slot, meta, errors)?;
                    }
                    "annotations" => {
                        if a.annotations.is_some() {
                            errors.spanned(&meta.path, "duplicate `annotations`: each key may appear once");
                        }
                        let ann = a.annotations.get_or_insert_with(Annotations::default);
                        meta.parse_nested_meta(|inner| {
                            let k = path_name(&inner);
                            let slot = match k.as_str() {
                                "title" => {
                                    let v = string(&inner)?;
                                    set(&mut ann.title, &inner, v.value, errors);
                                    return Ok(());
                                }
                                "read_only" => &mut ann.read_only,
                                "destructive" => &mut ann.destructive,
                                "idempotent" => &mut ann.idempotent,
                                "open_world" => &mut ann.open_world,
                                _ => {
                                    return Err(inner.error(unknown_key(
                                        "tool annotation",
                                        &k,
                                        &["title", "read_only", "destructive", "idempotent", "open_world"],
                                    )));
                                }
                            };
                            let v = boolean(&inner)?;
                            set(slot, &inner, v, errors);
                            Ok(())
                        })?;
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            },
            "`#[tool]` option",
            KNOWN,
        );
        a
    }
}

/// `#[resource(uri = "...", name, title, description, mime_type)]`.
#[derive(Default)]
pub struct ResourceAttr {
    pub uri: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub mime_type: Option<Spanned<String>>,
    pub scopes: Vec<LitStr>,
}

impl ResourceAttr {
    pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut a = ResourceAttr::default();
        const KNOWN: &[&str] = &["uri", "name", "title", "description", "mime_type", "scope", "scopes"];
        parse_args(
            tokens,
            errors,
            |key, meta, errors| {
                if key == "scope" || key == "scopes" {
                    parse_scopes(key, meta, &mut a.scopes, errors)?;
                    return Ok(true);
                }
                let slot = match key {
                    "uri" => &mut a.uri,
                    "name" => &mut a.name,
                    "title" => &mut a.title,
                    "description" => &mut a.description,
                    "mime_type" => &mut a.mime_type,
                    _ => return Ok(false),
                };
                set_string(slot, meta, errors)
            },
            "`#[resource]` option",
            KNOWN,
        );
        a
    }
}

/// `#[prompt(name, title, description)]`.
#[derive(Default)]
pub struct PromptAttr {
    pub name: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub scopes: Vec<LitStr>,
}

impl PromptAttr {
    pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut a = PromptAttr::default();
        const KNOWN: &[&str] = &["name", "title", "description", "scope", "scopes"];
        parse_args(
            tokens,
            errors,
            |key, meta, errors| {
                if key == "scope" || key == "scopes" {
                    parse_scopes(key, meta, &mut a.scopes, errors)?;
                    return Ok(true);
                }
                let slot = match key {
                    "name" => &mut a.name,
                    "title" => &mut a.title,
                    "description" => &mut a.description,
                    _ => return Ok(false),
                };
                set_string(slot, meta, errors)
            },
            "`#[prompt]` option",
            KNOWN,
        );
        a
    }
}

/// `#[arg(rename = "...", description = "...")]` on a parameter; removed from the emitted code.
#[derive(Default)]
pub struct ArgAttr {
    pub rename: Option<String>,
    pub description: Option<String>,
}

impl ArgAttr {
    /// Removes every `#[arg(...)]` from `attrs` and parses them.
    pub fn take(attrs: &mut Vec<syn::Attribute>, errors: &mut Errors) -> Self {
        let mut rename = None;
        let mut description = None;
        attrs.retain(|a| {
            if !a.path().is_ident("arg") {
                return true;
            }
            let tokens = match &a.meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => TokenStream::new(),
            };
            parse_args(
                tokens,
                errors,
                |key, meta, errors| {
                    let slot = match key {
                        "rename" => &mut rename,
                        "description" => &mut description,
                        _ => return Ok(false),
                    };
                    set_string(slot, meta, errors)
                },
                "`#[arg]` option",
                &["rename", "description"],
            );
            false
        });
        ArgAttr { rename: rename.map(|s| s.value), description: description.map(|s| s.value) }
    }
}
