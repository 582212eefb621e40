//! The wire form of a message body: unpadded base64url of
//! `version (1 byte) · kind (1 byte) · fields`, numbers big-endian.
//!
//! | kind | frame | fields |
//! |---|---|---|
//! | 1 | offer | Noise message 1 (48 bytes) |
//! | 2 | answer | id of the offer's message (8) · Noise message 2 (48 bytes) |
//! | 3 | sealed | counter (8) · ChaCha20-Poly1305 ciphertext with its tag |
//! | 4 | abort | id of the offer's message (8) |

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::plain::MAX_PADDED;
use crate::{CryptoError, VERSION};

/// Length of either Noise handshake message: an X25519 key and the tag of
/// an empty payload.
pub const HANDSHAKE_LEN: usize = 32 + TAG_LEN;
/// Length of a ChaCha20-Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Longest body a frame encodes to, in characters: what a server must
/// accept as a message body.
pub const MAX_BODY_CHARS: usize = (2 + 8 + MAX_PADDED + TAG_LEN).div_ceil(3) * 4;
// A stock server must accept the longest frame.
const _: () = assert!(MAX_BODY_CHARS <= private_chat_protocol::limits::MAX_BODY_BYTES);

/// One message body, as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The creator's first handshake message.
    Offer { noise: Vec<u8> },
    /// The joiner's handshake message, answering the offer stored as
    /// message `offer_id`.
    Answer { offer_id: u64, noise: Vec<u8> },
    /// A name or a text, sealed under the sender's transport key.
    Sealed { counter: u64, ciphertext: Vec<u8> },
    /// The sender could not verify the offer (or answer) of message
    /// `offer_id` and will not go on. Not authenticated: a server can fake
    /// it, which stops a room it could stop anyway.
    Abort { offer_id: u64 },
}

const OFFER: u8 = 1;
const ANSWER: u8 = 2;
const SEALED: u8 = 3;
const ABORT: u8 = 4;

impl Frame {
    /// The body string of this frame.
    pub fn encode(&self) -> String {
        let mut bytes = vec![VERSION];
        match self {
            Self::Offer { noise } => {
                bytes.push(OFFER);
                bytes.extend_from_slice(noise);
            }
            Self::Answer { offer_id, noise } => {
                bytes.push(ANSWER);
                bytes.extend_from_slice(&offer_id.to_be_bytes());
                bytes.extend_from_slice(noise);
            }
            Self::Sealed {
                counter,
                ciphertext,
            } => {
                bytes.push(SEALED);
                bytes.extend_from_slice(&counter.to_be_bytes());
                bytes.extend_from_slice(ciphertext);
            }
            Self::Abort { offer_id } => {
                bytes.push(ABORT);
                bytes.extend_from_slice(&offer_id.to_be_bytes());
            }
        }
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a body; anything else than a well-formed frame of this version
    /// is [`CryptoError::Malformed`].
    pub fn parse(body: &str) -> Result<Self, CryptoError> {
        if body.len() > MAX_BODY_CHARS {
            return Err(CryptoError::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| CryptoError::Malformed)?;
        let Some((&[version, kind], rest)) = bytes.split_first_chunk::<2>() else {
            return Err(CryptoError::Malformed);
        };
        if version != VERSION {
            return Err(CryptoError::Malformed);
        }
        let number = |rest: &[u8]| -> Result<(u64, Vec<u8>), CryptoError> {
            let (n, tail) = rest
                .split_first_chunk::<8>()
                .ok_or(CryptoError::Malformed)?;
            Ok((u64::from_be_bytes(*n), tail.to_vec()))
        };
        match kind {
            OFFER if rest.len() == HANDSHAKE_LEN => Ok(Self::Offer {
                noise: rest.to_vec(),
            }),
            ANSWER => match number(rest)? {
                (offer_id, noise) if noise.len() == HANDSHAKE_LEN => {
                    Ok(Self::Answer { offer_id, noise })
                }
                _ => Err(CryptoError::Malformed),
            },
            SEALED => match number(rest)? {
                (counter, ciphertext)
                    if ciphertext.len() > TAG_LEN && ciphertext.len() <= MAX_PADDED + TAG_LEN =>
                {
                    Ok(Self::Sealed {
                        counter,
                        ciphertext,
                    })
                }
                _ => Err(CryptoError::Malformed),
            },
            ABORT => match number(rest)? {
                (offer_id, tail) if tail.is_empty() => Ok(Self::Abort { offer_id }),
                _ => Err(CryptoError::Malformed),
            },
            _ => Err(CryptoError::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        let frames = [
            Frame::Offer {
                noise: vec![7; HANDSHAKE_LEN],
            },
            Frame::Answer {
                offer_id: 1,
                noise: vec![8; HANDSHAKE_LEN],
            },
            Frame::Sealed {
                counter: u64::MAX,
                ciphertext: vec![9; 80],
            },
            Frame::Abort { offer_id: 42 },
        ];
        for frame in frames {
            assert_eq!(Frame::parse(&frame.encode()).unwrap(), frame);
        }
    }

    #[test]
    fn anything_else_is_malformed() {
        let sealed = Frame::Sealed {
            counter: 0,
            ciphertext: vec![0; 40],
        }
        .encode();
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        raw[0] = 2; // a future version
        let future = URL_SAFE_NO_PAD.encode(&raw);
        for body in [
            "hello, plain text",
            "",
            "AQ",
            future.as_str(),
            &Frame::Offer { noise: vec![1; 10] }.encode(),
            &Frame::Sealed {
                counter: 0,
                ciphertext: vec![0; TAG_LEN],
            }
            .encode(),
            &URL_SAFE_NO_PAD.encode([VERSION, 9, 0]),
        ] {
            assert_eq!(Frame::parse(body), Err(CryptoError::Malformed), "{body}");
        }
        assert_eq!(
            Frame::parse(&"A".repeat(MAX_BODY_CHARS + 4)),
            Err(CryptoError::Malformed)
        );
    }
}
