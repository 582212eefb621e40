//! WebSocket text frames of `GET /api/rooms/{room_id}/ws`.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::http::{Member, Message};

/// Frames the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// Sent on connect and whenever a member joins, connects or disconnects.
    Presence { members: Vec<Member> },
    /// A stored message; `nonce` echoes the sender's, so it can match its draft.
    Message {
        message: Message,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// The other member is typing (never echoed to the typist).
    Typing { member_id: String },
    /// A member destroyed the room; the socket closes next.
    Destroyed { by: String },
    /// The room's lifetime ran out; the socket closes next.
    Expired,
    /// A frame of the client was refused; the socket stays open.
    Error {
        error: ErrorCode,
        message: String,
        /// The nonce of the refused `send`, when there was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
}

/// Frames a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientEvent {
    /// Store and deliver a message, with the same rules as the POST route.
    Send {
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// Tell the other member that this one is typing. (A struct variant, so
    /// that stray fields are refused like everywhere else.)
    Typing {},
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_events_use_the_documented_tags() {
        let json = serde_json::to_string(&ServerEvent::Expired).unwrap();
        assert_eq!(json, r#"{"type":"expired"}"#);
        let json = serde_json::to_string(&ServerEvent::Destroyed { by: "m".into() }).unwrap();
        assert_eq!(json, r#"{"type":"destroyed","by":"m"}"#);
        let json = serde_json::to_string(&ServerEvent::Error {
            error: ErrorCode::InvalidBody,
            message: "x".into(),
            nonce: None,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"type":"error","error":"invalid_body","message":"x"}"#
        );
    }

    #[test]
    fn client_events_parse_and_reject_strays() {
        let send: ClientEvent =
            serde_json::from_str(r#"{"type":"send","body":"hi","nonce":"n1"}"#).unwrap();
        assert_eq!(
            send,
            ClientEvent::Send {
                body: "hi".into(),
                nonce: Some("n1".into())
            }
        );
        let typing: ClientEvent = serde_json::from_str(r#"{"type":"typing"}"#).unwrap();
        assert_eq!(typing, ClientEvent::Typing {});
        assert_eq!(
            serde_json::to_string(&ClientEvent::Typing {}).unwrap(),
            r#"{"type":"typing"}"#
        );
        assert!(serde_json::from_str::<ClientEvent>(r#"{"type":"typing","x":1}"#).is_err());
        assert!(serde_json::from_str::<ClientEvent>(r#"{"type":"dance"}"#).is_err());
        assert!(serde_json::from_str::<ClientEvent>(r#"{"type":"send","body":1}"#).is_err());
        assert!(
            serde_json::from_str::<ClientEvent>(r#"{"type":"send","body":"a","x":1}"#).is_err()
        );
    }
}
