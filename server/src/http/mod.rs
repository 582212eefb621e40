//! The HTTP surface: routes, extractors, the error answer and the socket.
//! Handlers only translate between HTTP and [`crate::room`].

pub(crate) mod error;
mod extract;
mod health;
mod limit;
mod log;
mod messages;
mod rooms;
mod ws;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use private_chat_protocol::{limits, ErrorCode};

use crate::error::Error;
use crate::state::AppState;

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::health))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/api/rooms", post(rooms::create))
        .route(
            "/api/rooms/{room_id}",
            get(rooms::info).delete(rooms::destroy),
        )
        .route("/api/rooms/{room_id}/join", post(rooms::join))
        .route(
            "/api/rooms/{room_id}/messages",
            get(messages::list).post(messages::send),
        )
        .route("/api/rooms/{room_id}/ws", get(ws::upgrade))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit::rates,
        ))
        .fallback(|| async { Error::new(ErrorCode::NotFound, "No such route.") })
        .method_not_allowed_fallback(|| async {
            Error::new(
                ErrorCode::MethodNotAllowed,
                "This route does not take that method.",
            )
        })
        .layer(DefaultBodyLimit::max(limits::MAX_REQUEST_BYTES))
        .layer(axum::middleware::from_fn(log::requests))
        .with_state(state)
}
