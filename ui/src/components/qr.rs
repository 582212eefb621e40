//! The invite as a QR code, so a phone can scan it. The shell draws it
//! (`RoomView::invite_qr`); this shows it.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct QrProps {
    /// SVG markup of the code; empty shows nothing.
    pub svg: AttrValue,
}

#[function_component]
pub fn InviteQr(props: &QrProps) -> Html {
    if props.svg.is_empty() {
        return html! {};
    }
    // The shell drew the SVG from this room's own invite, never from
    // anything received, so inserting it as markup is safe.
    html! {
        <figure class="qr" data-testid="invite-qr" aria-label="QR code of the invite">
            { Html::from_html_unchecked(props.svg.clone()) }
        </figure>
    }
}
