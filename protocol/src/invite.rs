//! Invites: `privchat://room/<room_id>`, optionally `?server=<http(s) URL>`.
//!
//! One parser and one builder, shared by the UI (to accept what people paste)
//! and the desktop shell (deep links, the copy button), so both always agree.
//! A bare room id is accepted too: people paste codes.

use std::fmt;

/// The URL scheme of invite links.
pub const SCHEME: &str = "privchat";
/// Longest invite accepted: well above any real one, far below abuse.
pub const MAX_INVITE_LEN: usize = 512;

/// A parsed invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Canonical lower-case hyphenated UUID.
    pub room_id: String,
    /// The room server, when it is not the app's default (no trailing slash).
    pub server: Option<String>,
}

/// Why an invite was refused; the text is meant for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteError {
    Empty,
    TooLong,
    WrongScheme,
    BadRoomId,
    BadServer,
}

impl fmt::Display for InviteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "Paste an invite link or a room code.",
            Self::TooLong => "That invite is too long to be real.",
            Self::WrongScheme => {
                "That is not a private_chat invite (it should start with privchat://room/)."
            }
            Self::BadRoomId => "That invite does not contain a valid room code.",
            Self::BadServer => "That invite names an invalid server address.",
        })
    }
}

impl std::error::Error for InviteError {}

impl Invite {
    /// The link form: `privchat://room/<id>[?server=<url>]`.
    pub fn to_link(&self) -> String {
        match &self.server {
            Some(server) => format!("{SCHEME}://room/{}?server={}", self.room_id, encode(server)),
            None => format!("{SCHEME}://room/{}", self.room_id),
        }
    }

    /// Parses a link or a bare room id, trimming surrounding white space.
    pub fn parse(input: &str) -> Result<Self, InviteError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(InviteError::Empty);
        }
        if input.len() > MAX_INVITE_LEN {
            return Err(InviteError::TooLong);
        }
        let Some((scheme, rest)) = input.split_once("://") else {
            return Ok(Self {
                room_id: room_id(input)?,
                server: None,
            });
        };
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(InviteError::WrongScheme);
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.trim_end_matches('/');
        let id = path.strip_prefix("room/").ok_or(InviteError::WrongScheme)?;
        let room_id = room_id(id)?;
        let mut server = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == "server" {
                server = Some(server_url(&decode(value).ok_or(InviteError::BadServer)?)?);
            }
        }
        Ok(Self { room_id, server })
    }
}

/// A UUID in its canonical 8-4-4-4-12 form, lower-cased.
fn room_id(raw: &str) -> Result<String, InviteError> {
    let bytes = raw.as_bytes();
    let ok = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(InviteError::BadRoomId)
    }
}

/// An `http://` or `https://` URL with a host and no path, query or user info.
fn server_url(raw: &str) -> Result<String, InviteError> {
    let trimmed = raw.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or(InviteError::BadServer)?;
    let host_ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if host_ok {
        Ok(trimmed.to_owned())
    } else {
        Err(InviteError::BadServer)
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn round_trips() {
        for server in [
            None,
            Some("http://127.0.0.1:8787".to_string()),
            Some("https://chat.example.org".to_string()),
        ] {
            let invite = Invite {
                room_id: ID.into(),
                server,
            };
            assert_eq!(Invite::parse(&invite.to_link()).unwrap(), invite);
        }
        assert_eq!(
            Invite {
                room_id: ID.into(),
                server: Some("http://127.0.0.1:4000".into())
            }
            .to_link(),
            format!("privchat://room/{ID}?server=http%3A%2F%2F127.0.0.1%3A4000")
        );
    }

    #[test]
    fn accepts_what_people_paste() {
        let plain = Invite {
            room_id: ID.into(),
            server: None,
        };
        assert_eq!(Invite::parse(ID).unwrap(), plain);
        assert_eq!(
            Invite::parse(&format!("  {}\n", ID.to_uppercase())).unwrap(),
            plain
        );
        assert_eq!(
            Invite::parse(&format!("privchat://room/{ID}/")).unwrap(),
            plain
        );
        assert_eq!(
            Invite::parse(&format!("PRIVCHAT://room/{ID}#x")).unwrap(),
            plain
        );
        let with = Invite::parse(&format!(
            "privchat://room/{ID}?x=1&server=http://10.0.0.2:8787/"
        ))
        .unwrap();
        assert_eq!(with.server.as_deref(), Some("http://10.0.0.2:8787"));
    }

    #[test]
    fn refuses_hostile_input() {
        let cases: Vec<(String, InviteError)> = vec![
            ("".into(), InviteError::Empty),
            ("   ".into(), InviteError::Empty),
            ("x".repeat(600), InviteError::TooLong),
            (format!("https://room/{ID}"), InviteError::WrongScheme),
            (format!("javascript://room/{ID}"), InviteError::WrongScheme),
            (format!("privchat://rooms/{ID}"), InviteError::WrongScheme),
            ("privchat://room/not-a-uuid".into(), InviteError::BadRoomId),
            (
                format!("privchat://room/{ID}/../../etc"),
                InviteError::BadRoomId,
            ),
            (
                format!("privchat://room/{}", &ID[..35]),
                InviteError::BadRoomId,
            ),
            (
                "3f2b8c1e4a5d4e6f8a9b0c1d2e3f4a5b".into(),
                InviteError::BadRoomId,
            ),
            ("<script>alert(1)</script>".into(), InviteError::BadRoomId),
            (
                format!("privchat://room/{ID}?server=file:///etc/passwd"),
                InviteError::BadServer,
            ),
            (
                format!("privchat://room/{ID}?server=http://user:pw@host"),
                InviteError::BadServer,
            ),
            (
                format!("privchat://room/{ID}?server=http://host/path"),
                InviteError::BadServer,
            ),
            (
                format!("privchat://room/{ID}?server=%ZZ"),
                InviteError::BadServer,
            ),
            (
                format!("privchat://room/{ID}?server=%FF"),
                InviteError::BadServer,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Invite::parse(&input), Err(expected), "{input}");
        }
    }
}
