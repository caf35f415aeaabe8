//! The one reducer: applies a [`ServerMessage`] to the plain [`State`]. A new server event is
//! one match arm here (and nothing else in the UI has to learn the wire format).

use super::state::{Auth, RESOLVED_KEPT, ResolvedApproval, State, Stream, upsert_entry};
use isomux_protocol::{Agent, AgentId, Approval, FullState, ServerMessage};

/// Apply one server message.
pub fn apply(state: &mut State, msg: ServerMessage) {
    match msg {
        ServerMessage::FullState(full) => full_state(state, *full),
        ServerMessage::AgentAdded { agent } | ServerMessage::AgentUpdated { agent } => {
            upsert_agent(state, *agent);
        }
        ServerMessage::AgentRemoved { agent_id } => remove_agent(state, &agent_id),
        ServerMessage::AgentState {
            agent_id,
            state: new_state,
            error,
        } => {
            if let Some(a) = state.agent_mut(&agent_id) {
                a.state = new_state;
                a.error = error;
            }
        }
        ServerMessage::LogEntry { agent_id, entry } => {
            state.streams.retain(|s| s.entry_id != entry.id);
            if let Some(log) = state.logs.get_mut(&agent_id) {
                upsert_entry(&mut log.entries, entry);
            }
        }
        ServerMessage::LogDelta {
            agent_id,
            entry_id,
            kind,
            delta,
            ..
        } => match state.streams.iter_mut().find(|s| s.entry_id == entry_id) {
            Some(s) => s.text.push_str(&delta),
            None => state.streams.push(Stream {
                agent_id,
                entry_id,
                kind,
                text: delta,
            }),
        },
        ServerMessage::QueueUpdated { agent_id, queue } => {
            if let Some(a) = state.agent_mut(&agent_id) {
                a.queue = queue;
            }
        }
        ServerMessage::ApprovalRequested {
            agent_id,
            approval_id,
            tool,
            input,
            summary,
            created_at,
        } => {
            if let Some(a) = state.agent_mut(&agent_id)
                && !a
                    .pending_approvals
                    .iter()
                    .any(|p| p.approval_id == approval_id)
            {
                a.pending_approvals.push(Approval {
                    approval_id,
                    agent_id,
                    tool,
                    input,
                    summary,
                    created_at,
                });
            }
        }
        ServerMessage::ApprovalResolved {
            agent_id,
            approval_id,
            allow,
            by,
        } => {
            let mut seen = None;
            if let Some(a) = state.agent_mut(&agent_id)
                && let Some(i) = a
                    .pending_approvals
                    .iter()
                    .position(|p| p.approval_id == approval_id)
            {
                seen = Some(a.pending_approvals.remove(i));
            }
            if state.agent(&agent_id).is_some()
                && !state.resolved.iter().any(|r| r.approval_id == approval_id)
            {
                let (tool, summary) = seen.map(|p| (p.tool, p.summary)).unwrap_or_default();
                state.resolved.push(ResolvedApproval {
                    agent_id: agent_id.clone(),
                    approval_id,
                    tool,
                    summary,
                    allow,
                    by,
                });
                let mine = state
                    .resolved
                    .iter()
                    .filter(|r| r.agent_id == agent_id)
                    .count();
                if mine > RESOLVED_KEPT
                    && let Some(i) = state.resolved.iter().position(|r| r.agent_id == agent_id)
                {
                    state.resolved.remove(i);
                }
            }
        }
        ServerMessage::TaskUpserted { task } => {
            match state.tasks.iter_mut().find(|t| t.id == task.id) {
                Some(t) => *t = task,
                None => state.tasks.push(task),
            }
        }
        ServerMessage::TaskDeleted { task_id } => state.tasks.retain(|t| t.id != task_id),
        ServerMessage::RoomAdded { room } | ServerMessage::RoomUpdated { room } => {
            match state.rooms.iter_mut().find(|r| r.id == room.id) {
                Some(r) => *r = room,
                None => state.rooms.push(room),
            }
            state.rooms.sort_by_key(|r| r.position);
            state.fix_current_room();
        }
        ServerMessage::RoomRemoved { room_id } => {
            state.rooms.retain(|r| r.id != room_id);
            state.fix_current_room();
        }
        ServerMessage::OfficeUpdated { office } => state.office = office,
        ServerMessage::PresenceList { presence } => state.presence = presence,
        ServerMessage::Attention { agent_id, .. } => {
            if state.focused.as_ref() != Some(&agent_id) && state.agent(&agent_id).is_some() {
                state.attention.insert(agent_id);
            }
        }
        ServerMessage::UsageUpdated { agent_id, usage } => {
            if let Some(a) = state.agent_mut(&agent_id) {
                a.usage = usage;
            }
        }
        ServerMessage::SessionExpired => state.auth = Auth::SignedOut,
        ServerMessage::Pong | ServerMessage::Unknown => {}
    }
}

/// Replace everything the server owns; keep local state that still makes sense.
fn full_state(state: &mut State, full: FullState) {
    state.auth = Auth::SignedIn;
    state.office = full.office;
    state.rooms = full.rooms;
    state.rooms.sort_by_key(|r| r.position);
    state.agents = full.agents;
    state.tasks = full.tasks;
    state.presence = full.presence;
    state.me = Some(full.me);
    state.backends = full.backends;
    state.version = full.version;
    // Deltas may have been missed while disconnected: drop partial text and refetch open logs.
    state.streams.clear();
    let agents = &state.agents;
    state.logs.retain(|id, log| {
        let keep = agents.iter().find(|a| &a.id == id).is_some_and(|a| {
            log.entries
                .iter()
                .all(|e| e.conversation_id == a.conversation_id)
        });
        log.loaded = false;
        keep
    });
    state
        .attention
        .retain(|id| agents.iter().any(|a| &a.id == id));
    state
        .resolved
        .retain(|r| agents.iter().any(|a| a.id == r.agent_id));
    if let Some(f) = &state.focused
        && !agents.iter().any(|a| &a.id == f)
    {
        state.focused = None;
    }
    state.fix_current_room();
}

fn upsert_agent(state: &mut State, agent: Agent) {
    let Some(i) = state.agents.iter().position(|a| a.id == agent.id) else {
        state.agents.push(agent);
        return;
    };
    if state.agents[i].conversation_id != agent.conversation_id {
        // A new or resumed conversation: the loaded page belongs to the old one.
        if let Some(log) = state.logs.get_mut(&agent.id) {
            *log = Default::default();
        }
        state.streams.retain(|s| s.agent_id != agent.id);
    }
    state.agents[i] = agent;
}

fn remove_agent(state: &mut State, id: &AgentId) {
    state.agents.retain(|a| &a.id != id);
    state.logs.remove(id);
    state.streams.retain(|s| &s.agent_id != id);
    state.attention.remove(id);
    state.resolved.retain(|r| &r.agent_id != id);
    if state.focused.as_ref() == Some(id) {
        state.focused = None;
    }
}
