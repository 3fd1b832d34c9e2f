//! [`PerConnection`]: the service factory of [`Server::serve_http`](crate::Server::serve_http).
//! Every accepted connection gets its peer address (`ConnectInfo<SocketAddr>`) and, when the
//! server checks bearer tokens, its own [`ConnectionMemo`] in each request's extensions, so a
//! client that keeps its connection alive and repeats its token does not have it hashed again.

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::response::Response;
use axum::serve::IncomingStream;
use fastmcp_auth::ConnectionMemo;
use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpListener;
use tower_service::Service;

/// Makes one [`ConnectionService`] per accepted TCP connection.
#[derive(Clone)]
pub(crate) struct PerConnection {
    router: Router,
    /// Give connections a memo (only servers that check bearer tokens use one).
    memo: bool,
}

impl PerConnection {
    pub(crate) fn new(router: Router, memo: bool) -> Self {
        PerConnection { router, memo }
    }
}

impl<'a> Service<IncomingStream<'a, TcpListener>> for PerConnection {
    type Response = ConnectionService;
    type Error = Infallible;
    type Future = Ready<Result<ConnectionService, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, TcpListener>) -> Self::Future {
        ready(Ok(ConnectionService {
            router: self.router.clone(),
            peer: *stream.remote_addr(),
            memo: self.memo.then(|| Arc::new(ConnectionMemo::new())),
        }))
    }
}

/// The router, serving one connection.
#[derive(Clone)]
pub(crate) struct ConnectionService {
    router: Router,
    peer: SocketAddr,
    memo: Option<Arc<ConnectionMemo>>,
}

impl Service<Request> for ConnectionService {
    type Response = Response;
    type Error = Infallible;
    type Future = <Router as Service<Request>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        if let Some(memo) = &self.memo {
            request.extensions_mut().insert(memo.clone());
        }
        self.router.call(request)
    }
}
