//! Invites: `privchat://room/<room_id>`, optionally naming where the room
//! lives: `?server=<http(s) URL>` once per address a joiner may try (in
//! order), and `&pin=<SHA-256 of the server's certificate>` when that
//! server's certificate is self-made (the app's own server on a network).
//! The fragment (`#<secret>`) holds the room's key-exchange secret: clients
//! never send a fragment to a server.
//!
//! One parser and one builder, shared by the UI (to accept what people paste)
//! and the desktop shell (deep links, the copy button), so both always agree.
//! A bare room id is accepted too: people paste codes.

use std::fmt;

/// The URL scheme of invite links.
pub const SCHEME: &str = "privchat";
/// Longest invite accepted: well above any real one, far below abuse.
pub const MAX_INVITE_LEN: usize = 1024;
/// Most server addresses one invite may name.
pub const MAX_SERVERS: usize = 6;
/// Length of the secret in the fragment: 32 bytes in unpadded base64url.
pub const SECRET_LEN: usize = 43;

/// A parsed invite.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invite {
    /// Canonical lower-case hyphenated UUID.
    pub room_id: String,
    /// Where the room lives, the address to try first first (no trailing
    /// slash); empty when it lives on the joiner's own server.
    pub servers: Vec<String>,
    /// The SHA-256 of the servers' certificate (64 lower-case hex digits):
    /// the joiner accepts that certificate and no other.
    pub pin: Option<String>,
    /// The room's end-to-end secret (43 base64url characters), from the
    /// fragment; `None` for a bare room code, which cannot be joined.
    pub secret: Option<String>,
}

/// Why an invite was refused; the text is meant for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteError {
    Empty,
    TooLong,
    WrongScheme,
    BadRoomId,
    BadServer,
    TooManyServers,
    BadPin,
    ClearText,
    BadSecret,
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
            Self::TooManyServers => "That invite names more server addresses than an invite can.",
            Self::BadPin => "That invite's certificate fingerprint is not valid.",
            Self::ClearText => {
                "That invite's server does not encrypt its connection (http://), so it is refused."
            }
            Self::BadSecret => "That invite's key is damaged. Ask for the whole link again.",
        })
    }
}

impl std::error::Error for InviteError {}

impl Invite {
    /// An invite to a room on the joiner's own server.
    pub fn local(room_id: impl Into<String>) -> Self {
        Self {
            room_id: room_id.into(),
            ..Self::default()
        }
    }

    /// The link form: `privchat://room/<id>[?server=<url>...][&pin=<hex>][#<secret>]`.
    pub fn to_link(&self) -> String {
        let mut query: Vec<String> = self
            .servers
            .iter()
            .map(|s| format!("server={}", encode(s)))
            .collect();
        query.extend(self.pin.iter().map(|p| format!("pin={p}")));
        let mut link = format!("{SCHEME}://room/{}", self.room_id);
        if !query.is_empty() {
            link.push('?');
            link.push_str(&query.join("&"));
        }
        if let Some(secret) = &self.secret {
            link.push('#');
            link.push_str(secret);
        }
        link
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
            return Ok(Self::local(room_id(input)?));
        };
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(InviteError::WrongScheme);
        }
        let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let path = path.trim_end_matches('/');
        let id = path.strip_prefix("room/").ok_or(InviteError::WrongScheme)?;
        let mut invite = Self::local(room_id(id)?);
        if !fragment.is_empty() {
            invite.secret = Some(secret(fragment)?);
        }
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "server" => {
                    if invite.servers.len() == MAX_SERVERS {
                        return Err(InviteError::TooManyServers);
                    }
                    let url = server_url(&decode(value).ok_or(InviteError::BadServer)?)?;
                    if !encrypted_or_local(&url) {
                        return Err(InviteError::ClearText);
                    }
                    if !invite.servers.contains(&url) {
                        invite.servers.push(url);
                    }
                }
                "pin" if invite.pin.is_none() => invite.pin = Some(pin(value)?),
                "pin" => return Err(InviteError::BadPin),
                _ => {}
            }
        }
        if invite.pin.is_some() && invite.servers.iter().any(|s| s.starts_with("http://")) {
            // A pin promises TLS: a clear-text address would bypass it.
            return Err(InviteError::BadPin);
        }
        Ok(invite)
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

