//! Reads what the shell sends (command answers, errors, room events) from
//! the JavaScript values Tauri hands over, in the shape serde gives them on
//! the shell's side (`private_chat_protocol::app`).
//!
//! By hand rather than with serde's derived `Deserialize`: through
//! serde-wasm-bindgen, that was the largest part of the UI's wasm after Yew
//! (a visitor per struct and variant, each in two forms, and serde's error
//! messages), and every launch downloads and compiles the wasm. The readers
//! are generic over [`Value`], so the host tests check each one against
//! serde's own output (`serde_json::to_value`) of the same type.

use private_chat_protocol::app::{
    Bootstrap, ChatMessage, CommandError, Connection, Notice, RoomEvent, RoomView, Security,
    ServerInfo, ServerSettings,
};
use private_chat_protocol::Member;

/// A JSON-shaped value: a JavaScript value in the app, `serde_json::Value`
/// in tests.
pub trait Value: Sized {
    /// The member `key` of an object; `None` when absent or null.
    fn field(&self, key: &str) -> Option<Self>;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    fn items(&self) -> Option<Vec<Self>>;
    /// The key and value of an object with exactly one member (an
    /// externally tagged variant with data).
    fn single_entry(&self) -> Option<(String, Self)>;
}

/// A type the shell sends. `None`: the value does not have its shape.
pub trait Decode: Sized {
    fn decode<V: Value>(v: &V) -> Option<Self>;
}

/// The required member `key` of `v`.
fn req<T: Decode, V: Value>(v: &V, key: &str) -> Option<T> {
    T::decode(&v.field(key)?)
}

/// The optional member `key` of `v`: absent and null are `None`; present
/// but of the wrong shape fails the whole value (`Err`).
fn opt<T: Decode, V: Value>(v: &V, key: &str) -> Result<Option<T>, ()> {
    match v.field(key) {
        None => Ok(None),
        Some(x) => T::decode(&x).map(Some).ok_or(()),
    }
}

/// An externally tagged enum value: its variant name and, for a variant
/// with data, the data.
fn variant<V: Value>(v: &V) -> Option<(String, Option<V>)> {
    match v.string() {
        Some(name) => Some((name, None)),
        None => v.single_entry().map(|(name, data)| (name, Some(data))),
    }
}

impl Decode for () {
    fn decode<V: Value>(_: &V) -> Option<Self> {
        Some(())
    }
}

impl Decode for String {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        v.string()
    }
}

impl Decode for bool {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        v.boolean()
    }
}

impl Decode for u64 {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        let n = v.number()?;
        // JSON numbers are exact integers up to 2^53; ids and times stay below.
        (n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0).then_some(n as u64)
    }
}

impl Decode for u16 {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        u16::try_from(u64::decode(v)?).ok()
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        v.items()?.iter().map(T::decode).collect()
    }
}

impl Decode for Member {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        Some(Self {
            member_id: req(v, "member_id")?,
            name: req(v, "name")?,
            online: req(v, "online")?,
        })
    }
}

impl Decode for ChatMessage {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        Some(Self {
            id: req(v, "id")?,
            member_id: req(v, "member_id")?,
            name: req(v, "name")?,
            text: opt(v, "text").ok()?,
            sent_at_ms: req(v, "sent_at_ms")?,
        })
    }
}

impl Decode for Security {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        match variant(v)? {
            (name, None) if name == "waiting" => Some(Self::Waiting),
            (name, Some(data)) if name == "secured" => Some(Self::Secured {
                safety_code: req(&data, "safety_code")?,
            }),
            (name, Some(data)) if name == "failed" => Some(Self::Failed {
                reason: req(&data, "reason")?,
            }),
            _ => None,
        }
    }
}

impl Decode for Notice {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        let name = v.string()?;
        Notice::ALL.into_iter().find(|n| n.name() == name)
    }
}

impl Decode for Connection {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        match v.string()?.as_str() {
            "connecting" => Some(Self::Connecting),
            "online" => Some(Self::Online),
            "reconnecting" => Some(Self::Reconnecting),
            _ => None,
        }
    }
}

impl Decode for RoomView {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        Some(Self {
            room_id: req(v, "room_id")?,
            member_id: req(v, "member_id")?,
            invite: req(v, "invite")?,
            invite_qr: req(v, "invite_qr")?,
            expires_in_ms: req(v, "expires_in_ms")?,
            members: req(v, "members")?,
            messages: req(v, "messages")?,
            security: req(v, "security")?,
        })
    }
}

