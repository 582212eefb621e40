//! The client core: everything the app says to a room server, with no window
//! involved, so tests and tools can use it as it is.
//!
//! - [`api`]: one typed call per HTTP route.
//! - [`pin`]: trusting exactly the certificate an invite names.
//! - [`reach`]: the first of an invite's addresses that answers.
//! - [`socket`]: the realtime task of an open room, which reconnects with
//!   backoff and catches up with `?after=`, so nothing is missed or shown twice.

pub mod api;
pub mod pin;
pub mod reach;
pub mod socket;

pub use api::{Api, ClientError};
pub use socket::{RoomSocket, SocketCommand};
