//! Anonymous display names: `anonymous-<animal>-<5 chars>`.

use private_chat_protocol::text::{is_combining, is_invisible};

const ANIMALS: &[&str] = &[
    "otter", "fox", "heron", "lynx", "owl", "panda", "koala", "badger", "falcon", "gecko", "ibis",
    "jaguar", "lemur", "marten", "narwhal", "ocelot", "puffin", "quokka", "raven", "seal", "tapir",
    "urchin", "vole", "walrus", "yak", "zebra", "beaver", "crane", "dingo", "egret", "ferret",
    "gazelle", "hare", "impala", "kestrel", "llama", "moose", "newt", "orca", "pelican",
];
const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A fresh random name from the OS random number generator.
pub fn random_name() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    let animal = ANIMALS[bytes[0] as usize % ANIMALS.len()];
    let tag: String = bytes[1..]
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect();
    format!("anonymous-{animal}-{tag}")
}

/// Whether a stored name has the shape this app makes (else it is replaced).
pub fn is_valid(name: &str) -> bool {
    let mut parts = name.splitn(3, '-');
    parts.next() == Some("anonymous")
        && parts.next().is_some_and(|a| ANIMALS.contains(&a))
        && parts
            .next()
            .is_some_and(|t| t.len() == 5 && t.bytes().all(|b| CHARS.contains(&b)))
}

/// Longest name shown, in characters (after cleaning).
pub const MAX_SHOWN_CHARS: usize = 64;
/// Labels the UI puts where a name goes: no one may call themselves that.
const RESERVED: &[&str] = &["you", "the other person"];

/// The other person's name as this app shows it: control, bidirectional
/// and zero-width characters removed (they could reorder or hide what is
/// shown), at most two combining marks in a row, at most
/// [`MAX_SHOWN_CHARS`], white space trimmed. `None` when nothing is left or
/// it imitates a label of the UI; the UI then says "the other person".
pub fn shown(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut marks = 0;
    for c in name.chars() {
        if is_invisible(c) {
            continue;
        }
        if is_combining(c) {
            marks += 1;
            if marks > 2 {
                continue;
            }
        } else {
            marks = 0;
        }
        out.push(c);
        if out.chars().count() == MAX_SHOWN_CHARS {
            break;
        }
    }
    let out = out.trim();
    let reserved = RESERVED.iter().any(|r| out.eq_ignore_ascii_case(r));
    (!out.is_empty() && !reserved).then(|| out.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_names_cannot_hide_reorder_or_impersonate() {
        assert_eq!(
            shown("anonymous-otter-ab12c").as_deref(),
            Some("anonymous-otter-ab12c")
        );
        assert_eq!(shown("  Quiet Otter \n").as_deref(), Some("Quiet Otter"));
        // Right-to-left override: "evil\u{202E}gnp.exe" would show reversed.
        assert_eq!(shown("evil\u{202E}gnp.exe").as_deref(), Some("evilgnp.exe"));
        assert_eq!(shown("\u{200B}\u{200C}\u{200D}\u{FEFF}\u{2060}"), None);
        assert_eq!(shown("a\u{0}b").as_deref(), Some("ab"));
        assert_eq!(shown("You"), None);
        assert_eq!(shown(" you\u{200B} "), None);
        assert_eq!(shown("The other person"), None);
        assert_eq!(shown(""), None);
        let tower = format!("Z{}", "\u{0301}".repeat(10_000));
        assert_eq!(shown(&tower).map(|s| s.chars().count()), Some(3));
        let long = "x".repeat(10_000);
        assert_eq!(
            shown(&long).map(|s| s.chars().count()),
            Some(MAX_SHOWN_CHARS)
        );
    }

    #[test]
    fn names_have_the_promised_shape_and_vary() {
        let names: std::collections::HashSet<String> = (0..50).map(|_| random_name()).collect();
        assert!(names.len() > 45);
        for name in &names {
            assert!(is_valid(name), "{name}");
        }
        assert!(!is_valid("anonymous-dragon-abcde"));
        assert!(!is_valid("<b>x</b>"));
    }
}
