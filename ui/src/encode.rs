//! Writes the arguments of the shell's commands as the plain JavaScript
//! objects Tauri hands to the shell, in the shape serde reads there
//! (`private_chat_protocol::app`). By hand, like [`crate::decode`] and for
//! the same reason; the host tests compare each with serde's own output.

use private_chat_protocol::app::{
    JoinRoomArgs, NotificationArgs, SendMessageArgs, ServerSettings, SetTitleArgs,
};

/// A JSON-shaped value under construction: a JavaScript value in the app,
/// `serde_json::Value` in tests.
pub trait Build: Sized {
    fn string(s: &str) -> Self;
    fn boolean(b: bool) -> Self;
    fn null() -> Self;
    fn object(entries: Vec<(&'static str, Self)>) -> Self;
}

/// A type the UI sends to the shell.
pub trait Encode {
    fn encode<B: Build>(&self) -> B;
}

fn opt_string<B: Build>(s: &Option<String>) -> B {
    s.as_deref().map_or_else(B::null, B::string)
}

impl Encode for JoinRoomArgs {
    fn encode<B: Build>(&self) -> B {
        B::object(vec![("invite", B::string(&self.invite))])
    }
}

impl Encode for SendMessageArgs {
    fn encode<B: Build>(&self) -> B {
        B::object(vec![
            ("body", B::string(&self.body)),
            ("nonce", B::string(&self.nonce)),
        ])
    }
}

impl Encode for NotificationArgs {
    fn encode<B: Build>(&self) -> B {
        B::object(vec![("show_text", B::boolean(self.show_text))])
    }
}

impl Encode for SetTitleArgs {
    fn encode<B: Build>(&self) -> B {
        B::object(vec![("title", B::string(&self.title))])
    }
}

impl Encode for ServerSettings {
    fn encode<B: Build>(&self) -> B {
        // Externally tagged: `{"<variant>": {..fields}}`.
        let (name, data) = match self {
            Self::ThisComputer { public_address } => (
                "this_computer",
                B::object(vec![("public_address", opt_string(public_address))]),
            ),
            Self::Server { url } => ("server", B::object(vec![("url", B::string(url))])),
        };
        B::object(vec![(name, data)])
    }
}

/// The values Tauri hands over (compiled on the host too, unused there).
mod js {
    use js_sys::{Object, Reflect};
    use wasm_bindgen::JsValue;

    impl super::Build for JsValue {
        fn string(s: &str) -> Self {
            JsValue::from_str(s)
        }

        fn boolean(b: bool) -> Self {
            JsValue::from_bool(b)
        }

        fn null() -> Self {
            JsValue::NULL
        }

        fn object(entries: Vec<(&'static str, Self)>) -> Self {
            let object = Object::new();
            for (key, value) in entries {
                // Setting a member of a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
            }
            object.into()
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::Value as Json;

    impl Build for Json {
        fn string(s: &str) -> Self {
            Json::from(s)
        }
        fn boolean(b: bool) -> Self {
            Json::from(b)
        }
        fn null() -> Self {
            Json::Null
        }
        fn object(entries: Vec<(&'static str, Self)>) -> Self {
            Json::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
        }
    }

    /// One value of each `ServerSettings` shape (also read back by
    /// `decode`'s tests).
    pub(crate) fn every_server_settings() -> [ServerSettings; 3] {
        [
            ServerSettings::ThisComputer {
                public_address: None,
            },
            ServerSettings::ThisComputer {
                public_address: Some("203.0.113.7:48787".into()),
            },
            ServerSettings::Server {
                url: "https://chat.example.org".into(),
            },
        ]
    }

    /// Writes what serde writes, so the shell's serde reads it.
    fn same_as_serde<T: Encode + Serialize>(value: T) {
        assert_eq!(
            value.encode::<Json>(),
            serde_json::to_value(&value).unwrap()
        );
    }

    #[test]
    fn every_command_argument_is_written_as_serde_writes_it() {
        same_as_serde(JoinRoomArgs {
            invite: "privchat://room/r#k".into(),
        });
        same_as_serde(SendMessageArgs {
            body: "hi \"there\"".into(),
            nonce: "1f".into(),
        });
        for show_text in [false, true] {
            same_as_serde(NotificationArgs { show_text });
        }
        same_as_serde(SetTitleArgs {
            title: "private_chat".into(),
        });
        for settings in every_server_settings() {
            same_as_serde(settings);
        }
    }
}
