//! Prometheus metrics for operators (`GET /metrics`).
//!
//! Counters go through the `metrics` facade into one process-wide recorder;
//! the store latency histogram is the server's own ([`latency`]); gauges
//! (live rooms, open sockets and connections) are read from the server's own
//! state when scraped. Labels never hold room ids, tokens or addresses.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use private_chat_protocol::ErrorCode;

mod latency;

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
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

/// Installs the recorder (at start, so the first counts are not lost).
pub fn install() {
    let _ = handle();
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
/// its place in `ALL` (which the histogram indexes by discriminant).
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

/// How long one store operation took.
pub fn store_call(op: StoreOp, took: Duration) {
    latency::STORE.record(op, took);
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
    latency::STORE.render(STORE_SECONDS, &mut out);
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

    /// The latency histogram indexes its counts by discriminant: each
    /// operation finds its own, under its own label.
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
