//! What a member limited to some rooms may see: rooms, the agents sitting in them, and every
//! event about those. Pure (no IO): the office filters its answers with it, and each WebSocket
//! connection keeps one to filter the event stream (it learns which room each agent sits in
//! from the snapshot and from `agent_added`/`agent_updated`). Unrestricted callers (owners,
//! members with every room, agents) pass everything through untouched.

use isomux_protocol::{AgentId, FullState, Presence, RoomId, ServerMessage, Task};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// One caller's view.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// `None`: every room.
    rooms: Option<HashSet<RoomId>>,
    /// Where each known agent sits (restricted views only).
    agent_room: HashMap<AgentId, RoomId>,
}

impl Visibility {
    /// A view of `rooms` (`None`: every room).
    pub fn new(rooms: Option<Vec<RoomId>>) -> Self {
        Self {
            rooms: rooms.map(|r| r.into_iter().collect()),
            agent_room: HashMap::new(),
        }
    }

    /// Sees everything.
    pub fn is_unrestricted(&self) -> bool {
        self.rooms.is_none()
    }

    /// Whether the same rooms are visible as with `rooms`.
    pub fn same_rooms(&self, rooms: &Option<Vec<RoomId>>) -> bool {
        match (&self.rooms, rooms) {
            (None, None) => true,
            (Some(a), Some(b)) => *a == b.iter().cloned().collect::<HashSet<_>>(),
            _ => false,
        }
    }

    pub fn room_visible(&self, room: &RoomId) -> bool {
        self.rooms.as_ref().is_none_or(|r| r.contains(room))
    }

    /// A task is visible unless it is assigned to an agent the caller may not see.
    pub fn task_visible(&self, task: &Task) -> bool {
        task.assignee.as_ref().is_none_or(|a| self.agent_visible(a))
    }

    /// A ghost is visible when the room it stands in and the agent it is chatting with are.
    pub fn presence_visible(&self, p: &Presence) -> bool {
        p.room_id.as_ref().is_none_or(|r| self.room_visible(r))
            && p.agent_id.as_ref().is_none_or(|a| self.agent_visible(a))
    }

    /// Learns where an agent sits (for answers given outside the event stream).
    pub fn learn(&mut self, agent: &AgentId, room: &RoomId) {
        if self.rooms.is_some() {
            self.agent_room.insert(agent.clone(), room.clone());
        }
    }

    fn agent_visible(&self, agent: &AgentId) -> bool {
        self.rooms.is_none()
            || self
                .agent_room
                .get(agent)
                .is_some_and(|r| self.room_visible(r))
    }

    /// The snapshot as this caller may see it (and learns where every agent sits).
    pub fn filter_state(&mut self, mut s: FullState) -> FullState {
        if self.rooms.is_none() {
            return s;
        }
        for a in &s.agents {
            self.agent_room.insert(a.id.clone(), a.room_id.clone());
        }
        s.rooms.retain(|r| self.room_visible(&r.id));
        s.agents.retain(|a| self.room_visible(&a.room_id));
        s.presence.retain(|p| self.presence_visible(p));
        s.tasks.retain(|t| self.task_visible(t));
        s
    }

