//! The current room drawn in code as an isometric SVG: floor tiles, two walls with their
//! controls (`wall.rs`: corkboard, office sign, clock, window, doors) and eight desks with
//! chairs and monitors. An occupied desk shows its agent, name tag, topic and a model prop
//! (click: open the chat); an empty one is a button that opens the spawn dialog for that desk.

use super::character::Character;
use super::geometry::{iso, iso_box, points, up};
use super::ghosts::OfficeGhosts;
use super::wall::{Corkboard, Doors, OfficeSign, RoomPlaque, WallClock, Window, ellipsis};
use crate::look::{Prop, prop_for};
use crate::store::use_store;
use isomux_protocol::BackendKind;
use leptos::prelude::*;

const FLOOR_W: f64 = 12.0;
const FLOOR_D: f64 = 12.0;
const WALL_H: f64 = 130.0;
const DESK_W: f64 = 1.9;
const DESK_D: f64 = 1.0;
const DESK_H: f64 = 24.0;

/// Floor position of a desk's back-left corner. Desks stand in two rows that run across the
/// screen (constant `x + y`): back row 1–4, front row 5–8, left to right.
pub(crate) fn desk_origin(desk: u8) -> (f64, f64) {
    let i = f64::from(desk.saturating_sub(1));
    let (col, row) = (i % 4.0, (i / 4.0).floor());
    let depth = 8.1 + row * 8.5; // x + y of the desk's centre
    let across = (col - 1.5) * 3.3; // x - y of the desk's centre
    let (cx, cy) = ((depth + across) / 2.0, (depth - across) / 2.0);
    (cx - DESK_W / 2.0, cy - DESK_D / 2.0)
}

/// The room scene. `on_empty` gets the desk number of a clicked free desk; `on_sign` and
/// `on_corkboard` open the office prompt editor and the task board.
#[component]
pub fn OfficeScene(
    on_empty: Callback<u8>,
    on_sign: Callback<()>,
    on_corkboard: Callback<()>,
) -> impl IntoView {
    let mut desks: Vec<u8> = (1..=8).collect();
    // Painter's order: far desks first.
    desks.sort_by_key(|d| {
        let (x, y) = desk_origin(*d);
        ((x + y) * 100.0) as i64
    });
    view! {
        <svg class="scene" viewBox=super::phone::scene_view_box() role="img" aria-label="The office room">
            <RoomShell />
            <Corkboard on_open=on_corkboard />
            <WallClock />
            <Window />
            <OfficeSign on_open=on_sign />
            <RoomPlaque />
            <Doors />
            <Plant />
            {desks.into_iter().map(|desk| view! { <Desk desk on_empty /> }).collect_view()}
            <OfficeGhosts />
        </svg>
    }
}

/// Floor (tiles), walls with a skirting board.
#[component]
fn RoomShell() -> impl IntoView {
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
    let skirting = [
        points(&[
            corners[0],
            corners[1],
            up(corners[1], 6.0),
            up(corners[0], 6.0),
        ]),
        points(&[
            corners[0],
            corners[3],
            up(corners[3], 6.0),
            up(corners[0], 6.0),
        ]),
    ];
    // Checkered tiles: every other square slightly darker.
    let tiles = (0..FLOOR_W as u32)
        .flat_map(|i| (0..FLOOR_D as u32).map(move |j| (i, j)))
        .filter(|(i, j)| (i + j) % 2 == 1)
        .map(|(i, j)| {
            let (i, j) = (f64::from(i), f64::from(j));
            let p = points(&[
                iso(i, j),
                iso(i + 1.0, j),
                iso(i + 1.0, j + 1.0),
                iso(i, j + 1.0),
            ]);
            view! { <polygon class="tile" points=p></polygon> }
        })
        .collect_view();
    let grid = (1..FLOOR_W as u32)
        .map(|i| (iso(f64::from(i), 0.0), iso(f64::from(i), FLOOR_D)))
        .chain((1..FLOOR_D as u32).map(|j| (iso(0.0, f64::from(j)), iso(FLOOR_W, f64::from(j)))))
        .map(|((x1, y1), (x2, y2))| view! { <line x1=x1 y1=y1 x2=x2 y2=y2 class="floor-line"></line> })
        .collect_view();
    view! {
        <polygon class="wall wall-left" points=left_wall></polygon>
        <polygon class="wall wall-right" points=right_wall></polygon>
        <polygon class="skirting" points=skirting[0].clone()></polygon>
        <polygon class="skirting skirting-left" points=skirting[1].clone()></polygon>
        <polygon class="floor" points=floor></polygon>
        {tiles}
        {grid}
    }
}

