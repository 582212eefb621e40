//! Load generator for the room server: prints a table, asserts nothing.
//!
//! It starts the real `private-chat-server` binary (built next to this one)
//! as a child process, once per backend, so the memory it reports is the
//! server's alone (`VmHWM`/`VmRSS` from `/proc`). Each scenario opens
//! `rooms × 2` WebSocket members that send at a fixed rate; every message
//! carries its send time, and the *other* member measures send-to-peer
//! latency on receipt. The idle scenario opens sockets that send nothing and
//! reports the server's resident memory per socket.
//!
//! The 1,000-room scenario runs `--rounds` times each way, alternating,
//! every run in a fresh process with a fresh server: with plain bodies (the
//! floor), and end-to-end encrypted as the app does it (each room's key
//! exchange through the server first, timed as its own row; every body
//! padded and sealed by the sender and opened by the receiver inside the
//! measured latency), so the cost of encryption is read beside its floor.
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
use private_chat_tests::redis::RedisServer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Barrier;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    Memory,
    Redis,
    Both,
}

#[derive(Parser, Debug)]
#[command(about = "Load generator for the private_chat room server")]
struct Args {
    /// Backends to measure.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    backend: Which,
    /// Rooms of the steady scenario (2 members each).
    #[arg(long, default_value_t = 1000)]
    rooms: usize,
    /// Messages per second per member in the steady scenario.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// Rooms of the throughput scenario.
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
    /// Runs of each side of the encryption comparison (the table shows the
    /// median of their p99s).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Internal: run one steady scenario (`plain` or `sealed`) and print its
    /// rows as JSON. The comparison runs each in a fresh process, since a
    /// second run in one process measured slower whatever it sent.
    #[arg(long, hide = true)]
    child: Option<String>,
    /// Internal: the Redis of a child run.
    #[arg(long, hide = true)]
    redis_url: Option<String>,
}

/// The server under test, as a child process.
struct ServerProcess {
    child: Child,
    api: Api,
}

