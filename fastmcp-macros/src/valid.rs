//! Checks that need the whole impl block: duplicate names, URI templates against parameters,
//! and name syntax.

use crate::ast::{Kind, Member, ServerImpl};
use crate::errors::Errors;
use std::collections::HashMap;

pub fn validate(server: &ServerImpl, errors: &mut Errors) {
    let mut declared = crate::auth::Declared::default();
    if let Some(auth) = &server.attr.auth {
        crate::auth::check(auth, true, errors, &mut declared);
    }
    for m in &server.members {
        check_scopes(m, server.attr.auth.is_some(), &declared, errors);
    }
    let mut tools = HashMap::new();
    let mut prompts = HashMap::new();
    let mut uris = HashMap::new();
    for m in &server.members {
        let (name, span) = m.name();
        match &m.kind {
            Kind::Tool(_) => {
                check_tool_name(&name, span, errors);
                if tools.insert(name.clone(), ()).is_some() {
                    errors.at(span, format!("duplicate tool name `{name}`: tool names must be unique within a server; rename the method or set `#[tool(name = \"...\")]`"));
                }
            }
            Kind::Prompt(_) => {
                if prompts.insert(name.clone(), ()).is_some() {
                    errors.at(span, format!("duplicate prompt name `{name}`: prompt names must be unique within a server; rename the method or set `#[prompt(name = \"...\")]`"));
                }
            }
            Kind::Resource(attr) => match &attr.uri {
                None => errors
                    .spanned(&m.attr_path, "`#[resource]` needs a URI: `#[resource(uri = \"scheme://path/{var}\")]`"),
                Some(uri) => {
                    if uris.insert(uri.value.clone(), ()).is_some() {
                        errors.at(uri.span, format!("duplicate resource URI `{}`", uri.value));
                    }
                    check_template(m, &uri.value, uri.span, errors);
                }
            },
        }
    }
}

/// MCP 2025-11-25: tool names are 1–128 characters of `A-Z a-z 0-9 _ - .`.
fn check_tool_name(name: &str, span: proc_macro2::Span, errors: &mut Errors) {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        errors.at(
            span,
            format!("invalid tool name `{name}`: use 1 to 128 characters from A-Z, a-z, 0-9, `_`, `-` and `.`"),
        );
    }
}

/// The variable names of a URI template (`{x}` and `{+x}`), or why it is malformed.
pub fn template_variables(template: &str) -> Result<Vec<String>, String> {
    let mut vars = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("unmatched `}`".into());
        }
        let close = rest[open..].find('}').ok_or("unclosed `{`")? + open;
        let expr = &rest[open + 1..close];
        let name = expr.strip_prefix('+').unwrap_or(expr);
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("invalid variable `{{{expr}}}` (use `{{name}}` or `{{+name}}`)"));
        }
        if vars.iter().any(|v| v == name) {
            return Err(format!("variable `{name}` appears twice"));
        }
        vars.push(name.to_owned());
        rest = &rest[close + 1..];
    }
    Ok(vars)
}

fn check_template(m: &Member, uri: &str, span: proc_macro2::Span, errors: &mut Errors) {
    if !uri.contains("://") && !uri.contains(':') {
        errors.at(span, format!("resource URI `{uri}` has no scheme: use an absolute URI such as `notes://{{id}}`"));
        return;
    }
    let vars = match template_variables(uri) {
        Ok(v) => v,
        Err(why) => {
            errors.at(span, format!("malformed URI template `{uri}`: {why}"));
            return;
        }
    };
    for v in &vars {
        if !m.args().any(|a| a.key == *v) {
            errors.at(
                span,
                format!(
                    "URI template variable `{{{v}}}` has no matching parameter: add `{v}: String` to `{}`",
                    m.ident
                ),
            );
        }
    }
    for a in m.args() {
        if !vars.contains(&a.key) {
            let key = &a.key;
            errors.spanned(
                &a.ident,
                format!("parameter `{key}` does not appear in the URI template `{uri}`: resource parameters come from template variables such as `{{{key}}}`"),
            );
        }
    }
}

fn check_scopes(m: &Member, has_auth: bool, declared: &crate::auth::Declared, errors: &mut Errors) {
    for lit in m.scopes() {
        let scope = lit.value();
        if !has_auth {
            errors.spanned(
                lit,
                format!("scope `{scope}` has no effect: the server declares no auth; add `auth = ...` to `#[mcp_server]` (e.g. auth = env) or remove the scope"),
            );
            continue;
        }
        if let Err(e) = fastmcp_auth_schema::validate_scope(&scope) {
            errors.spanned(lit, e);
            continue;
        }
        if let Some(supported) = &declared.scopes_supported
            && !supported.contains(&scope)
        {
            let hint = fastmcp_auth_schema::did_you_mean(&scope, supported.iter().map(String::as_str))
                .map(|s| format!(": did you mean `{s}`?"))
                .unwrap_or_else(|| "; add it to `scopes_supported`".into());
            errors.spanned(
                lit,
                format!("scope `{scope}` is not in the declared `scopes_supported` ({}){hint}", supported.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::template_variables;

    #[test]
    fn variables() {
        assert_eq!(template_variables("a://{x}/{+y}").unwrap(), ["x", "y"]);
        assert!(template_variables("a://{x").is_err());
        assert!(template_variables("a://x}").is_err());
        assert!(template_variables("a://{x}/{x}").is_err());
        assert!(template_variables("a://{a-b}").is_err());
    }
}
