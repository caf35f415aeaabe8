//! An agent as a little SVG character sitting at its desk, coloured by its `look`, with a name
//! tag, topic and state badge. Pure drawing: the desk around it handles clicks.

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

/// The character, drawn with its seat at (`x`, `y`) in scene pixels.
#[component]
pub fn Character(agent: Agent, x: f64, y: f64, attention: bool) -> impl IntoView {
    let Look {
        hair,
        hair_color,
        skin,
        outfit,
        accessory,
    } = agent.look;
    let skin = color(&skin, "#f1c27d");
    let hair_fill = color(&hair_color, "#4a3728");
    let outfit = color(&outfit, "#5b7bd5");
    let asleep = agent.state == AgentState::Sleeping;
    let (badge_text, badge_color) = badge(agent.state);
    let badge_w = 14.0 + 6.2 * badge_text.chars().count() as f64;
    let head_y = y - 62.0;
    let eyes = if asleep {
        view! {
            <g stroke="#333" stroke-width="1.6" stroke-linecap="round">
                <line x1=x - 7.0 y1=head_y + 1.0 x2=x - 3.0 y2=head_y + 1.0></line>
                <line x1=x + 3.0 y1=head_y + 1.0 x2=x + 7.0 y2=head_y + 1.0></line>
            </g>
        }
        .into_any()
    } else {
        view! {
            <g class="eyes" fill="#2b2b2b">
                <circle cx=x - 4.5 cy=head_y r="2"></circle>
                <circle cx=x + 4.5 cy=head_y r="2"></circle>
            </g>
        }
        .into_any()
    };
    view! {
        <g class="character" class:busy=agent.state.is_busy() class:asleep=asleep>
            // Hair behind the head (long styles).
            {(hair == "long" || hair == "ponytail")
                .then(|| {
                    view! {
                        <rect x=x - 15.0 y=head_y - 12.0 width="30" height="34" rx="12"
                            fill=hair_fill.clone()></rect>
                    }
                })}
            // Torso and arms.
            <rect x=x - 16.0 y=y - 48.0 width="32" height="56" rx="10" fill=outfit.clone()></rect>
            <rect x=x - 21.0 y=y - 40.0 width="8" height="34" rx="4" fill=outfit.clone()></rect>
            <rect x=x + 13.0 y=y - 40.0 width="8" height="34" rx="4" fill=outfit></rect>
            // Head.
            <circle cx=x cy=head_y r="13" fill=skin></circle>
            {hair_top(&hair, x, head_y, &hair_fill)}
            {eyes}
            <path d=format!("M{} {} q4 3 8 0", x - 4.0, head_y + 6.0) stroke="#8a4b3a"
                stroke-width="1.4" fill="none" stroke-linecap="round"></path>
            {accessory_view(&accessory, x, head_y)}
            // State badge beside the head.
            {attention
                .then(|| {
                    view! {
                        <circle class="attention-ring" cx=x cy=head_y r="22" fill="none"
                            stroke="#f5a623" stroke-width="3"></circle>
                    }
                })}
            <g class="state-badge" data-state=agent.state.as_str()>
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
        _ => format!(
            "M{l} {y} a13.5 13.5 0 0 1 27 0 q-8 -5 -15 -3 q-6 1 -12 3 z",
            l = x - 13.5,
            y = head_y - 1.0
        ),
    };
    Some(view! { <path d=d fill=fill></path> })
}

fn accessory_view(accessory: &str, x: f64, head_y: f64) -> impl IntoView + use<> {
    let a = accessory.to_ascii_lowercase();
    if a.contains("glasses") {
        Some(
            view! {
                <g fill="none" stroke="#222" stroke-width="1.3">
                    <circle cx=x - 4.5 cy=head_y r="3.6"></circle>
                    <circle cx=x + 4.5 cy=head_y r="3.6"></circle>
                    <line x1=x - 0.9 y1=head_y x2=x + 0.9 y2=head_y></line>
                </g>
            }
            .into_any(),
        )
    } else if a.contains("headphone") {
        Some(
            view! {
                <g>
                    <path d=format!("M{} {} a15 15 0 0 1 30 0", x - 15.0, head_y) fill="none"
                        stroke="#6c7bd9" stroke-width="3"></path>
                    <rect x=x - 18.0 y=head_y - 4.0 width="6" height="10" rx="2" fill="#4b5bd6"></rect>
                    <rect x=x + 12.0 y=head_y - 4.0 width="6" height="10" rx="2" fill="#4b5bd6"></rect>
                </g>
            }
            .into_any(),
        )
    } else if a.contains("hat") || a.contains("cap") {
        Some(
            view! {
                <g fill="#c0392b">
                    <path d=format!("M{} {} a13 11 0 0 1 26 0 z", x - 13.0, head_y - 5.0)></path>
                    <rect x=x - 2.0 y=head_y - 8.0 width="20" height="4" rx="2"></rect>
                </g>
            }
            .into_any(),
        )
    } else {
        None
    }
}
