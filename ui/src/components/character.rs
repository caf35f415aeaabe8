//! An agent as a little SVG character sitting at its desk: coloured by its `look` (hair style
//! and colour, skin, outfit, accessory), animated by its state (CSS keyframes on the classes set
//! here), with a state badge. Also the live preview of the spawn dialog. Pure drawing: the desk
//! around it handles clicks.

use isomux_protocol::{Agent, AgentState, Look};
use leptos::prelude::*;

/// A CSS colour for a look value: hex and common colour names pass through, anything else
/// (a style name such as "hoodie") gets a stable colour derived from the text.
pub fn color(value: &str, fallback: &'static str) -> String {
    const NAMED: &[&str] = &[
        "black",
        "white",
        "gray",
        "grey",
        "silver",
        "red",
        "maroon",
        "orange",
        "gold",
        "yellow",
        "olive",
        "lime",
        "green",
        "teal",
        "cyan",
        "aqua",
        "blue",
        "navy",
        "purple",
        "violet",
        "magenta",
        "pink",
        "brown",
        "tan",
        "beige",
        "coral",
        "salmon",
        "crimson",
        "indigo",
        "chocolate",
        "sienna",
        "peru",
        "khaki",
        "plum",
        "orchid",
        "turquoise",
        "slategray",
        "darkslategray",
        "steelblue",
        "skyblue",
        "royalblue",
        "seagreen",
        "forestgreen",
        "firebrick",
        "tomato",
        "wheat",
        "blond",
        "auburn",
        "platinum",
    ];
    let v = value.trim();
    if v.is_empty() {
        return fallback.to_owned();
    }
    let lower = v.to_ascii_lowercase();
    match lower.as_str() {
        "blond" | "blonde" => return "#e8c872".to_owned(),
        "auburn" => return "#922724".to_owned(),
        "platinum" => return "#e5e4e2".to_owned(),
        _ => {}
    }
    let is_hex = v.starts_with('#')
        && matches!(v.len(), 4 | 7)
        && v[1..].chars().all(|c| c.is_ascii_hexdigit());
    if is_hex || NAMED.contains(&lower.as_str()) {
        return v.to_owned();
    }
    let hash = v.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    format!("hsl({}, 55%, 55%)", hash % 360)
}

/// Label and colour of a state badge.
pub fn badge(state: AgentState) -> (&'static str, &'static str) {
    match state {
        AgentState::Idle => ("idle", "#7cb987"),
        AgentState::Thinking => ("thinking…", "#6c8ef5"),
        AgentState::Tool => ("working…", "#b07cf5"),
        AgentState::WaitingInput => ("has a question", "#f5a623"),
        AgentState::WaitingApproval => ("needs approval", "#f5a623"),
        AgentState::Error => ("error", "#e05555"),
        AgentState::Sleeping => ("zzz", "#9aa3b5"),
    }
}

/// The character of `agent`, drawn with its seat at (`x`, `y`) in scene pixels.
#[component]
pub fn Character(agent: Agent, x: f64, y: f64, attention: bool) -> impl IntoView {
    figure(agent.look, agent.state, x, y, attention)
}

/// A live preview of `look` (the spawn dialog): the idle character in its own small SVG.
#[component]
pub fn LookPreview(#[prop(into)] look: Signal<Look>) -> impl IntoView {
    view! {
        <svg id="spawn-preview" class="look-preview" viewBox="-44 -104 88 116" role="img"
            aria-label="Preview of the new agent">
            <ellipse class="preview-floor" cx="0" cy="6" rx="34" ry="8"></ellipse>
            {move || figure(look.get(), AgentState::Idle, 0.0, 0.0, false)}
        </svg>
    }
}