impl Decode for RoomEvent {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        let (name, d) = variant(v)?;
        let d = &d?;
        Some(match name.as_str() {
            "entered" => Self::Entered {
                view: req(d, "view")?,
            },
            "connection" => Self::Connection {
                room_id: req(d, "room_id")?,
                state: req(d, "state")?,
            },
            "presence" => Self::Presence {
                room_id: req(d, "room_id")?,
                members: req(d, "members")?,
            },
            "message" => Self::Message {
                room_id: req(d, "room_id")?,
                message: req(d, "message")?,
                nonce: opt(d, "nonce").ok()?,
            },
            "security" => Self::Security {
                room_id: req(d, "room_id")?,
                security: req(d, "security")?,
            },
            "typing" => Self::Typing {
                room_id: req(d, "room_id")?,
                member_id: req(d, "member_id")?,
            },
            "send_failed" => Self::SendFailed {
                room_id: req(d, "room_id")?,
                nonce: opt(d, "nonce").ok()?,
                message: req(d, "message")?,
            },
            "deadline" => Self::Deadline {
                room_id: req(d, "room_id")?,
                expires_in_ms: req(d, "expires_in_ms")?,
            },
            "ended" => Self::Ended {
                room_id: req(d, "room_id")?,
                notice: req(d, "notice")?,
            },
            _ => return None,
        })
    }
}

impl Decode for ServerSettings {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        let (name, d) = variant(v)?;
        let d = &d?;
        match name.as_str() {
            "this_computer" => Some(Self::ThisComputer {
                public_address: opt(d, "public_address").ok()?,
            }),
            "server" => Some(Self::Server {
                url: req(d, "url")?,
            }),
            _ => None,
        }
    }
}

impl Decode for ServerInfo {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        Some(Self {
            settings: req(v, "settings")?,
            url: req(v, "url")?,
            network_port: opt(v, "network_port").ok()?,
        })
    }
}

impl Decode for Bootstrap {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        Some(Self {
            name: req(v, "name")?,
            server: req(v, "server")?,
            resumed: req(v, "resumed")?,
            notice: opt(v, "notice").ok()?,
            invite: opt(v, "invite").ok()?,
            notification_text: opt(v, "notification_text").ok()?.unwrap_or(false),
        })
    }
}

impl Decode for CommandError {
    fn decode<V: Value>(v: &V) -> Option<Self> {
        Some(Self {
            notice: opt(v, "notice").ok()?,
            message: req(v, "message")?,
        })
    }
}

/// The values Tauri hands over (compiled on the host too, unused there).
mod js {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    impl super::Value for JsValue {
        fn field(&self, key: &str) -> Option<Self> {
            if !self.is_object() {
                return None;
            }
            let v = Reflect::get(self, &JsValue::from_str(key)).ok()?;
            (!v.is_null() && !v.is_undefined()).then_some(v)
        }

        fn string(&self) -> Option<String> {
            self.as_string()
        }

        fn number(&self) -> Option<f64> {
            self.as_f64()
        }

        fn boolean(&self) -> Option<bool> {
            self.as_bool()
        }

        fn items(&self) -> Option<Vec<Self>> {
            Array::is_array(self).then(|| self.unchecked_ref::<Array>().to_vec())
        }

