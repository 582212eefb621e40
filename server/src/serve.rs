//! The accept loop. axum's `serve` has no header or body read timeout and
//! no connection cap, so connections are served here with hyper directly:
//!
//! - each accepted connection is counted ([`crate::guard::connections`])
//!   before anything is read; past a cap it gets a one-shot 429/503 answer;
//! - the TLS handshake (if any) and HTTP/1.1 run on the connection's own
//!   task, so a slow client holds up no one;
//! - hyper's header read timeout bounds both a request's headers and an
//!   idle keep-alive connection (its clock starts whenever hyper waits for
//!   a request head); a body that does not arrive in time ends with 408;
//! - the count travels with the connection through a WebSocket upgrade.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use private_chat_protocol::ErrorBody;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

use crate::error::Error;
use crate::guard::connections::{Connections, Permit};
use crate::http::error::retry_after_secs;
use crate::tls::HANDSHAKE_TIMEOUT;

/// How long shutdown waits for open requests and sockets to finish.
const GOODBYE: Duration = Duration::from_secs(5);
/// How long a refused connection is given to read its answer.
const REFUSAL_TIME: Duration = Duration::from_secs(2);
/// Largest request head hyper buffers (headers beyond it are refused).
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// What every connection task needs.
pub struct Serve {
    pub app: Router,
    pub tls: Option<TlsAcceptor>,
    pub connections: Arc<Connections>,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

impl Serve {
    /// Accepts until `stop` turns true, then lets open requests finish and
    /// waits (a bounded time) for every socket to have said goodbye.
    pub async fn run(
        self,
        listener: TcpListener,
        mut stop: watch::Receiver<bool>,
        sockets: TaskTracker,
    ) -> io::Result<()> {
        let this = Arc::new(self);
        let connections = TaskTracker::new();
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: back off, then go on.
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = stopped(&mut stop) => break,
            };
            // Chat frames are small and latency-bound: without TCP_NODELAY a
            // frame that follows another waits for a delayed ACK (about 40 ms).
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
            let permit = this.connections.admit(peer.ip());
            connections.spawn(this.clone().connection(tcp, peer, permit, stop.clone()));
        }
        drop(listener);
        connections.close();
        if tokio::time::timeout(GOODBYE, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(open = connections.len(), "requests still open at shutdown");
        }
        sockets.close();
        if tokio::time::timeout(GOODBYE, sockets.wait()).await.is_err() {
            tracing::warn!(open = sockets.len(), "sockets still open at shutdown");
        }
        Ok(())
    }

    async fn connection(
        self: Arc<Self>,
        tcp: TcpStream,
        peer: SocketAddr,
        permit: Result<Permit, Error>,
        stop: watch::Receiver<bool>,
    ) {
        match &self.tls {
            None => self.http(tcp, peer, permit, stop).await,
            Some(acceptor) => {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => self.http(tls, peer, permit, stop).await,
                    Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                }
            }
        }
    }

    async fn http<I>(
        &self,
        io: I,
        peer: SocketAddr,
        permit: Result<Permit, Error>,
        mut stop: watch::Receiver<bool>,
    ) where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let permit = match permit {
            Ok(permit) => permit,
            Err(e) => return refuse(io, e).await,
        };
        let io = Counted {
            io,
            _permit: permit,
        };
        let (app, body_timeout) = (self.app.clone(), self.body_timeout);
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let mut req = req.map(|body| Body::new(TimeoutBody::new(body_timeout, body)));
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout)
            .max_buf_size(MAX_HEAD_BYTES);
        let conn = builder
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        tokio::pin!(conn);
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            _ = stopped(&mut stop) => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
}

/// Resolves once the server is told to stop (the guard `wait_for` returns
/// is not `Send`, so it is dropped here).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Answers a connection that may not stay with its error, then closes it.
/// What the client had sent is read and dropped first, so closing does not
/// reset the connection before the answer is read.
async fn refuse<I: AsyncRead + AsyncWrite + Unpin>(mut io: I, e: Error) {
    crate::metrics::error(e.code);
    let status = hyper::StatusCode::from_u16(e.code.status())
        .unwrap_or(hyper::StatusCode::SERVICE_UNAVAILABLE);
    let body = serde_json::to_string(&ErrorBody {
        error: e.code,
        message: e.message.into_owned(),
    })
    .expect("an error body serializes");
    let retry = e
        .retry_after
        .map(|wait| format!("retry-after: {}\r\n", retry_after_secs(wait)))
        .unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
    );
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        io.write_all(answer.as_bytes()).await?;
        io.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut read = 0usize;
        while read < 64 * 1024 {
            match io.read(&mut sink).await? {
                0 => break,
                n => read += n,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

/// A connection's stream holding its count, so the count lasts as long as
/// the stream, including after a WebSocket upgrade takes it over.
struct Counted<I> {
    io: I,
    _permit: Permit,
}

impl<I: AsyncRead + Unpin> AsyncRead for Counted<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Counted<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
