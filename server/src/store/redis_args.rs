//! Arguments written straight into a Redis command's buffer.
//!
//! `Script::key`/`arg` turn each argument into a `Vec<Vec<u8>>` of its own,
//! and the store's keys and JSON literals were each a `String` before that:
//! an append, the one command per message, made about twenty allocations
//! before it was sent. These write into the command instead.

use std::fmt;
use std::io::Write;

use redis::{RedisWrite, ToRedisArgs, ToSingleRedisArg};
use uuid::Uuid;

/// One of a room's keys (see [`super::redis`]), the one place their names
/// are spelled: `privchat:{<room_id>}` and a suffix.
pub struct RoomKey(Uuid, &'static str);

impl RoomKey {
    /// The room's hash.
    pub fn room(room_id: Uuid) -> Self {
        Self(room_id, "")
    }

    /// The room's message list.
    pub fn messages(room_id: Uuid) -> Self {
        Self(room_id, ":messages")
    }

    /// The room's nonce hash.
    pub fn nonces(room_id: Uuid) -> Self {
        Self(room_id, ":nonces")
    }

    /// The room's sharded pub/sub channel.
    pub fn events(room_id: Uuid) -> Self {
        Self(room_id, ":events")
    }
}

impl fmt::Display for RoomKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "privchat:{{{}}}{}", self.0, self.1)
    }
}

impl ToRedisArgs for RoomKey {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        out.write_arg_fmt(self);
    }
}

impl ToSingleRedisArg for RoomKey {}

/// A string as a JSON string literal (quotes and escapes), as the scripts
/// splice it into the message they store.
pub struct JsonStr<'a>(pub &'a str);

impl ToRedisArgs for JsonStr<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let mut arg = out.writer_for_next_arg();
        serde_json::to_writer(&mut arg, self.0).expect("a string always serializes");
    }
}

impl ToSingleRedisArg for JsonStr<'_> {}

/// The nonce as the script appends it to the published event: empty, or
/// `,"nonce":"<nonce>"`.
pub struct NonceMember<'a>(pub Option<&'a str>);

impl ToRedisArgs for NonceMember<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let mut arg = out.writer_for_next_arg();
        if let Some(nonce) = self.0 {
            let _ = arg.write_all(b",\"nonce\":");
            serde_json::to_writer(&mut arg, nonce).expect("a string always serializes");
        }
    }
}

impl ToSingleRedisArg for NonceMember<'_> {}

/// The field of a send's nonce in the room's nonce hash: empty when there is
/// none (nothing to retry), else `<member_id>:<nonce>`.
pub struct NonceField<'a>(pub &'a str, pub Option<&'a str>);

impl ToRedisArgs for NonceField<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let mut arg = out.writer_for_next_arg();
        if let (member_id, Some(nonce)) = (self.0, self.1.filter(|n| !n.is_empty())) {
            let _ = write!(arg, "{member_id}:{nonce}");
        }
    }
}

impl ToSingleRedisArg for NonceField<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments of a command, as Redis receives them.
    fn args(cmd: &redis::Cmd) -> Vec<Vec<u8>> {
        cmd.args_iter()
            .map(|a| match a {
                redis::Arg::Simple(bytes) => bytes.to_vec(),
                _ => panic!("only plain arguments here"),
            })
            .collect()
    }

    /// Each writer gives the bytes its `String`-making predecessor gave.
    #[test]
    fn arguments_are_the_strings_they_replace() {
        let room = Uuid::new_v4();
        let mut cmd = redis::cmd("X");
        cmd.arg(RoomKey::room(room))
            .arg(RoomKey::messages(room))
            .arg(RoomKey::nonces(room))
            .arg(RoomKey::events(room))
            .arg(JsonStr("Quiet \"Owl\"\n"))
            .arg(NonceMember(None))
            .arg(NonceMember(Some("n\"1")))
            .arg(NonceField("m1", None))
            .arg(NonceField("m1", Some("")))
            .arg(NonceField("m1", Some("n1")));
        let expected: Vec<Vec<u8>> = [
            "X".to_owned(),
            format!("privchat:{{{room}}}"),
            format!("privchat:{{{room}}}:messages"),
            format!("privchat:{{{room}}}:nonces"),
            format!("privchat:{{{room}}}:events"),
            serde_json::to_string("Quiet \"Owl\"\n").unwrap(),
            String::new(),
            format!(",\"nonce\":{}", serde_json::to_string("n\"1").unwrap()),
            String::new(),
            String::new(),
            "m1:n1".to_owned(),
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect();
        assert_eq!(args(&cmd), expected);
    }
}
