//! The agents list shown under the room on phones (`mobile.css` hides it on wider screens):
//! one row per agent of the current room, then the agents of other rooms that need a human.
//! A row has a mini character, the name, a state label, the topic and, while the agent needs
//! you, the attention pulse; those rows come first. A tap opens the chat. The last row adds an
//! agent at the first free desk (the spawn dialog).

use super::character::figure;
use crate::store::{State, use_store};
use isomux_protocol::{Agent, AgentId, AgentState, Look};
use leptos::prelude::*;

/// The state as the list says it.
pub fn state_label(state: AgentState) -> &'static str {
    match state {
        AgentState::Idle => "idle",
        AgentState::Thinking => "thinking",
        AgentState::Tool => "using a tool",
        AgentState::WaitingInput => "needs input",
        AgentState::WaitingApproval => "needs approval",
        AgentState::Sleeping => "sleeping",
        AgentState::Error => "error",
    }
}

/// An agent needs a human: it asks a question or an approval, or it finished (or failed)
/// while nobody looked.
pub fn needs_you(state: &State, agent: &Agent) -> bool {
    matches!(
        agent.state,
        AgentState::WaitingInput | AgentState::WaitingApproval
    ) || state.attention.contains(&agent.id)
}

/// What one row shows.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    id: AgentId,
    name: String,
    look: Look,
    state: AgentState,
    topic: String,
    needs: bool,
    /// The room's name, for rows of other rooms.
    room: Option<String>,
}

impl Row {
    fn new(s: &State, a: &Agent, room: Option<String>) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            look: a.look.clone(),
            state: a.state,
            topic: a.topic.clone().unwrap_or_default(),
            needs: needs_you(s, a),
            room,
        }
    }
}

/// The rows of the current room ("needs you" first, then by desk), the rows of other rooms'
/// agents that need you, and the first free desk of the current room.
fn rows(s: &State) -> (Vec<Row>, Vec<Row>, Option<u8>) {
    let Some(room) = s.current_room.as_ref() else {
        return (Vec::new(), Vec::new(), None);
    };
    let mut here: Vec<&Agent> = s.agents.iter().filter(|a| &a.room_id == room).collect();
    here.sort_by_key(|a| (!needs_you(s, a), a.desk));
    let here = here.into_iter().map(|a| Row::new(s, a, None)).collect();
    let elsewhere = s
        .rooms
        .iter()
        .filter(|r| &r.id != room)
        .flat_map(|r| {
            let mut agents: Vec<&Agent> = s
                .agents
                .iter()
                .filter(|a| a.room_id == r.id && needs_you(s, a))
                .collect();
            agents.sort_by_key(|a| a.desk);
            agents
                .into_iter()
                .map(|a| Row::new(s, a, Some(r.name.clone())))
        })
        .collect();
    let free = (1..=8).find(|d| s.agent_at(room, *d).is_none());
    (here, elsewhere, free)
}

/// The list; `on_add` gets the desk for the spawn dialog.
#[component]
pub fn AgentList(on_add: Callback<u8>) -> impl IntoView {
    let store = use_store();
    let data = Memo::new(move |_| store.state.with(rows));
    view! {
        <section class="agent-list" aria-label="Agents">
            <ul class="agent-rows" id="agent-rows">
                {move || data.with(|(here, _, _)| here.iter().cloned().map(row_view).collect_view())}
                {move || {
                    data.with(|(_, _, free)| *free)
                        .map(|desk| {
                            view! {
                                <li>
                                    <button
                                        class="agent-row agent-add"
                                        id="agent-add"
                                        data-desk=desk.to_string()
                                        on:click=move |_| on_add.run(desk)
                                    >
                                        <span class="agent-mini add-mini" aria-hidden="true">"+"</span>
                                        <span class="agent-row-text">
                                            <span class="agent-row-name">"Add agent"</span>
                                            <span class="agent-row-topic">
                                                {format!("at desk {desk}")}
                                            </span>
                                        </span>
                                    </button>
                                </li>
                            }
                        })
                }}
            </ul>
            {move || {
                data.with(|(_, elsewhere, _)| {
                    (!elsewhere.is_empty())
                        .then(|| {
                            view! {
                                <h2 class="agent-list-title">"Needs you in other rooms"</h2>
                                <ul class="agent-rows" id="agent-rows-elsewhere">
                                    {elsewhere.iter().cloned().map(row_view).collect_view()}
                                </ul>
                            }
                        })
                })
            }}
        </section>
    }
}

