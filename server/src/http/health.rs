//! `GET /healthz`: which backend, and whether it answers.

use axum::extract::State;
use axum::Json;
use private_chat_protocol::Health;

use crate::error::Error;
use crate::state::AppState;

pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, Error> {
    state.store.health().await?;
    Ok(Json(Health {
        status: "ok".into(),
        backend: state.store.backend().into(),
    }))
}
