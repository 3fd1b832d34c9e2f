//! JSON-RPC 2.0 messages as MCP uses them: decoding with precise error codes, encoding.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt;

/// The standard JSON-RPC and MCP error codes.
pub mod codes {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i64 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// MCP: the requested resource does not exist.
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
}

/// A request id: a string or an integer (MCP forbids `null`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// The `error` member of a JSON-RPC error response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One of [`codes`] or an application code.
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Optional structured detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error with a code and message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }
}

/// A request: has an id and expects a response.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The id the response must echo.
    pub id: RequestId,
    /// The method name, e.g. `tools/call`.
    pub method: String,
    /// Parameters (MCP always uses an object when present).
    pub params: Option<Value>,
}

/// A notification: no id, never answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The method name, e.g. `notifications/progress`.
    pub method: String,
    /// Parameters.
    pub params: Option<Value>,
}

/// A response to a request: either a result or an error.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// The id of the request this answers; `None` only for errors about unparseable input.
    pub id: Option<RequestId>,
    /// The outcome.
    pub outcome: Result<Value, ErrorObject>,
}

impl Response {
    /// A successful response.
    pub fn result(id: RequestId, result: Value) -> Self {
        Self { id: Some(id), outcome: Ok(result) }
    }
    /// An error response.
    pub fn error(id: Option<RequestId>, error: ErrorObject) -> Self {
        Self { id, outcome: Err(error) }
    }
}

/// Any JSON-RPC message.
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response (result or error).
    Response(Response),
}

impl Message {
    /// A notification message.
    pub fn notification(method: impl Into<String>, params: Option<Value>) -> Self {
        Message::Notification(Notification { method: method.into(), params })
    }
}

/// What one decoded body holds: one message or a batch (an array, legal only before 2025-06-18).
#[derive(Debug)]
pub enum Payload {
    /// A single message.
    Single(Message),
    /// A JSON array of messages; each element decoded on its own.
    Batch(Vec<Result<Message, Response>>),
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    jsonrpc: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    method: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    params: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    error: Option<Value>,
}

/// Distinguishes an absent member from one that is present with `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn invalid(id: Option<RequestId>, why: impl Into<String>) -> Response {
    Response::error(id, ErrorObject::new(codes::INVALID_REQUEST, why))
}

impl Wire<'_> {
    fn into_message(self) -> Result<Message, Response> {
        let id = match &self.id {
            None => None,
            Some(v) => match serde_json::from_value::<RequestId>(v.clone()) {
                Ok(id) => Some(id),
                Err(_) => return Err(invalid(None, "invalid request: `id` must be a string or an integer")),
            },
        };
        if self.jsonrpc.map(RawValue::get) != Some("\"2.0\"") {
            return Err(invalid(id, "invalid request: `jsonrpc` must be \"2.0\""));
        }
        if let Some(params) = &self.params
            && !params.is_object()
            && !params.is_array()
        {
            return Err(invalid(id, "invalid request: `params` must be an object or an array"));
        }
        match (self.method, id) {
            (Some(Value::String(method)), Some(id)) => {
                Ok(Message::Request(Request { id, method, params: self.params }))
            }
            (Some(Value::String(method)), None) => {
                if self.id.is_some() {
                    return Err(invalid(None, "invalid request: `id` must not be null"));
                }
                Ok(Message::Notification(Notification { method, params: self.params }))
            }
            (Some(_), id) => Err(invalid(id, "invalid request: `method` must be a string")),
            (None, id) => match (self.result, self.error) {
                (Some(result), None) => match id {
                    Some(id) => Ok(Message::Response(Response::result(id, result))),
                    None => Err(invalid(None, "invalid response: missing `id`")),
                },
                (None, Some(error)) => match serde_json::from_value::<ErrorObject>(error) {
                    Ok(error) => Ok(Message::Response(Response::error(id, error))),
                    Err(_) => Err(invalid(id, "invalid response: malformed `error` object")),
                },
                _ => Err(invalid(id, "invalid request: expected `method`, or exactly one of `result` and `error`")),
            },
        }
    }
}

fn decode_one(value: &RawValue) -> Result<Message, Response> {
    match serde_json::from_str::<Wire<'_>>(value.get()) {
        Ok(wire) => wire.into_message(),
        Err(_) => Err(invalid(None, "invalid request: expected a JSON-RPC object")),
    }
}

