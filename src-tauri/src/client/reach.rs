//! Finding where a room answers: an invite may name several addresses of one
//! server (each network interface of the creator's computer, a forwarded
//! public port); the joiner asks them all at once and keeps the first that
//! answers as a private_chat server.

use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::api::{Api, ClientError};

/// How long one address may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The first of `candidates` whose `/healthz` answers, with `pin` applied.
/// When none does, a refused certificate wins over silence, so a tampered
/// invite is named as such.
pub async fn first_answering(candidates: &[String], pin: Option<&str>) -> Result<Api, ClientError> {
    let mut probes: FuturesUnordered<_> = candidates
        .iter()
        .map(|url| async move {
            let api = Api::pinned(url, pin);
            match tokio::time::timeout(PROBE_TIMEOUT, api.health()).await {
                Ok(Ok(_)) => Ok(api),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(ClientError::Unreachable(format!("{url} did not answer"))),
            }
        })
        .collect();
    let mut failure = None;
    while let Some(probe) = probes.next().await {
        match probe {
            Ok(api) => return Ok(api),
            Err(e) => {
                let untrusted = matches!(e, ClientError::Untrusted(_));
                if failure.is_none() || untrusted {
                    failure = Some(e);
                }
            }
        }
    }
    Err(failure.unwrap_or_else(|| ClientError::Unreachable("the invite names no server".into())))
}
