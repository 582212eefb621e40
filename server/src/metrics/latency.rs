//! The store-latency histogram (`private_chat_store_seconds{op}`), kept by
//! the server itself rather than by the `metrics` recorder.
//!
//! Every message makes a store call, so this is recorded on the hottest
//! path. The recorder keeps each sample in a lock-free list shared by every
//! thread (allocated in blocks, folded into buckets by a periodic upkeep);
//! here a sample is three relaxed additions to counters of the recording
//! thread's own shard, on a cache line no other thread writes in the
//! common case, and the buckets are summed only when scraped.

use std::cell::Cell;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::StoreOp;

/// Upper bounds of the buckets, in nanoseconds (0.1 ms .. 2.5 s).
const BOUNDS_NS: [u64; 14] = [
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
];
const OPS: usize = StoreOp::ALL.len();
/// Shards, each written by the threads whose turn number falls on it: a
/// server's runtime has about as many workers as cores.
const SHARDS: usize = 4;

/// One operation's counts in one shard: a sample per bucket (not
/// cumulative), the samples past the last bound, and the sum.
struct Counts {
    buckets: [AtomicU64; BOUNDS_NS.len()],
    over: AtomicU64,
    sum_ns: AtomicU64,
}

/// A shard on cache lines of its own.
#[repr(align(128))]
struct Shard([Counts; OPS]);

/// A latency histogram per store operation.
pub struct Latency([Shard; SHARDS]);

/// The process's store latencies.
pub static STORE: Latency = Latency::new();

impl Shard {
    const fn new() -> Self {
        Self([const { Counts::new() }; OPS])
    }
}

impl Counts {
    const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; BOUNDS_NS.len()],
            over: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
        }
    }
}

/// The calling thread's shard number, given out in turn at its first sample.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: Cell<Option<usize>> = const { Cell::new(None) };
    }
    MINE.with(|mine| {
        mine.get().unwrap_or_else(|| {
            let at = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
            mine.set(Some(at));
            at
        })
    })
}

impl Latency {
    pub const fn new() -> Self {
        Self([const { Shard::new() }; SHARDS])
    }

    /// Counts one store call of `op` that took `took`.
    pub fn record(&self, op: StoreOp, took: Duration) {
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let counts = &self.0[shard()].0[op as usize];
        match BOUNDS_NS.iter().position(|&bound| ns <= bound) {
            Some(at) => counts.buckets[at].fetch_add(1, Ordering::Relaxed),
            None => counts.over.fetch_add(1, Ordering::Relaxed),
        };
        counts.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Appends the histogram in Prometheus text format, every operation's
    /// series (zeros included, so a dashboard sees every label from the start).
    pub fn render(&self, name: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} Time of each store call, by operation.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for op in StoreOp::ALL {
            let label = op.as_str();
            let (mut buckets, mut over, mut sum_ns) = ([0u64; BOUNDS_NS.len()], 0u64, 0u64);
            for shard in &self.0 {
                let counts = &shard.0[*op as usize];
                for (total, bucket) in buckets.iter_mut().zip(&counts.buckets) {
                    *total += bucket.load(Ordering::Relaxed);
                }
                over += counts.over.load(Ordering::Relaxed);
                sum_ns += counts.sum_ns.load(Ordering::Relaxed);
            }
            let mut seen = 0;
            for (bound, count) in BOUNDS_NS.iter().zip(buckets) {
                seen += count;
                let le = *bound as f64 / 1e9;
                let _ = writeln!(out, "{name}_bucket{{op=\"{label}\",le=\"{le}\"}} {seen}");
            }
            seen += over;
            let sum = sum_ns as f64 / 1e9;
            let _ = writeln!(out, "{name}_bucket{{op=\"{label}\",le=\"+Inf\"}} {seen}");
            let _ = writeln!(out, "{name}_sum{{op=\"{label}\"}} {sum}");
            let _ = writeln!(out, "{name}_count{{op=\"{label}\"}} {seen}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of `series` in `text`, parsed.
    fn value(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{series} missing from:\n{text}"))
            .parse()
            .unwrap()
    }

    /// Samples land in the first bucket whose bound holds them, bounds
    /// included; buckets render cumulative, from any thread's shard.
    #[test]
    fn samples_are_counted_in_cumulative_buckets() {
        static LATENCY: Latency = Latency::new();
        let name = "test_seconds";
        let op = StoreOp::Disconnect;
        let mut before = String::new();
        LATENCY.render(name, &mut before);
        let threads: Vec<_> = [
            Duration::from_micros(100),
            Duration::from_micros(101),
            Duration::from_millis(3),
            Duration::from_secs(60),
        ]
        .into_iter()
        .map(|took| std::thread::spawn(move || LATENCY.record(op, took)))
        .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut after = String::new();
        LATENCY.render(name, &mut after);
        let grew = |series: &str| value(&after, series) - value(&before, series);
        let bucket = |le: &str| format!("{name}_bucket{{op=\"disconnect\",le=\"{le}\"}}");
        assert_eq!(grew(&bucket("0.0001")), 1.0);
        assert_eq!(grew(&bucket("0.00025")), 2.0);
        assert_eq!(grew(&bucket("0.0025")), 2.0);
        assert_eq!(grew(&bucket("0.005")), 3.0);
        assert_eq!(grew(&bucket("2.5")), 3.0);
        assert_eq!(grew(&bucket("+Inf")), 4.0);
        assert_eq!(grew(&format!("{name}_count{{op=\"disconnect\"}}")), 4.0);
        let sum = grew(&format!("{name}_sum{{op=\"disconnect\"}}"));
        assert!((sum - 60.003201).abs() < 1e-6, "{sum}");
        // Every operation has its series.
        for op in StoreOp::ALL {
            let series = format!("{name}_count{{op=\"{}\"}}", op.as_str());
            value(&after, &series);
        }
    }
}
