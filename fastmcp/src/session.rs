//! One client's session: negotiated revision, capabilities, log level, subscriptions, and the
//! bookkeeping for in-flight requests in both directions.

use crate::protocol::jsonrpc::{ErrorObject, Message, RequestId};
use crate::protocol::{Implementation, LoggingLevel, ProtocolVersion};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Where messages to the client go: a request's own response stream, a session's standalone
/// stream, stdout, or a legacy SSE stream.
pub(crate) type Sink = mpsc::UnboundedSender<Message>;

type Pending = oneshot::Sender<Result<Value, ErrorObject>>;

/// Locks a mutex, recovering from poisoning (a panicking handler must not wedge the session).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug)]
pub(crate) struct Negotiated {
    pub version: ProtocolVersion,
    pub client_info: Implementation,
    pub client_capabilities: Map<String, Value>,
}

/// The state of one MCP session.
pub(crate) struct Session {
    /// `Mcp-Session-Id` (HTTP) or legacy SSE `session_id`; `None` for stdio and stateless HTTP.
    pub id: Option<Arc<str>>,
    negotiated: Mutex<Option<Arc<Negotiated>>>,
    /// Assumed revision before/without `initialize` (stateless HTTP uses the header).
    default_version: ProtocolVersion,
    log_level: Mutex<Option<LoggingLevel>>,
    subscriptions: Mutex<HashSet<String>>,
    pending: Mutex<HashMap<String, Pending>>,
    in_flight: Mutex<HashMap<RequestId, CancellationToken>>,
    /// The stream for messages not tied to a request (GET stream, stdout, legacy SSE).
    standalone: Mutex<Option<Sink>>,
    next_request: AtomicU64,
    next_stream: AtomicU64,
    last_seen: Mutex<Instant>,
    /// The subject of the token that opened the session; later requests must carry the same.
    owner: Mutex<Option<String>>,
    /// Cancelled when the session ends (DELETE, expiry, stdin EOF).
    pub closed: CancellationToken,
}

impl Session {
    pub fn new(id: Option<Arc<str>>, default_version: ProtocolVersion) -> Arc<Self> {
        Arc::new(Session {
            id,
            negotiated: Mutex::new(None),
            default_version,
            log_level: Mutex::new(None),
            subscriptions: Mutex::new(HashSet::new()),
            pending: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            standalone: Mutex::new(None),
            next_request: AtomicU64::new(1),
            next_stream: AtomicU64::new(1),
            last_seen: Mutex::new(Instant::now()),
            owner: Mutex::new(None),
            closed: CancellationToken::new(),
        })
    }

    pub fn set_negotiated(&self, n: Negotiated) {
        *lock(&self.negotiated) = Some(Arc::new(n));
    }

    pub fn negotiated(&self) -> Option<Arc<Negotiated>> {
        lock(&self.negotiated).clone()
    }

    pub fn is_initialized(&self) -> bool {
        lock(&self.negotiated).is_some()
    }

    pub fn version(&self) -> ProtocolVersion {
        lock(&self.negotiated).as_ref().map_or(self.default_version, |n| n.version)
    }

    pub fn client_supports(&self, capability: &str) -> bool {
        lock(&self.negotiated).as_ref().is_some_and(|n| n.client_capabilities.contains_key(capability))
    }

    pub fn set_log_level(&self, level: LoggingLevel) {
        *lock(&self.log_level) = Some(level);
    }

    /// Messages below the level set by `logging/setLevel` are dropped; before it, all are sent.
    pub fn wants_log(&self, level: LoggingLevel) -> bool {
        lock(&self.log_level).is_none_or(|min| level >= min)
    }

    pub fn subscribe(&self, uri: String) {
        lock(&self.subscriptions).insert(uri);
    }

    pub fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    pub fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    pub fn set_standalone(&self, sink: Option<Sink>) {
        *lock(&self.standalone) = sink;
    }

    /// True when a live standalone stream is attached.
    pub fn has_standalone(&self) -> bool {
        lock(&self.standalone).as_ref().is_some_and(|s| !s.is_closed())
    }

