//! compose.yaml's two command lines, run as they are written (Docker itself
//! does not run here): its Redis keeps nothing on disk, and its server
//! serves TLS on that Redis. Only the host-specific values are swapped for
//! loopback ones, and each swap must find its value, so a changed file
//! fails here rather than in someone's deployment.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_private-chat-server");

mod support;

use support::free_port;

/// The `command` list of a compose service.
fn command(compose: &serde_yaml_ng::Value, service: &str) -> Vec<String> {
    compose["services"][service]["command"]
        .as_sequence()
        .unwrap_or_else(|| panic!("services.{service}.command is a list"))
        .iter()
        .map(|v| v.as_str().expect("string arguments").to_owned())
        .collect()
}

/// Replaces `from` (which must be there) with `to`.
fn swap(args: &mut [String], from: &str, to: &str) {
    let arg = args
        .iter_mut()
        .find(|a| *a == from)
        .unwrap_or_else(|| panic!("compose.yaml no longer has {from:?}"));
    *arg = to.to_owned();
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli is installed with redis-server");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn the_compose_services_run_as_written() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../compose.yaml");
    let compose: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();

    // Redis, RAM only.
    let redis_port = free_port();
    let mut redis = command(&compose, "redis");
    assert_eq!(redis.remove(0), "redis-server");
    let _redis = Killed(
        Command::new("redis-server")
            .args(&redis)
            .args(["--port", &redis_port.to_string(), "--bind", "127.0.0.1"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (the test command installs it)"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis_cli(redis_port, &["ping"]) != "PONG" {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(redis_cli(redis_port, &["config", "get", "save"]), "save");
    assert_eq!(
        redis_cli(redis_port, &["config", "get", "appendonly"]),
        "appendonly\nno"
    );

    // The server, with a certificate in place of the host's.
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let dir = std::env::temp_dir().join(format!("private-chat-compose-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("fullchain.pem"), dir.join("privkey.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
    let port = free_port();
    let mut args = command(&compose, "server");
    swap(&mut args, "0.0.0.0:8787", &format!("127.0.0.1:{port}"));
    swap(
        &mut args,
        "redis://redis:6379/",
        &format!("redis://127.0.0.1:{redis_port}/"),
    );
    swap(&mut args, "/tls/fullchain.pem", cert_path.to_str().unwrap());
    swap(&mut args, "/tls/privkey.pem", key_path.to_str().unwrap());
    let _server = Killed(
        Command::new(BIN)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(10);
    let health: serde_json::Value = loop {
        match http.get(&url).send().await {
            Ok(resp) => break resp.json().await.unwrap(),
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("the compose server does not answer over TLS: {e}"),
        }
    };
    assert_eq!(health["backend"], "redis");
    let _ = std::fs::remove_dir_all(&dir);
}
