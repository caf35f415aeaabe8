//! The skeuomorphic controls on the room's walls: the corkboard (task board), the framed office
//! sign (office prompt), the wall clock (real time, moving hands), the window whose moon or sun
//! toggles dark mode, and the doors to the other rooms plus one that adds a room. Each is an SVG
//! group with a stable id or class that acts as a button (click, Enter or Space).

use super::geometry::{iso, points, up};
use crate::store::use_store;
use isomux_protocol::op::responses::RoomBody;
use isomux_protocol::{Op, ServerMessage};
use leptos::ev;
use leptos::prelude::*;
use std::time::Duration;

/// `skewY` that lays a flat drawing on the right (back, +x) wall or the left (+y) wall. A
/// drawing's local origin is its top-left corner: on the right wall that is its smallest
/// floor `x`, on the left wall its largest floor `y` (local x runs toward the back corner).
const RIGHT_SKEW: &str = "skewY(26.565)";
const LEFT_SKEW: &str = "skewY(-26.565)";

/// Enter or Space on a focused control does what a click does.
fn on_key(action: impl Fn() + 'static) -> impl Fn(ev::KeyboardEvent) + 'static {
    move |ev: ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            action();
        }
    }
}

/// The corkboard with pinned notes: opens the task board.
#[component]
pub fn Corkboard(on_open: Callback<()>) -> impl IntoView {
    let (x, y) = up(iso(1.0, 0.0), 100.0);
    let notes = [
        (10.0, 10.0, "#fff59d", -4.0),
        (40.0, 14.0, "#b3e5fc", 3.0),
        (70.0, 8.0, "#f8bbd0", -2.0),
        (22.0, 36.0, "#c8e6c9", 2.0),
        (56.0, 38.0, "#ffe0b2", -3.0),
    ]
    .into_iter()
    .map(|(nx, ny, fill, rot)| {
        view! {
            <g transform=format!("rotate({rot} {} {})", nx + 9.0, ny + 9.0)>
                <rect class="note" x=nx y=ny width="18" height="18" fill=fill></rect>
                <line class="note-line" x1=nx + 3.0 y1=ny + 7.0 x2=nx + 15.0 y2=ny + 7.0></line>
                <line class="note-line" x1=nx + 3.0 y1=ny + 11.0 x2=nx + 12.0 y2=ny + 11.0></line>
                <circle class="pin" cx=nx + 9.0 cy=ny + 2.0 r="2"></circle>
            </g>
        }
    })
    .collect_view();
    view! {
        <g
            id="corkboard"
            class="wall-control"
            role="button"
            tabindex="0"
            aria-label="Task board"
            transform=format!("translate({x:.1},{y:.1}) {RIGHT_SKEW}")
            on:click=move |_| on_open.run(())
            on:keydown=on_key(move || on_open.run(()))
        >
            <title>"Task board"</title>
            <rect class="cork-frame" x="-4" y="-4" width="104" height="68" rx="3"></rect>
            <rect class="cork" x="0" y="0" width="96" height="60"></rect>
            {notes}
        </g>
    }
}

/// The framed office sign: shows the office's name; opens the office prompt editor.
#[component]
pub fn OfficeSign(on_open: Callback<()>) -> impl IntoView {
    let store = use_store();
    let name = Memo::new(move |_| {
        store.state.with(|s| {
            if s.office.name.is_empty() {
                "Isomux".to_owned()
            } else {
                s.office.name.clone()
            }
        })
    });
    let (x, y) = up(iso(0.0, 4.2), 108.0);
    view! {
        <g
            id="office-sign"
            class="wall-control"
            role="button"
            tabindex="0"
            aria-label="Office rules (the office prompt)"
            transform=format!("translate({x:.1},{y:.1}) {LEFT_SKEW}")
            on:click=move |_| on_open.run(())
            on:keydown=on_key(move || on_open.run(()))
        >
            <title>"Office rules"</title>
            <rect class="frame" x="-6" y="-6" width="112" height="60" rx="3"></rect>
            <rect class="canvas" x="0" y="0" width="100" height="48"></rect>
            <text class="sign-title" x="50" y="19" text-anchor="middle">"Office rules"</text>
            <text class="sign-name" x="50" y="36" text-anchor="middle">
                {move || ellipsis(&name.get(), 16)}
            </text>
        </g>
    }
}

/// The current room's name on a small plaque above the doors.
#[component]
pub fn RoomPlaque() -> impl IntoView {
    let store = use_store();
    let room_name = Memo::new(move |_| {
        store.state.with(|s| {
            let id = s.current_room.as_ref();
            s.rooms
                .iter()
                .find(|r| Some(&r.id) == id)
                .map(|r| r.name.clone())
                .unwrap_or_default()
        })
    });
    let (x, y) = up(iso(0.0, 11.2), 122.0);
    view! {
        <g class="sign room-plaque" transform=format!("translate({x:.1},{y:.1}) {LEFT_SKEW}")>
            <rect x="0" y="0" width="110" height="24" rx="4"></rect>
            <text x="55" y="16.5" text-anchor="middle">{move || ellipsis(&room_name.get(), 14)}</text>
        </g>
    }
}

