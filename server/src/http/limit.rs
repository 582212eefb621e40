//! Per-address rates on the routes that cost the server, checked after
//! routing and before authentication or any body is read, so a flood is
//! refused for the price of one lookup.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::guard::rate::Action;
use crate::state::AppState;

/// The rate a route counts against, if any.
fn action(method: &Method, route: &str) -> Option<Action> {
    match (method, route) {
        (&Method::POST, "/api/rooms") => Some(Action::Create),
        (&Method::POST, "/api/rooms/{room_id}/join") => Some(Action::Join),
        (&Method::POST, "/api/rooms/{room_id}/messages") => Some(Action::Message),
        (&Method::GET, "/api/rooms/{room_id}/ws") => Some(Action::Upgrade),
        _ => None,
    }
}

/// Refuses with 429 `rate_limited` (and `Retry-After`) when the client's
/// address is over the route's rate. Requests not served by the server's
/// own accept loop carry no address and are not counted.
pub async fn rates(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let route = req.extensions().get::<MatchedPath>();
    if let (Some(peer), Some(route)) = (peer, route) {
        if let Some(action) = action(req.method(), route.as_str()) {
            if let Err(e) = state.guard.rates.check(action, peer.ip()) {
                return e.into_response();
            }
        }
    }
    next.run(req).await
}
