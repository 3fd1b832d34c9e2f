//! The arguments object of a `tools/call`, `prompts/get` or a resource-template match.

use crate::McpError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Named arguments, taken out one by one and deserialized into the handler's parameter types.
///
/// ```
/// use fastmcp::Arguments;
/// let mut args = Arguments::from(serde_json::json!({"a": 2}).as_object().unwrap().clone());
/// assert_eq!(args.take::<i64>("a", true).unwrap(), 2);
/// assert_eq!(args.take::<Option<i64>>("b", false).unwrap(), None);
/// assert!(args.take::<i64>("c", true).unwrap_err().message.contains("missing required argument `c`"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Arguments(Map<String, Value>);

impl Arguments {
    /// Removes `name` and deserializes it. A missing optional argument deserializes from `null`.
    pub fn take<T: DeserializeOwned>(&mut self, name: &str, required: bool) -> Result<T, McpError> {
        let value = match self.0.remove(name) {
            Some(v) => v,
            None if required => return Err(McpError::invalid_params(format!("missing required argument `{name}`"))),
            None => Value::Null,
        };
        serde_json::from_value(value).map_err(|e| McpError::invalid_params(format!("invalid argument `{name}`: {e}")))
    }

    /// Like [`take`](Self::take) for string-typed sources (prompt arguments, URI template
    /// variables): a string that does not deserialize as-is is retried as JSON, so `"42"` can
    /// become an integer.
    pub fn take_from_str<T: DeserializeOwned>(&mut self, name: &str, required: bool) -> Result<T, McpError> {
        if let Some(Value::String(s)) = self.0.get(name)
            && serde_json::from_value::<T>(Value::String(s.clone())).is_err()
            && let Ok(parsed) = serde_json::from_str::<Value>(s)
        {
            self.0.insert(name.to_owned(), parsed);
        }
        self.take(name, required)
    }

    /// The raw value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The underlying map.
    pub fn into_inner(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Map<String, Value>> for Arguments {
    fn from(m: Map<String, Value>) -> Self {
        Self(m)
    }
}