/// Local time as (hours, minutes, seconds).
fn now() -> (u32, u32, u32) {
    let d = js_sys::Date::new_0();
    (d.get_hours(), d.get_minutes(), d.get_seconds())
}

/// Hand angles in degrees (clockwise from 12) for a time: hour, minute, second.
pub fn hand_angles((h, m, s): (u32, u32, u32)) -> (f64, f64, f64) {
    let (h, m, s) = (f64::from(h % 12), f64::from(m), f64::from(s));
    (h * 30.0 + m * 0.5, m * 6.0 + s * 0.1, s * 6.0)
}

/// The wall clock, showing the real (local) time; its hands move every second.
#[component]
pub fn WallClock() -> impl IntoView {
    let time = RwSignal::new(now());
    if let Ok(handle) =
        set_interval_with_handle(move || time.set(now()), Duration::from_millis(1000))
    {
        on_cleanup(move || handle.clear());
    }
    let (x, y) = up(iso(5.0, 0.0), 95.0);
    let ticks = (0..12)
        .map(|i| {
            let long = i % 3 == 0;
            view! {
                <line class="tick" x1="0" y1=if long { -15.0 } else { -16.5 } x2="0" y2="-19"
                    transform=format!("rotate({})", i * 30)></line>
            }
        })
        .collect_view();
    let angles = move || hand_angles(time.get());
    view! {
        <g
            id="wall-clock"
            class="wall-control clock"
            transform=format!("translate({x:.1},{y:.1}) {RIGHT_SKEW}")
            data-time=move || time.with(|(h, m, _)| format!("{h:02}:{m:02}"))
            aria-label=move || time.with(|(h, m, _)| format!("The time is {h:02}:{m:02}"))
            role="img"
        >
            <circle class="clock-rim" r="23"></circle>
            <circle class="clock-face" r="20"></circle>
            {ticks}
            <line class="hand hour-hand" x1="0" y1="2" x2="0" y2="-10"
                transform=move || format!("rotate({:.1})", angles().0)></line>
            <line class="hand minute-hand" x1="0" y1="3" x2="0" y2="-15"
                transform=move || format!("rotate({:.1})", angles().1)></line>
            <line class="hand second-hand" x1="0" y1="4" x2="0" y2="-17"
                transform=move || format!("rotate({:.1})", angles().2)></line>
            <circle class="clock-pin" r="1.8"></circle>
        </g>
    }
}

/// The window on the back wall, with the moon (dark mode) or the sun (light mode) in it:
/// clicking the sky body toggles dark mode.
#[component]
pub fn Window() -> impl IntoView {
    let store = use_store();
    let pane = points(&[
        up(iso(6.5, 0.0), 112.0),
        up(iso(10.0, 0.0), 112.0),
        up(iso(10.0, 0.0), 48.0),
        up(iso(6.5, 0.0), 48.0),
    ]);
    let mullion = [up(iso(8.25, 0.0), 112.0), up(iso(8.25, 0.0), 48.0)];
    let transom = [up(iso(6.5, 0.0), 80.0), up(iso(10.0, 0.0), 80.0)];
    let (mx, my) = up(iso(9.1, 0.0), 92.0);
    let toggle = move || store.dark.update(|d| *d = !*d);
    let stars = [(-44.0, -8.0), (-30.0, 16.0), (-58.0, 22.0), (-14.0, -16.0)]
        .into_iter()
        .map(|(sx, sy)| view! { <circle class="star" cx=sx cy=sy r="1.4"></circle> })
        .collect_view();
    let rays = (0..8)
        .map(|i| {
            view! {
                <line class="ray" x1="0" y1="-14" x2="0" y2="-19"
                    transform=format!("rotate({})", i * 45)></line>
            }
        })
        .collect_view();
    view! {
        <polygon class="window" points=pane></polygon>
        <line class="mullion" x1=mullion[0].0 y1=mullion[0].1 x2=mullion[1].0 y2=mullion[1].1></line>
        <line class="mullion" x1=transom[0].0 y1=transom[0].1 x2=transom[1].0 y2=transom[1].1></line>
        <g
            id="window-moon"
            class="wall-control sky"
            class:night=move || store.dark.get()
            role="button"
            tabindex="0"
            aria-label=move || {
                if store.dark.get() { "Switch to light mode" } else { "Switch to dark mode" }
            }
            transform=format!("translate({mx:.1},{my:.1})")
            on:click=move |_| toggle()
            on:keydown=on_key(toggle)
        >
            <title>"Toggle dark mode"</title>
            <circle class="sky-hit" r="22" fill="transparent"></circle>
            {move || {
                if store.dark.get() {
                    view! {
                        <g class="moon-body">
                            {stars.clone()}
                            <circle class="moon" r="11"></circle>
                            <circle class="moon-shadow" cx="5" cy="-3" r="9"></circle>
                        </g>
                    }
                    .into_any()
                } else {
                    view! {
                        <g class="sun-body">
                            <g class="rays">{rays.clone()}</g>
                            <circle class="sun" r="11"></circle>
                        </g>
                    }
                    .into_any()
                }
            }}
        </g>
    }
}

