//! The invite secret: 32 random bytes, the pre-shared key of the room's
//! key exchange. It lives in the creator's app and in the invite's
//! fragment, which browsers and this app never send to a server.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::CryptoError;

/// Length of the fragment form: 32 bytes in unpadded base64url.
pub const FRAGMENT_LEN: usize = 43;

/// The pre-shared key of one room; wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct InviteSecret([u8; 32]);

impl InviteSecret {
    /// A fresh secret from the OS random number generator.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random number generator is available");
        Self(bytes)
    }

    /// Reads the fragment form (43 characters of base64url).
    pub fn from_fragment(text: &str) -> Result<Self, CryptoError> {
        if text.len() != FRAGMENT_LEN {
            return Err(CryptoError::Malformed);
        }
        let bytes = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| CryptoError::Malformed)?,
        );
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Malformed)?;
        Ok(Self(array))
    }

    /// The fragment form, for the invite link.
    pub fn to_fragment(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl std::fmt::Debug for InviteSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_round_trip_and_refusals() {
        let secret = InviteSecret::random();
        let text = secret.to_fragment();
        assert_eq!(text.len(), FRAGMENT_LEN);
        assert_eq!(InviteSecret::from_fragment(&text).unwrap().0, secret.0);
        assert_eq!(
            InviteSecret::from_fragment("short").unwrap_err(),
            CryptoError::Malformed
        );
        let bad = "!".repeat(FRAGMENT_LEN);
        assert_eq!(
            InviteSecret::from_fragment(&bad).unwrap_err(),
            CryptoError::Malformed
        );
        assert_ne!(InviteSecret::random().0, secret.0);
        assert_eq!(format!("{secret:?}"), "InviteSecret(..)");
    }
}
