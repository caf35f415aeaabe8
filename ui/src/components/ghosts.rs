//! Live presence drawn as small ghosts, one per WebSocket connection (so a person with two tabs
//! is two ghosts): in the office scene next to the desk of the agent a person is chatting with,
//! or on the floor by the door for people looking at the room; in a chat header, a row of the
//! other people in the same chat. A ghost is a translucent SVG figure with the person's
//! initials and a tooltip with their name and device. Our own connection is not drawn (the
//! server does not tell a connection its id, so a ghost of ours standing where we look is taken
//! to be us); away ghosts (tab hidden) are fainter.

use isomux_protocol::{AgentId, Me, MemberId, Presence, View};
use leptos::prelude::*;

use super::geometry::{iso, up};
use crate::store::use_store;

/// The ghost body in a 24×28 box: a dome with a wavy hem.
const BODY: &str = "M2 26 V12 A10 10 0 0 1 22 12 V26 L18.5 23 L15 26 L12 23 L9 26 L5.5 23 Z";

/// Up to two initials of a name (`"Mo Salah"` → `"MS"`, `"pam"` → `"P"`).
pub fn initials(name: &str) -> String {
    let s: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if s.is_empty() { "?".into() } else { s }
}

/// The tooltip: `Name`, `Name (Device)`, with `· away` when the tab is hidden.
pub fn tooltip(p: &Presence) -> String {
    let mut t = match p.device.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => format!("{} ({d})", p.name),
        None => p.name.clone(),
    };
    if p.view == View::Away {
        t.push_str(" · away");
    }
    t
}

/// A stable hue per person.
fn hue(member: &MemberId) -> u32 {
    member
        .to_string()
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360
}

/// Whether a ghost is (taken to be) our own connection: ours, at the place we look.
fn is_self(
    p: &Presence,
    me: Option<&MemberId>,
    agent: Option<&AgentId>,
    room: Option<&isomux_protocol::RoomId>,
) -> bool {
    me == Some(&p.member_id)
        && p.view != View::Away
        && p.agent_id.as_ref() == agent
        && (agent.is_some() || p.room_id.as_ref() == room)
}

fn my_member_id(me: &Option<Me>) -> Option<MemberId> {
    match me {
        Some(Me::Human { member_id, .. }) => Some(member_id.clone()),
        _ => None,
    }
}

/// The ghost figure as SVG children (drawn in a 24×28 box at the origin).
fn figure(p: &Presence) -> impl IntoView + use<> {
    let h = hue(&p.member_id);
    view! {
        <path class="ghost-body" d=BODY style:fill=format!("hsl({h} 70% 72%)")></path>
        <circle class="ghost-eye" cx="9" cy="11" r="1.3"></circle>
        <circle class="ghost-eye" cx="15" cy="11" r="1.3"></circle>
        <text class="ghost-initials" x="12" y="21" text-anchor="middle">{initials(&p.name)}</text>
    }
}

