//! A dismissible notice in the lobby.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    pub text: AttrValue,
    /// `"info"` or `"error"`: only the accent differs.
    pub kind: AttrValue,
    pub on_dismiss: Callback<()>,
}

#[function_component]
pub fn NoticeBanner(props: &NoticeProps) -> Html {
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class={classes!("notice", props.kind.to_string())} role="status" data-testid="notice">
            <span data-testid="notice-text">{ props.text.clone() }</span>
            <button class="icon" aria-label="Dismiss" title="Dismiss" data-testid="notice-dismiss" onclick={dismiss}>{ "×" }</button>
        </div>
    }
}
