//! The invite as a QR code, drawn here (no network) so a phone can scan it.
//! Drawn by the shell rather than the UI: the encoder would add a tenth to
//! the UI's wasm, which every launch downloads and compiles.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The SVG markup of a QR code for `text`; empty if it cannot be encoded
/// (longer than a QR code holds), and the UI then shows no code.
pub fn svg_for(text: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    code.render::<svg::Color<'_>>()
        .min_dimensions(168, 168)
        .quiet_zone(true)
        .dark_color(svg::Color("#0f1115"))
        .light_color(svg::Color("#ffffff"))
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn invites_encode_as_svg() {
        let svg = super::svg_for("privchat://room/3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b?server=http%3A%2F%2F127.0.0.1%3A8787");
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.contains("#0f1115"));
    }

    #[test]
    fn what_no_code_holds_gives_no_markup() {
        assert_eq!(super::svg_for(&"x".repeat(8_000)), "");
    }
}