/// The drawing behind [`Character`] and [`LookPreview`]. The outer group carries the state as
/// a class (`state-thinking`, …) so CSS keyframes animate its parts, and the look as data
/// attributes (tests and styles read them).
pub fn figure(
    look: Look,
    state: AgentState,
    x: f64,
    y: f64,
    attention: bool,
) -> impl IntoView + use<> {
    let skin = color(&look.skin, "#f1c27d");
    let hair_fill = color(&look.hair_color, "#4a3728");
    let outfit = color(&look.outfit, "#5b7bd5");
    let hair = look.hair.to_ascii_lowercase();
    let accessory = look.accessory.to_ascii_lowercase();
    let (badge_text, badge_color) = badge(state);
    let badge_w = 14.0 + 6.2 * badge_text.chars().count() as f64;
    let head_y = y - 62.0;
    let raised = matches!(
        state,
        AgentState::WaitingInput | AgentState::WaitingApproval
    );
    let eyes = match state {
        AgentState::Sleeping => view! {
            <g class="eyes closed" stroke="#333" stroke-width="1.6" stroke-linecap="round">
                <line x1=x - 7.0 y1=head_y + 1.0 x2=x - 3.0 y2=head_y + 1.0></line>
                <line x1=x + 3.0 y1=head_y + 1.0 x2=x + 7.0 y2=head_y + 1.0></line>
            </g>
        }
        .into_any(),
        AgentState::Error => view! {
            <g class="eyes crossed" stroke="#333" stroke-width="1.5" stroke-linecap="round">
                <path d=format!("M{} {} l4 4 m0 -4 l-4 4", x - 7.0, head_y - 2.0)></path>
                <path d=format!("M{} {} l4 4 m0 -4 l-4 4", x + 3.0, head_y - 2.0)></path>
            </g>
        }
        .into_any(),
        _ => view! {
            <g class="eyes" fill="#2b2b2b">
                <circle cx=x - 4.5 cy=head_y r="2"></circle>
                <circle cx=x + 4.5 cy=head_y r="2"></circle>
            </g>
        }
        .into_any(),
    };
    let mouth = match state {
        AgentState::Sleeping => format!("M{} {} a2 2 0 1 0 0.1 0", x, head_y + 7.0),
        AgentState::Error => format!("M{} {} q4 -3 8 0", x - 4.0, head_y + 8.0),
        _ => format!("M{} {} q4 3 8 0", x - 4.0, head_y + 6.0),
    };
    let class = format!("character state-{}", state.as_str());
    view! {
        <g
            class=class
            class:busy=state.is_busy()
            class:asleep=state == AgentState::Sleeping
            data-state=state.as_str()
            data-hair=look.hair.clone()
            data-hair-color=look.hair_color.clone()
            data-skin=look.skin.clone()
            data-outfit=look.outfit.clone()
            data-accessory=look.accessory
        >
            <g class="body">
                // Hair behind the head (long styles).
                {(hair == "long" || hair == "ponytail")
                    .then(|| {
                        view! {
                            <rect class="hair-back" x=x - 15.0 y=head_y - 12.0 width="30"
                                height="34" rx="12" fill=hair_fill.clone()></rect>
                        }
                    })}
                // Torso and arms; a raised hand asks for a human.
                <rect class="torso" x=x - 16.0 y=y - 48.0 width="32" height="56" rx="10"
                    fill=outfit.clone()></rect>
                <g class="arm arm-left">
                    <rect x=x - 21.0 y=y - 40.0 width="8" height="34" rx="4" fill=outfit.clone()></rect>
                </g>
                {if raised {
                    view! {
                        <g class="arm arm-raised">
                            <rect x=x + 14.0 y=head_y - 30.0 width="8" height="44" rx="4"
                                fill=outfit></rect>
                            <circle cx=x + 18.0 cy=head_y - 31.0 r="5" fill=skin.clone()></circle>
                        </g>
                    }
                    .into_any()
                } else {
                    view! {
                        <g class="arm arm-right">
                            <rect x=x + 13.0 y=y - 40.0 width="8" height="34" rx="4"
                                fill=outfit></rect>
                        </g>
                    }
                    .into_any()
                }}
                <g class="head">
                    <circle cx=x cy=head_y r="13" fill=skin></circle>
                    {hair_top(&hair, x, head_y, &hair_fill)}
                    {eyes}
                    <path class="mouth" d=mouth stroke="#8a4b3a" stroke-width="1.4" fill="none"
                        stroke-linecap="round"></path>
                    {accessory_view(&accessory, x, head_y)}
                </g>
            </g>
            {state_overlay(state, x, head_y)}
            {attention
                .then(|| {
                    view! {
                        <circle class="attention-ring" cx=x cy=head_y r="22" fill="none"
                            stroke="#f5a623" stroke-width="3"></circle>
                    }
                })}
            <g class="state-badge" data-state=state.as_str()>
                <rect x=x + 17.0 y=head_y - 24.0 width=badge_w height="17" rx="8.5"
                    fill=badge_color></rect>
                <text x=x + 17.0 + badge_w / 2.0 y=head_y - 12.0 text-anchor="middle"
                    class="badge-text">
                    {badge_text}
                </text>
            </g>
        </g>
    }
}

