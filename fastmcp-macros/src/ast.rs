//! The parsed model of an `#[mcp_server]` impl block.

// One `Kind` per method of an impl block: size does not matter.
#![allow(clippy::large_enum_variant)]

use crate::attr::{ArgAttr, PromptAttr, ResourceAttr, ServerAttr, ToolAttr};
use crate::errors::Errors;
use proc_macro2::{Span, TokenStream};
use syn::{FnArg, GenericArgument, ImplItem, ItemImpl, Pat, PathArguments, ReturnType, Type};

pub struct ServerImpl {
    /// The impl block with our helper attributes removed (emitted unchanged otherwise).
    pub item: ItemImpl,
    pub attr: ServerAttr,
    pub members: Vec<Member>,
}

pub enum Kind {
    Tool(ToolAttr),
    Resource(ResourceAttr),
    Prompt(PromptAttr),
}

impl Kind {
    pub fn label(&self) -> &'static str {
        match self {
            Kind::Tool(_) => "tool",
            Kind::Resource(_) => "resource",
            Kind::Prompt(_) => "prompt",
        }
    }
}

pub struct Member {
    pub kind: Kind,
    /// The `tool` / `resource` / `prompt` path of the attribute, for errors about it.
    pub attr_path: syn::Path,
    pub ident: syn::Ident,
    pub has_receiver: bool,
    pub is_async: bool,
    pub params: Vec<Param>,
    /// The success type (`T` of `Result<T, E>`, or the whole return type).
    pub output: Type,
    pub returns_result: bool,
    pub docs: Option<String>,
}

pub enum Param {
    Context,
    Arg(Arg),
}

/// A parameter that is an argument of the tool, prompt or template.
pub struct Arg {
    /// The Rust binding.
    pub ident: syn::Ident,
    /// The public name (`#[arg(rename = "...")]`, else the binding without `r#`).
    pub key: String,
    pub ty: Type,
    pub optional: bool,
    /// `#[arg(description = "...")]`.
    pub description: Option<String>,
}

const HELPERS: &[&str] = &["tool", "resource", "prompt"];

fn helper_name(attr: &syn::Attribute) -> Option<&'static str> {
    let last = attr.path().segments.last()?.ident.to_string();
    HELPERS.iter().copied().find(|h| *h == last)
}

fn attr_tokens(attr: &syn::Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(l) => l.tokens.clone(),
        _ => TokenStream::new(),
    }
}

/// Doc comments joined into one description.
pub fn docs(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).trim_end().to_owned())
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `Some(inner)` when `ty` is `Option<inner>` (by its last path segment).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    generic_args(ty, "Option").and_then(|a| a.first().copied())
}

fn generic_args<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else { return None };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
    )
}

