//! Default bounds. The server may be configured otherwise; these are what a
//! stock server enforces and what clients use to warn before sending.

/// Largest message `body`, in bytes of UTF-8: room for the sealed frame
/// of a longest text (see [`MAX_TEXT_BYTES`]).
pub const MAX_BODY_BYTES: usize = 12 * 1024;
/// Longest text (and display name) the app seals, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// Largest display `name`, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 256;
/// Largest `nonce` of a `send` frame, in bytes.
pub const MAX_NONCE_BYTES: usize = 64;
/// Largest HTTP request body, in bytes: room for a maximal text with JSON escapes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest WebSocket message (and frame) from a client, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Most messages in one page of history (`?limit=`, also its default):
/// a page of worst-case bodies (every character JSON-escaped six-fold) is
/// at most about 7.5 MiB.
pub const MAX_PAGE_MESSAGES: usize = 100;
/// Most messages one room keeps; sending more is refused, nothing is dropped.
pub const MAX_MESSAGES_PER_ROOM: usize = 5_000;
/// Most open sockets one member may hold at once.
pub const MAX_SOCKETS_PER_MEMBER: usize = 4;
/// Default room lifetime.
pub const DEFAULT_TTL_SECS: u64 = 600;
/// Default shortest lifetime a client may ask for.
pub const MIN_TTL_SECS: u64 = 60;
/// Default longest lifetime a client may ask for.
pub const MAX_TTL_SECS: u64 = 24 * 60 * 60;

/// Rooms one client address may create per minute (also the burst).
pub const RATE_CREATE_PER_MINUTE: u32 = 30;
/// Rooms one client address may join per minute (also the burst).
pub const RATE_JOIN_PER_MINUTE: u32 = 60;
/// Messages one client address may send per second; the burst is twice that.
pub const RATE_MESSAGES_PER_SECOND: u32 = 20;
/// Sockets one client address may open per minute (also the burst).
pub const RATE_UPGRADES_PER_MINUTE: u32 = 60;
/// Most live rooms created through one server instance.
pub const MAX_ROOMS: usize = 10_000;
/// Most open connections of one server instance (about 14 KiB each when idle
/// sockets; sized for a 2-core machine with a few hundred MiB to spare).
pub const MAX_CONNECTIONS: usize = 10_000;
/// Most open connections from one client address (an IPv4 address or an
/// IPv6 /64).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 256;
/// Seconds to send a request's headers, and to keep an idle connection.
pub const HEADER_TIMEOUT_SECS: u64 = 10;
/// Seconds for a request's body to arrive.
pub const BODY_TIMEOUT_SECS: u64 = 10;