/// Decodes one HTTP body or stdio line.
///
/// Returns the JSON-RPC error response to send when the input is not JSON (`-32700`) or is
/// not a JSON-RPC message (`-32600`).
///
/// ```
/// use fastmcp::protocol::jsonrpc::{decode, Payload, Message};
/// let p = decode(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#).unwrap();
/// assert!(matches!(p, Payload::Single(Message::Request(_))));
/// assert_eq!(decode(b"{oops").unwrap_err().outcome.unwrap_err().code, -32700);
/// ```
pub fn decode(input: &[u8]) -> Result<Payload, Response> {
    let parse_error =
        |e: serde_json::Error| Response::error(None, ErrorObject::new(codes::PARSE_ERROR, format!("parse error: {e}")));
    let text = std::str::from_utf8(input)
        .map_err(|e| Response::error(None, ErrorObject::new(codes::PARSE_ERROR, format!("parse error: {e}"))))?;
    let raw: &RawValue = serde_json::from_str(text).map_err(parse_error)?;
    let trimmed = raw.get().trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(parse_error)?;
        if items.is_empty() {
            return Err(invalid(None, "invalid request: empty batch"));
        }
        Ok(Payload::Batch(items.into_iter().map(decode_one).collect()))
    } else if trimmed.starts_with('{') {
        decode_one(raw).map(Payload::Single)
    } else {
        Err(invalid(None, "invalid request: expected a JSON-RPC object"))
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("jsonrpc", "2.0")?;
        match self {
            Message::Request(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("method", &r.method)?;
                if let Some(p) = &r.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Notification(n) => {
                map.serialize_entry("method", &n.method)?;
                if let Some(p) = &n.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Response(r) => {
                map.serialize_entry("id", &r.id)?;
                match &r.outcome {
                    Ok(v) => map.serialize_entry("result", v)?,
                    Err(e) => map.serialize_entry("error", e)?,
                }
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        decode_one(&raw).map_err(|r| D::Error::custom(r.outcome.err().map(|e| e.message).unwrap_or_default()))
    }
}

/// Encodes a message as compact JSON.
pub fn encode(message: &Message) -> String {
    serde_json::to_string(message).unwrap_or_else(|e| {
        // Serializing `Value`s cannot fail except for non-string map keys, which we never build.
        format!(r#"{{"jsonrpc":"2.0","id":null,"error":{{"code":-32603,"message":"encode failed: {e}"}}}}"#)
    })
}

/// Returns `params` as an object map, treating an absent member as empty.
pub fn params_object(params: Option<Value>) -> Result<Map<String, Value>, ErrorObject> {
    match params {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(ErrorObject::new(codes::INVALID_PARAMS, "invalid params: expected an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_code(input: &str) -> i64 {
        decode(input.as_bytes()).unwrap_err().outcome.unwrap_err().code
    }

    #[test]
    fn malformed_json_is_parse_error() {
        assert_eq!(err_code("{\"jsonrpc\":"), codes::PARSE_ERROR);
        assert_eq!(err_code(""), codes::PARSE_ERROR);
        assert_eq!(decode(&[0xff, 0xfe]).unwrap_err().outcome.unwrap_err().code, codes::PARSE_ERROR);
    }

    #[test]
    fn structural_problems_are_invalid_request() {
        assert_eq!(err_code(r#"{"id":1,"method":"ping"}"#), codes::INVALID_REQUEST);
        assert_eq!(err_code(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#), codes::INVALID_REQUEST);
        assert_eq!(err_code(r#"{"jsonrpc":"2.0","id":1,"method":5}"#), codes::INVALID_REQUEST);
        assert_eq!(err_code(r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#), codes::INVALID_REQUEST);
        assert_eq!(err_code(r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#), codes::INVALID_REQUEST);
        assert_eq!(err_code(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#), codes::INVALID_REQUEST);
        assert_eq!(err_code("42"), codes::INVALID_REQUEST);
        assert_eq!(err_code("[]"), codes::INVALID_REQUEST);
    }

    #[test]
    fn invalid_request_keeps_the_id_when_it_is_readable() {
        let r = decode(br#"{"jsonrpc":"1.0","id":7,"method":"ping"}"#).unwrap_err();
        assert_eq!(r.id, Some(RequestId::Number(7)));
    }

    #[test]
    fn classifies_messages() {
        let Payload::Single(Message::Notification(n)) =
            decode(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap()
        else {
            panic!("expected a notification")
        };
        assert_eq!(n.method, "notifications/initialized");
        let Payload::Single(Message::Response(r)) = decode(br#"{"jsonrpc":"2.0","id":"s-1","result":{}}"#).unwrap()
        else {
            panic!("expected a response")
        };
        assert_eq!(r.id, Some(RequestId::String("s-1".into())));
        let Payload::Batch(items) = decode(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}, 3]"#).unwrap() else {
            panic!("expected a batch")
        };
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().outcome.as_ref().unwrap_err().code, codes::INVALID_REQUEST);
    }

    #[test]
    fn encodes_round_trip() {
        let m = Message::Response(Response::error(Some(RequestId::Number(3)), ErrorObject::new(-32601, "nope")));
        let s = encode(&m);
        assert_eq!(s, r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"nope"}}"#);
        let Payload::Single(back) = decode(s.as_bytes()).unwrap() else { panic!() };
        assert_eq!(back, m);
    }
}
