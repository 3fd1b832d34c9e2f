//! [`ScopeSet`]: OAuth scopes (RFC 6749 §3.3) as a small sorted set.

use std::fmt;

/// A set of OAuth scopes, kept sorted and without duplicates.
///
/// ```
/// use fastmcp_auth::ScopeSet;
/// let granted = ScopeSet::parse("notes:read notes:write");
/// assert!(granted.contains("notes:read"));
/// assert!(granted.contains_all(&ScopeSet::parse("notes:write")));
/// assert_eq!(granted.union(&ScopeSet::parse("admin")).to_string(), "admin notes:read notes:write");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// The empty set.
    pub const fn new() -> Self {
        ScopeSet(Vec::new())
    }

    /// Parses a space-separated scope string (as in the `scope` claim or parameter).
    pub fn parse(s: &str) -> Self {
        s.split(' ').filter(|t| !t.is_empty()).collect()
    }

    /// True if `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.binary_search_by(|s| s.as_str().cmp(scope)).is_ok()
    }

    /// True if every scope of `other` is in the set.
    pub fn contains_all(&self, other: &ScopeSet) -> bool {
        other.0.iter().all(|s| self.contains(s))
    }

    /// Scopes of `required` that are not in the set.
    pub fn missing(&self, required: &ScopeSet) -> ScopeSet {
        required.0.iter().filter(|s| !self.contains(s)).cloned().collect()
    }

    /// Both sets together.
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        self.0.iter().chain(other.0.iter()).cloned().collect()
    }

    /// True if there are no scopes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The scopes as a vector.
    pub fn to_vec(&self) -> Vec<String> {
        self.0.clone()
    }
}

impl<S: Into<String>> FromIterator<S> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut v: Vec<String> = iter.into_iter().map(Into::into).filter(|s: &String| !s.is_empty()).collect();
        v.sort();
        v.dedup();
        ScopeSet(v)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

pub use fastmcp_auth_schema::validate_scope as validate_scope_token;