    /// Sends on the standalone stream; returns false when none is open.
    pub fn send_standalone(&self, message: Message) -> bool {
        lock(&self.standalone).as_ref().is_some_and(|s| s.send(message).is_ok())
    }

    /// Registers a server-to-client request and returns its id and the receiver of its answer.
    pub fn register_outgoing(&self) -> (RequestId, oneshot::Receiver<Result<Value, ErrorObject>>) {
        let n = self.next_request.fetch_add(1, Ordering::Relaxed);
        let id = format!("srv-{n}");
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), tx);
        (RequestId::String(id), rx)
    }

    pub fn forget_outgoing(&self, id: &RequestId) {
        if let RequestId::String(s) = id {
            lock(&self.pending).remove(s);
        }
    }

    /// Routes a client's response to the server request waiting for it. False if none waits.
    pub fn complete_outgoing(&self, id: &RequestId, outcome: Result<Value, ErrorObject>) -> bool {
        let RequestId::String(s) = id else { return false };
        match lock(&self.pending).remove(s) {
            Some(tx) => tx.send(outcome).is_ok(),
            None => false,
        }
    }

    /// A new id for an SSE stream of this session (event ids are `<stream>-<n>`).
    pub fn next_stream_id(&self) -> u64 {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    /// Fails every server-to-client request still waiting (the client went away).
    pub fn fail_outgoing(&self) {
        lock(&self.pending).clear();
    }

    pub fn start_request(&self, id: &RequestId) -> CancellationToken {
        let token = self.closed.child_token();
        lock(&self.in_flight).insert(id.clone(), token.clone());
        token
    }

    pub fn finish_request(&self, id: &RequestId) {
        lock(&self.in_flight).remove(id);
    }

    pub fn cancel_request(&self, id: &RequestId) {
        if let Some(t) = lock(&self.in_flight).remove(id) {
            t.cancel();
        }
    }

    /// Binds the session to `subject` on first use; false if it belongs to someone else.
    pub fn bind_owner(&self, subject: &str) -> bool {
        let mut owner = lock(&self.owner);
        match owner.as_deref() {
            None => {
                *owner = Some(subject.to_owned());
                true
            }
            Some(o) => o == subject,
        }
    }

    pub fn touch(&self) {
        *lock(&self.last_seen) = Instant::now();
    }

    pub fn idle_for(&self) -> std::time::Duration {
        lock(&self.last_seen).elapsed()
    }
}

/// Live sessions of a server, by id; used to find a session for an HTTP request and to
/// broadcast list-changed and resource-updated notifications.
#[derive(Default)]
pub(crate) struct Sessions {
    by_id: Mutex<HashMap<Arc<str>, Arc<Session>>>,
    anonymous: Mutex<Vec<std::sync::Weak<Session>>>,
}

impl Sessions {
    pub fn insert(&self, session: &Arc<Session>) {
        match &session.id {
            Some(id) => {
                lock(&self.by_id).insert(id.clone(), session.clone());
            }
            None => {
                let mut anon = lock(&self.anonymous);
                anon.retain(|w| w.strong_count() > 0);
                anon.push(Arc::downgrade(session));
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        lock(&self.by_id).get(id).cloned()
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Session>> {
        let s = lock(&self.by_id).remove(id);
        if let Some(s) = &s {
            s.closed.cancel();
        }
        s
    }

    /// Ends sessions idle for longer than `ttl`.
    pub fn expire_idle(&self, ttl: std::time::Duration) {
        let mut map = lock(&self.by_id);
        map.retain(|_, s| {
            let keep = s.idle_for() < ttl || s.has_standalone();
            if !keep {
                s.closed.cancel();
            }
            keep
        });
    }

    pub fn len(&self) -> usize {
        lock(&self.by_id).len()
    }

    pub fn all(&self) -> Vec<Arc<Session>> {
        let mut v: Vec<_> = lock(&self.by_id).values().cloned().collect();
        v.extend(lock(&self.anonymous).iter().filter_map(|w| w.upgrade()));
        v
    }
}

/// A new session id: 128 random bits, hex (visible ASCII as the spec requires).
pub(crate) fn new_session_id() -> Arc<str> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s.into()
}
