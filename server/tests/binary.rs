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

#[tokio::test]
async fn serves_and_says_goodbye_on_ctrl_c() {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--default-ttl-secs",
            "120",
        ])
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
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("the socket is closed on shutdown");
    assert_eq!(close, Some(1001), "going away");
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the binary did not exit after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful exit: {status}");
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
