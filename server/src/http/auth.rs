//! Who is calling: a room member, proven by the bearer token of their seat.

use uuid::Uuid;

use super::error::ApiError;
use super::extract::Bearer;
use crate::state::AppState;
use crate::store::{MemberRecord, RoomSnapshot};
use crate::token;

/// Reads the room and finds the member whose token digest matches.
///
/// A missing room is 404 even for a wrong token: room ids are unguessable,
/// and a client holding a token for an ended room learns that it ended.
pub async fn authenticate(
    state: &AppState,
    room_id: Uuid,
    bearer: &Bearer,
) -> Result<(MemberRecord, RoomSnapshot), ApiError> {
    let room = state.store.room(room_id).await?;
    let member = room
        .members
        .iter()
        .find(|m| token::matches(&bearer.0, &m.token_digest))
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;
    Ok((member, room))
}
