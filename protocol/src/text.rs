//! Characters that change how text is shown without being seen: what the
//! server refuses in names, and what the app removes from a name it shows.

/// A control character or invisible formatting (bidirectional overrides,
/// zero-width characters, the BOM and the like): it can hide, reorder or
/// fake what is shown.
pub fn is_invisible(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// Invisible formatting: bidirectional marks, embeddings, overrides and
/// isolates, zero-width characters, the BOM, soft hyphen, and other
/// invisible operators.
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Combining marks of the common blocks (enough to stop a tower of them).
pub fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}' | '\u{0483}'..='\u{0489}' | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}
