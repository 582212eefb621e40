//! Load generator for the room server: prints a table and a verdict per
//! target, asserts nothing.
//!
//! It starts the real `private-chat-server` binary (built next to this one)
//! as a child process, so the memory and CPU it reports are the server's
//! alone (`VmRSS`/`VmHWM` and `utime + stime` from `/proc`). Each scenario
//! opens `rooms × 2` WebSocket members that send at a fixed rate; every
//! message carries its send time, and the *other* member measures
//! send-to-peer latency on receipt. The idle scenario opens sockets that send
//! nothing and reports the server's resident memory per socket.
//!
//! The 1,000-room scenario runs `--rounds` times in three modes, alternating,
//! every run in a fresh load-generator process with a fresh server:
//! - **floor**: the same members against a bare tokio-tungstenite relay
//!   ([`private_chat_tests::relay`]; each frame to both sockets of its room,
//!   the sender included, as the server echoes), in a process of its own;
//! - **plain**: the server, plain bodies;
//! - **sealed**: the server, end-to-end encrypted as the app does it (each
//!   room's key exchange through the server first, timed as its own row;
//!   every body padded and sealed by the sender and opened by the receiver
//!   inside the measured latency).
//!
//! The verdicts compare medians of the runs: the server's CPU per delivered
//! message, p99 and memory per connected socket against the floor's, and
//! the encryption's cost against plain bodies. `--backend` takes the memory
//! store, a local `redis-server`, and a six-node Redis Cluster (3 masters).
//!
//! `cargo run --release -p private-chat-tests --bin loadgen -- --help`

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use private_chat_crypto::{answer, Frame, InviteSecret, Offer, Plain, RoomKeys};
use private_chat_tests::client::{Api, Seat};
use private_chat_tests::cluster::RedisCluster;
use private_chat_tests::redis::RedisServer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    Memory,
    Redis,
    Cluster,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::Redis => "redis",
            Backend::Cluster => "redis cluster",
        }
    }
}

/// What a steady run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// The bare relay.
    Floor,
    /// The server, plain bodies.
    Plain,
    /// The server, end-to-end encrypted bodies.
    Sealed,
}

#[derive(Parser, Debug)]
#[command(about = "Load generator for the private_chat room server")]
struct Args {
    /// Backends to measure, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Memory, Backend::Redis, Backend::Cluster])]
    backend: Vec<Backend>,
    /// Rooms of the steady scenario (2 members each).
    #[arg(long, default_value_t = 1000)]
    rooms: usize,
    /// Messages per second per member in the steady scenario.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Rooms of the throughput scenario (memory and single Redis).
    #[arg(long, default_value_t = 100)]
    burst_rooms: usize,
    /// Messages per second per member in the throughput scenario.
    #[arg(long, default_value_t = 150.0)]
    burst_rate: f64,
    /// Seconds each scenario sends for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Idle sockets opened to measure memory per socket.
    #[arg(long, default_value_t = 5000)]
    idle_sockets: usize,
    /// Small numbers everywhere: proves the tool works in a few seconds.
    #[arg(long)]
    quick: bool,
    /// Runs of each mode of the steady scenario (verdicts use the medians).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Internal: run one steady scenario in this mode and print its rows as
    /// JSON. Every run is a fresh process, since a second run in one process
    /// measured slower whatever it sent.
    #[arg(long, hide = true, value_enum)]
    child: Option<Mode>,
    /// Internal: the Redis of a child run (seed URLs, comma-separated).
    #[arg(long, hide = true)]
    redis_url: Option<String>,
    /// Internal: serve the bare relay on this address.
    #[arg(long, hide = true)]
    serve_relay: Option<String>,
}

/// The process under test: the server or the relay.
struct UnderTest {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    base: String,
    /// Calls to the server (one HTTP client for the whole run).
    api: Api,
}

impl UnderTest {
    /// Starts it and waits until it accepts connections.
    async fn spawn(mut cmd: Command, port: u16) -> Self {
        let base = format!("http://127.0.0.1:{port}");
        let started = Self {
            child: cmd.stdout(Stdio::null()).spawn().expect("it starts"),
            api: Api::new(&base),
            base,
        };
        for _ in 0..400 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return started;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        drop(started);
        panic!("{cmd:?} did not come up");
    }

