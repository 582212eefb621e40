//! The key exchange: `Noise_NNpsk0_25519_ChaChaPoly_SHA256`.
//!
//! ```text
//! creator → joiner   offer:  psk, e       (Noise message 1)
//! joiner  → creator  answer: e, ee        (Noise message 2)
//! ```
//!
//! The invite secret is the pre-shared key and the prologue names the room,
//! so only an app holding the invite can make an offer or an answer that
//! verifies. Both payloads are empty: names travel later, sealed under keys
//! that only the two ephemeral keys give.

use snow::{Builder, HandshakeState};

use crate::frame::HANDSHAKE_LEN;
use crate::{context, CryptoError, Frame, InviteSecret, Role, RoomKeys};

/// The Noise protocol name.
pub const PARAMS: &str = "Noise_NNpsk0_25519_ChaChaPoly_SHA256";

fn state(
    secret: &InviteSecret,
    room_id: &str,
    initiator: bool,
    #[cfg(test)] ephemeral: Option<&[u8]>,
) -> Result<HandshakeState, CryptoError> {
    let params = PARAMS.parse().expect("a valid Noise protocol name");
    let prologue = context("handshake", room_id);
    let builder = Builder::new(params)
        .psk(0, secret.bytes())
        .and_then(|b| b.prologue(&prologue))
        .map_err(|_| CryptoError::Handshake)?;
    #[cfg(test)]
    let builder = match ephemeral {
        Some(e) => builder.fixed_ephemeral_key_for_testing_only(e),
        None => builder,
    };
    let built = if initiator {
        builder.build_initiator()
    } else {
        builder.build_responder()
    };
    built.map_err(|_| CryptoError::Handshake)
}

/// The creator's side, from its offer until the answer comes.
pub struct Offer {
    state: HandshakeState,
}

impl Offer {
    /// A new offer for `room_id`, and the frame to post.
    pub fn new(secret: &InviteSecret, room_id: &str) -> Result<(Self, Frame), CryptoError> {
        Self::build(
            secret,
            room_id,
            #[cfg(test)]
            None,
        )
    }

    fn build(
        secret: &InviteSecret,
        room_id: &str,
        #[cfg(test)] ephemeral: Option<&[u8]>,
    ) -> Result<(Self, Frame), CryptoError> {
        let mut state = state(
            secret,
            room_id,
            true,
            #[cfg(test)]
            ephemeral,
        )?;
        let mut noise = vec![0u8; HANDSHAKE_LEN];
        let n = state
            .write_message(&[], &mut noise)
            .map_err(|_| CryptoError::Handshake)?;
        noise.truncate(n);
        Ok((Self { state }, Frame::Offer { noise }))
    }

    /// Verifies the joiner's answer and gives the room's keys.
    pub fn accept(mut self, answer: &[u8]) -> Result<RoomKeys, CryptoError> {
        let mut payload = [0u8; HANDSHAKE_LEN];
        self.state
            .read_message(answer, &mut payload)
            .map_err(|_| CryptoError::Handshake)?;
        finish(Role::Creator, self.state)
    }
}

/// The joiner's side: verifies the offer (stored as message `offer_id`)
/// and gives the room's keys with the answer to post.
pub fn answer(
    secret: &InviteSecret,
    room_id: &str,
    offer_id: u64,
    offer: &[u8],
) -> Result<(RoomKeys, Frame), CryptoError> {
    answer_with(
        secret,
        room_id,
        offer_id,
        offer,
        #[cfg(test)]
        None,
    )
}

fn answer_with(
    secret: &InviteSecret,
    room_id: &str,
    offer_id: u64,
    offer: &[u8],
    #[cfg(test)] ephemeral: Option<&[u8]>,
) -> Result<(RoomKeys, Frame), CryptoError> {
    let mut state = state(
        secret,
        room_id,
        false,
        #[cfg(test)]
        ephemeral,
    )?;
    let mut payload = [0u8; HANDSHAKE_LEN];
    state
        .read_message(offer, &mut payload)
        .map_err(|_| CryptoError::Handshake)?;
    let mut noise = vec![0u8; HANDSHAKE_LEN];
    let n = state
        .write_message(&[], &mut noise)
        .map_err(|_| CryptoError::Handshake)?;
    noise.truncate(n);
    let keys = finish(Role::Joiner, state)?;
    Ok((keys, Frame::Answer { offer_id, noise }))
}

fn finish(role: Role, mut state: HandshakeState) -> Result<RoomKeys, CryptoError> {
    if !state.is_handshake_finished() {
        return Err(CryptoError::Handshake);
    }
    let hash = state.get_handshake_hash().to_vec();
    Ok(RoomKeys::from_split(
        role,
        state.dangerously_get_raw_split(),
        &hash,
    ))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fixed ephemeral keys, for the known-answer test only.
    use super::*;

    pub fn offer(secret: &InviteSecret, room_id: &str, e: &[u8]) -> (Offer, Frame) {
        Offer::build(secret, room_id, Some(e)).unwrap()
    }

    pub fn answer(
        secret: &InviteSecret,
        room_id: &str,
        offer: &[u8],
        e: &[u8],
    ) -> Result<(RoomKeys, Frame), CryptoError> {
        answer_with(secret, room_id, 1, offer, Some(e))
    }
}
