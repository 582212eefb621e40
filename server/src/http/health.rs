//! Probes and metrics for operators: `GET /healthz` (which backend, and
//! whether it answers), `GET /readyz` (whether to send this instance new
//! clients), `GET /metrics` (Prometheus text).

use std::sync::atomic::Ordering;

use axum::http::header;
use axum::response::IntoResponse;
use private_chat_protocol::ErrorCode;

use crate::metrics::{self, Gauges};

use axum::extract::State;
use axum::Json;
use private_chat_protocol::Health;

use crate::error::Error;
use crate::state::AppState;

/// Ready while the store answers and the instance is not draining.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Health>, Error> {
    if state.draining.load(Ordering::Relaxed) {
        return Err(Error::new(
            ErrorCode::StoreUnavailable,
            "This instance is draining before it stops; use another.",
        ));
    }
    health(State(state)).await
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let gauges = Gauges {
        rooms_live: state.guard.rooms.counted(),
        sockets_open: state.sockets.len(),
        connections_open: state.guard.connections.total(),
        draining: state.draining.load(Ordering::Relaxed),
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics::render(&gauges),
    )
}

pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, Error> {
    state.store.health().await?;
    Ok(Json(Health {
        status: "ok".into(),
        backend: state.store.backend().into(),
    }))
}