/// What floats around the character in each state (thought bubble, gear, Zzz, …).
fn state_overlay(state: AgentState, x: f64, head_y: f64) -> AnyView {
    match state {
        AgentState::Thinking => view! {
            <g class="overlay thought">
                <circle class="dot" cx=x - 22.0 cy=head_y - 16.0 r="3"></circle>
                <circle class="dot" cx=x - 29.0 cy=head_y - 25.0 r="4"></circle>
                <circle class="dot" cx=x - 38.0 cy=head_y - 36.0 r="5.5"></circle>
            </g>
        }
        .into_any(),
        AgentState::Tool => view! {
            <g class="overlay tool-gear">
                <g class="gear">
                    <circle cx=x - 30.0 cy=head_y - 22.0 r="7" fill="none" stroke="#b07cf5"
                        stroke-width="4" stroke-dasharray="3 2.5"></circle>
                    <circle cx=x - 30.0 cy=head_y - 22.0 r="3" fill="#b07cf5"></circle>
                </g>
            </g>
        }
        .into_any(),
        AgentState::WaitingInput => view! {
            <g class="overlay question">
                <circle cx=x - 26.0 cy=head_y - 22.0 r="10"></circle>
                <text x=x - 26.0 y=head_y - 17.5 text-anchor="middle">"?"</text>
            </g>
        }
        .into_any(),
        AgentState::WaitingApproval => view! {
            <g class="overlay approval-sign">
                <rect x=x - 37.0 y=head_y - 33.0 width="22" height="22" rx="4"></rect>
                <text x=x - 26.0 y=head_y - 16.5 text-anchor="middle">"!"</text>
            </g>
        }
        .into_any(),
        AgentState::Sleeping => view! {
            <g class="overlay zzz">
                <text class="z z1" x=x + 14.0 y=head_y - 14.0>"z"</text>
                <text class="z z2" x=x + 22.0 y=head_y - 24.0>"z"</text>
                <text class="z z3" x=x + 31.0 y=head_y - 36.0>"Z"</text>
            </g>
        }
        .into_any(),
        AgentState::Error => view! {
            <g class="overlay error-cloud">
                <circle cx=x - 24.0 cy=head_y - 20.0 r="7"></circle>
                <circle cx=x - 32.0 cy=head_y - 26.0 r="6"></circle>
                <circle cx=x - 18.0 cy=head_y - 28.0 r="5"></circle>
            </g>
        }
        .into_any(),
        AgentState::Idle => ().into_any(),
    }
}