/// A potted plant in the back corner.
#[component]
fn Plant() -> impl IntoView {
    let [top, left, right] = iso_box(10.9, 0.3, 0.7, 0.7, 26.0);
    let (cx, cy) = up(iso(11.25, 0.65), 26.0);
    view! {
        <g class="plant" aria-hidden="true">
            <polygon class="pot-left" points=left></polygon>
            <polygon class="pot-right" points=right></polygon>
            <polygon class="pot-top" points=top></polygon>
            <ellipse class="leaf" cx=cx - 10.0 cy=cy - 18.0 rx="8" ry="18"
                transform=format!("rotate(-25 {cx} {cy})")></ellipse>
            <ellipse class="leaf" cx=cx + 10.0 cy=cy - 18.0 rx="8" ry="18"
                transform=format!("rotate(25 {cx} {cy})")></ellipse>
            <ellipse class="leaf leaf-mid" cx=cx cy=cy - 26.0 rx="8" ry="22"></ellipse>
        </g>
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
    // The monitor faces the agent (we see its back), on a stand, left of centre so the agent
    // stays visible.
    let lx = x + 0.12;
    let monitor = points(&[
        up(iso(lx, y + 0.3), DESK_H + 9.0),
        up(iso(lx + 0.9, y + 0.3), DESK_H + 9.0),
        up(iso(lx + 0.9, y + 0.3), DESK_H + 31.0),
        up(iso(lx, y + 0.3), DESK_H + 31.0),
    ]);
    let screen_edge = points(&[
        up(iso(lx, y + 0.22), DESK_H + 9.0),
        up(iso(lx + 0.9, y + 0.22), DESK_H + 9.0),
        up(iso(lx + 0.9, y + 0.22), DESK_H + 31.0),
        up(iso(lx, y + 0.22), DESK_H + 31.0),
    ]);
    let [stand, _, _] = iso_box(lx + 0.35, y + 0.3, 0.2, 0.2, DESK_H + 9.0);
    let (sx1, sy1) = up(iso(lx + 0.45, y + 0.4), DESK_H);
    let (kx, ky) = up(iso(x + DESK_W / 2.0 + 0.25, y + 0.2), DESK_H);
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
                        view! {
                            <g class="monitor" class:glow=busy>
                                <line class="monitor-stand" x1=sx1 y1=sy1 x2=sx1 y2=sy1 - 10.0></line>
                                <polygon class="monitor-stand-top" points=stand.clone()></polygon>
                                <polygon class="screen-light" points=screen_edge.clone()></polygon>
                                <polygon class="monitor-back" points=monitor.clone()></polygon>
                                <ellipse class="keyboard" cx=kx cy=ky rx="14" ry="4"></ellipse>
                            </g>
                        }
                    })
            }}
            {move || agent.with(|a| a.as_ref().map(|a| desk_prop(a.backend, &a.model, x, y)))}
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
            // Clickable area: the desk and the character above it, but not the wall controls.
            <rect
                class="hit"
                x=fx - 60.0
                y=seat_y - 92.0
                width="120"
                height=fy - seat_y + 142.0
                fill="transparent"
            ></rect>
        </g>
    }
}

/// The model's prop on the desk (see [`prop_for`]): a big book, crayons, a rubber duck or a mug.
fn desk_prop(backend: BackendKind, model: &str, x: f64, y: f64) -> AnyView {
    let prop = prop_for(backend, model);
    let class = format!("prop prop-{}", prop.as_str());
    let (px, py) = (x + DESK_W - 0.55, y + 0.3);
    let body = match prop {
        Prop::Book => {
            let [t, l, r] = iso_box(px, py, 0.45, 0.6, DESK_H + 8.0);
            let [t2, l2, r2] = iso_box(px + 0.03, py + 0.03, 0.39, 0.54, DESK_H + 9.5);
            view! {
                <polygon points=l fill="#8e3b46"></polygon>
                <polygon points=r fill="#6d2c36"></polygon>
                <polygon points=t fill="#f4efe3"></polygon>
                <polygon points=l2 fill="#f4efe3"></polygon>
                <polygon points=r2 fill="#e8e0cc"></polygon>
                <polygon points=t2 fill="#a8424f"></polygon>
            }
            .into_any()
        }
        Prop::Crayons => ["#e74c3c", "#f1c40f", "#3498db", "#2ecc71"]
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let o = i as f64 * 0.12;
                let (x1, y1) = up(iso(px - 0.05 + o, py + 0.1), DESK_H + 2.0);
                let (x2, y2) = up(iso(px - 0.05 + o, py + 0.55), DESK_H + 2.0);
                view! {
                    <line x1=x1 y1=y1 x2=x2 y2=y2 stroke=*c stroke-width="3.2"
                        stroke-linecap="round"></line>
                }
            })
            .collect_view()
            .into_any(),
        Prop::Duck => {
            let (dx, dy) = up(iso(px + 0.2, py + 0.3), DESK_H);
            view! {
                <ellipse cx=dx cy=dy - 5.0 rx="8" ry="5.5" fill="#ffd93b"></ellipse>
                <circle cx=dx + 4.0 cy=dy - 12.0 r="4.5" fill="#ffd93b"></circle>
                <path d=format!("M{} {} l5 1.5 l-5 1.5 z", dx + 8.0, dy - 13.0) fill="#f39c12"></path>
                <circle cx=dx + 5.5 cy=dy - 13.0 r="0.9" fill="#222"></circle>
            }
            .into_any()
        }
        Prop::Mug => {
            let (mx, my) = up(iso(px + 0.2, py + 0.3), DESK_H);
            view! {
                <rect x=mx - 5.0 y=my - 12.0 width="10" height="12" rx="2" fill="#f4f1de"></rect>
                <path d=format!("M{} {} a3.5 3.5 0 0 1 0 7", mx + 5.0, my - 9.5) fill="none"
                    stroke="#f4f1de" stroke-width="2"></path>
                <ellipse cx=mx cy=my - 12.0 rx="5" ry="1.6" fill="#6b4226"></ellipse>
            }
            .into_any()
        }
    };
    view! { <g class=class>{body}</g> }.into_any()
}