/// Whether a bearer token sent to `url` (a checked [`server_url`]) stays off
/// the network in clear text: `https://`, or `http://` to this computer.
pub fn encrypted_or_local(url: &str) -> bool {
    match url.strip_prefix("http://") {
        None => true,
        Some(rest) => {
            let host = match rest.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default(),
                None => rest.split(':').next().unwrap_or_default(),
            };
            host == "localhost"
                || host == "::1"
                || host
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    }
}

/// The fragment's secret: exactly [`SECRET_LEN`] base64url characters.
fn secret(raw: &str) -> Result<String, InviteError> {
    let ok = raw.len() == SECRET_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(InviteError::BadSecret)
    }
}

/// A certificate fingerprint: 64 hex digits, lower-cased.
fn pin(raw: &str) -> Result<String, InviteError> {
    if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(InviteError::BadPin)
    }
}

/// An `http://` or `https://` URL of a host with an optional port (1-65535),
/// with no path, query or user info.
pub fn server_url(raw: &str) -> Result<String, InviteError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or(InviteError::BadServer)?;
    let (host, port) = match rest.strip_prefix('[') {
        // [v6 address]:port
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or(InviteError::BadServer)?;
            let ok = !addr.is_empty() && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            if !ok {
                return Err(InviteError::BadServer);
            }
            match after {
                "" => (addr, None),
                _ => (
                    "v6",
                    Some(after.strip_prefix(':').ok_or(InviteError::BadServer)?),
                ),
            }
        }
        None => match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b) || host == "v6");
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && (1..=65535).contains(&p.parse::<u32>().unwrap_or(0))
    });
    if host_ok && port_ok {
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
    const PIN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-";

    fn on(servers: &[&str], pin: Option<&str>) -> Invite {
        Invite {
            room_id: ID.into(),
            servers: servers.iter().map(|s| s.to_string()).collect(),
            pin: pin.map(str::to_owned),
            secret: None,
        }
    }

    #[test]
    fn round_trips() {
        for invite in [
            Invite::local(ID),
            on(&["http://127.0.0.1:8787"], None),
            on(&["https://chat.example.org"], None),
            on(
                &[
                    "https://192.168.1.5:48787",
                    "https://[fe80::1]:48787",
                    "https://me.example.org:4000",
                ],
                Some(PIN),
            ),
            Invite {
                secret: Some(SECRET.into()),
                ..on(&["https://a:1"], Some(PIN))
            },
        ] {
            assert_eq!(Invite::parse(&invite.to_link()).unwrap(), invite);
        }
        let keyed = Invite {
            secret: Some(SECRET.into()),
            ..Invite::local(ID)
        };
        assert_eq!(keyed.to_link(), format!("privchat://room/{ID}#{SECRET}"));
        assert_eq!(
            on(&["http://127.0.0.1:4000"], None).to_link(),
            format!("privchat://room/{ID}?server=http%3A%2F%2F127.0.0.1%3A4000")
        );
        assert_eq!(
            on(&["https://10.0.0.2:1"], Some(PIN)).to_link(),
            format!("privchat://room/{ID}?server=https%3A%2F%2F10.0.0.2%3A1&pin={PIN}")
        );
    }

    #[test]
    fn accepts_what_people_paste() {
        let plain = Invite::local(ID);
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
            Invite::parse(&format!("PRIVCHAT://room/{ID}#")).unwrap(),
            plain
        );
        assert_eq!(
            Invite::parse(&format!("privchat://room/{ID}/#{SECRET}"))
                .unwrap()
                .secret
                .as_deref(),
            Some(SECRET)
        );
        let with = Invite::parse(&format!(
            "privchat://room/{ID}?x=1&server=https://10.0.0.2:8787/"
        ))
        .unwrap();
        assert_eq!(with.servers, ["https://10.0.0.2:8787"]);
        for local in ["http://127.0.0.1:1", "http://localhost:2", "http://[::1]:3"] {
            let parsed = Invite::parse(&on(&[local], None).to_link()).unwrap();
            assert_eq!(parsed.servers, [local], "clear text on loopback is fine");
        }
        // A repeated address is tried once; the pin's case does not matter.
        let twice = Invite::parse(&format!(
            "privchat://room/{ID}?server=https://a:1&server=https://a:1&pin={}",
            PIN.to_uppercase()
        ))
        .unwrap();
        assert_eq!(twice, on(&["https://a:1"], Some(PIN)));
    }

    #[test]
    fn refuses_hostile_input() {
        let room = |q: &str| format!("privchat://room/{ID}?{q}");
        let many = (0..=MAX_SERVERS)
            .map(|i| format!("server=https://h{i}:1"))
            .collect::<Vec<_>>()
            .join("&");
        let cases: Vec<(String, InviteError)> = vec![
            ("".into(), InviteError::Empty),
            ("   ".into(), InviteError::Empty),
            ("x".repeat(MAX_INVITE_LEN + 1), InviteError::TooLong),
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
            (room("server=file:///etc/passwd"), InviteError::BadServer),
            (room("server=http://user:pw@host"), InviteError::BadServer),
            (room("server=http://host/path"), InviteError::BadServer),
            (room("server=%ZZ"), InviteError::BadServer),
            (room("server=%FF"), InviteError::BadServer),
            (room("server=http://:"), InviteError::BadServer),
            (room("server=http://host:"), InviteError::BadServer),
            (room("server=http://host:99999"), InviteError::BadServer),
            (room("server=http://host:0"), InviteError::BadServer),
            (room("server=http://[::1"), InviteError::BadServer),
            (room("server=http://[zz]:1"), InviteError::BadServer),
            (room("server=http://10.0.0.2:8787"), InviteError::ClearText),
            (
                room("server=http://chat.example.org"),
                InviteError::ClearText,
            ),
            (
                room("server=http://127.evil.example:1"),
                InviteError::ClearText,
            ),
            (room(&many), InviteError::TooManyServers),
            (room("server=https://a:1&pin=abc"), InviteError::BadPin),
            (
                room(&format!("server=https://a:1&pin={PIN}&pin={PIN}")),
                InviteError::BadPin,
            ),
            (
                room(&format!("server=http://127.0.0.1:1&pin={PIN}")),
                InviteError::BadPin,
            ),
            (format!("privchat://room/{ID}#x"), InviteError::BadSecret),
            (
                format!("privchat://room/{ID}#{}=", &SECRET[..42]),
                InviteError::BadSecret,
            ),
            (
                format!("privchat://room/{ID}#{SECRET}A"),
                InviteError::BadSecret,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Invite::parse(&input), Err(expected), "{input}");
        }
        assert_eq!(
            Invite::parse(&room("server=http://[::1]:6379"))
                .unwrap()
                .servers,
            ["http://[::1]:6379"]
        );
    }
}