    async fn server(redis_url: Option<&str>) -> Self {
        let exe = std::env::current_exe().expect("own path");
        let server: PathBuf = exe.with_file_name("private-chat-server");
        assert!(
            server.exists(),
            "build the server first: {} is missing",
            server.display()
        );
        let port = private_chat_tests::free_port();
        let mut cmd = Command::new(&server);
        cmd.args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--max-messages",
            "10000000",
            // Thousands of members from one address: per-address rates
            // and connection shares would refuse the load itself.
            "--rate-create-per-minute",
            "0",
            "--rate-join-per-minute",
            "0",
            "--rate-messages-per-second",
            "0",
            "--rate-upgrades-per-minute",
            "0",
            "--max-connections-per-address",
            "100000",
            "--max-connections",
            "100000",
        ])
        .env("RUST_LOG", "warn");
        if let Some(url) = redis_url {
            cmd.args(["--redis-url", url]);
        }
        Self::spawn(cmd, port).await
    }

    async fn relay() -> Self {
        let port = private_chat_tests::free_port();
        let mut cmd = Command::new(std::env::current_exe().expect("own path"));
        cmd.args(["--serve-relay", &format!("127.0.0.1:{port}")]);
        Self::spawn(cmd, port).await
    }

    /// (`VmRSS`, `VmHWM`) in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let resident = private_chat_tests::memory::resident(self.child.id());
        (resident.now_kib, resident.peak_kib)
    }

    /// CPU time spent so far, user and system, all threads.
    fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and
        // stime are the 12th and 13th of them.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let ticks: u64 = after
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|v| v.parse::<u64>().ok())
            .sum();
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Duration::from_secs_f64(ticks as f64 / per_second)
    }
}

impl Drop for UnderTest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Raises the open-file limit to its hard maximum: thousands of sockets.
fn raise_fd_limit() {
    // SAFETY: plain getrlimit/setrlimit on this process.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

async fn make_rooms(api: &Api, rooms: usize) -> Vec<(Seat, Seat)> {
    let mut out = Vec::with_capacity(rooms);
    for chunk in (0..rooms).collect::<Vec<_>>().chunks(50) {
        let made = futures_util::future::join_all(chunk.iter().map(|_| async {
            let a = api.create("bench-a", Some(3600)).await;
            let b = api.join(&a.room_id, "bench-b").await;
            (a, b)
        }))
        .await;
        out.extend(made);
    }
    out
}

/// Seats in the relay's rooms: ids only, nothing to authenticate.
fn relay_rooms(rooms: usize) -> Vec<(Seat, Seat)> {
    let seat = |room: usize, member: usize| Seat {
        room_id: format!("room{room}"),
        // Spread like random hex ids (see `rand_fraction`).
        member_id: format!(
            "{:08x}",
            (room * 2 + member).wrapping_mul(2_654_435_761) as u32
        ),
        token: String::new(),
        expires_in_ms: 0,
    };
    (0..rooms).map(|r| (seat(r, 0), seat(r, 1))).collect()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(target: &UnderTest, mode: Mode, seat: &Seat) -> Ws {
    let ws_base = target.base.replacen("http", "ws", 1);
    let req = if mode == Mode::Floor {
        format!("{ws_base}/{}", seat.room_id)
            .into_client_request()
            .unwrap()
    } else {
        let mut req = target
            .api
            .ws_url(&seat.room_id)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", seat.token).parse().unwrap(),
        );
        req
    };
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true)
        .await
        .expect("socket opens");
    ws
}

/// The frame a member sends: a `send` to the server; to the relay, the
/// `message` event the server would fan out, so receivers read both alike.
fn outgoing(mode: Mode, me: &str, body: String) -> String {
    match mode {
        Mode::Floor => json!({"type": "message", "message": {"member_id": me, "body": body}}),
        Mode::Plain | Mode::Sealed => json!({"type": "send", "body": body}),
    }
    .to_string()
}
struct Outcome {
    sent: u64,
    latency: Histogram<u64>,
    /// The socket's sending half, still open: closing it costs the server
    /// (its presence, its store) and the relay nothing, so sockets close
    /// only after the run's CPU is read.
    tx: futures_util::stream::SplitSink<Ws, WsMessage>,
}