/// The other people in `agent_id`'s chat, as a row for the chat header.
#[component]
pub fn ChatGhosts(agent_id: AgentId) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let ghosts = Memo::new(move |_| {
        store.state.with(|s| {
            let me = my_member_id(&s.me);
            agent.with_value(|id| {
                s.presence
                    .iter()
                    .filter(|p| p.agent_id.as_ref() == Some(id) && p.view != View::Office)
                    .filter(|p| !is_self(p, me.as_ref(), Some(id), None))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        })
    });
    view! {
        <div class="ghost-row" aria-label="Also in this chat">
            <For each=move || ghosts.get() key=|p| format!("{p:?}") let:p>
                <span
                    class="ghost"
                    class:away=p.view == View::Away
                    data-member-id=p.member_id.to_string()
                    data-connection-id=p.connection_id.to_string()
                    data-name=p.name.clone()
                    title=tooltip(&p)
                >
                    <svg viewBox="0 0 24 28" width="24" height="28" aria-hidden="true">
                        {figure(&p)}
                    </svg>
                </span>
            </For>
        </div>
    }
}

/// Where a ghost stands in the scene.
fn place(p: &Presence, s: &crate::store::State, room: &isomux_protocol::RoomId) -> Option<Spot> {
    if let Some(agent) = &p.agent_id {
        let a = s.agent(agent)?;
        return (&a.room_id == room).then_some(Spot::Desk(a.desk));
    }
    (p.room_id.as_ref() == Some(room)).then_some(Spot::Floor)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Spot {
    Desk(u8),
    Floor,
}

/// Scene pixel (bottom centre) of the `i`-th ghost at a spot.
fn spot_px(spot: Spot, i: usize) -> (f64, f64) {
    let i = i as f64;
    match spot {
        // Right of the desk, beside the agent's chair, in a line towards the front.
        Spot::Desk(desk) => {
            let (x, y) = super::office_svg::desk_origin(desk);
            up(iso(x + 2.25, y - 0.6 + i * 0.6), 0.0)
        }
        // On the floor by the right-hand wall, a queue forming towards the front.
        Spot::Floor => iso(11.2, 4.0 + i * 0.8),
    }
}

/// Everyone looking at the current room or chatting with one of its agents, drawn in the scene.
#[component]
pub fn OfficeGhosts() -> impl IntoView {
    let store = use_store();
    let ghosts = Memo::new(move |_| {
        store.state.with(|s| {
            let Some(room) = s.current_room.clone() else {
                return Vec::new();
            };
            let me = my_member_id(&s.me);
            let mut placed: Vec<(Spot, Presence)> = s
                .presence
                .iter()
                .filter(|p| !is_self(p, me.as_ref(), s.focused.as_ref(), Some(&room)))
                .filter_map(|p| place(p, s, &room).map(|spot| (spot, p.clone())))
                .collect();
            placed.sort_by_key(|p| p.0);
            let mut out = Vec::new();
            let mut n = 0;
            for (k, (spot, p)) in placed.iter().enumerate() {
                n = if k > 0 && placed[k - 1].0 == *spot {
                    n + 1
                } else {
                    0
                };
                out.push((spot_px(*spot, n), p.clone()));
            }
            out
        })
    });
    view! {
        <g class="ghosts">
            <For each=move || ghosts.get() key=|g| format!("{g:?}") let:g>
                {
                    let ((x, y), p) = g;
                    view! {
                        <g
                            class="ghost"
                            class:away=p.view == View::Away
                            data-member-id=p.member_id.to_string()
                            data-connection-id=p.connection_id.to_string()
                            data-name=p.name.clone()
                            data-agent-id=p.agent_id.as_ref().map(ToString::to_string)
                            transform=format!("translate({:.1} {:.1}) scale(1.2)", x - 14.4, y - 33.6)
                        >
                            <title>{tooltip(&p)}</title>
                            {figure(&p)}
                        </g>
                    }
                }
            </For>
        </g>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_and_tooltips() {
        assert_eq!(initials("Mo Salah"), "MS");
        assert_eq!(initials("pam"), "P");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("ada b. lovelace"), "AB");
        let mut p = Presence {
            connection_id: isomux_protocol::ConnectionId("cn_1".into()),
            member_id: MemberId("mb_1".into()),
            name: "Mo".into(),
            device: Some("Phone".into()),
            room_id: None,
            agent_id: None,
            view: View::Chat,
        };
        assert_eq!(tooltip(&p), "Mo (Phone)");
        p.view = View::Away;
        p.device = None;
        assert_eq!(tooltip(&p), "Mo · away");
    }

    #[test]
    fn our_own_ghost_is_the_one_where_we_look() {
        let me = MemberId("mb_me".into());
        let demo = AgentId("ag_demo".into());
        let room = isomux_protocol::RoomId("rm_1".into());
        let p = Presence {
            connection_id: isomux_protocol::ConnectionId("cn_1".into()),
            member_id: me.clone(),
            name: "Me".into(),
            device: None,
            room_id: Some(room.clone()),
            agent_id: Some(demo.clone()),
            view: View::Chat,
        };
        assert!(is_self(&p, Some(&me), Some(&demo), Some(&room)));
        assert!(!is_self(&p, Some(&me), None, Some(&room)), "my other tab");
        let other = MemberId("mb_other".into());
        assert!(!is_self(&p, Some(&other), Some(&demo), Some(&room)));
    }
}
