//! Narrow-screen (phone) helpers: whether the viewport is at most [`NARROW_PX`] wide (the same
//! breakpoint as `mobile.css`), kept live on resize, and the room scene's `viewBox` for it: on a
//! phone the scene is cropped to the desks and the wall controls so desks are finger-sized.

use leptos::ev;
use leptos::prelude::*;

/// Widest viewport that gets the phone layout (CSS: `@media (max-width: 600px)`).
pub const NARROW_PX: f64 = 600.0;

/// The whole room (laptops).
pub const WIDE_VIEW_BOX: &str = "40 10 920 600";

/// The desks, the doors next to them, the office sign, corkboard and clock (phones). The
/// plant, the far end of the window and doors beyond the second are cut; the room tabs in the
/// header still reach every room.
pub const NARROW_VIEW_BOX: &str = "110 64 740 476";

fn is_narrow() -> bool {
    window()
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w <= NARROW_PX)
}

/// Whether the viewport is a phone's, updated when the window is resized.
pub fn use_narrow() -> Signal<bool> {
    let narrow = RwSignal::new(is_narrow());
    let listener = window_event_listener(ev::resize, move |_| {
        let now = is_narrow();
        if narrow.get_untracked() != now {
            narrow.set(now);
        }
    });
    on_cleanup(move || listener.remove());
    narrow.into()
}

/// The scene's `viewBox`: [`NARROW_VIEW_BOX`] on a phone, [`WIDE_VIEW_BOX`] otherwise.
pub fn scene_view_box() -> Signal<&'static str> {
    let narrow = use_narrow();
    Signal::derive(move || {
        if narrow.get() {
            NARROW_VIEW_BOX
        } else {
            WIDE_VIEW_BOX
        }
    })
}
