//! [`PerConnection`]: the service factory of [`Server::serve_http`](crate::Server::serve_http).
//! Every accepted connection gets its peer address (`ConnectInfo<SocketAddr>`) and its own
//! [`ConnectionMemo`] in each request's extensions, so a client that keeps its connection alive
//! and repeats its bearer token does not have the token hashed again on every request.

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
}

impl PerConnection {
    pub(crate) fn new(router: Router) -> Self {
        PerConnection { router }
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
            memo: Arc::new(ConnectionMemo::new()),
        }))
    }
}

/// The router, serving one connection.
#[derive(Clone)]
pub(crate) struct ConnectionService {
    router: Router,
    peer: SocketAddr,
    memo: Arc<ConnectionMemo>,
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
        request.extensions_mut().insert(self.memo.clone());
        self.router.call(request)
    }
}
