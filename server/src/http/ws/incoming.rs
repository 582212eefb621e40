//! A client's text frame, parsed.
//!
//! Nearly every frame is a `send`. [`ClientEvent`] is an internally tagged
//! enum, which serde parses by first copying every field into a buffer of
//! owned values; a `send` is read here straight into borrowed strings
//! instead. Anything this refuses goes through [`ClientEvent`] as before, so
//! both accept and refuse exactly the same frames, with the same errors.

use std::borrow::Cow;

use private_chat_protocol::ClientEvent;
use serde::Deserialize;

/// What the client asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming<'a> {
    Send {
        body: Cow<'a, str>,
        nonce: Option<Cow<'a, str>>,
    },
    Typing,
}

/// `ClientEvent::Send`'s fields, with its tag as one more field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendFrame<'a> {
    #[serde(rename = "type")]
    _tag: SendTag,
    #[serde(borrow)]
    body: Cow<'a, str>,
    #[serde(default)]
    nonce: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SendTag {
    Send,
}

/// Parses a frame; the error is [`ClientEvent`]'s.
pub fn parse(text: &str) -> Result<Incoming<'_>, serde_json::Error> {
    if let Ok(SendFrame { body, nonce, .. }) = serde_json::from_str(text) {
        return Ok(Incoming::Send { body, nonce });
    }
    serde_json::from_str::<ClientEvent>(text).map(Incoming::from)
}

impl From<ClientEvent> for Incoming<'_> {
    fn from(event: ClientEvent) -> Self {
        match event {
            ClientEvent::Send { body, nonce } => Incoming::Send {
                body: body.into(),
                nonce: nonce.map(Into::into),
            },
            ClientEvent::Typing {} => Incoming::Typing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every frame gets the same answer as `ClientEvent` gives it: the same
    /// event, or an error with the same text.
    #[test]
    fn accepts_and_refuses_what_client_event_does() {
        let frames = [
            r#"{"type":"send","body":"hi"}"#,
            r#"{"body":"hi","type":"send"}"#,
            r#"{"type":"send","body":"h\u00e9 \"quoted\"","nonce":"n-1"}"#,
            r#"{"type":"send","body":"hi","nonce":null}"#,
            r#"{"type":"send","body":""}"#,
            r#"{"type":"typing"}"#,
            r#"{"type":"send"}"#,
            r#"{"type":"send","body":"hi","extra":1}"#,
            r#"{"type":"send","body":"a","body":"b"}"#,
            r#"{"type":"send","type":"send","body":"a"}"#,
            r#"{"type":"send","body":7}"#,
            r#"{"type":"typing","body":"hi"}"#,
            r#"{"type":"shout","body":"hi"}"#,
            r#"{"body":"hi"}"#,
            r#"["send","hi"]"#,
            r#"{"type":"send","body":"hi""#,
            "",
        ];
        for text in frames {
            let ours = parse(text).map_err(|e| e.to_string());
            let theirs = serde_json::from_str::<ClientEvent>(text)
                .map(Incoming::from)
                .map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{text}");
        }
    }

    /// The point of the fast path: a plain body is not copied.
    #[test]
    fn a_plain_body_is_borrowed() {
        let text = r#"{"type":"send","body":"hello"}"#;
        let Ok(Incoming::Send { body, .. }) = parse(text) else {
            panic!("not a send")
        };
        assert!(matches!(body, Cow::Borrowed("hello")));
    }
}