#[cfg(test)]
mod properties {
    //! Whatever is pasted or clicked, parsing answers and never panics; what
    //! the builder makes, the parser reads back unchanged.
    use proptest::prelude::*;

    use super::*;

    fn uuid() -> impl Strategy<Value = String> {
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    }

    fn server() -> impl Strategy<Value = String> {
        prop_oneof![
            ("[a-z][a-z0-9.-]{0,20}", 1u16..).prop_map(|(h, p)| format!("https://{h}:{p}")),
            (any::<[u8; 4]>(), 1u16..)
                .prop_map(|(a, p)| format!("https://{}:{p}", std::net::Ipv4Addr::from(a))),
            (1u16..).prop_map(|p| format!("http://127.0.0.1:{p}")),
            (1u16..).prop_map(|p| format!("https://[fe80::1]:{p}")),
        ]
    }

    proptest! {
        #[test]
        fn any_input_gets_an_answer(input in ".{0,300}") {
            let _ = Invite::parse(&input);
        }

        #[test]
        fn any_link_shaped_input_gets_an_answer(tail in "[ -~]{0,200}") {
            let _ = Invite::parse(&format!("privchat://room/{tail}"));
        }

        #[test]
        fn built_invites_read_back(
            room_id in uuid(),
            servers in proptest::collection::vec(server(), 0..MAX_SERVERS),
            pin in proptest::option::of("[0-9a-f]{64}"),
            secret in proptest::option::of("[A-Za-z0-9_-]{43}"),
        ) {
            let mut unique = Vec::new();
            for s in servers {
                if !unique.contains(&s) {
                    unique.push(s);
                }
            }
            let pin = pin.filter(|_| unique.iter().all(|s| s.starts_with("https://")));
            let invite = Invite { room_id, servers: unique, pin, secret };
            prop_assert_eq!(Invite::parse(&invite.to_link()).unwrap(), invite);
        }
    }
}
