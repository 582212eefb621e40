//! What a sealed frame holds: `type (1 byte) · length (4, big-endian) ·
//! UTF-8 bytes · zeros`, padded to the smallest size bucket that fits, so
//! the server learns a message's size class and not its length.

use zeroize::Zeroizing;

use crate::CryptoError;

/// Longest text (or name), in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = private_chat_protocol::limits::MAX_TEXT_BYTES;
/// Length of the type and length fields.
const HEADER: usize = 5;
/// The largest bucket: a longest text with its header, rounded up.
pub const MAX_PADDED: usize = MAX_TEXT_BYTES + 64;
/// Sizes a plaintext is padded to, smallest first.
pub const BUCKETS: [usize; 5] = [64, 256, 1024, 4096, MAX_PADDED];

/// The content of a sealed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// The sender's display name, sent once after the key exchange.
    Hello { name: String },
    /// A chat message.
    Text { text: String },
}

const HELLO: u8 = 1;
const TEXT: u8 = 2;

impl Plain {
    /// The padded bytes to seal; `None` when the text is too long.
    pub fn pad(&self) -> Option<Zeroizing<Vec<u8>>> {
        let (kind, text) = match self {
            Self::Hello { name } => (HELLO, name),
            Self::Text { text } => (TEXT, text),
        };
        if text.len() > MAX_TEXT_BYTES {
            return None;
        }
        let size = BUCKETS.into_iter().find(|&b| b >= HEADER + text.len())?;
        let mut bytes = Zeroizing::new(Vec::with_capacity(size));
        bytes.push(kind);
        bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
        bytes.extend_from_slice(text.as_bytes());
        bytes.resize(size, 0);
        Some(bytes)
    }

    /// Reads padded bytes: a known type, a length within the bytes, valid
    /// UTF-8 and nothing but zeros after it, in one of the buckets.
    pub fn unpad(bytes: &[u8]) -> Result<Self, CryptoError> {
        if !BUCKETS.contains(&bytes.len()) {
            return Err(CryptoError::Malformed);
        }
        let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize;
        let end = HEADER
            .checked_add(len)
            .filter(|&end| end <= bytes.len() && len <= MAX_TEXT_BYTES)
            .ok_or(CryptoError::Malformed)?;
        if bytes[end..].iter().any(|&b| b != 0) {
            return Err(CryptoError::Malformed);
        }
        let text =
            String::from_utf8(bytes[HEADER..end].to_vec()).map_err(|_| CryptoError::Malformed)?;
        match bytes[0] {
            HELLO => Ok(Self::Hello { name: text }),
            TEXT => Ok(Self::Text { text }),
            _ => Err(CryptoError::Malformed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Plain {
        Plain::Text { text: s.into() }
    }

    #[test]
    fn lengths_fall_into_buckets() {
        assert_eq!(text("").pad().unwrap().len(), 64);
        assert_eq!(text("hi").pad().unwrap().len(), 64);
        assert_eq!(text(&"a".repeat(59)).pad().unwrap().len(), 64);
        assert_eq!(text(&"a".repeat(60)).pad().unwrap().len(), 256);
        assert_eq!(text(&"a".repeat(1000)).pad().unwrap().len(), 1024);
        assert_eq!(
            text(&"a".repeat(MAX_TEXT_BYTES)).pad().unwrap().len(),
            MAX_PADDED
        );
        assert!(text(&"a".repeat(MAX_TEXT_BYTES + 1)).pad().is_none());
    }

    #[test]
    fn round_trip_and_strict_reading() {
        for plain in [
            text("héllo"),
            Plain::Hello {
                name: "Quiet Otter".into(),
            },
            text(""),
        ] {
            assert_eq!(Plain::unpad(&plain.pad().unwrap()).unwrap(), plain);
        }
        let good = text("hi").pad().unwrap();
        let mut bad = good.to_vec();
        bad[63] = 1; // padding that is not zero
        assert!(Plain::unpad(&bad).is_err());
        let mut bad = good.to_vec();
        bad[0] = 9; // unknown type
        assert!(Plain::unpad(&bad).is_err());
        let mut bad = good.to_vec();
        bad[4] = 200; // length past the end
        assert!(Plain::unpad(&bad).is_err());
        assert!(Plain::unpad(&good[..63]).is_err()); // not a bucket
        let mut bad = good.to_vec();
        bad[5] = 0xff; // not UTF-8
        assert!(Plain::unpad(&bad).is_err());
    }
}