/// One member: sends `rate` messages per second for `run`, and records the
/// latency of every message of its peer.
#[allow(clippy::too_many_arguments)]
async fn member(
    ws: Ws,
    mode: Mode,
    me: String,
    sealed: Option<Sealed>,
    rate: f64,
    run: Duration,
    start: Arc<Barrier>,
    epoch: Instant,
) -> Outcome {
    let (mut tx, mut rx) = ws.split();
    let opener = sealed.clone();
    start.wait().await;
    let until = Instant::now() + run;
    let offset = rand_fraction(&me);
    let reader_me = me.clone();
    let reader = tokio::spawn(async move {
        let me = reader_me;
        // The member's own echoes are skipped before parsing: the load
        // generator shares the cores with what it measures.
        let own = format!("\"member_id\":\"{me}\"");
        let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        // Keep reading a little past the end, for messages in flight.
        let stop = tokio::time::Instant::from_std(until + Duration::from_secs(2));
        while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(stop, rx.next()).await {
            let WsMessage::Text(text) = frame else {
                continue;
            };
            if text.contains(own.as_str()) {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if v["type"] != "message" || v["message"]["member_id"] == me.as_str() {
                continue;
            }
            let body = v["message"]["body"].as_str().unwrap_or_default();
            let text = match &opener {
                None => Some(body.to_owned()),
                Some(s) => s.open(body),
            };
            if let Some(sent_us) = text.and_then(|b| b.parse::<u64>().ok()) {
                let now_us = epoch.elapsed().as_micros() as u64;
                let _ = latency.record(now_us.saturating_sub(sent_us).max(1));
            }
        }
        latency
    });
    let mut sent = 0;
    let period = Duration::from_secs_f64(1.0 / rate);
    let first = first_send(tokio::time::Instant::now(), period, offset);
    let mut tick = tokio::time::interval_at(first, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut counter = 0;
    while Instant::now() < until {
        tick.tick().await;
        let now = (epoch.elapsed().as_micros() as u64).to_string();
        let body = match &sealed {
            None => now,
            Some(s) => {
                counter += 1;
                s.seal(counter, now)
            }
        };
        if tx
            .send(WsMessage::Text(outgoing(mode, &me, body).into()))
            .await
            .is_err()
        {
            break;
        }
        sent += 1;
    }
    let latency = reader.await.unwrap();
    Outcome { sent, latency, tx }
}

/// One member's keys of its room, as the app holds them.
#[derive(Clone)]
struct Sealed {
    room_id: Arc<str>,
    keys: Arc<RoomKeys>,
}

impl Sealed {
    fn seal(&self, counter: u64, text: String) -> String {
        self.keys
            .seal(&self.room_id, counter, &Plain::Text { text })
            .expect("a short text seals")
            .encode()
    }

    /// The peer's text, if the frame opens.
    fn open(&self, body: &str) -> Option<String> {
        let Ok(Frame::Sealed {
            counter,
            ciphertext,
        }) = Frame::parse(body)
        else {
            return None;
        };
        match self.keys.open(&self.room_id, false, counter, &ciphertext) {
            Ok(Plain::Text { text }) => Some(text),
            _ => None,
        }
    }
}

/// The app's key exchange for one room, through the server: the creator
/// posts its offer, the joiner reads it and posts the answer, the creator
/// reads that. Returns both members' keys and the time it took.
async fn key_exchange(api: &Api, a: &Seat, b: &Seat) -> (Sealed, Sealed, Duration) {
    let started = Instant::now();
    let secret = InviteSecret::random();
    let room_id: Arc<str> = a.room_id.as_str().into();
    let (offer, frame) = Offer::new(&secret, &room_id).unwrap();
    api.post(a, &frame.encode()).await;
    let (_, list) = api.messages(b, None).await;
    let stored = &list["messages"][0];
    let offer_id = stored["id"].as_u64().unwrap();
    let Ok(Frame::Offer { noise }) = Frame::parse(stored["body"].as_str().unwrap()) else {
        panic!("not an offer")
    };
    let (joiner, frame) = answer(&secret, &room_id, offer_id, &noise).unwrap();
    api.post(b, &frame.encode()).await;
    let (_, list) = api.messages(a, Some(offer_id)).await;
    let Ok(Frame::Answer { noise, .. }) =
        Frame::parse(list["messages"][0]["body"].as_str().unwrap())
    else {
        panic!("not an answer")
    };
    let creator = offer.accept(&noise).unwrap();
    let took = started.elapsed();
    let seal = |keys| Sealed {
        room_id: room_id.clone(),
        keys: Arc::new(keys),
    };
    (seal(creator), seal(joiner), took)
}

/// When a member sends first: one period after `start` (past the start of
/// every member's task), plus its `offset` (0..1) of the period, so members
/// spread over the period. Their later sends follow a period apart; without
/// the offset in the first one, all would send in the same instant.
fn first_send(start: tokio::time::Instant, period: Duration, offset: f64) -> tokio::time::Instant {
    start + period.mul_f64(1.0 + offset)
}

/// A stable fraction in [0, 1) from a member id (no RNG needed).
fn rand_fraction(id: &str) -> f64 {
    let n = u64::from_str_radix(&id[..8.min(id.len())], 16).unwrap_or(0);
    (n % 1000) as f64 / 1000.0
}

#[derive(Serialize, Deserialize)]
struct Row {
    backend: String,
    scenario: String,
    sockets: usize,
    target: f64,
    sent_per_s: f64,
    delivered_per_s: f64,
    /// p50, p99 and p99.9 in ms.
    latency: Option<[f64; 3]>,
    peak_rss_kib: u64,
    /// Resident memory per socket: connected, before sending (steady), or
    /// idle.
    per_socket_kib: Option<f64>,
    /// CPU time of the process under test per delivered message.
    cpu_us_per_msg: Option<f64>,
}

fn quantiles(h: &Histogram<u64>) -> Option<[f64; 3]> {
    let q = |p| h.value_at_quantile(p) as f64 / 1000.0;
    (!h.is_empty()).then(|| [q(0.5), q(0.99), q(0.999)])
}

/// One steady run: `rooms × 2` members sending `rate` messages per second
/// each. `exchanges` gets one row of key-exchange times when `mode` is
/// sealed.
#[allow(clippy::too_many_arguments)]
async fn steady(
    target: &UnderTest,
    mode: Mode,
    backend: &str,
    name: &str,
    rooms: usize,
    rate: f64,
    secs: u64,
    exchanges: &mut Vec<Row>,
) -> Row {
    let pairs = match mode {
        Mode::Floor => relay_rooms(rooms),
        Mode::Plain | Mode::Sealed => make_rooms(&target.api, rooms).await,
    };
    let mut keys = Vec::with_capacity(rooms);
    if mode == Mode::Sealed {
        let mut took = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for chunk in pairs.chunks(50) {
            let done = futures_util::future::join_all(
                chunk.iter().map(|(a, b)| key_exchange(&target.api, a, b)),
            )
            .await;
            for (ka, kb, t) in done {
                let _ = took.record(t.as_micros() as u64);
                keys.push((Some(ka), Some(kb)));
            }
        }
        exchanges.push(Row {
            backend: backend.into(),
            scenario: format!(
                "key exchange of {rooms} rooms (offer and answer through the server, 50 at a time)"
            ),
            sockets: 0,
            target: 0.0,
            sent_per_s: 0.0,
            delivered_per_s: 0.0,
            latency: quantiles(&took),
            peak_rss_kib: target.memory_kib().1,
            per_socket_kib: None,
            cpu_us_per_msg: None,
        });
    } else {
        keys.resize_with(rooms, || (None, None));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = target.memory_kib();
    let mut sockets = Vec::with_capacity(rooms * 2);
    for ((a, b), (ka, kb)) in pairs.iter().zip(keys) {
        sockets.push((open(target, mode, a).await, a.member_id.clone(), ka));
        sockets.push((open(target, mode, b).await, b.member_id.clone(), kb));
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (connected, _) = target.memory_kib();
    let start = Arc::new(Barrier::new(sockets.len()));
    let epoch = Instant::now();
    let run = Duration::from_secs(secs);
    let cpu_before = target.cpu();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|(ws, me, keys)| {
            tokio::spawn(member(ws, mode, me, keys, rate, run, start.clone(), epoch))
        })
        .collect();
    let outcomes = futures_util::future::join_all(tasks).await;
    let cpu = target.cpu().saturating_sub(cpu_before);
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut sent = 0;
    let mut open = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let o = o.unwrap();
        sent += o.sent;
        latency.add(&o.latency).unwrap();
        open.push(o.tx);
    }
    futures_util::future::join_all(open.iter_mut().map(|tx| tx.close())).await;
    let delivered = latency.len();
    Row {
        backend: backend.into(),
        scenario: name.into(),
        sockets: rooms * 2,
        target: rooms as f64 * 2.0 * rate,
        sent_per_s: sent as f64 / secs as f64,
        delivered_per_s: delivered as f64 / secs as f64,
        latency: quantiles(&latency),
        peak_rss_kib: target.memory_kib().1,
        per_socket_kib: Some(connected.saturating_sub(before) as f64 / (rooms * 2) as f64),
        cpu_us_per_msg: (delivered > 0).then(|| cpu.as_secs_f64() * 1e6 / delivered as f64),
    }
}

async fn idle(server: &UnderTest, backend: &str, sockets: usize) -> Row {
    let pairs = make_rooms(&server.api, sockets.div_ceil(2)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = server.memory_kib();
    let mut open_sockets = Vec::with_capacity(sockets);
    for (a, b) in &pairs {
        open_sockets.push(open(server, Mode::Plain, a).await);
        if open_sockets.len() < sockets {
            open_sockets.push(open(server, Mode::Plain, b).await);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, peak) = server.memory_kib();
    drop(open_sockets);
    Row {
        backend: backend.into(),
        scenario: "idle sockets".into(),
        sockets,
        target: 0.0,
        sent_per_s: 0.0,
        delivered_per_s: 0.0,
        latency: None,
        peak_rss_kib: peak,
        per_socket_kib: Some(after.saturating_sub(before) as f64 / sockets as f64),
        cpu_us_per_msg: None,
    }
}

fn print(rows: &[Row]) {
    println!("| backend | scenario | sockets | target msg/s | sent msg/s | delivered msg/s | p50 ms | p99 ms | p99.9 ms | CPU µs per delivered msg | peak RSS MiB | RSS per socket KiB |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let or_dash = |v: Option<f64>, digits: usize| {
        v.map(|v| format!("{v:.digits$}"))
            .unwrap_or_else(|| "-".into())
    };
    for r in rows {
        let q = |i: usize| or_dash(r.latency.map(|l| l[i]), 2);
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} | {:.1} | {} |",
            r.backend,
            r.scenario,
            r.sockets,
            r.target,
            r.sent_per_s,
            r.delivered_per_s,
            q(0),
            q(1),
            q(2),
            or_dash(r.cpu_us_per_msg, 1),
            r.peak_rss_kib as f64 / 1024.0,
            or_dash(r.per_socket_kib, 1),
        );
    }
}

/// Runs one steady scenario in a fresh loadgen process; its rows.
fn child_run(args: &Args, mode: Mode, backend: Backend, redis_url: Option<&str>) -> Vec<Row> {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args([
        "--child",
        mode.to_possible_value().unwrap().get_name(),
        "--backend",
        backend.to_possible_value().unwrap().get_name(),
        "--rooms",
        &args.rooms.to_string(),
        "--rate",
        &args.rate.to_string(),
        "--seconds",
        &args.seconds.to_string(),
    ]);
    if let Some(url) = redis_url {
        cmd.args(["--redis-url", url]);
    }
    let out = cmd.stderr(Stdio::inherit()).output().expect("a child run");
    assert!(out.status.success(), "the {mode:?} run failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The figures of one mode's runs that the verdicts compare.
#[derive(Default)]
struct Runs {
    p99: Vec<f64>,
    cpu: Vec<f64>,
    per_socket: Vec<f64>,
}

impl Runs {
    fn add(&mut self, row: &Row) {
        self.p99.push(row.latency.map_or(f64::NAN, |l| l[1]));
        self.cpu.push(row.cpu_us_per_msg.unwrap_or(f64::NAN));
        self.per_socket.push(row.per_socket_kib.unwrap_or(f64::NAN));
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

/// The verdict lines of one backend's steady runs.
fn verdicts(
    backend: Backend,
    args: &Args,
    floor: &Runs,
    plain: &Runs,
    sealed: &Runs,
) -> Vec<String> {
    let name = backend.name();
    let (fp99, pp99, sp99) = (median(&floor.p99), median(&plain.p99), median(&sealed.p99));
    let (fcpu, pcpu) = (median(&floor.cpu), median(&plain.cpu));
    let cpu_line = |bound: f64| {
        let ratio = pcpu / fcpu;
        format!(
            "{name}: CPU per delivered message {pcpu:.1} µs vs floor {fcpu:.1} µs = {ratio:.2}x (target at most {bound}x): {}",
            met(ratio <= bound)
        )
    };
    let p99_line = |bound: f64| {
        format!(
            "{name}: p99 {pp99:.2} ms (floor {fp99:.2} ms; target under {bound} ms): {}",
            met(pp99 < bound)
        )
    };
    let mut lines = match backend {
        Backend::Memory => {
            let (fsock, psock) = (median(&floor.per_socket), median(&plain.per_socket));
            vec![
                cpu_line(1.2),
                format!(
                    "{name}: p99 {pp99:.2} ms vs floor {fp99:.2} ms = {:+.2} ms (target at most +0.5 ms): {}",
                    pp99 - fp99,
                    met(pp99 - fp99 <= 0.5)
                ),
                format!(
                    "{name}: resident memory per connected socket {psock:.1} KiB (floor {fsock:.1} KiB; target at most 10 KiB): {}",
                    met(psock <= 10.0)
                ),
            ]
        }
        Backend::Redis => vec![cpu_line(2.5), p99_line(5.0)],
        Backend::Cluster => vec![
            format!(
                "{name}: CPU per delivered message {pcpu:.1} µs vs floor {fcpu:.1} µs = {:.2}x (no target)",
                pcpu / fcpu
            ),
            p99_line(10.0),
        ],
    };
    lines.push(format!(
        "{name}: end-to-end encryption adds {:+.2} ms to p99 at {} rooms (target under 0.3 ms)",
        sp99 - pp99,
        args.rooms
    ));
    lines
}

/// The Redis a backend runs on; kept alive for the whole run.
enum Store {
    Memory,
    Redis(RedisServer),
    Cluster(RedisCluster),
}

impl Store {
    fn start(backend: Backend) -> Self {
        match backend {
            Backend::Memory => Store::Memory,
            Backend::Redis => Store::Redis(RedisServer::start()),
            Backend::Cluster => Store::Cluster(RedisCluster::start()),
        }
    }

    fn url(&self) -> Option<String> {
        match self {
            Store::Memory => None,
            Store::Redis(r) => Some(r.url()),
            Store::Cluster(c) => Some(c.urls()),
        }
    }
}

/// A child run: one steady scenario, rows as JSON lines on stdout.
async fn child(args: &Args, mode: Mode) {
    let backend = args.backend.first().copied().unwrap_or(Backend::Memory);
    let target = match mode {
        Mode::Floor => UnderTest::relay().await,
        Mode::Plain | Mode::Sealed => UnderTest::server(args.redis_url.as_deref()).await,
    };
    let (who, what) = match mode {
        Mode::Floor => ("floor", "bare tokio-tungstenite relay, plain bodies"),
        Mode::Plain => (backend.name(), "plain bodies"),
        Mode::Sealed => (backend.name(), "end-to-end encrypted"),
    };
    let name = format!(
        "{} rooms at {} msg/s per member, {what}",
        args.rooms, args.rate
    );
    let mut exchanges = Vec::new();
    let row = steady(
        &target,
        mode,
        who,
        &name,
        args.rooms,
        args.rate,
        args.seconds,
        &mut exchanges,
    )
    .await;
    for r in std::iter::once(row).chain(exchanges) {
        println!("{}", serde_json::to_string(&r).unwrap());
    }
}

#[tokio::main]
async fn main() {
    let mut args = Args::parse();
    raise_fd_limit();
    if let Some(addr) = &args.serve_relay {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("relay binds");
        private_chat_tests::relay::serve(listener).await;
        return;
    }
    if let Some(mode) = args.child {
        child(&args, mode).await;
        return;
    }
    if args.quick {
        (
            args.rooms,
            args.burst_rooms,
            args.burst_rate,
            args.seconds,
            args.idle_sockets,
            args.rounds,
        ) = (20, 5, 20.0, 2, 100, 1);
    }
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    for backend in args.backend.clone() {
        let store = Store::start(backend);
        let url = store.url();
        let (mut floor, mut plain, mut sealed) =
            (Runs::default(), Runs::default(), Runs::default());
        let mut exchange = None;
        for round in 1..=args.rounds {
            for mode in [Mode::Floor, Mode::Plain, Mode::Sealed] {
                for mut row in child_run(&args, mode, backend, url.as_deref()) {
                    if row.scenario.starts_with("key exchange") {
                        exchange.get_or_insert(row);
                        continue;
                    }
                    match mode {
                        Mode::Floor => floor.add(&row),
                        Mode::Plain => plain.add(&row),
                        Mode::Sealed => sealed.add(&row),
                    }
                    row.scenario.push_str(&format!(" (run {round})"));
                    rows.push(row);
                }
            }
        }
        rows.extend(exchange);
        lines.extend(verdicts(backend, &args, &floor, &plain, &sealed));
        if backend != Backend::Cluster {
            // A fresh server per scenario, so peaks and idle memory are its own.
            let server = UnderTest::server(url.as_deref()).await;
            let name = format!(
                "{} rooms at {} msg/s per member",
                args.burst_rooms, args.burst_rate
            );
            let burst = steady(
                &server,
                Mode::Plain,
                backend.name(),
                &name,
                args.burst_rooms,
                args.burst_rate,
                args.seconds,
                &mut Vec::new(),
            )
            .await;
            if backend == Backend::Memory {
                let p99 = burst.latency.map_or(f64::NAN, |l| l[1]);
                // Held: everything offered delivered, in time. The load
                // generator shares the cores and may offer a little less
                // than the target; the line says how much it offered.
                let held = burst.delivered_per_s >= 0.999 * burst.sent_per_s
                    && burst.sent_per_s >= 0.98 * burst.target
                    && p99 < 50.0;
                lines.push(format!(
                    "memory: throughput {:.0} msg/s offered of {:.0} targeted, {:.0} delivered, p99 {p99:.2} ms (target: held with p99 under 50 ms): {}",
                    burst.sent_per_s,
                    burst.target,
                    burst.delivered_per_s,
                    met(held)
                ));
            }
            rows.push(burst);
            drop(server);
            let server = UnderTest::server(url.as_deref()).await;
            rows.push(idle(&server, backend.name(), args.idle_sockets).await);
            drop(server);
        }
        drop(store);
        eprintln!("{}: done", backend.name());
    }
    print(&rows);
    println!();
    for line in &lines {
        println!("{line}");
    }
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    println!(
        "\nmachine: {} cores, {cpu}; load generator, server and Redis on the same machine; {} s per scenario; medians of {} runs",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        args.seconds,
        args.rounds
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_send_spread_over_the_period_not_in_lockstep() {
        let start = tokio::time::Instant::now();
        let period = Duration::from_secs(1);
        let sends: Vec<_> = [0.0, 0.25, 0.5, 0.999]
            .into_iter()
            .map(|offset| first_send(start, period, offset) - start)
            .collect();
        assert_eq!(sends[0], period);
        assert_eq!(sends[1], Duration::from_millis(1250));
        assert_eq!(sends[2], Duration::from_millis(1500));
        assert!(sends[3] < period * 2);
    }

    #[test]
    fn member_offsets_cover_the_period() {
        // The relay's seats, whose ids are made to spread like the server's
        // random hex ones.
        let ids: Vec<String> = relay_rooms(500)
            .into_iter()
            .flat_map(|(a, b)| [a.member_id, b.member_id])
            .collect();
        let mut tenths = [0usize; 10];
        for id in &ids {
            tenths[(rand_fraction(id) * 10.0) as usize] += 1;
        }
        // 1,000 ids: every tenth of the period gets about a hundred.
        assert!(
            tenths.iter().all(|&n| (50..=150).contains(&n)),
            "{tenths:?}"
        );
    }
}
