//! Server-sent-events framing shared by the Streamable HTTP and legacy SSE transports.

use crate::protocol::jsonrpc::{self, Message};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::mpsc;

/// One SSE event. `data` must not contain line breaks (compact JSON never does).
pub(crate) fn event(id: Option<&str>, name: Option<&str>, data: &str) -> Bytes {
    let mut s = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        s.push_str("id: ");
        s.push_str(id);
        s.push('\n');
    }
    if let Some(name) = name {
        s.push_str("event: ");
        s.push_str(name);
        s.push('\n');
    }
    s.push_str("data: ");
    s.push_str(data);
    s.push_str("\n\n");
    Bytes::from(s)
}

/// The priming event (SEP-1699): an id to resume from and a reconnection delay, no data.
pub(crate) fn priming(id: &str, retry: Duration) -> Bytes {
    Bytes::from(format!("id: {id}\nretry: {}\ndata: \n\n", retry.as_millis()))
}

/// A `text/event-stream` response from a stream of frames.
pub(crate) fn response(frames: impl Stream<Item = Bytes> + Send + 'static) -> Response {
    use futures_util::StreamExt;
    let mut r = Response::new(Body::from_stream(frames.map(Ok::<_, Infallible>)));
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-transform"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// What a message stream does after each message.
pub(crate) enum Until {
    /// Ends after the first response (a POST's stream).
    Response,
    /// Runs until the channel closes (GET / legacy streams).
    Closed,
}

/// Frames `messages` as `event: message` events with ids `<prefix><n>`, adding keep-alive
/// comments while idle. `guard` is dropped when the stream ends (e.g. to detach a session).
pub(crate) fn message_frames<G: Send + 'static>(
    first: Vec<Bytes>,
    messages: mpsc::UnboundedReceiver<Message>,
    until: Until,
    id_prefix: String,
    keep_alive: Duration,
    guard: G,
) -> impl Stream<Item = Bytes> + Send + 'static {
    struct State<G> {
        first: std::vec::IntoIter<Bytes>,
        rx: mpsc::UnboundedReceiver<Message>,
        until: Until,
        prefix: String,
        seq: u64,
        done: bool,
        keep_alive: Duration,
        _guard: G,
    }
    let state = State {
        first: first.into_iter(),
        rx: messages,
        until,
        prefix: id_prefix,
        seq: 0,
        done: false,
        keep_alive,
        _guard: guard,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if let Some(f) = st.first.next() {
            return Some((f, st));
        }
        if st.done {
            return None;
        }
        let message = tokio::select! {
            m = st.rx.recv() => m?,
            _ = tokio::time::sleep(st.keep_alive) => return Some((Bytes::from_static(b": keep-alive\n\n"), st)),
        };
        if matches!(st.until, Until::Response) && matches!(message, Message::Response(_)) {
            st.done = true;
        }
        st.seq += 1;
        let id = format!("{}{}", st.prefix, st.seq);
        let frame = event(Some(&id), Some("message"), &jsonrpc::encode(&message));
        Some((frame, st))
    })
}
