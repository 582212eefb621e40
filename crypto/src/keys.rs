//! The transport keys of a room, one per direction, and the handshake hash
//! they came with. Wiped from memory when dropped.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{context, CryptoError, Frame, Plain};

/// Which side of the key exchange an app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Made the room and the offer (the Noise initiator).
    Creator,
    /// Answered the offer (the Noise responder).
    Joiner,
}

/// Keys of one room for one app: it seals with `send`, opens the other's
/// frames with `recv`, and its own (read back from history) with `send`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RoomKeys {
    #[zeroize(skip)]
    role: Role,
    send: [u8; 32],
    recv: [u8; 32],
    hash: [u8; 32],
}

/// Length of [`RoomKeys::to_bytes`].
const STORED_LEN: usize = 1 + 32 * 3;

impl RoomKeys {
    /// From Noise's split: the first key protects creator → joiner.
    pub(crate) fn from_split(role: Role, split: ([u8; 32], [u8; 32]), hash: &[u8]) -> Self {
        let (mut to_joiner, mut to_creator) = split;
        let (send, recv) = match role {
            Role::Creator => (to_joiner, to_creator),
            Role::Joiner => (to_creator, to_joiner),
        };
        to_joiner.zeroize();
        to_creator.zeroize();
        let mut h = [0u8; 32];
        h.copy_from_slice(&hash[..32]);
        Self {
            role,
            send,
            recv,
            hash: h,
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Six digits both apps show (`"123 456"`); equal codes mean the two
    /// apps share keys with each other and with no one else.
    pub fn safety_code(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"privchat/1 safety code")
            .chain_update(self.hash)
            .finalize();
        let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 1_000_000;
        format!("{:03} {:03}", n / 1000, n % 1000)
    }

    /// Seals `plain` as frame number `counter` of this app in `room_id`;
    /// `None` when the text is too long or the counter is spent.
    pub fn seal(&self, room_id: &str, counter: u64, plain: &Plain) -> Option<Frame> {
        // Noise reserves the last nonce.
        if counter == u64::MAX {
            return None;
        }
        let padded = plain.pad()?;
        let ciphertext = cipher(&self.send)
            .encrypt(
                &nonce(counter),
                Payload {
                    msg: &padded,
                    aad: &context("sealed", room_id),
                },
            )
            .ok()?;
        Some(Frame::Sealed {
            counter,
            ciphertext,
        })
    }

    /// Opens a sealed frame of `room_id`, sent by this app (`mine`) or by
    /// the other member.
    pub fn open(
        &self,
        room_id: &str,
        mine: bool,
        counter: u64,
        ciphertext: &[u8],
    ) -> Result<Plain, CryptoError> {
        let key = if mine { &self.send } else { &self.recv };
        let padded = Zeroizing::new(
            cipher(key)
                .decrypt(
                    &nonce(counter),
                    Payload {
                        msg: ciphertext,
                        aad: &context("sealed", room_id),
                    },
                )
                .map_err(|_| CryptoError::Tampered)?,
        );
        Plain::unpad(&padded)
    }

    /// The keys as bytes, for the app's key file (which only its user reads).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(STORED_LEN));
        bytes.push(match self.role {
            Role::Creator => 0,
            Role::Joiner => 1,
        });
        bytes.extend_from_slice(&self.send);
        bytes.extend_from_slice(&self.recv);
        bytes.extend_from_slice(&self.hash);
        bytes
    }

    /// Reads [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != STORED_LEN {
            return Err(CryptoError::Malformed);
        }
        let role = match bytes[0] {
            0 => Role::Creator,
            1 => Role::Joiner,
            _ => return Err(CryptoError::Malformed),
        };
        let mut keys = Self {
            role,
            send: [0; 32],
            recv: [0; 32],
            hash: [0; 32],
        };
        keys.send.copy_from_slice(&bytes[1..33]);
        keys.recv.copy_from_slice(&bytes[33..65]);
        keys.hash.copy_from_slice(&bytes[65..97]);
        Ok(keys)
    }
}

impl std::fmt::Debug for RoomKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RoomKeys({:?}, ..)", self.role)
    }
}

fn cipher(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(key))
}

/// Noise's ChaChaPoly nonce: 32 zero bits, then the counter little-endian.
fn nonce(counter: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_le_bytes());
    Nonce::from(n)
}

/// The raw transport cipher (no associated data), for the known-answer test.
#[cfg(test)]
pub(crate) fn encrypt_raw(key: &[u8; 32], counter: u64, msg: &[u8]) -> Vec<u8> {
    cipher(key).encrypt(&nonce(counter), msg).unwrap()
}
