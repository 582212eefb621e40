//! The app's own room server, for rooms that live on this computer: the
//! server library in-process with the in-memory store, on loopback for the
//! app itself, and on the network, over TLS with a certificate of its own,
//! while a room created here is open. Its rooms live as long as the app runs.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use private_chat_server::store::memory::MemoryStore;
use private_chat_server::store::Store;
use private_chat_server::{Config, RunningServer};

use crate::client::pin;

/// The certificate of the embedded server, made once and kept.
#[derive(Debug, Clone)]
pub struct Identity {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// SHA-256 of the certificate: what invites pin.
    pub fingerprint: String,
}

impl Identity {
    /// Loads the identity kept in `dir`, or makes one (key readable by the
    /// user alone).
    pub fn load_or_make(dir: &Path) -> Result<Self, String> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let (cert, key) = (dir.join("server-cert.pem"), dir.join("server-key.pem"));
        if !(cert.exists() && key.exists()) {
            let made = rcgen::generate_simple_self_signed(vec!["private-chat.local".into()])
                .map_err(|e| format!("cannot make a certificate: {e}"))?;
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            crate::private_file::write(&key, made.key_pair.serialize_pem().as_bytes())?;
            std::fs::write(&cert, made.cert.pem())
                .map_err(|e| format!("cannot write {}: {e}", cert.display()))?;
        }
        let der = CertificateDer::from_pem_file(&cert)
            .map_err(|e| format!("cannot read {}: {e}", cert.display()))?;
        Ok(Self {
            fingerprint: pin::fingerprint(&der),
            cert,
            key,
        })
    }
}

/// The room server inside the app: one store, served on loopback always and
/// on the network (TLS) while asked to.
pub struct Embedded {
    loopback: RunningServer,
    store: Arc<dyn Store>,
    config: Config,
    identity: Identity,
    network: Mutex<Option<RunningServer>>,
}

impl Embedded {
    pub async fn start(config: Config, data_dir: &Path) -> Result<Self, String> {
        let identity = Identity::load_or_make(data_dir)?;
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let loopback_config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..config.clone()
        };
        let loopback = private_chat_server::start_with_store(loopback_config, store.clone())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!("embedded room server on {}", loopback.url());
        Ok(Self {
            loopback,
            store,
            config,
            identity,
            network: Mutex::new(None),
        })
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Where this app reaches it: loopback.
    pub fn url(&self) -> String {
        self.loopback.url()
    }

    /// The port other computers reach, while the server is on the network.
    pub fn network_port(&self) -> Option<u16> {
        let network = self.network.lock().ok()?;
        network.as_ref().map(|s| s.addr().port())
    }

    /// Serves the rooms on every interface over TLS (if not already), on
    /// `port` when it is free, and returns the addresses other computers may
    /// use, best first, with the port in use.
    pub async fn open_to_network(&self, port: u16) -> Result<(Vec<String>, u16), String> {
        let port = match self.network_port() {
            Some(port) => port,
            None => {
                let server = match self.serve_network(port).await {
                    Ok(server) => server,
                    // Taken by another program since: any free port will do.
                    Err(_) if port != 0 => self.serve_network(0).await?,
                    Err(e) => return Err(e),
                };
                // Two rooms opened at once: the first server in stays.
                let mut spare = Some(server);
                let port = {
                    let mut network = self.network.lock().map_err(|_| "poisoned lock")?;
                    let kept = network.get_or_insert_with(|| spare.take().expect("one server"));
                    kept.addr().port()
                };
                match spare {
                    Some(spare) => {
                        let _ = spare.shutdown().await;
                    }
                    None => tracing::info!(port, "embedded room server open to the network"),
                }
                port
            }
        };
        Ok((network_urls(&interface_addresses(), port), port))
    }

    async fn serve_network(&self, port: u16) -> Result<RunningServer, String> {
        let config = Config {
            listen: SocketAddr::from(([0, 0, 0, 0], port)),
            tls_cert: Some(self.identity.cert.clone()),
            tls_key: Some(self.identity.key.clone()),
            ..self.config.clone()
        };
        private_chat_server::start_with_store(config, self.store.clone())
            .await
            .map_err(|e| e.to_string())
    }

    /// Stops serving on the network (loopback stays).
    pub async fn close_to_network(&self) {
        let network = self.network.lock().ok().and_then(|mut n| n.take());
        if let Some(server) = network {
            tracing::info!("embedded room server closed to the network");
            let _ = server.shutdown().await;
        }
    }
}

/// This computer's addresses other computers may reach: not loopback, not
/// link-local (those need an interface name to be used).
pub fn interface_addresses() -> Vec<IpAddr> {
    let mut addrs: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        .filter(|ip| match ip {
            IpAddr::V4(v4) => !v4.is_link_local(),
            IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect();
    // IPv4 first: what home networks route.
    addrs.sort_by_key(|ip| ip.is_ipv6());
    addrs.dedup();
    addrs
}

/// `https://<address>:<port>` for each address.
pub fn network_urls(addrs: &[IpAddr], port: u16) -> Vec<String> {
    addrs
        .iter()
        .map(|ip| format!("https://{}", SocketAddr::new(*ip, port)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_urls_bracket_v6_and_skip_nothing_else() {
        let addrs = [
            "192.168.1.5".parse().unwrap(),
            "2001:db8::7".parse().unwrap(),
        ];
        assert_eq!(
            network_urls(&addrs, 48787),
            ["https://192.168.1.5:48787", "https://[2001:db8::7]:48787"]
        );
        for ip in interface_addresses() {
            assert!(!ip.is_loopback(), "{ip}");
        }
    }
}
