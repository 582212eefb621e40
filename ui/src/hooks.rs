//! The clock as a hook: components that show time read it here, so the
//! reducer's state does not change (and is not copied) on every tick.

use yew::prelude::*;

/// The local time in milliseconds, refreshed every `period_ms`.
#[hook]
pub fn use_now(period_ms: u32) -> f64 {
    let now = use_state(js_sys::Date::now);
    {
        let now = now.clone();
        use_effect_with(period_ms, move |&period| {
            let tick =
                gloo_timers::callback::Interval::new(period, move || now.set(js_sys::Date::now()));
            move || drop(tick)
        });
    }
    *now
}
