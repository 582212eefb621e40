//! The server over TLS (`--tls-cert`, `--tls-key`): HTTPS and WSS work for a
//! client that trusts the certificate, nothing is served in clear text on
//! that port, an untrusted certificate is refused by the client, and bad
//! files stop the server at start with a message naming them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use private_chat_server::{Config, StartError};
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;

/// A self-signed certificate for 127.0.0.1, written as PEM files.
struct Identity {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    cert_pem: String,
}

impl Identity {
    fn new(name: &str) -> Self {
        let rcgen::CertifiedKey { cert, key_pair } =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .unwrap();
        let dir =
            std::env::temp_dir().join(format!("private-chat-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key_pair.serialize_pem()).unwrap();
        Self {
            dir,
            cert: cert_path,
            key: key_path,
            cert_pem: cert.pem(),
        }
    }

    fn config(&self) -> Config {
        Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls_cert: Some(self.cert.clone()),
            tls_key: Some(self.key.clone()),
            ..Config::default()
        }
    }

    /// An HTTP client that trusts this certificate only.
    fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.cert_pem.as_bytes()).unwrap())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// A rustls client configuration that trusts this certificate only.
    fn rustls(&self) -> Arc<rustls::ClientConfig> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(
                rustls::pki_types::CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
                    .unwrap(),
            )
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

impl Drop for Identity {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn json(resp: reqwest::Response) -> Value {
    assert!(resp.status().is_success(), "HTTP {}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test]
async fn https_and_wss_for_a_client_that_trusts_the_certificate() {
    let id = Identity::new("serve");
    let server = private_chat_server::start(id.config()).await.unwrap();
    let base = server.url();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let http = id.http();

    let health = json(http.get(format!("{base}/healthz")).send().await.unwrap()).await;
    assert_eq!(health["backend"], "memory");
    let created = json(
        http.post(format!("{base}/api/rooms"))
            .json(&serde_json::json!({ "name": "alice" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let room_id = created["room_id"].as_str().unwrap();
    let token = created["token"].as_str().unwrap();

    // The room's socket over WSS: the first frame is the presence.
    let ws_url = format!(
        "{}/api/rooms/{room_id}/ws",
        base.replacen("https", "wss", 1)
    );
    let mut req = ws_url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
        req,
        None,
        true,
        Some(Connector::Rustls(id.rustls())),
    )
    .await
    .expect("a WSS connection");
    let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a first frame")
        .unwrap()
        .unwrap();
    let Message::Text(text) = first else {
        panic!("not a text frame: {first:?}")
    };
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["type"], "presence");

    // Nothing in clear text on that port, and an untrusting client refuses it.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", server.addr()))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(
        plain.map_or(true, |r| !r.status().is_success()),
        "the TLS port answered plain HTTP"
    );
    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .build()
        .unwrap()
        .get(format!("{base}/healthz"))
        .send()
        .await;
    assert!(
        untrusting.is_err(),
        "a self-signed certificate was accepted"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stalled_handshake_does_not_hold_up_other_clients() {
    let id = Identity::new("stall");
    let server = private_chat_server::start(id.config()).await.unwrap();
    // Connections that never say hello.
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(tokio::net::TcpStream::connect(server.addr()).await.unwrap());
    }
    let health = tokio::time::timeout(
        Duration::from_secs(5),
        id.http().get(format!("{}/healthz", server.url())).send(),
    )
    .await
    .expect("served while others stall")
    .unwrap();
    assert!(health.status().is_success());
    drop(silent);
    server.shutdown().await.unwrap();
}

fn start_error(config: Config) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    match rt.block_on(private_chat_server::start(config)) {
        Err(e @ (StartError::Tls(_) | StartError::Config(_))) => e.to_string(),
        Err(e) => panic!("another start error: {e}"),
        Ok(_) => panic!("started with bad TLS files"),
    }
}

#[test]
fn bad_tls_files_stop_the_server_at_start_with_their_name() {
    let id = Identity::new("bad");
    let missing = Path::new("/nonexistent/cert.pem").to_path_buf();
    let e = start_error(Config {
        tls_cert: Some(missing),
        ..id.config()
    });
    assert!(e.contains("/nonexistent/cert.pem"), "{e}");

    // A key that is not the certificate's.
    let other = Identity::new("other");
    let e = start_error(Config {
        tls_key: Some(other.key.clone()),
        ..id.config()
    });
    assert!(e.contains("do not form a TLS identity"), "{e}");

    // A certificate without its key.
    let e = start_error(Config {
        tls_key: None,
        ..id.config()
    });
    assert!(e.contains("--tls-key"), "{e}");
}
