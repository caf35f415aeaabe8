//! The current room drawn in code as an isometric SVG: floor, two walls with a window and a
//! sign, and eight desks. An occupied desk shows its agent (click: open the chat); an empty one
//! is a button that opens the spawn dialog for that desk.

use super::character::Character;
use crate::store::use_store;
use leptos::prelude::*;

/// Scene origin (the back corner of the floor) and the half-width of one floor unit, in px.
const OX: f64 = 500.0;
const OY: f64 = 150.0;
const U: f64 = 38.0;
const FLOOR_W: f64 = 12.0;
const FLOOR_D: f64 = 12.0;
const WALL_H: f64 = 130.0;
const DESK_W: f64 = 1.9;
const DESK_D: f64 = 1.0;
const DESK_H: f64 = 24.0;

/// Floor coordinates to scene pixels (2:1 isometric).
fn iso(x: f64, y: f64) -> (f64, f64) {
    (OX + (x - y) * U, OY + (x + y) * U / 2.0)
}

fn up((x, y): (f64, f64), h: f64) -> (f64, f64) {
    (x, y - h)
}

fn points(ps: &[(f64, f64)]) -> String {
    ps.iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Top, left (+y) and right (+x) faces of a box standing on the floor rectangle.
fn iso_box(x: f64, y: f64, w: f64, d: f64, h: f64) -> [String; 3] {
    let (a, b, c, e) = (iso(x, y), iso(x + w, y), iso(x + w, y + d), iso(x, y + d));
    [
        points(&[up(a, h), up(b, h), up(c, h), up(e, h)]),
        points(&[e, c, up(c, h), up(e, h)]),
        points(&[b, c, up(c, h), up(b, h)]),
    ]
}

/// Floor position of a desk's back-left corner. Desks stand in two rows that run across the
/// screen (constant `x + y`): back row 1–4, front row 5–8, left to right.
fn desk_origin(desk: u8) -> (f64, f64) {
    let i = f64::from(desk.saturating_sub(1));
    let (col, row) = (i % 4.0, (i / 4.0).floor());
    let depth = 8.1 + row * 8.5; // x + y of the desk's centre
    let across = (col - 1.5) * 3.3; // x - y of the desk's centre
    let (cx, cy) = ((depth + across) / 2.0, (depth - across) / 2.0);
    (cx - DESK_W / 2.0, cy - DESK_D / 2.0)
}

/// The room scene. `on_empty` gets the desk number of a clicked free desk.
#[component]
pub fn OfficeScene(on_empty: Callback<u8>) -> impl IntoView {
    let mut desks: Vec<u8> = (1..=8).collect();
    // Painter's order: far desks first.
    desks.sort_by_key(|d| {
        let (x, y) = desk_origin(*d);
        ((x + y) * 100.0) as i64
    });
    view! {
        <svg class="scene" viewBox="40 10 920 600" role="img" aria-label="The office room">
            <RoomShell />
            {desks.into_iter().map(|desk| view! { <Desk desk on_empty /> }).collect_view()}
        </svg>
    }
}

/// Floor, walls, window, sign.
#[component]
fn RoomShell() -> impl IntoView {
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
    let corners = [
        iso(0.0, 0.0),
        iso(FLOOR_W, 0.0),
        iso(FLOOR_W, FLOOR_D),
        iso(0.0, FLOOR_D),
    ];
    let floor = points(&corners);
    let right_wall = points(&[
        corners[0],
        corners[1],
        up(corners[1], WALL_H),
        up(corners[0], WALL_H),
    ]);
    let left_wall = points(&[
        corners[0],
        corners[3],
        up(corners[3], WALL_H),
        up(corners[0], WALL_H),
    ]);
    let grid = (1..FLOOR_W as u32)
        .map(|i| (iso(f64::from(i), 0.0), iso(f64::from(i), FLOOR_D)))
        .chain((1..FLOOR_D as u32).map(|j| (iso(0.0, f64::from(j)), iso(FLOOR_W, f64::from(j)))))
        .map(|((x1, y1), (x2, y2))| view! { <line x1=x1 y1=y1 x2=x2 y2=y2 class="floor-line"></line> })
        .collect_view();
    let window = points(&[
        up(iso(6.5, 0.0), 105.0),
        up(iso(10.0, 0.0), 105.0),
        up(iso(10.0, 0.0), 45.0),
        up(iso(6.5, 0.0), 45.0),
    ]);
    let (mx, my) = up(iso(9.0, 0.0), 85.0);
    let (sx, sy) = up(iso(0.0, 4.0), 90.0);
    view! {
        <polygon class="wall wall-left" points=left_wall></polygon>
        <polygon class="wall wall-right" points=right_wall></polygon>
        <polygon class="window" points=window></polygon>
        <circle class="moon" cx=mx cy=my r="9"></circle>
        <g class="sign" transform=format!("translate({sx:.1},{sy:.1}) skewY(26.57)")>
            <rect x="-70" y="-16" width="140" height="32" rx="4"></rect>
            <text x="0" y="5" text-anchor="middle">{room_name}</text>
        </g>
        <polygon class="floor" points=floor></polygon>
        {grid}
    }
}

/// One desk; stable DOM (`.desk[data-desk]`) whose content follows the agent sitting there.
#[component]
fn Desk(desk: u8, on_empty: Callback<u8>) -> impl IntoView {
    let store = use_store();
    let agent = Memo::new(move |_| {
        store.state.with(|s| {
            s.current_room
                .as_ref()
                .and_then(|r| s.agent_at(r, desk))
                .cloned()
        })
    });
    let attention = Memo::new(move |_| {
        let id = agent.with(|a| a.as_ref().map(|a| a.id.clone()));
        store
            .state
            .with(|s| id.is_some_and(|id| s.attention.contains(&id)))
    });
    let (x, y) = desk_origin(desk);
    let [top, left, right] = iso_box(x, y, DESK_W, DESK_D, DESK_H);
    let [chair_top, chair_left, chair_right] =
        iso_box(x + DESK_W / 2.0 - 0.35, y - 0.9, 0.7, 0.6, 16.0);
    let chair_back = points(&[
        up(iso(x + DESK_W / 2.0 - 0.35, y - 0.9), 16.0),
        up(iso(x + DESK_W / 2.0 + 0.35, y - 0.9), 16.0),
        up(iso(x + DESK_W / 2.0 + 0.35, y - 0.9), 52.0),
        up(iso(x + DESK_W / 2.0 - 0.35, y - 0.9), 52.0),
    ]);
    let (seat_x, seat_y) = up(iso(x + DESK_W / 2.0, y - 0.5), 14.0);
    let lx = x + DESK_W / 2.0 - 0.4;
    let laptop = points(&[
        up(iso(lx, y + 0.25), DESK_H),
        up(iso(lx + 0.8, y + 0.25), DESK_H),
        up(iso(lx + 0.8, y + 0.25), DESK_H + 20.0),
        up(iso(lx, y + 0.25), DESK_H + 20.0),
    ]);
    let (fx, fy) = iso(x + DESK_W / 2.0, y + DESK_D);
    let (tag_x, tag_y) = (fx, fy + 12.0);
    let occupied = move || agent.with(Option::is_some);
    let on_click = move |_| match agent.with_untracked(|a| a.as_ref().map(|a| a.id.clone())) {
        Some(id) => store.focus(Some(id)),
        None => on_empty.run(desk),
    };
    view! {
        <g
            class="desk"
            class:empty=move || !occupied()
            class:attention=move || attention.get()
            data-desk=desk.to_string()
            data-agent-id=move || agent.with(|a| a.as_ref().map(|a| a.id.to_string()))
            role="button"
            tabindex="0"
            aria-label=move || {
                agent
                    .with(|a| match a {
                        Some(a) => format!("{} at desk {desk}", a.name),
                        None => format!("Free desk {desk}: spawn an agent"),
                    })
            }
            on:click=on_click
        >
            <polygon class="chair" points=chair_back></polygon>
            <polygon class="chair chair-side" points=chair_left></polygon>
            <polygon class="chair chair-side" points=chair_right></polygon>
            <polygon class="chair" points=chair_top></polygon>
            {move || {
                agent
                    .get()
                    .map(|a| {
                        view! { <Character agent=a x=seat_x y=seat_y attention=attention.get() /> }
                    })
            }}
            <polygon class="desk-side-left" points=left></polygon>
            <polygon class="desk-side-right" points=right></polygon>
            <polygon class="desk-top" points=top></polygon>
            {move || {
                occupied()
                    .then(|| {
                        let busy = move || {
                            agent.with(|a| a.as_ref().is_some_and(|a| a.state.is_busy()))
                        };
                        view! { <polygon class="laptop" class:glow=busy points=laptop.clone()></polygon> }
                    })
            }}
            {move || agent.with(|a| a.as_ref().map(|a| desk_prop(&a.model, x, y)))}
            {move || {
                agent
                    .get()
                    .map(|a| {
                        let w = 16.0 + 7.4 * a.name.chars().count().min(18) as f64;
                        let topic: String = ellipsis(&a.topic.unwrap_or_default(), 22);
                        view! {
                            <g class="nametag">
                                <rect x=tag_x - w / 2.0 y=tag_y width=w height="20" rx="6"></rect>
                                <text x=tag_x y=tag_y + 14.0 text-anchor="middle">
                                    {a.name}
                                </text>
                                <text class="topic" x=tag_x y=tag_y + 34.0 text-anchor="middle">
                                    {topic}
                                </text>
                            </g>
                        }
                    })
            }}
            <g class="free-hint">
                <circle cx=seat_x cy=seat_y - 30.0 r="14"></circle>
                <text x=seat_x y=seat_y - 24.5 text-anchor="middle">"+"</text>
            </g>
            <rect
                class="hit"
                x=fx - 75.0
                y=seat_y - 110.0
                width="150"
                height=fy - seat_y + 160.0
                fill="transparent"
            ></rect>
        </g>
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// A model-dependent prop on the desk: Opus agents have a book, Haiku agents have crayons.
fn desk_prop(model: &str, x: f64, y: f64) -> Option<AnyView> {
    let m = model.to_ascii_lowercase();
    if m.contains("opus") {
        let [t, l, r] = iso_box(x + DESK_W - 0.55, y + 0.3, 0.4, 0.5, DESK_H + 6.0);
        return Some(
            view! {
                <g class="book">
                    <polygon points=l fill="#8e3b46"></polygon>
                    <polygon points=r fill="#6d2c36"></polygon>
                    <polygon points=t fill="#f4efe3"></polygon>
                </g>
            }
            .into_any(),
        );
    }
    if m.contains("haiku") {
        let lines = ["#e74c3c", "#f1c40f", "#3498db"]
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let o = i as f64 * 0.12;
                let (x1, y1) = up(iso(x + DESK_W - 0.6 + o, y + 0.4), DESK_H + 2.0);
                let (x2, y2) = up(iso(x + DESK_W - 0.6 + o, y + 0.8), DESK_H + 2.0);
                view! {
                    <line x1=x1 y1=y1 x2=x2 y2=y2 stroke=*c stroke-width="3"
                        stroke-linecap="round"></line>
                }
            })
            .collect_view();
        return Some(view! { <g class="crayons">{lines}</g> }.into_any());
    }
    None
}