fn row_view(row: Row) -> impl IntoView {
    let store = use_store();
    let Row {
        id,
        name,
        look,
        state,
        topic,
        needs,
        room,
    } = row;
    let open = id.clone();
    let label = state_label(state);
    let aria = format!("{name}: {label}");
    view! {
        <li>
            <button
                class="agent-row"
                class:attention=needs
                data-agent-id=id.to_string()
                data-state=state.as_str()
                aria-label=aria
                on:click=move |_| store.focus(Some(open.clone()))
            >
                <svg class="agent-mini" viewBox="-30 -100 60 110" aria-hidden="true">
                    {figure(look, state, 0.0, 0.0, false)}
                </svg>
                <span class="agent-row-text">
                    <span class="agent-row-name">
                        {name}
                        {room.map(|r| view! { <span class="agent-row-room">{format!(" · {r}")}</span> })}
                    </span>
                    <span class="agent-row-state" class:needs=needs>{label}</span>
                    <span class="agent-row-topic">{topic}</span>
                </span>
            </button>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::{Room, RoomId};
    use serde_json::json;

    fn agent(id: &str, room: &str, desk: u8, state: &str) -> Agent {
        serde_json::from_value(json!({
            "id": id, "name": id, "room_id": room, "desk": desk, "look": {}, "cwd": "/tmp",
            "backend": "demo", "model": "demo-1", "permission_mode": "default",
            "effort": "medium", "prompt": "", "state": state, "conversation_id": "cv_1",
            "queue": [], "pending_approvals": [], "usage": {}, "created_at": 1
        }))
        .expect("valid agent")
    }

    fn room(id: &str, name: &str) -> Room {
        serde_json::from_value(json!({"id": id, "name": name, "position": 0, "prompt": "",
                                      "env": {}}))
        .expect("valid room")
    }

    #[test]
    fn needs_you_rows_come_first_then_other_rooms_then_the_free_desk() {
        let mut s = State {
            rooms: vec![room("rm_1", "Main"), room("rm_2", "Lab")],
            agents: vec![
                agent("a1", "rm_1", 1, "idle"),
                agent("a2", "rm_1", 2, "thinking"),
                agent("a3", "rm_1", 3, "waiting_approval"),
                agent("a5", "rm_1", 5, "idle"),
                agent("b1", "rm_2", 1, "idle"),
                agent("b2", "rm_2", 2, "waiting_input"),
            ],
            current_room: Some(RoomId::from("rm_1")),
            ..State::default()
        };
        s.attention.insert(AgentId::from("a5"));
        let (here, elsewhere, free) = rows(&s);
        let ids: Vec<&str> = here.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a3", "a5", "a1", "a2"]);
        assert_eq!(
            here.iter().map(|r| r.needs).collect::<Vec<_>>(),
            [true, true, false, false]
        );
        assert_eq!(state_label(here[0].state), "needs approval");
        assert_eq!(state_label(here[3].state), "thinking");
        assert_eq!(elsewhere.len(), 1);
        assert_eq!(elsewhere[0].id.as_str(), "b2");
        assert_eq!(elsewhere[0].room.as_deref(), Some("Lab"));
        assert_eq!(free, Some(4));

        s.current_room = None;
        assert_eq!(rows(&s), (Vec::new(), Vec::new(), None));
    }
}
