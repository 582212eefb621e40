//! A counted socket of a member: taken before the upgrade, renewed while the
//! socket lives, given back however the socket ends, including an upgrade
//! that never completes.

use std::future::Future;
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
    /// Random: names this socket's lease in the store.
    socket_id: String,
}

impl SocketSlot {
    /// Counts one more socket of the member, refusing past the configured limit.
    pub async fn take(state: &AppState, member: &Member) -> Result<Self, Error> {
        let member_id = member.author.member_id.clone();
        let socket_id = Uuid::new_v4().simple().to_string();
        state
            .store
            .connect(
                member.room_id,
                &member_id,
                &socket_id,
                state.config.max_sockets_per_member,
            )
            .await?;
        Ok(Self {
            store: Some(state.store.clone()),
            room_id: member.room_id,
            member_id,
            socket_id,
        })
    }

    /// Keeps the count's lease (a failure is left to the next renewal: the
    /// lease outlives several of them). Owns what it needs, so the writer
    /// can run it beside its writes instead of before them.
    pub fn renewal(&self) -> impl Future<Output = ()> + Send + 'static {
        let store = self.store.clone();
        let (room_id, member_id, socket_id) =
            (self.room_id, self.member_id.clone(), self.socket_id.clone());
        async move {
            if let Some(store) = store {
                if let Err(e) = store.renew(room_id, &member_id, &socket_id).await {
                    tracing::debug!(error = %e, "socket lease not renewed");
                }
            }
        }
    }

    /// Gives the count back and waits for the store to take it.
    pub async fn release(mut self) {
        if let Some(store) = self.store.take() {
            let _ = store
                .disconnect(self.room_id, &self.member_id, &self.socket_id)
                .await;
        }
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let room_id = self.room_id;
            let member_id = std::mem::take(&mut self.member_id);
            let socket_id = std::mem::take(&mut self.socket_id);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = store.disconnect(room_id, &member_id, &socket_id).await;
                });
            }
        }
    }
}
