//! Matching URIs against RFC 6570 templates of the forms resources use: `{var}` (one segment,
//! percent-decoded) and `{+var}` (reserved expansion: may span `/`).

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Literal(String),
    Var { name: String, reserved: bool },
}

/// A parsed URI template.
///
/// ```
/// use fastmcp::UriTemplate;
/// let t = UriTemplate::parse("notes://{folder}/{id}").unwrap();
/// let vars = t.matches("notes://work/42").unwrap();
/// assert_eq!(vars["folder"], "work");
/// assert_eq!(vars["id"], "42");
/// assert!(t.matches("notes://work").is_none());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

impl UriTemplate {
    /// Parses a template; errors on unbalanced braces, empty or repeated variable names.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                None => {
                    if rest.contains('}') {
                        return Err(format!("unmatched `}}` in URI template `{template}`"));
                    }
                    parts.push(Part::Literal(rest.to_owned()));
                    break;
                }
                Some(open) => {
                    if open > 0 {
                        let lit = &rest[..open];
                        if lit.contains('}') {
                            return Err(format!("unmatched `}}` in URI template `{template}`"));
                        }
                        parts.push(Part::Literal(lit.to_owned()));
                    }
                    let close =
                        rest[open..].find('}').ok_or_else(|| format!("unclosed `{{` in URI template `{template}`"))?
                            + open;
                    let expr = &rest[open + 1..close];
                    let (reserved, name) = match expr.strip_prefix('+') {
                        Some(n) => (true, n),
                        None => (false, expr),
                    };
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(format!("invalid variable `{{{expr}}}` in URI template `{template}`"));
                    }
                    if matches!(parts.last(), Some(Part::Var { .. })) {
                        return Err(format!("two variables without a separator in URI template `{template}`"));
                    }
                    if parts.iter().any(|p| matches!(p, Part::Var { name: n, .. } if n == name)) {
                        return Err(format!("variable `{name}` appears twice in URI template `{template}`"));
                    }
                    parts.push(Part::Var { name: name.to_owned(), reserved });
                    rest = &rest[close + 1..];
                }
            }
        }
        Ok(UriTemplate { source: template.to_owned(), parts })
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Variable names in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// True if the template has no variables.
    pub fn is_static(&self) -> bool {
        self.variables().next().is_none()
    }

    /// Matches `uri`, returning each variable's (percent-decoded) value.
    pub fn matches(&self, uri: &str) -> Option<Map<String, Value>> {
        let mut vars = Map::new();
        let mut rest = uri;
        let mut i = 0;
        while i < self.parts.len() {
            match &self.parts[i] {
                Part::Literal(lit) => rest = rest.strip_prefix(lit.as_str())?,
                Part::Var { name, reserved } => {
                    // The value runs up to the next literal (or the end).
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Literal(next)) => rest.find(next.as_str())?,
                        _ => rest.len(),
                    };
                    let value = &rest[..end];
                    if value.is_empty() || (!reserved && value.contains(['/', '?', '#'])) {
                        return None;
                    }
                    vars.insert(name.clone(), Value::String(percent_decode(value)?));
                    rest = &rest[end..];
                }
            }
            i += 1;
        }
        rest.is_empty().then_some(vars)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(UriTemplate::parse("a://{x}/{+y}").unwrap().variables().collect::<Vec<_>>(), ["x", "y"]);
        assert!(UriTemplate::parse("a://{x").is_err());
        assert!(UriTemplate::parse("a://x}").is_err());
        assert!(UriTemplate::parse("a://{}").is_err());
        assert!(UriTemplate::parse("a://{x}{y}").is_err());
        assert!(UriTemplate::parse("a://{x}/{x}").is_err());
    }

    #[test]
    fn matching() {
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(t.matches("test://template/123/data").unwrap()["id"], "123");
        assert!(t.matches("test://template/1/2/data").is_none());
        assert!(t.matches("test://template//data").is_none());
        assert_eq!(t.matches("test://template/a%20b/data").unwrap()["id"], "a b");
        let r = UriTemplate::parse("file:///{+path}").unwrap();
        assert_eq!(r.matches("file:///a/b/c.txt").unwrap()["path"], "a/b/c.txt");
        let s = UriTemplate::parse("test://static").unwrap();
        assert!(s.is_static() && s.matches("test://static").is_some() && s.matches("test://static2").is_none());
    }
}
