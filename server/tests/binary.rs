//! The standalone binary: it serves on the flags it is given, refuses
//! inconsistent flags at start-up, and shuts down gracefully on Ctrl-C.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_private-chat-server");

mod support;

use support::free_port;

/// Starts the binary on a free port with `args` and waits until it serves;
/// the child, its port and its base URL.
async fn serving(args: &[&str]) -> (std::process::Child, u16, String) {
    let port = free_port();
    let child = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the binary did not start serving"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, port, base)
}

/// The close code a socket gets within `within`; panics with `what` if none.
async fn close_code<S>(ws: &mut S, within: Duration, what: &str) -> Option<u16>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    tokio::time::timeout(within, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect(what)
}

/// The child's exit status within 5 s; panics with `what` if it runs on.
fn exited(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn serves_and_says_goodbye_on_ctrl_c() {
    let (mut child, port, base) = serving(&["--default-ttl-secs", "120"]).await;
    let http = reqwest::Client::new();
    let created: serde_json::Value = http
        .post(format!("{base}/api/rooms"))
        .json(&serde_json::json!({"name": "a"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ttl = created["expires_in_ms"].as_u64().unwrap();
    assert!(
        (119_000..=120_000).contains(&ttl),
        "--default-ttl-secs applies: {ttl}"
    );

    let room_id = created["room_id"].as_str().unwrap();
    let mut req = format!("ws://127.0.0.1:{port}/api/rooms/{room_id}/ws")
        .into_client_request()
        .unwrap();
    let bearer = format!("Bearer {}", created["token"].as_str().unwrap());
    req.headers_mut()
        .insert("authorization", bearer.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert!(
        matches!(ws.next().await, Some(Ok(Message::Text(_)))),
        "presence first"
    );

    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let close = close_code(
        &mut ws,
        Duration::from_secs(5),
        "the socket is closed on shutdown",
    )
    .await;
    assert_eq!(close, Some(1012), "reconnect elsewhere");
    let status = exited(&mut child, "the binary did not exit after Ctrl-C");
    assert!(status.success(), "graceful exit: {status}");
}

/// SIGTERM drains: `/readyz` turns 503 at once while `/healthz` and open
/// sockets go on for the grace period; then every socket is told to
/// reconnect elsewhere (1012) and the process exits cleanly. `/metrics`
/// counts what happened, with no room id in it.
#[tokio::test]
async fn sigterm_drains_and_metrics_count() {
    let (mut child, port, base) = serving(&["--drain-grace-secs", "2"]).await;
    let http = reqwest::Client::new();
    let status = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            http.get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status("/readyz").await, 200);
    let created: serde_json::Value = http
        .post(format!("{base}/api/rooms"))
        .json(&serde_json::json!({"name": "a"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let room_id = created["room_id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    let sent = http
        .post(format!("{base}/api/rooms/{room_id}/messages"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    assert_eq!(status("/api/rooms/not-a-room/messages").await, 400);
    let mut req = format!("ws://127.0.0.1:{port}/api/rooms/{room_id}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert!(matches!(ws.next().await, Some(Ok(Message::Text(_)))));

    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "private_chat_rooms_created_total 1",
        "private_chat_messages_total 1",
        "private_chat_errors_total{code=\"invalid_room_id\"} 1",
        "private_chat_sockets_open 1",
        "private_chat_rooms_live 1",
        "private_chat_draining 0",
    ] {
        assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
    }
    assert!(
        metrics.contains("private_chat_store_seconds_bucket{op=\"append_message\""),
        "{metrics}"
    );
    assert!(!metrics.contains(&room_id), "a room id in the metrics");

    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let started = Instant::now();
    while status("/readyz").await != 503 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "/readyz did not turn 503"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status("/healthz").await, 200, "alive while draining");
    let close = close_code(
        &mut ws,
        Duration::from_secs(10),
        "the socket is closed after the grace period",
    )
    .await;
    assert_eq!(close, Some(1012), "reconnect elsewhere");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "closed before the grace period"
    );
    let exit = exited(&mut child, "the binary did not exit after draining");
    assert!(exit.success(), "graceful exit: {exit}");
}

#[test]
fn inconsistent_flags_fail_at_start_up() {
    let out = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--min-ttl-secs",
            "100",
            "--max-ttl-secs",
            "10",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--min-ttl-secs is above --max-ttl-secs"),
        "{text}"
    );
    let out = Command::new(BIN)
        .args(["--listen", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    // A certificate without its key, and an unreadable one.
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--tls-cert", "cert.pem"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args([
            "--tls-cert",
            "/nonexistent/c.pem",
            "--tls-key",
            "/nonexistent/k.pem",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("/nonexistent/c.pem"), "{text}");
}

#[test]
fn an_unreachable_redis_fails_at_start_up() {
    let port = free_port();
    let out = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--redis-url",
            &format!("redis://127.0.0.1:{port}/"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("cannot reach the store"), "{text}");
}

/// README.md's flag table is the one the server enforces: every flag row
/// names the default and the environment variable the binary's `--help`
/// shows, and every flag of `--help` has a row.
#[test]
fn the_readme_flag_table_matches_the_binary() {
    let help = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    // One entry per option: its `--flag` line and the description lines after it.
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in help.lines().map(str::trim) {
        match line.strip_prefix("--") {
            Some(rest) => entries.push((
                format!("--{}", rest.split_whitespace().next().unwrap()),
                String::new(),
            )),
            None => {
                if let Some((_, text)) = entries.last_mut() {
                    text.push_str(line);
                }
            }
        }
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let mut checked = 0;
    for row in readme.lines().filter(|l| l.starts_with("| `--")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (flags, envs, defaults) = (cells[1], cells[2], cells[3]);
        let mut defaults = defaults.split(" / ");
        for (flag, env) in flags.split(" / ").zip(envs.split(" / ")) {
            let flag = flag.trim_matches('`');
            let (_, text) = entries
                .iter()
                .find(|(f, _)| f == flag)
                .unwrap_or_else(|| panic!("README names {flag}, which --help does not know"));
            let env = env.trim_matches('`');
            if !env.contains("...") {
                assert!(
                    text.contains(&format!("[env: {env}=")),
                    "{flag}: env {env} not in: {text}"
                );
            }
            if let Some(Ok(n)) = defaults.next().map(str::parse::<u64>) {
                assert!(
                    text.contains(&format!("[default: {n}]")),
                    "{flag}: README says {n}: {text}"
                );
            }
            checked += 1;
        }
    }
    for (flag, _) in &entries {
        if flag != "--help" && flag != "--version" {
            assert!(
                readme.contains(&format!("`{flag}`")),
                "{flag} is missing from README.md"
            );
        }
    }
    assert!(checked >= 18, "only {checked} flags checked");
}
