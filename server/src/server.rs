//! Binding, serving and graceful shutdown, for the binary and for embedders.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::{Listener, ListenerExt};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::state::AppState;
use crate::store::memory::MemoryStore;
use crate::store::redis::RedisStore;
use crate::store::{Store, StoreError};
use crate::tls::{self, TlsListener};

/// How long shutdown waits for open sockets to send their close frames.
const SOCKETS_GOODBYE: Duration = Duration::from_secs(5);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot reach the store: {0}")]
    Store(#[from] StoreError),
    #[error("TLS: {0}")]
    Tls(String),
}

/// The store the configuration asks for: Redis when a URL is given, else memory.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartError> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(RedisStore::connect(url).await?),
        None => Arc::new(MemoryStore::new()),
    })
}

/// A server running on a tokio task.
pub struct RunningServer {
    addr: SocketAddr,
    tls: bool,
    backend: &'static str,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// The address it listens on (the real port when the config said 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, or `https://<addr>` when it serves TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `"memory"` or `"redis"`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Closes every socket with "going away", finishes open requests, stops.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Opens the configured store, binds `config.listen` and serves.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    config.validate().map_err(StartError::Config)?;
    let store = open_store(&config).await?;
    start_with_store(config, store).await
}

/// Serves with a store the caller already has (tests, benchmarks, embedders).
pub async fn start_with_store(
    config: Config,
    store: Arc<dyn Store>,
) -> Result<RunningServer, StartError> {
    config.validate().map_err(StartError::Config)?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::load(cert, key).map_err(StartError::Tls)?),
        _ => None,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let (shutdown, watcher) = watch::channel(false);
    let backend = store.backend();
    let sockets = TaskTracker::new();
    let state = AppState {
        store,
        config: Arc::new(config),
        shutdown: watcher.clone(),
        sockets: sockets.clone(),
    };
    let app = crate::http::router(state);
    let served = tls.is_some();
    let task = match tls {
        Some(config) => {
            let listener = TlsListener::new(listener, config)
                .map_err(|source| StartError::Bind { addr, source })?;
            tokio::spawn(serve(listener, app, watcher, sockets))
        }
        // Chat frames are small and latency-bound: without TCP_NODELAY a
        // frame that follows another waits for a delayed ACK (about 40 ms).
        None => tokio::spawn(serve(listener.tap_io(nodelay), app, watcher, sockets)),
    };
    tracing::info!(%addr, backend, tls = served, "room server listening");
    Ok(RunningServer {
        addr,
        tls: served,
        backend,
        shutdown,
        task,
    })
}

fn nodelay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// Serves until `stop` turns true, then finishes open requests and waits
/// (a bounded time) for every socket to have said goodbye.
async fn serve<L>(
    listener: L,
    app: Router,
    mut stop: watch::Receiver<bool>,
    sockets: TaskTracker,
) -> std::io::Result<()>
where
    L: Listener,
    L::Addr: std::fmt::Debug,
{
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    sockets.close();
    if tokio::time::timeout(SOCKETS_GOODBYE, sockets.wait())
        .await
        .is_err()
    {
        tracing::warn!(open = sockets.len(), "sockets still open at shutdown");
    }
    served
}
