//! Prometheus metrics for operators (`GET /metrics`).
//!
//! Counters and the store latency histogram go through the `metrics` facade
//! into one process-wide recorder; gauges (live rooms, open sockets and
//! connections) are read from the server's own state when scraped. Labels
//! never hold room ids, tokens or addresses.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use private_chat_protocol::ErrorCode;

/// The store-latency histogram's buckets, in seconds (0.1 ms .. 2.5 s).
const STORE_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

pub const ROOMS_CREATED: &str = "private_chat_rooms_created_total";
pub const ROOMS_DESTROYED: &str = "private_chat_rooms_destroyed_total";
pub const MESSAGES: &str = "private_chat_messages_total";
pub const ERRORS: &str = "private_chat_errors_total";
pub const STORE_SECONDS: &str = "private_chat_store_seconds";

/// The process's recorder, installed on first use; `None` if another
/// recorder was installed first (an embedder's own).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(STORE_SECONDS.into()), STORE_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// How often the recorder's upkeep runs (see [`upkeep`]).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the recorder (at start, so the first counts are not lost).
pub fn install() {
    let _ = handle();
}

/// Folds the histogram's pending samples into its buckets. The recorder
/// keeps every sample until then (`install_recorder` spawns no upkeep of
/// its own), so without this an instance nobody scrapes would grow by
/// every message's store time.
pub fn upkeep() {
    if let Some(handle) = handle() {
        handle.run_upkeep();
    }
}

/// A refusal answered, by its wire code.
pub fn error(code: ErrorCode) {
    metrics::counter!(ERRORS, "code" => code.as_str()).increment(1);
}

/// A message stored (retries not counted).
pub fn message_stored() {
    static HANDLE: OnceLock<metrics::Counter> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            install();
            metrics::counter!(MESSAGES)
        })
        .increment(1);
}

/// Defines [`StoreOp`] from one list, so every operation has its label and
/// its place in `ALL` (which [`store_call`] indexes by discriminant).
macro_rules! store_ops {
    ($($op:ident => $label:literal,)*) => {
        /// The store's operations, the `op` label of [`STORE_SECONDS`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum StoreOp {
            $($op,)*
        }

        impl StoreOp {
            /// Every operation, in declaration order.
            const ALL: &'static [StoreOp] = &[$(Self::$op,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$op => $label,)*
                }
            }
        }
    };
}

store_ops! {
    Health => "health",
    CreateRoom => "create_room",
    JoinRoom => "join_room",
    Room => "room",
    AppendMessage => "append_message",
    Messages => "messages",
    Destroy => "destroy",
    Connect => "connect",
    Renew => "renew",
    Disconnect => "disconnect",
    Publish => "publish",
    Subscribe => "subscribe",
}

/// How long one store operation took. The histograms' handles are made
/// once, like [`message_stored`]'s, so the hot path (one store call per
/// message) skips the registry's lookup.
pub fn store_call(op: StoreOp, took: Duration) {
    static HANDLES: OnceLock<Vec<metrics::Histogram>> = OnceLock::new();
    let handles = HANDLES.get_or_init(|| {
        install();
        StoreOp::ALL
            .iter()
            .map(|op| metrics::histogram!(STORE_SECONDS, "op" => op.as_str()))
            .collect()
    });
    handles[op as usize].record(took.as_secs_f64());
}

/// What the server knows only when asked.
pub struct Gauges {
    pub rooms_live: usize,
    pub sockets_open: usize,
    pub connections_open: usize,
    pub draining: bool,
}

/// The text exposition of every metric.
pub fn render(gauges: &Gauges) -> String {
    let mut out = handle().map(|h| h.render()).unwrap_or_default();
    for (name, help, value) in [
        (
            "private_chat_rooms_live",
            "Live rooms created through this instance.",
            gauges.rooms_live,
        ),
        (
            "private_chat_sockets_open",
            "Open room sockets.",
            gauges.sockets_open,
        ),
        (
            "private_chat_connections_open",
            "Open connections (HTTP and sockets).",
            gauges.connections_open,
        ),
        (
            "private_chat_draining",
            "1 while the instance drains before stopping.",
            usize::from(gauges.draining),
        ),
    ] {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::StoreOp;

    /// `store_call` indexes its handles by discriminant: each operation
    /// finds its own, under its own label.
    #[test]
    fn store_ops_index_their_own_handle() {
        for (at, op) in StoreOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, at, "{op:?}");
        }
        let mut labels: Vec<_> = StoreOp::ALL.iter().map(|op| op.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), StoreOp::ALL.len());
    }
}