impl ServerProcess {
    async fn start(redis_url: Option<&str>) -> Self {
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
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
        if let Some(url) = redis_url {
            cmd.args(["--redis-url", url]);
        }
        let server = Self {
            child: cmd.spawn().expect("server starts"),
            api: Api::new(&format!("http://127.0.0.1:{port}")),
        };
        for _ in 0..200 {
            if server
                .api
                .http
                .get(format!("{}/healthz", server.api.base))
                .send()
                .await
                .is_ok()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        drop(server);
        panic!("server did not come up");
    }

    /// (`VmRSS`, `VmHWM`) in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for ServerProcess {
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

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(api: &Api, seat: &Seat) -> Ws {
    let mut req = api.ws_url(&seat.room_id).into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", seat.token).parse().unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true)
        .await
        .expect("socket opens");
    ws
}

struct Outcome {
    sent: u64,
    latency: Histogram<u64>,
}

/// One member: sends `rate` messages per second for `run`, and records the
/// latency of every message of its peer.
async fn member(
    ws: Ws,
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
    let reader = tokio::spawn(async move {
        let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        // Keep reading a little past the end, for messages in flight.
        let stop = tokio::time::Instant::from_std(until + Duration::from_secs(2));
        while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(stop, rx.next()).await {
            let WsMessage::Text(text) = frame else {
                continue;
            };
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
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Spread members over the first period, so sends do not come in lockstep.
    tokio::time::sleep(Duration::from_secs_f64(offset / rate)).await;
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
            .send(WsMessage::Text(
                json!({"type": "send", "body": body}).to_string().into(),
            ))
            .await
            .is_err()
        {
            break;
        }
        sent += 1;
    }
    let latency = reader.await.unwrap();
    let _ = tx.close().await;
    Outcome { sent, latency }
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
    per_socket_kib: Option<f64>,
}

fn quantiles(h: &Histogram<u64>) -> Option<[f64; 3]> {
    let q = |p| h.value_at_quantile(p) as f64 / 1000.0;
    (!h.is_empty()).then(|| [q(0.5), q(0.99), q(0.999)])
}

/// The steady scenario; `exchanges` gets one row of key-exchange times
/// when `sealed`.
#[allow(clippy::too_many_arguments)]
async fn steady(
    server: &ServerProcess,
    backend: &str,
    name: &str,
    rooms: usize,
    rate: f64,
    secs: u64,
    sealed: bool,
    exchanges: &mut Vec<Row>,
) -> Row {
    let pairs = make_rooms(&server.api, rooms).await;
    let mut keys = Vec::with_capacity(rooms);
    if sealed {
        let mut took = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for chunk in pairs.chunks(50) {
            let done = futures_util::future::join_all(
                chunk.iter().map(|(a, b)| key_exchange(&server.api, a, b)),
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
            peak_rss_kib: server.memory_kib().1,
            per_socket_kib: None,
        });
    } else {
        keys.resize_with(rooms, || (None, None));
    }
    let mut sockets = Vec::with_capacity(rooms * 2);
    for ((a, b), (ka, kb)) in pairs.iter().zip(keys) {
        sockets.push((open(&server.api, a).await, a.member_id.clone(), ka));
        sockets.push((open(&server.api, b).await, b.member_id.clone(), kb));
    }
    let start = Arc::new(Barrier::new(sockets.len()));
    let epoch = Instant::now();
    let run = Duration::from_secs(secs);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|(ws, me, keys)| tokio::spawn(member(ws, me, keys, rate, run, start.clone(), epoch)))
        .collect();
    let outcomes = futures_util::future::join_all(tasks).await;
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut sent = 0;
    for o in outcomes {
        let o = o.unwrap();
        sent += o.sent;
        latency.add(&o.latency).unwrap();
    }
    let delivered = latency.len();
    Row {
        backend: backend.into(),
        scenario: name.into(),
        sockets: rooms * 2,
        target: rooms as f64 * 2.0 * rate,
        sent_per_s: sent as f64 / secs as f64,
        delivered_per_s: delivered as f64 / secs as f64,
        latency: quantiles(&latency),
        peak_rss_kib: server.memory_kib().1,
        per_socket_kib: None,
    }
}

async fn idle(server: &ServerProcess, backend: &str, sockets: usize) -> Row {
    let pairs = make_rooms(&server.api, sockets.div_ceil(2)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = server.memory_kib();
    let mut open_sockets = Vec::with_capacity(sockets);
    for (a, b) in &pairs {
        open_sockets.push(open(&server.api, a).await);
        if open_sockets.len() < sockets {
            open_sockets.push(open(&server.api, b).await);
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
    }
}

fn print(rows: &[Row]) {
    println!("| backend | scenario | sockets | target msg/s | sent msg/s | delivered msg/s | p50 ms | p99 ms | p99.9 ms | server peak RSS MiB | RSS per idle socket KiB |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let q = |i: usize| {
            r.latency
                .map(|l| format!("{:.2}", l[i]))
                .unwrap_or("-".into())
        };
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {:.1} | {} |",
            r.backend,
            r.scenario,
            r.sockets,
            r.target,
            r.sent_per_s,
            r.delivered_per_s,
            q(0),
            q(1),
            q(2),
            r.peak_rss_kib as f64 / 1024.0,
            r.per_socket_kib
                .map(|k| format!("{k:.1}"))
                .unwrap_or("-".into()),
        );
    }
}

/// Runs one steady scenario in a fresh loadgen process; its rows.
fn child_run(args: &Args, backend: &str, mode: &str, redis_url: Option<&str>) -> Vec<Row> {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.args([
        "--child",
        mode,
        "--backend",
        backend,
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
    assert!(out.status.success(), "the {mode} run failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[tokio::main]
async fn main() {
    let mut args = Args::parse();
    if let Some(mode) = args.child.clone() {
        raise_fd_limit();
        let backend = if args.backend == Which::Redis {
            "redis"
        } else {
            "memory"
        };
        let server = ServerProcess::start(args.redis_url.as_deref()).await;
        let sealed = mode == "sealed";
        let name = format!(
            "{} rooms at {} msg/s per member, {}",
            args.rooms,
            args.rate,
            if sealed {
                "end-to-end encrypted"
            } else {
                "plain bodies (floor)"
            }
        );
        let mut exchanges = Vec::new();
        let row = steady(
            &server,
            backend,
            &name,
            args.rooms,
            args.rate,
            args.seconds,
            sealed,
            &mut exchanges,
        )
        .await;
        for r in std::iter::once(row).chain(exchanges) {
            println!("{}", serde_json::to_string(&r).unwrap());
        }
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
    raise_fd_limit();
    let mut rows = Vec::new();
    let mut costs = Vec::new();
    let mut redis = None;
    let backends: Vec<&'static str> = match args.backend {
        Which::Memory => vec!["memory"],
        Which::Redis => vec!["redis"],
        Which::Both => vec!["memory", "redis"],
    };
    for backend in backends {
        let url = (backend == "redis").then(|| redis.get_or_insert_with(RedisServer::start).url());
        // A fresh server per scenario, so peaks and idle memory are its own.
        // Plain and sealed, `rounds` times each, every run in a fresh process.
        let (mut plain, mut sealed, mut exchanges) = (Vec::new(), Vec::new(), Vec::new());
        for round in 1..=args.rounds {
            for mode in ["plain", "sealed"] {
                for mut row in child_run(&args, backend, mode, url.as_deref()) {
                    let p99 = row.latency.map_or(0.0, |l| l[1]);
                    if row.scenario.starts_with("key exchange") {
                        if exchanges.is_empty() {
                            exchanges.push(row);
                        }
                        continue;
                    }
                    row.scenario.push_str(&format!(" (run {round})"));
                    if mode == "plain" {
                        plain.push(p99)
                    } else {
                        sealed.push(p99)
                    }
                    rows.push(row);
                }
            }
        }
        rows.extend(exchanges);
        costs.push(format!(
            "{backend}: end-to-end encryption adds {:+.3} ms to p99 at {} rooms (median of the runs; target: under 0.3 ms)",
            median(&sealed) - median(&plain),
            args.rooms
        ));
        let server = ServerProcess::start(url.as_deref()).await;
        let name = format!(
            "{} rooms at {} msg/s per member",
            args.burst_rooms, args.burst_rate
        );
        rows.push(
            steady(
                &server,
                backend,
                &name,
                args.burst_rooms,
                args.burst_rate,
                args.seconds,
                false,
                &mut Vec::new(),
            )
            .await,
        );
        drop(server);
        let server = ServerProcess::start(url.as_deref()).await;
        rows.push(idle(&server, backend, args.idle_sockets).await);
        drop(server);
        eprintln!("{backend}: done");
    }
    print(&rows);
    println!();
    for cost in &costs {
        println!("{cost}");
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
        "\nmachine: {} cores, {cpu}; load generator and server on the same machine; {} s per scenario",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        args.seconds
    );
}
