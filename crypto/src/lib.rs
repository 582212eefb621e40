//! End-to-end encryption of a private_chat room, without I/O.
//!
//! The server only relays and stores what this crate produces: it never
//! holds a key and cannot read a name or a message. The scheme, written out
//! for other clients in `docs/protocol.md` ("End-to-end encryption"):
//!
//! 1. The creator's app makes a random [`InviteSecret`]; it travels only in
//!    the invite link's fragment (`#...`), never to a server.
//! 2. The two apps run `Noise_NNpsk0_25519_ChaChaPoly_SHA256` with the
//!    secret as the pre-shared key, bound to the room id by the prologue:
//!    the creator posts an [`Frame::Offer`], the joiner answers it with an
//!    [`Frame::Answer`]. Both are ordinary messages to the server.
//! 3. Every later message is a [`Frame::Sealed`]: ChaCha20-Poly1305 under
//!    the Noise transport key of its direction, with an explicit counter as
//!    the nonce, around a padded [`Plain`] (a display name or a text).
//! 4. Both apps derive the same [`RoomKeys::safety_code`] from the
//!    handshake hash; people compare it to rule out a third party.
//!
//! A server without the secret cannot complete the exchange with either
//! app; one that learns the secret later still reads nothing, since the
//! transport keys come from ephemeral keys that were never stored.
//!
//! # Layout
//! - [`secret`]: the invite secret and its fragment form.
//! - [`frame`]: the wire form of a message body (version, kind, bytes).
//! - [`handshake`]: the Noise exchange, creator and joiner side.
//! - [`keys`]: transport keys of a room: seal, open, safety code.
//! - [`plain`]: what is inside a sealed frame, padded to size buckets.
//! - [`order`]: refusing replayed and reordered frames.

pub mod frame;
pub mod handshake;
pub mod keys;
pub mod order;
pub mod plain;
pub mod secret;

pub use frame::Frame;
pub use handshake::{answer, Offer};
pub use keys::{Role, RoomKeys};
pub use order::Order;
pub use plain::Plain;
pub use secret::InviteSecret;

/// Why something could not be read or verified. Every case is shown to
/// people as "could not be verified"; the kind is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Not a frame of this protocol (bad encoding, version or length).
    #[error("not an encrypted frame of a known version")]
    Malformed,
    /// The authentication tag does not match: changed in transit, or
    /// sealed under another key.
    #[error("the frame was changed or sealed with another key")]
    Tampered,
    /// The key exchange failed: another secret, or a frame not made by the
    /// other member's app.
    #[error("the key exchange could not be verified")]
    Handshake,
    /// A counter at or below one already accepted from the same sender.
    #[error("the frame was replayed or reordered")]
    Replayed,
}

/// The protocol version, first byte of every frame.
pub const VERSION: u8 = 1;

/// Bound to every handshake (prologue) and sealed frame (associated data):
/// a frame of one room never verifies in another.
pub(crate) fn context(label: &str, room_id: &str) -> Vec<u8> {
    format!("privchat/{VERSION} {label} {room_id}").into_bytes()
}

#[cfg(test)]
mod tests;
