//! Checks of the opaque strings clients send: present, and within bounds.

use private_chat_protocol::{limits, text, ErrorCode};

use crate::error::Error;

/// A display name: non-empty, at most [`limits::MAX_NAME_BYTES`], with no
/// control or invisible formatting character (a client that shows names as
/// given must not be made to show a reordered or hidden one).
pub fn name(name: &str) -> Result<(), Error> {
    if name.chars().any(text::is_invisible) {
        return Err(Error::new(
            ErrorCode::InvalidBody,
            "The name contains control or invisible formatting characters.",
        ));
    }
    if name.trim().is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidBody,
            "The name must not be empty.",
        ));
    }
    if name.len() > limits::MAX_NAME_BYTES {
        return Err(Error::new(
            ErrorCode::MessageTooLarge,
            format!("The name is longer than {} bytes.", limits::MAX_NAME_BYTES),
        ));
    }
    Ok(())
}

/// A message body: non-empty, at most [`limits::MAX_BODY_BYTES`].
pub fn body(body: &str) -> Result<(), Error> {
    if body.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidBody,
            "The message must not be empty.",
        ));
    }
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(Error::new(
            ErrorCode::MessageTooLarge,
            format!(
                "The message is longer than {} bytes.",
                limits::MAX_BODY_BYTES
            ),
        ));
    }
    Ok(())
}

/// A `send` frame's nonce: at most [`limits::MAX_NONCE_BYTES`].
pub fn nonce(nonce: Option<&str>) -> Result<(), Error> {
    match nonce {
        Some(n) if n.len() > limits::MAX_NONCE_BYTES => Err(Error::new(
            ErrorCode::InvalidBody,
            format!(
                "The nonce is longer than {} bytes.",
                limits::MAX_NONCE_BYTES
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive() {
        assert!(name(&"a".repeat(limits::MAX_NAME_BYTES)).is_ok());
        assert_eq!(
            name(&"a".repeat(limits::MAX_NAME_BYTES + 1))
                .unwrap_err()
                .code,
            ErrorCode::MessageTooLarge
        );
        assert_eq!(name("  ").unwrap_err().code, ErrorCode::InvalidBody);
        for hostile in ["a\u{202E}b", "\u{200B}\u{200D}", "a\0b", "\u{FEFF}x"] {
            assert_eq!(
                name(hostile).unwrap_err().code,
                ErrorCode::InvalidBody,
                "{hostile:?}"
            );
        }
        assert!(body(&"é".repeat(limits::MAX_BODY_BYTES / 2)).is_ok());
        assert_eq!(
            body(&"é".repeat(limits::MAX_BODY_BYTES / 2 + 1))
                .unwrap_err()
                .code,
            ErrorCode::MessageTooLarge
        );
        assert_eq!(body("").unwrap_err().code, ErrorCode::InvalidBody);
        assert!(body(" ").is_ok());
        assert!(nonce(Some(&"n".repeat(65))).is_err());
    }
}
