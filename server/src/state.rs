//! What every handler shares.

use std::sync::Arc;

use tokio::sync::watch;

use crate::config::Config;
use crate::store::Store;

/// Shared by every route and socket. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    /// Turns `true` when the server shuts down, so sockets can say goodbye.
    pub shutdown: watch::Receiver<bool>,
}
