//! Binding, serving and graceful shutdown, for the binary and for embedders.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;

use crate::closing::Closing;
use crate::config::Config;
use crate::guard::Guard;
use crate::serve::Serve;
use crate::state::AppState;
use crate::store::measured::Measured;
use crate::store::memory::MemoryStore;
use crate::store::redis::RedisStore;
use crate::store::redis_conn::Target;
use crate::store::{Store, StoreError};
use crate::tls;

/// How often rate buckets of quiet addresses are dropped.
const FORGET_EVERY: Duration = Duration::from_secs(60);

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
        Some(urls) => {
            let target = Target::parse(urls, config.redis_cluster).map_err(StartError::Config)?;
            Arc::new(
                RedisStore::open(&target)
                    .await?
                    .with_wait_replicas(config.redis_wait_replicas),
            )
        }
        None => Arc::new(MemoryStore::new()),
    })
}

/// A server running on a tokio task.
pub struct RunningServer {
    addr: SocketAddr,
    tls: bool,
    backend: &'static str,
    shutdown: watch::Sender<bool>,
    draining: Arc<AtomicBool>,
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

    /// Drains: `/readyz` answers 503 for `grace` (so a load balancer sends
    /// new clients elsewhere), then the server stops as [`Self::shutdown`].
    pub async fn drain(self, grace: Duration) -> std::io::Result<()> {
        self.draining.store(true, Ordering::Relaxed);
        tracing::info!(grace_secs = grace.as_secs_f64(), "draining");
        tokio::time::sleep(grace).await;
        self.shutdown().await
    }

    /// Stops accepting, tells every socket to reconnect elsewhere (1012),
    /// finishes open requests and in-flight writes, stops.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.draining.store(true, Ordering::Relaxed);
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
    raise_open_file_limit();
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
    let guard = Arc::new(Guard::new(&config));
    let tls = tls.map(TlsAcceptor::from);
    let served = tls.is_some();
    let header_timeout = Duration::from_secs(config.header_timeout_secs);
    let body_timeout = Duration::from_secs(config.body_timeout_secs);
    let draining = Arc::new(AtomicBool::new(false));
    let store: Arc<dyn Store> = Arc::new(Measured(store));
    crate::metrics::install();
    let closing = Arc::new(Closing::default());
    tokio::spawn({
        let (mut stop, closing) = (watcher.clone(), closing.clone());
        // On the stop, or when the server is dropped without one.
        async move {
            let _ = stop.wait_for(|s| *s).await;
            closing.close_all();
        }
    });
    let state = AppState {
        draining: draining.clone(),
        store,
        config: Arc::new(config),
        guard: guard.clone(),
        closing,
        sockets: sockets.clone(),
    };
    let serve = Serve {
        app: crate::http::router(state),
        tls,
        connections: guard.connections.clone(),
        header_timeout,
        body_timeout,
    };
    tokio::spawn(every(FORGET_EVERY, watcher.clone(), move || {
        guard.rates.forget_idle()
    }));
    let task = tokio::spawn(serve.run(listener, watcher, sockets));
    tracing::info!(%addr, backend, tls = served, "room server listening");
    Ok(RunningServer {
        addr,
        tls: served,
        backend,
        shutdown,
        draining,
        task,
    })
}

/// Runs a housekeeping `chore` every `period` until the server stops.
async fn every(period: Duration, mut stop: watch::Receiver<bool>, chore: impl Fn()) {
    let mut ticks = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = ticks.tick() => chore(),
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Raises the soft limit on open files to the hard one where the system
/// allows, so the connection caps, not the descriptor table, decide.
fn raise_open_file_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read and write the plain struct given.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                limit.rlim_cur = limit.rlim_max;
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    tracing::debug!("cannot raise the open-file limit");
                }
            }
        }
    }
}
