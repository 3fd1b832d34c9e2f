//! Collects every error found while parsing and validating, so they are reported together.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

#[derive(Default)]
pub struct Errors {
    errors: Option<syn::Error>,
}

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    pub fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub fn at(&mut self, span: proc_macro2::Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    pub fn finish(self) -> Result<(), TokenStream> {
        match self.errors {
            Some(e) => Err(e.to_compile_error()),
            None => Ok(()),
        }
    }
}

/// The closest candidate to `word`, if close enough to be a typo (shared with the runtime).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    fastmcp_auth_schema::did_you_mean(word, candidates.iter().copied())
}

/// "unknown key `x`; expected one of `a`, `b` (did you mean `c`?)".
pub fn unknown_key(what: &str, key: &str, known: &[&str]) -> String {
    let list = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    match did_you_mean(key, known) {
        Some(s) => format!("unknown {what} `{key}`: did you mean `{s}`? (expected one of {list})"),
        None => format!("unknown {what} `{key}` (expected one of {list})"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions() {
        assert_eq!(super::did_you_mean("descripton", &["name", "description"]), Some("description"));
        assert_eq!(super::did_you_mean("zzz", &["name", "description"]), None);
    }
}