        fn single_entry(&self) -> Option<(String, Self)> {
            if !self.is_object() || Array::is_array(self) {
                return None;
            }
            let keys = Object::keys(self.unchecked_ref::<Object>());
            if keys.length() != 1 {
                return None;
            }
            let key = keys.get(0);
            let value = Reflect::get(self, &key).ok()?;
            Some((key.as_string()?, value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::Value as Json;

    impl Value for Json {
        fn field(&self, key: &str) -> Option<Self> {
            self.get(key).filter(|v| !v.is_null()).cloned()
        }
        fn string(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn number(&self) -> Option<f64> {
            self.as_f64()
        }
        fn boolean(&self) -> Option<bool> {
            self.as_bool()
        }
        fn items(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
        fn single_entry(&self) -> Option<(String, Self)> {
            let map = self.as_object().filter(|m| m.len() == 1)?;
            map.iter().next().map(|(k, v)| (k.clone(), v.clone()))
        }
    }

    /// Reads back what serde wrote on the shell's side.
    fn round_trip<T: Decode + Serialize + PartialEq + std::fmt::Debug>(value: T) {
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(T::decode(&json).as_ref(), Some(&value), "{json}");
    }

    fn member(n: u8) -> Member {
        Member {
            member_id: format!("m{n}"),
            name: format!("Name {n}"),
            online: n.is_multiple_of(2),
        }
    }

    fn message(id: u64, text: Option<&str>) -> ChatMessage {
        ChatMessage {
            id,
            member_id: "m1".into(),
            name: "Quiet Otter".into(),
            text: text.map(Into::into),
            sent_at_ms: 1_764_000_000_000 + id,
        }
    }

    fn view(security: Security) -> RoomView {
        RoomView {
            room_id: "r".into(),
            member_id: "m1".into(),
            invite: "privchat://room/r#k".into(),
            invite_qr: "<svg/>".into(),
            expires_in_ms: 600_000,
            members: vec![member(1), member(2)],
            messages: vec![message(1, Some("hi")), message(2, None)],
            security,
        }
    }

    #[test]
    fn every_room_event_reads_back() {
        let room_id = || "r".to_string();
        for security in [
            Security::Waiting,
            Security::Secured {
                safety_code: "12 34".into(),
            },
            Security::Failed {
                reason: "no".into(),
            },
        ] {
            round_trip(RoomEvent::Entered {
                view: view(security.clone()),
            });
            round_trip(RoomEvent::Security {
                room_id: room_id(),
                security,
            });
        }
        for state in [
            Connection::Connecting,
            Connection::Online,
            Connection::Reconnecting,
        ] {
            round_trip(RoomEvent::Connection {
                room_id: room_id(),
                state,
            });
        }
        round_trip(RoomEvent::Presence {
            room_id: room_id(),
            members: vec![member(1)],
        });
        for nonce in [None, Some("n1".to_string())] {
            round_trip(RoomEvent::Message {
                room_id: room_id(),
                message: message(7, Some("text")),
                nonce: nonce.clone(),
            });
            round_trip(RoomEvent::SendFailed {
                room_id: room_id(),
                nonce,
                message: "too fast".into(),
            });
        }
        round_trip(RoomEvent::Typing {
            room_id: room_id(),
            member_id: "m2".into(),
        });
        round_trip(RoomEvent::Deadline {
            room_id: room_id(),
            expires_in_ms: 1,
        });
        for notice in Notice::ALL {
            round_trip(RoomEvent::Ended {
                room_id: room_id(),
                notice,
            });
        }
    }

    #[test]
    fn every_command_answer_reads_back() {
        for settings in crate::encode::tests::every_server_settings() {
            let server = ServerInfo {
                settings,
                url: "http://127.0.0.1:1".into(),
                network_port: Some(48787),
            };
            round_trip(server.clone());
            round_trip(Bootstrap {
                name: "Quiet Otter".into(),
                server,
                resumed: true,
                notice: Some(Notice::Expired),
                invite: Some("privchat://room/r#k".into()),
                notification_text: true,
            });
        }
        round_trip(ServerInfo {
            settings: ServerSettings::ThisComputer {
                public_address: None,
            },
            url: "http://127.0.0.1:1".into(),
            network_port: None,
        });
        round_trip(CommandError {
            notice: None,
            message: "no".into(),
        });
        round_trip(CommandError {
            notice: Some(Notice::RoomFull),
            message: "full".into(),
        });
        round_trip("a name".to_string());
        round_trip(true);
    }

    #[test]
    fn an_older_shell_without_the_notification_setting_reads_as_off() {
        let mut json = serde_json::to_value(Bootstrap {
            name: "n".into(),
            server: ServerInfo {
                settings: ServerSettings::Server { url: "u".into() },
                url: "u".into(),
                network_port: None,
            },
            resumed: false,
            notice: None,
            invite: None,
            notification_text: false,
        })
        .unwrap();
        json.as_object_mut().unwrap().remove("notification_text");
        assert!(!Bootstrap::decode(&json).unwrap().notification_text);
    }

    #[test]
    fn values_of_another_shape_are_refused() {
        for json in [
            serde_json::json!(null),
            serde_json::json!("entered"),
            serde_json::json!({"entered": {}}),
            serde_json::json!({"typing": {"room_id": "r"}}),
            serde_json::json!({"ended": {"room_id": "r", "notice": "nope"}}),
            serde_json::json!({"deadline": {"room_id": "r", "expires_in_ms": -1}}),
            serde_json::json!({"deadline": {"room_id": "r", "expires_in_ms": 1.5}}),
            serde_json::json!({"message": {"room_id": "r", "message": {}, "nonce": 3}}),
            serde_json::json!({"typing": {"room_id": "r", "member_id": "m"}, "x": 1}),
        ] {
            assert_eq!(RoomEvent::decode(&json), None, "{json}");
        }
    }
}
