//! End-to-end encryption in the shell: keys never reach the webview, which
//! gets plaintext over IPC. [`Engine`] runs a room's exchange and seals and
//! opens its messages ([`private_chat_crypto`] does the cryptography);
//! [`KeyFile`] keeps what a restart needs, for the room's life only.

mod engine;
mod keyfile;

pub use engine::{reason, Engine, Failure, Step};
pub use keyfile::{KeyFile, Saved};

/// The value sent as `name` to the server: random, so it says nothing (the
/// real name travels sealed, after the key exchange).
pub fn opaque_name() -> String {
    let mut bytes = [0u8; 12];
    let _ = getrandom::fill(&mut bytes);
    hex::encode(bytes)
}
