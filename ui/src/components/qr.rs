//! The invite as a QR code, drawn locally (no network), so a phone can scan it.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct QrProps {
    pub text: AttrValue,
}

/// The SVG of a QR code for `text`, or `None` if it cannot be encoded.
pub fn svg_for(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(168, 168)
            .quiet_zone(true)
            .dark_color(svg::Color("#0f1115"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

#[function_component]
pub fn InviteQr(props: &QrProps) -> Html {
    let svg = use_memo(props.text.clone(), |text| svg_for(text));
    match &*svg {
        // The SVG is generated here from our own invite text, never from
        // anything received, so inserting it as markup is safe.
        Some(svg) => html! {
            <figure class="qr" data-testid="invite-qr" aria-label="QR code of the invite">
                { Html::from_html_unchecked(AttrValue::from(svg.clone())) }
            </figure>
        },
        None => html! {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn invites_encode_as_svg() {
        let svg = super::svg_for("privchat://room/3f2b8c1e-4a5d-4e6f-8a9b-0c1d2e3f4a5b?server=http%3A%2F%2F127.0.0.1%3A8787").unwrap();
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.contains("#0f1115"));
    }
}
