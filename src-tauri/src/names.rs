//! Anonymous display names: `anonymous-<animal>-<5 chars>`.

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

#[cfg(test)]
mod tests {
    use super::*;

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
