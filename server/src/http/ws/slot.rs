//! A counted socket of a member: taken before the upgrade, given back however
//! the socket ends, including an upgrade that never completes.

use std::sync::Arc;

use uuid::Uuid;

use crate::error::Error;
use crate::room::Member;
use crate::state::AppState;
use crate::store::Store;

pub struct SocketSlot {
    store: Option<Arc<dyn Store>>,
    room_id: Uuid,
    member_id: String,
}

impl SocketSlot {
    /// Counts one more socket of the member, refusing past the configured limit.
    pub async fn take(state: &AppState, member: &Member) -> Result<Self, Error> {
        let member_id = member.record.member_id.clone();
        state
            .store
            .connect(
                member.room_id,
                &member_id,
                state.config.max_sockets_per_member,
            )
            .await?;
        Ok(Self {
            store: Some(state.store.clone()),
            room_id: member.room_id,
            member_id,
        })
    }

    /// Gives the count back and waits for the store to take it.
    pub async fn release(mut self) {
        if let Some(store) = self.store.take() {
            let _ = store.disconnect(self.room_id, &self.member_id).await;
        }
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let (room_id, member_id) = (self.room_id, std::mem::take(&mut self.member_id));
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = store.disconnect(room_id, &member_id).await;
                });
            }
        }
    }
}
