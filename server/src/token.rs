//! Bearer tokens and ids.
//!
//! Tokens are 256 bits from the OS RNG. The store keeps only their SHA-256,
//! so a dump of Redis or of memory does not hand out seats.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A fresh bearer token: 32 random bytes, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    hex::encode(bytes)
}

/// A fresh public member id: 64 random bits, hex-encoded.
pub fn new_member_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    hex::encode(bytes)
}

/// The digest the store keeps in place of a token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` hashes to `expected_digest`, in constant time.
pub fn matches(token: &str, expected_digest: &str) -> bool {
    digest(token)
        .as_bytes()
        .ct_eq(expected_digest.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_verify() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(matches(&a, &digest(&a)));
        assert!(!matches(&b, &digest(&a)));
        assert_eq!(new_member_id().len(), 16);
    }
}
