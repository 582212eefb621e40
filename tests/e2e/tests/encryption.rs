//! End-to-end encryption with two real app windows: what the server, its
//! Redis and its log hold after a conversation, the safety code both
//! windows show, and a server that rewrites a key-exchange frame.
//!
//! `#[ignore]`d like every window test; scripts/test.sh runs them.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use private_chat_e2e::app::{App, Launch};
use private_chat_protocol::app::Notice;
use private_chat_protocol::invite::Invite;
use private_chat_server::Config;
use private_chat_tests::redis::RedisServer;
use private_chat_tests::{Backend, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The log of the servers this test process runs, at `debug` (one line per
/// request, with its path and query).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Log::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,h2=info,rustls=info,redis=info")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        log
    })
}

impl Log {
    fn text_from(&self, offset: usize) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()[offset..]).into_owned()
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

fn launch_on(server: &str, tag: &str) -> Launch {
    let dir = std::env::temp_dir().join(format!("private-chat-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Launch {
        data_dir: Some(dir),
        env: vec![("PRIVATE_CHAT_SERVER".into(), server.to_owned())],
        ..Launch::default()
    }
}

async fn my_name(app: &App) -> String {
    app.ui
        .wait_text("[data-testid=my-name]", "a name", |t| {
            t.starts_with("anonymous-")
        })
        .await
}

async fn invite_link(app: &App) -> String {
    app.ui
        .wait_text("[data-testid=invite-link]", "an invite", |t| {
            t.starts_with("privchat://room/")
        })
        .await
}

async fn join(app: &App, link: &str) {
    app.ui.type_into("[data-testid=invite-input]", link).await;
    app.ui.click("[data-testid=join-room]").await;
}

async fn say(app: &App, text: &str) {
    app.ui
        .type_into("[data-testid=composer-input]", &format!("{text}\u{E007}"))
        .await;
}

async fn read(app: &App, text: &str) {
    let shown = "return [...document.querySelectorAll('[data-testid=message-theirs] [data-testid=message-body]')].map(e => e.textContent)";
    for _ in 0..100 {
        let texts = app.ui.script(shown, serde_json::json!([])).await;
        if texts.as_array().unwrap().iter().any(|t| t == text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never shown: {text}");
}

/// Every key and value in the Redis at `url`, read per type (never DUMP,
/// whose compression could hide a word).
async fn redis_contents(url: &str) -> String {
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut con)
        .await
        .unwrap();
    let mut out = String::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut con)
            .await
            .unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![redis::cmd("GET")
                .arg(&key)
                .query_async(&mut con)
                .await
                .unwrap()],
            "list" => redis::cmd("LRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut con)
                .await
                .unwrap(),
            "hash" => redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut con)
                .await
                .unwrap(),
            "set" => redis::cmd("SMEMBERS")
                .arg(&key)
                .query_async(&mut con)
                .await
                .unwrap(),
            "zset" => redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(&mut con)
                .await
                .unwrap(),
            other => panic!("a Redis {other} was not expected: {key}"),
        };
        out.push_str(&format!("{key} ({kind}):\n"));
        for v in values {
            out.push_str(&String::from_utf8_lossy(&v));
            out.push('\n');
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn the_server_redis_and_log_hold_no_word_of_a_conversation() {
    let log = log();
    let from = log.len();
    let redis = RedisServer::start();
    // Every command the server sends to Redis, SPUBLISH and script
    // arguments included.
    let monitor_file = std::env::temp_dir().join(format!("e2e-monitor-{}", std::process::id()));
    let port = redis
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let mut monitor = Command::new("redis-cli")
        .args(["-p", &port, "monitor"])
        .stdout(std::fs::File::create(&monitor_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-cli runs");
    let server = TestServer::start_with(
        Backend::Redis,
        Config {
            redis_url: Some(redis.url()),
            ..private_chat_tests::server::test_config()
        },
    )
    .await;
    let url = server.server.url();

    let creator = App::launch(launch_on(&url, "e2ee-a")).await;
    let joiner = App::launch(launch_on(&url, "e2ee-b")).await;
    let names = [my_name(&creator).await, my_name(&joiner).await];
    creator.ui.click("[data-testid=create-room]").await;
    let link = invite_link(&creator).await;
    let invite = Invite::parse(&link).unwrap();
    let secret = invite.secret.clone().expect("the invite carries the key");
    assert!(!invite.room_id.contains(&secret));
    join(&joiner, &link).await;
    joiner.ui.find("[data-testid=room]").await;

    // Both windows show the same code, and each the other's real name.
    creator.same_safety_code(&joiner).await;
    creator.sees_here(&names[1]).await;
    joiner.sees_here(&names[0]).await;

    let words = [
        "periwinkle ostrich 7731",
        "the vault code is 4417",
        "meet at the lighthouse at noon",
    ];
    say(&creator, words[0]).await;
    read(&joiner, words[0]).await;
    say(&joiner, words[1]).await;
    read(&creator, words[1]).await;
    say(&creator, words[2]).await;
    read(&joiner, words[2]).await;
    creator.screenshot("40-e2ee-creator").await;
    joiner.screenshot("41-e2ee-joiner").await;

    // Everything the server side holds or saw.
    let stored = redis_contents(&redis.url()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = monitor.kill();
    let _ = monitor.wait();
    let monitored = std::fs::read_to_string(&monitor_file).unwrap_or_default();
    let _ = std::fs::remove_file(&monitor_file);
    let logged = log.text_from(from);
    // The scans do read what is there: the room's keys, its ciphertext,
    // its requests.
    assert!(
        stored.contains(&invite.room_id),
        "Redis scan read nothing:\n{stored}"
    );
    assert!(
        monitored.contains("EVALSHA") || monitored.contains("evalsha"),
        "MONITOR saw nothing"
    );
    assert!(
        logged.contains(&format!("/api/rooms/{}/messages", invite.room_id)),
        "the request log is empty:\n{logged}"
    );
    let mut secrets: Vec<String> = names.to_vec();
    secrets.push(secret.clone());
    for word in words {
        secrets.push(word.to_owned());
        // Any longer piece of a text, too.
        secrets.extend(word.split(' ').filter(|w| w.len() >= 5).map(str::to_owned));
    }
    for (place, text) in [
        ("Redis", &stored),
        ("Redis MONITOR", &monitored),
        ("the server log", &logged),
    ] {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{place} holds {s:?}");
        }
    }

    creator.quit().await;
    joiner.quit().await;
}

/// A loopback TCP proxy to `upstream` that rewrites one character inside
/// the first message body starting with one of `prefixes` (a frame kind, in
/// its base64 form) on the way to the server; counts its rewrites.
async fn rewriting_proxy(
    upstream: String,
    prefixes: &'static [&'static str],
) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(Mutex::new(0));
    let rewrites = count.clone();
    let target = upstream.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&target).await else {
                continue;
            };
            let rewrites = rewrites.clone();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n) = cr.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let chunk = &mut buf[..n];
                        let at = prefixes.iter().find_map(|prefix| {
                            find(chunk, format!("\"body\":\"{prefix}").as_bytes())
                        });
                        if let Some(at) = at {
                            let mut count = rewrites.lock().unwrap();
                            if *count == 0 {
                                // Inside the Noise message: its key or tag.
                                let i = at + "\"body\":\"".len() + 40;
                                chunk[i] = if chunk[i] == b'A' { b'Q' } else { b'A' };
                                *count += 1;
                            }
                        }
                        if sw.write_all(chunk).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::join!(up, down);
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// How a frame's body begins: version 1, then its kind, in base64 (whose
/// third character also carries two bits of the next byte: the first byte
/// of the offer's key; the first of the answer's offer id, always 0).
const OFFER: &[&str] = &["AQE", "AQF", "AQG", "AQH"];
const ANSWER: &[&str] = &["AQI"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the built app and a display: run by scripts/test.sh"]
async fn a_server_that_rewrites_a_key_exchange_frame_makes_both_apps_refuse() {
    // The joiner's answer is changed: the creator cannot verify it, says
    // so, and neither app sends anything.
    let server = private_chat_tests::server::standalone().await;
    let (proxy, rewrites) = rewriting_proxy(server.url(), ANSWER).await;
    let creator = App::launch(launch_on(&proxy, "mitm-a")).await;
    let joiner = App::launch(launch_on(&proxy, "mitm-b")).await;
    creator.ui.click("[data-testid=create-room]").await;
    let link = invite_link(&creator).await;
    join(&joiner, &link).await;
    joiner.ui.find("[data-testid=room]").await;
    for app in [&creator, &joiner] {
        let failure = app
            .ui
            .wait_text("[data-testid=security-failed]", "the failure", |t| {
                t.contains("could not") && t.contains("Nothing can be sent")
            })
            .await;
        assert!(failure.contains("key exchange"), "{failure}");
        app.ui.find("[data-testid=composer-blocked]").await;
        let disabled = app
            .ui
            .script(
                "return document.querySelector('[data-testid=composer-input]').disabled",
                serde_json::json!([]),
            )
            .await;
        assert_eq!(disabled, true, "the composer stays closed");
        assert!(app.ui.all("[data-testid=safety-code]").await.is_empty());
    }
    assert_eq!(*rewrites.lock().unwrap(), 1, "one frame was rewritten");
    creator.screenshot("42-mitm-creator").await;
    joiner.screenshot("43-mitm-joiner").await;
    creator.quit().await;
    joiner.quit().await;

    // The creator's offer is changed: the joiner cannot verify it, takes
    // the lobby with a clear notice, and the creator is told.
    let (proxy, rewrites) = rewriting_proxy(server.url(), OFFER).await;
    let creator = App::launch(launch_on(&proxy, "mitm-c")).await;
    let joiner = App::launch(launch_on(&proxy, "mitm-d")).await;
    creator.ui.click("[data-testid=create-room]").await;
    let link = invite_link(&creator).await;
    join(&joiner, &link).await;
    joiner.notice(Notice::KeyMismatch).await;
    joiner.screenshot("44-mitm-joiner-lobby").await;
    creator
        .ui
        .wait_text("[data-testid=security-failed]", "the failure", |t| {
            t.contains("other person's app could not verify")
        })
        .await;
    assert_eq!(*rewrites.lock().unwrap(), 1);
    creator.quit().await;
    joiner.quit().await;
    server.shutdown().await.unwrap();
}