/// Doors on the left wall: one to each other room (at most [`DOORS`]) and one that adds a room
/// and walks into it.
#[component]
pub fn Doors() -> impl IntoView {
    const DOORS: usize = 2;
    let store = use_store();
    let others = Memo::new(move |_| {
        store.state.with(|s| {
            s.rooms
                .iter()
                .filter(|r| Some(&r.id) != s.current_room.as_ref())
                .take(DOORS)
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect::<Vec<_>>()
        })
    });

    let error = RwSignal::new(None::<String>);
    let add_room = move || {
        let name = store.state.with_untracked(|s| {
            next_room_name(&s.rooms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>())
        });
        let op = Op::CreateRoom { name: Some(name) };
        leptos::task::spawn_local(async move {
            match crate::transport::call_as::<RoomBody>(&op).await {
                Ok(body) => {
                    let id = body.room.id.clone();
                    store.dispatch(ServerMessage::RoomAdded { room: body.room });
                    store.state.update(|s| s.current_room = Some(id));
                    error.set(None);
                }
                Err(crate::transport::ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        {move || {
            others
                .get()
                .into_iter()
                .enumerate()
                .map(|(i, (id, name))| {
                    let target = id.clone();
                    let go = move || {
                        let room = target.clone();
                        store.state.update(|s| s.current_room = Some(room));
                    };
                    let go_key = go.clone();
                    view! {
                        <g
                            class="door wall-control"
                            data-room-id=id.to_string()
                            role="button"
                            tabindex="0"
                            aria-label=format!("Go to {name}")
                            transform=door_transform(i)
                            on:click=move |_| go()
                            on:keydown=on_key(go_key)
                        >
                            <title>{format!("Go to {name}")}</title>
                            {door_shape(&ellipsis(&name, 8))}
                        </g>
                    }
                })
                .collect_view()
        }}
        <g
            id="add-room-door"
            class="door door-add wall-control"
            role="button"
            tabindex="0"
            aria-label="Add a room"
            transform=move || door_transform(others.with(Vec::len))
            on:click=move |_| add_room()
            on:keydown=on_key(add_room)
        >
            <title>{move || error.get().unwrap_or_else(|| "Add a room".into())}</title>
            {door_shape("+ room")}
        </g>
    }
}

/// Where the `i`th door stands on the left wall (its top-left corner, skewed onto the wall).
fn door_transform(i: usize) -> String {
    let (x, y) = up(iso(0.0, 8.5 + 1.6 * i as f64), 84.0);
    format!("translate({x:.1},{y:.1}) {LEFT_SKEW}")
}

fn door_shape(label: &str) -> impl IntoView + use<> {
    view! {
        <rect class="door-frame" x="-3" y="-3" width="56" height="87" rx="2"></rect>
        <rect class="door-leaf" x="0" y="0" width="50" height="84" rx="1.5"></rect>
        <rect class="door-panel" x="7" y="8" width="36" height="26" rx="1.5"></rect>
        <rect class="door-panel" x="7" y="42" width="36" height="32" rx="1.5"></rect>
        <circle class="door-knob" cx="42" cy="46" r="2.6"></circle>
        <text class="door-label" x="25" y="25" text-anchor="middle">{label.to_owned()}</text>
    }
}

/// "Room N" for the first N from the number of rooms plus one that no room is called yet.
pub fn next_room_name(names: &[&str]) -> String {
    (names.len() + 1..)
        .map(|n| format!("Room {n}"))
        .find(|candidate| !names.iter().any(|n| n.eq_ignore_ascii_case(candidate)))
        .unwrap_or_else(|| "Room".to_owned())
}

/// At most `max` characters, with an ellipsis when cut.
pub fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::{ellipsis, hand_angles, next_room_name};

    #[test]
    fn a_new_room_gets_a_free_name() {
        assert_eq!(next_room_name(&["Main Office"]), "Room 2");
        assert_eq!(next_room_name(&["Main Office", "room 3"]), "Room 4");
        assert_eq!(next_room_name(&["Room 2", "Room 3", "Lab"]), "Room 4");
        assert_eq!(next_room_name(&[]), "Room 1");
    }

    #[test]
    fn clock_hands_point_at_the_time() {
        assert_eq!(hand_angles((0, 0, 0)), (0.0, 0.0, 0.0));
        assert_eq!(hand_angles((12, 0, 0)), (0.0, 0.0, 0.0));
        assert_eq!(hand_angles((3, 0, 0)), (90.0, 0.0, 0.0));
        assert_eq!(hand_angles((15, 30, 30)), (105.0, 183.0, 180.0));
        assert_eq!(hand_angles((23, 59, 59)).2, 354.0);
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(ellipsis("Lab", 8), "Lab");
        assert_eq!(ellipsis("Laboratory", 8), "Laborat…");
    }
}
