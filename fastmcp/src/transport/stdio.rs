//! stdio transport: newline-delimited JSON-RPC on stdin/stdout. Logs go to stderr only.

use crate::Server;
use crate::protocol::ProtocolVersion;
use crate::protocol::jsonrpc::{self, Message, Payload};
use crate::session::Session;
use futures_util::future::join_all;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

impl Server {
    /// Serves one client on this process's stdin/stdout until stdin closes.
    pub async fn serve_stdio(&self) -> std::io::Result<()> {
        self.serve_io(tokio::io::stdin(), tokio::io::stdout()).await
    }

    /// Serves one client over any byte streams (newline-delimited JSON), e.g. a child process's pipes.
    pub async fn serve_io<R, W>(&self, input: R, output: W) -> std::io::Result<()>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (lines_tx, mut lines_rx) = mpsc::unbounded_channel::<String>();
        let writer = tokio::spawn(async move {
            let mut output = output;
            while let Some(line) = lines_rx.recv().await {
                output.write_all(line.as_bytes()).await?;
                output.write_all(b"\n").await?;
                output.flush().await?;
            }
            std::io::Result::Ok(())
        });

        // Every message for the client goes through one encoder feeding the writer.
        let (sink, mut messages) = mpsc::unbounded_channel::<Message>();
        let encoder_tx = lines_tx.clone();
        tokio::spawn(async move {
            while let Some(m) = messages.recv().await {
                if encoder_tx.send(jsonrpc::encode(&m)).is_err() {
                    break;
                }
            }
        });

        let session = Session::new(None, ProtocolVersion::LATEST);
        session.set_standalone(Some(sink.clone()));
        self.inner.sessions.insert(&session);

        let mut lines = BufReader::new(input).lines();
        while let Some(line) = lines.next_line().await? {
            if line.trim().is_empty() {
                continue;
            }
            match jsonrpc::decode(line.as_bytes()) {
                Err(response) => {
                    let _ = sink.send(Message::Response(response));
                }
                Ok(Payload::Single(message)) => {
                    // `initialize` and notifications are handled in order, before the next
                    // line is read; requests run concurrently (a tool may wait on the client).
                    let inline = match &message {
                        Message::Request(r) => r.method == "initialize",
                        _ => true,
                    };
                    if inline {
                        if let Some(r) = self.handle_message(&session, message, Some(sink.clone()), None).await {
                            let _ = sink.send(Message::Response(r));
                        }
                        continue;
                    }
                    let (server, session, sink) = (self.clone(), session.clone(), sink.clone());
                    tokio::spawn(async move {
                        if let Some(r) = server.handle_message(&session, message, Some(sink.clone()), None).await {
                            let _ = sink.send(Message::Response(r));
                        }
                    });
                }
                Ok(Payload::Batch(items)) => {
                    if !session.version().allows_batches() {
                        let _ = sink.send(Message::Response(batch_rejected(session.version())));
                        continue;
                    }
                    let (server, session, sink, lines_tx) =
                        (self.clone(), session.clone(), sink.clone(), lines_tx.clone());
                    tokio::spawn(async move {
                        let responses = join_all(items.into_iter().map(|item| {
                            let (server, session, sink) = (server.clone(), session.clone(), sink.clone());
                            async move {
                                match item {
                                    Ok(m) => server.handle_message(&session, m, Some(sink), None).await,
                                    Err(r) => Some(r),
                                }
                            }
                        }))
                        .await;
                        let out: Vec<Message> = responses.into_iter().flatten().map(Message::Response).collect();
                        if !out.is_empty() {
                            let _ = lines_tx.send(serde_json::to_string(&out).unwrap_or_default());
                        }
                    });
                }
            }
        }
        // The client is gone: requests waiting for its answers fail; others finish and answer.
        session.fail_outgoing();
        session.set_standalone(None);
        drop((sink, lines_tx));
        // In-flight handlers keep the writer alive until they answer; then it drains and ends.
        match writer.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// The error for a JSON array on a revision without batching (2025-06-18 and later).
pub(crate) fn batch_rejected(version: ProtocolVersion) -> jsonrpc::Response {
    jsonrpc::Response::error(
        None,
        jsonrpc::ErrorObject::new(
            jsonrpc::codes::INVALID_REQUEST,
            format!("invalid request: JSON-RPC batches are not supported in protocol revision {version}"),
        ),
    )
}
