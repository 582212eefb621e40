//! WebSocket close codes. Codes 4000-4999 are private to this protocol.

/// The server is shutting down; reconnect later (RFC 6455 "going away").
pub const GOING_AWAY: u16 = 1001;
/// The server is restarting or draining: reconnect, to it or another
/// instance, with backoff (RFC 6455 "service restart").
pub const SERVICE_RESTART: u16 = 1012;
/// The client broke the WebSocket protocol (RFC 6455 "protocol error").
pub const PROTOCOL_ERROR: u16 = 1002;
/// A text frame was not valid UTF-8 (RFC 6455 "invalid frame payload data").
pub const INVALID_DATA: u16 = 1007;
/// A frame was larger than [`crate::limits::MAX_FRAME_BYTES`] (RFC 6455 "message too big").
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The store failed; reconnect later (RFC 6455 "internal error").
pub const INTERNAL_ERROR: u16 = 1011;
/// The client fell too far behind the room's events; reconnect and catch up
/// with `?after=` (RFC 6455 "try again later").
pub const TRY_AGAIN_LATER: u16 = 1013;
/// A member destroyed the room. Do not reconnect.
pub const ROOM_DESTROYED: u16 = 4000;
/// The room's lifetime ran out. Do not reconnect.
pub const ROOM_EXPIRED: u16 = 4001;
/// The room is gone (for instance destroyed by the other server instance
/// before this socket saw the event). Do not reconnect.
pub const ROOM_GONE: u16 = 4004;