    /// The event as this caller may see it; `None`: not for them. An agent moved into a
    /// visible room arrives as `agent_added`, one moved out as `agent_removed`.
    pub fn filter_event<'a>(&mut self, msg: &'a ServerMessage) -> Option<Cow<'a, ServerMessage>> {
        use ServerMessage as M;
        if self.rooms.is_none() {
            return Some(Cow::Borrowed(msg));
        }
        let keep = match msg {
            M::FullState(s) => {
                return Some(Cow::Owned(M::FullState(Box::new(
                    self.filter_state((**s).clone()),
                ))));
            }
            M::AgentAdded { agent } => {
                self.agent_room
                    .insert(agent.id.clone(), agent.room_id.clone());
                self.room_visible(&agent.room_id)
            }
            M::AgentUpdated { agent } => {
                let was = self.agent_visible(&agent.id);
                self.agent_room
                    .insert(agent.id.clone(), agent.room_id.clone());
                let is = self.room_visible(&agent.room_id);
                return match (was, is) {
                    (true, true) => Some(Cow::Borrowed(msg)),
                    (false, true) => Some(Cow::Owned(M::AgentAdded {
                        agent: agent.clone(),
                    })),
                    (true, false) => Some(Cow::Owned(M::AgentRemoved {
                        agent_id: agent.id.clone(),
                    })),
                    (false, false) => None,
                };
            }
            M::AgentRemoved { agent_id } => {
                let was = self.agent_visible(agent_id);
                self.agent_room.remove(agent_id);
                was
            }
            M::AgentState { agent_id, .. }
            | M::LogEntry { agent_id, .. }
            | M::LogDelta { agent_id, .. }
            | M::QueueUpdated { agent_id, .. }
            | M::ApprovalRequested { agent_id, .. }
            | M::ApprovalResolved { agent_id, .. }
            | M::Attention { agent_id, .. }
            | M::UsageUpdated { agent_id, .. } => self.agent_visible(agent_id),
            M::RoomAdded { room } | M::RoomUpdated { room } => self.room_visible(&room.id),
            M::RoomRemoved { room_id } => self.room_visible(room_id),
            M::PresenceList { presence } => {
                let mut presence = presence.clone();
                presence.retain(|p| self.presence_visible(p));
                return Some(Cow::Owned(M::PresenceList { presence }));
            }
            // Assigned to a hidden agent: gone from this caller's board.
            M::TaskUpserted { task } if !self.task_visible(task) => {
                return Some(Cow::Owned(M::TaskDeleted {
                    task_id: task.id.clone(),
                }));
            }
            M::TaskUpserted { .. }
            | M::TaskDeleted { .. }
            | M::OfficeUpdated { .. }
            | M::SessionExpired
            | M::Pong
            | M::Unknown => true,
        };
        keep.then_some(Cow::Borrowed(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::{Agent, AgentState, Look, Usage};
    use serde_json::json;

    fn agent(id: &str, room: &str) -> Box<Agent> {
        Box::new(
            serde_json::from_value(json!({
                "id": id, "name": id, "room_id": room, "desk": 1,
                "look": serde_json::to_value(Look::default()).unwrap(),
                "cwd": "/", "backend": "demo", "model": "m", "permission_mode": "default",
                "effort": "medium", "prompt": "", "state": "idle", "conversation_id": "cv_1",
                "queue": [], "pending_approvals": [],
                "usage": serde_json::to_value(Usage::default()).unwrap(), "created_at": 0
            }))
            .unwrap(),
        )
    }

    fn state_of(id: &str) -> ServerMessage {
        ServerMessage::AgentState {
            agent_id: AgentId(id.into()),
            state: AgentState::Thinking,
            error: None,
        }
    }

    #[test]
    fn restricted_views_see_only_their_rooms_and_moves_become_adds_and_removes() {
        let mut v = Visibility::new(Some(vec![RoomId("rm_a".into())]));
        assert!(!v.is_unrestricted());
        let added = |a| ServerMessage::AgentAdded { agent: a };
        assert!(v.filter_event(&added(agent("ag_1", "rm_a"))).is_some());
        assert!(v.filter_event(&added(agent("ag_2", "rm_b"))).is_none());
        assert!(v.filter_event(&state_of("ag_1")).is_some());
        assert!(v.filter_event(&state_of("ag_2")).is_none());
        assert!(
            v.filter_event(&state_of("ag_unknown")).is_none(),
            "unknown: hidden"
        );
        // ag_2 moves into a visible room: it is added; ag_1 moves out: it is removed.
        let in_move = ServerMessage::AgentUpdated {
            agent: agent("ag_2", "rm_a"),
        };
        let moved = v.filter_event(&in_move).unwrap();
        assert!(matches!(moved.as_ref(), ServerMessage::AgentAdded { .. }));
        let out_move = ServerMessage::AgentUpdated {
            agent: agent("ag_1", "rm_b"),
        };
        let gone = v.filter_event(&out_move).unwrap();
        assert!(
            matches!(gone.as_ref(), ServerMessage::AgentRemoved { agent_id } if agent_id.as_str() == "ag_1")
        );
        assert!(v.filter_event(&state_of("ag_1")).is_none());
        assert!(v.filter_event(&state_of("ag_2")).is_some());
        assert!(
            v.filter_event(&ServerMessage::RoomRemoved {
                room_id: RoomId("rm_b".into())
            })
            .is_none()
        );
        assert!(v.same_rooms(&Some(vec![RoomId("rm_a".into())])));
        assert!(!v.same_rooms(&None));
    }

    #[test]
    fn restricted_views_see_only_ghosts_in_their_rooms_and_chats() {
        let mut v = Visibility::new(Some(vec![RoomId("rm_a".into())]));
        let added = |a| ServerMessage::AgentAdded { agent: a };
        assert!(v.filter_event(&added(agent("ag_1", "rm_a"))).is_some());
        assert!(v.filter_event(&added(agent("ag_2", "rm_b"))).is_none());
        let ghost = |n: &str, room: Option<&str>, agent: Option<&str>| Presence {
            connection_id: isomux_protocol::ConnectionId(format!("cn_{n}")),
            member_id: isomux_protocol::MemberId("mb_1".into()),
            name: n.into(),
            device: None,
            room_id: room.map(|r| RoomId(r.into())),
            agent_id: agent.map(|a| AgentId(a.into())),
            view: isomux_protocol::View::Chat,
        };
        let all = ServerMessage::PresenceList {
            presence: vec![
                ghost("lobby", None, None),
                ghost("office_a", Some("rm_a"), None),
                ghost("office_b", Some("rm_b"), None),
                ghost("chat_1", Some("rm_a"), Some("ag_1")),
                ghost("chat_2", Some("rm_b"), Some("ag_2")),
                // A stale room with a hidden agent: the agent decides.
                ghost("chat_2_stale", Some("rm_a"), Some("ag_2")),
                ghost("chat_2_no_room", None, Some("ag_2")),
            ],
        };
        let seen = v.filter_event(&all).unwrap();
        let ServerMessage::PresenceList { presence } = seen.as_ref() else {
            panic!("a presence list: {seen:?}");
        };
        let names: Vec<&str> = presence.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["lobby", "office_a", "chat_1"]);
        assert!(matches!(
            Visibility::new(None).filter_event(&all),
            Some(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn unrestricted_views_pass_everything_borrowed() {
        let mut v = Visibility::new(None);
        let ev = state_of("ag_x");
        assert!(matches!(v.filter_event(&ev), Some(Cow::Borrowed(_))));
    }
}