fn hair_top(style: &str, x: f64, head_y: f64, fill: &str) -> impl IntoView + use<> {
    let fill = fill.to_owned();
    let d = match style {
        "bald" | "none" => return None,
        "bun" => format!(
            "M{l} {y} a13 13 0 0 1 26 0 q-13 -6 -26 0 z M{bx} {by} a6 6 0 1 1 0.1 0 z",
            l = x - 13.0,
            y = head_y - 1.0,
            bx = x,
            by = head_y - 10.0
        ),
        "spiky" => format!(
            "M{l} {y} l3 -12 l4 7 l4 -10 l4 9 l4 -10 l4 8 l3 8 z",
            l = x - 13.0,
            y = head_y - 3.0
        ),
        "curly" => format!(
            "M{l} {y} a5 5 0 0 1 6 -9 a6 6 0 0 1 10 -2 a6 6 0 0 1 10 4 a5 5 0 0 1 2 8 z",
            l = x - 14.0,
            y = head_y - 2.0
        ),
        "mohawk" => format!(
            "M{l} {y} l1 -9 l2 4 l1 -7 l2 5 l1 -7 l2 6 l1 7 z",
            l = x - 5.0,
            y = head_y - 10.0
        ),
        _ => format!(
            "M{l} {y} a13.5 13.5 0 0 1 27 0 q-8 -5 -15 -3 q-6 1 -12 3 z",
            l = x - 13.5,
            y = head_y - 1.0
        ),
    };
    Some(view! { <path class=format!("hair hair-{style}") d=d fill=fill></path> })
}

fn accessory_view(accessory: &str, x: f64, head_y: f64) -> Option<AnyView> {
    let a = accessory;
    let v = if a.contains("sunglasses") {
        view! {
            <g class="acc acc-sunglasses" fill="#111">
                <rect x=x - 9.0 y=head_y - 3.0 width="8" height="5.5" rx="2"></rect>
                <rect x=x + 1.0 y=head_y - 3.0 width="8" height="5.5" rx="2"></rect>
                <line x1=x - 1.0 y1=head_y - 1.0 x2=x + 1.0 y2=head_y - 1.0 stroke="#111"
                    stroke-width="1.2"></line>
            </g>
        }
        .into_any()
    } else if a.contains("glasses") {
        view! {
            <g class="acc acc-glasses" fill="none" stroke="#222" stroke-width="1.3">
                <circle cx=x - 4.5 cy=head_y r="3.6"></circle>
                <circle cx=x + 4.5 cy=head_y r="3.6"></circle>
                <line x1=x - 0.9 y1=head_y x2=x + 0.9 y2=head_y></line>
            </g>
        }
        .into_any()
    } else if a.contains("headphone") {
        view! {
            <g class="acc acc-headphones">
                <path d=format!("M{} {} a15 15 0 0 1 30 0", x - 15.0, head_y) fill="none"
                    stroke="#6c7bd9" stroke-width="3"></path>
                <rect x=x - 18.0 y=head_y - 4.0 width="6" height="10" rx="2" fill="#4b5bd6"></rect>
                <rect x=x + 12.0 y=head_y - 4.0 width="6" height="10" rx="2" fill="#4b5bd6"></rect>
            </g>
        }
        .into_any()
    } else if a.contains("beanie") {
        view! {
            <g class="acc acc-beanie" fill="#2e8b57">
                <path d=format!("M{} {} a14 13 0 0 1 28 0 z", x - 14.0, head_y - 3.0)></path>
                <rect x=x - 14.5 y=head_y - 6.0 width="29" height="5" rx="2.5" fill="#246b44"></rect>
                <circle cx=x cy=head_y - 17.0 r="3.5" fill="#f4f1de"></circle>
            </g>
        }
        .into_any()
    } else if a.contains("hat") || a.contains("cap") {
        view! {
            <g class="acc acc-cap" fill="#c0392b">
                <path d=format!("M{} {} a13 11 0 0 1 26 0 z", x - 13.0, head_y - 5.0)></path>
                <rect x=x - 2.0 y=head_y - 8.0 width="20" height="4" rx="2"></rect>
            </g>
        }
        .into_any()
    } else if a.contains("bow") {
        view! {
            <g class="acc acc-bow" fill="#e84393">
                <path d=format!("M{} {} l-7 -5 l0 10 z M{} {} l7 -5 l0 10 z", x + 8.0, head_y - 11.0,
                    x + 8.0, head_y - 11.0)></path>
                <circle cx=x + 8.0 cy=head_y - 11.0 r="2.2"></circle>
            </g>
        }
        .into_any()
    } else {
        return None;
    };
    Some(v)
}