fn receiver_text(r: &syn::Receiver) -> String {
    match (&r.reference, &r.mutability, &r.colon_token) {
        (_, _, Some(_)) => {
            let ty = &r.ty;
            format!("self: {}", quote::quote!(#ty).to_string().replace(' ', ""))
        }
        (Some(_), Some(_), None) => "&mut self".into(),
        (None, Some(_), None) => "mut self".into(),
        _ => "self".into(),
    }
}

fn is_context(ty: &Type) -> bool {
    let Type::Reference(r) = ty else { return false };
    matches!(&*r.elem, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Context"))
}

impl ServerImpl {
    pub fn parse(attr: TokenStream, mut item: ItemImpl, errors: &mut Errors) -> Self {
        let attr = ServerAttr::parse(attr, errors);
        let mut members = Vec::new();
        for impl_item in &mut item.items {
            let ImplItem::Fn(method) = impl_item else { continue };
            let mut found = None;
            let mut kept = Vec::with_capacity(method.attrs.len());
            for a in std::mem::take(&mut method.attrs) {
                match helper_name(&a) {
                    Some(name) => {
                        if found.is_some() {
                            errors.spanned(&a, "a method can be only one of `#[tool]`, `#[resource]` or `#[prompt]`");
                        } else {
                            found = Some((name, a));
                        }
                    }
                    None => kept.push(a),
                }
            }
            method.attrs = kept;
            let Some((name, a)) = found else { continue };
            let tokens = attr_tokens(&a);
            let kind = match name {
                "tool" => Kind::Tool(ToolAttr::parse(tokens, errors)),
                "resource" => Kind::Resource(ResourceAttr::parse(tokens, errors)),
                _ => Kind::Prompt(PromptAttr::parse(tokens, errors)),
            };
            if let Some(m) = Member::parse(kind, a.path().clone(), method, errors) {
                members.push(m);
            }
        }
        ServerImpl { item, attr, members }
    }
}

impl Member {
    fn parse(kind: Kind, attr_path: syn::Path, method: &mut syn::ImplItemFn, errors: &mut Errors) -> Option<Member> {
        let docs = docs(&method.attrs);
        let sig = &mut method.sig;
        let label = kind.label();
        if !sig.generics.params.is_empty() {
            errors.spanned(
                &sig.generics,
                format!(
                    "a `#[{label}]` method cannot be generic: its argument types must be known to build the schema"
                ),
            );
        }
        let mut has_receiver = false;
        let mut params = Vec::new();
        let mut seen_context = false;
        for input in &mut sig.inputs {
            match input {
                FnArg::Receiver(r) => {
                    if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() {
                        has_receiver = true;
                    } else {
                        errors.spanned(
                            &*r,
                            format!(
                                "unsupported receiver `{}`: `#[{label}]` methods take `&self` (or no receiver); \
                                 requests run concurrently, so keep mutable state behind a `Mutex` or `RwLock`",
                                receiver_text(r)
                            ),
                        );
                    }
                }
                FnArg::Typed(pt) => {
                    let arg_attr = ArgAttr::take(&mut pt.attrs, errors);
                    if is_context(&pt.ty) {
                        if seen_context {
                            errors.spanned(&pt.ty, "`&Context` may appear only once");
                        }
                        seen_context = true;
                        params.push(Param::Context);
                        continue;
                    }
                    let Pat::Ident(pi) = &*pt.pat else {
                        errors.spanned(&pt.pat, "use a plain parameter name: it becomes the argument's name");
                        continue;
                    };
                    if let Type::Reference(_) = &*pt.ty {
                        errors.spanned(
                            &pt.ty,
                            format!("argument `{}` borrows; arguments are deserialized into owned values (use `String` instead of `&str`, `Vec<T>` instead of `&[T]`)", pi.ident),
                        );
                        continue;
                    }
                    let optional = option_inner(&pt.ty).is_some();
                    let key = arg_attr.rename.unwrap_or_else(|| syn::ext::IdentExt::unraw(&pi.ident).to_string());
                    params.push(Param::Arg(Arg {
                        ident: pi.ident.clone(),
                        key,
                        ty: (*pt.ty).clone(),
                        optional,
                        description: arg_attr.description,
                    }));
                }
            }
        }
        let (output, returns_result) = match &sig.output {
            ReturnType::Default => (syn::parse_quote!(()), false),
            ReturnType::Type(_, ty) => {
                if let Type::ImplTrait(_) = &**ty {
                    errors.spanned(
                        ty,
                        format!("a `#[{label}]` method must name its return type (`impl Trait` cannot be converted)"),
                    );
                    return None;
                }
                match generic_args(ty, "Result") {
                    Some(args) if !args.is_empty() => (args[0].clone(), true),
                    _ => ((**ty).clone(), false),
                }
            }
        };
        Some(Member {
            kind,
            attr_path,
            ident: sig.ident.clone(),
            has_receiver,
            is_async: sig.asyncness.is_some(),
            params,
            output,
            returns_result,
            docs,
        })
    }

    /// The public name: `name = "..."` or the method name.
    pub fn name(&self) -> (String, Span) {
        let explicit = match &self.kind {
            Kind::Tool(a) => a.name.as_ref(),
            Kind::Resource(a) => a.name.as_ref(),
            Kind::Prompt(a) => a.name.as_ref(),
        };
        match explicit {
            Some(n) => (n.value.clone(), n.span),
            None => (self.ident.to_string(), self.ident.span()),
        }
    }

    pub fn args(&self) -> impl Iterator<Item = &Arg> {
        self.params.iter().filter_map(|p| match p {
            Param::Arg(a) => Some(a),
            Param::Context => None,
        })
    }

    /// The `scope` / `scopes` literals.
    pub fn scopes(&self) -> &[syn::LitStr] {
        match &self.kind {
            Kind::Tool(a) => &a.scopes,
            Kind::Resource(a) => &a.scopes,
            Kind::Prompt(a) => &a.scopes,
        }
    }

    pub fn takes_context(&self) -> bool {
        self.params.iter().any(|p| matches!(p, Param::Context))
    }
}
