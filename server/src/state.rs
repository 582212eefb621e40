//! What every handler shares.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tokio_util::task::TaskTracker;

use crate::closing::Closing;
use crate::config::Config;
use crate::guard::Guard;
use crate::store::Store;

/// Shared by every route and socket. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Rates and caps against exhaustion.
    pub guard: Arc<Guard>,
    /// Fires each socket's stop when the server shuts down, so sockets can
    /// say goodbye.
    pub closing: Arc<Closing>,
    /// Set when the instance drains before stopping: `/readyz` says 503.
    pub draining: Arc<AtomicBool>,
    /// Every open socket's session, so shutdown can wait for their goodbyes
    /// (axum's graceful shutdown does not wait for upgraded connections).
    pub sockets: TaskTracker,
}
