//! The UI's plain state: what the server told us (office, rooms, agents, loaded log pages,
//! streaming buffers) plus local-only view state (focus, current room, attention). Pure Rust,
//! no web-sys, so the reducer over it is unit-tested natively.

use isomux_protocol::op::responses::LogsPage;
use isomux_protocol::{
    Agent, AgentId, AgentState, ApprovalId, BackendInfo, DeltaKind, Entry, EntryId, Me, Office,
    Presence, Room, RoomId, Task,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Whether we know who we are yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    /// Nothing heard from the server yet.
    #[default]
    Unknown,
    /// A `full_state` arrived.
    SignedIn,
    /// The server answered 401 or ended our session.
    SignedOut,
}

/// The loaded part of one agent's current conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentLog {
    /// Finished entries, sorted by `seq`. Shared so views can tell a changed entry by pointer
    /// instead of comparing (possibly large) tool outputs on every streamed delta.
    pub entries: Vec<Arc<Entry>>,
    /// A page has been merged since the last (re)connect.
    pub loaded: bool,
    /// Cursor for the previous page (`None`: nothing older).
    pub next_before: Option<i64>,
}

/// Text of an entry that is still streaming (`log_delta`s not yet closed by a `log_entry`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub agent_id: AgentId,
    pub entry_id: EntryId,
    pub kind: DeltaKind,
    pub text: String,
}

/// An approval answered since we connected: the card stays, saying who answered and how, so
/// every device sees the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedApproval {
    pub agent_id: AgentId,
    pub approval_id: ApprovalId,
    /// The tool and summary of the request (empty when we never saw it pending).
    pub tool: String,
    pub summary: String,
    pub allow: bool,
    /// Who answered (a person's name, or the permission mode).
    pub by: String,
}

/// Answered approvals kept per agent.
pub const RESOLVED_KEPT: usize = 5;

/// Everything the views render.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub auth: Auth,
    pub office: Office,
    /// Sorted by `position`.
    pub rooms: Vec<Room>,
    pub agents: Vec<Agent>,
    pub tasks: Vec<Task>,
    pub presence: Vec<Presence>,
    pub me: Option<Me>,
    pub backends: Vec<BackendInfo>,
    pub version: String,
    /// Logs of agents whose chat was opened (only these receive `log_entry` upserts).
    pub logs: HashMap<AgentId, AgentLog>,
    /// Streaming buffers in arrival order.
    pub streams: Vec<Stream>,
    // Local-only state below.
    /// The agent whose chat is open.
    pub focused: Option<AgentId>,
    /// The room shown in the office view.
    pub current_room: Option<RoomId>,
    /// Agents that finished or need a human while nobody looked at them.
    pub attention: BTreeSet<AgentId>,
    /// The last few answered approvals per agent, oldest first.
    pub resolved: Vec<ResolvedApproval>,
}

impl State {
    pub fn agent(&self, id: &AgentId) -> Option<&Agent> {
        self.agents.iter().find(|a| &a.id == id)
    }

    pub fn agent_mut(&mut self, id: &AgentId) -> Option<&mut Agent> {
        self.agents.iter_mut().find(|a| &a.id == id)
    }

    /// The agent sitting at `desk` of `room`.
    pub fn agent_at(&self, room: &RoomId, desk: u8) -> Option<&Agent> {
        self.agents
            .iter()
            .find(|a| &a.room_id == room && a.desk == desk)
    }

    /// Open an agent's chat (or go back to the office with `None`); looking clears attention.
    pub fn focus(&mut self, id: Option<AgentId>) {
        if let Some(id) = &id {
            self.attention.remove(id);
            if let Some(room) = self.agent(id).map(|a| a.room_id.clone()) {
                self.current_room = Some(room);
            }
        }
        self.focused = id;
    }

    /// Tab / Shift+Tab in the office: show the next (or previous) room, wrapping around.
    /// Returns whether the room changed (false with fewer than two rooms).
    pub fn cycle_room(&mut self, forward: bool) -> bool {
        let n = self.rooms.len();
        if n < 2 {
            return false;
        }
        let at = self
            .current_room
            .as_ref()
            .and_then(|c| self.rooms.iter().position(|r| &r.id == c))
            .unwrap_or(0);
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        self.current_room = Some(self.rooms[next].id.clone());
        true
    }

    /// Keys 1–8 in the office: the agent at that desk of the current room.
    pub fn desk_agent(&self, desk: u8) -> Option<AgentId> {
        let room = self.current_room.as_ref()?;
        self.agent_at(room, desk).map(|a| a.id.clone())
    }

    /// Tab / Shift+Tab in a chat: the next (or previous) agent by desk in the focused agent's
    /// room, skipping sleeping ones; `None` when there is no other such agent.
    pub fn cycle_agent(&self, forward: bool) -> Option<AgentId> {
        let current = self.agent(self.focused.as_ref()?)?;
        let mut ring: Vec<&Agent> = self
            .agents
            .iter()
            .filter(|a| a.room_id == current.room_id)
            .filter(|a| a.id == current.id || a.state != AgentState::Sleeping)
            .collect();
        ring.sort_by_key(|a| a.desk);
        let n = ring.len();
        let at = ring.iter().position(|a| a.id == current.id)?;
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        (next != at).then(|| ring[next].id.clone())
    }

    /// Start keeping a log for an agent (before its first page arrives, so no entry is missed).
    pub fn ensure_log(&mut self, id: &AgentId) {
        self.logs.entry(id.clone()).or_default();
    }

    /// Merge a fetched page into an agent's log (entries that arrived meanwhile are kept).
    pub fn merge_page(&mut self, id: &AgentId, page: LogsPage) {
        let log = self.logs.entry(id.clone()).or_default();
        for entry in page.entries {
            upsert_entry(&mut log.entries, entry);
        }
        log.loaded = true;
        log.next_before = page.next_before;
    }

    /// Merge an older page (fetched with `before`): only the cursor moves, `loaded` is kept.
    /// Returns how many entries were new.
    pub fn merge_older_page(&mut self, id: &AgentId, page: LogsPage) -> usize {
        let log = self.logs.entry(id.clone()).or_default();
        let before = log.entries.len();
        // A page is oldest first and entirely older than what we hold: build it up front.
        let mut older: Vec<Arc<Entry>> = Vec::with_capacity(page.entries.len() + before);
        let first_seq = log.entries.first().map(|e| e.seq);
        let mut rest = Vec::new();
        for entry in page.entries {
            if first_seq.is_some_and(|f| entry.seq >= f) {
                rest.push(entry);
            } else {
                older.push(Arc::new(entry));
            }
        }
        older.sort_by_key(|e| e.seq);
        older.dedup_by(|a, b| a.id == b.id);
        older.append(&mut log.entries);
        log.entries = older;
        for entry in rest {
            upsert_entry(&mut log.entries, entry);
        }
        log.next_before = page.next_before;
        log.entries.len() - before
    }

    /// Answered approvals of one agent, oldest first.
    pub fn resolved_for(&self, id: &AgentId) -> Vec<ResolvedApproval> {
        self.resolved
            .iter()
            .filter(|r| &r.agent_id == id)
            .cloned()
            .collect()
    }

    /// Keep `current_room` pointing at an existing room.
    pub(super) fn fix_current_room(&mut self) {
        let exists = self
            .current_room
            .as_ref()
            .is_some_and(|r| self.rooms.iter().any(|room| &room.id == r));
        if !exists {
            self.current_room = self.rooms.first().map(|r| r.id.clone());
        }
    }
}

/// Insert or replace by id, keeping `seq` order.
pub(super) fn upsert_entry(entries: &mut Vec<Arc<Entry>>, entry: Entry) {
    if let Some(existing) = entries.iter_mut().find(|e| e.id == entry.id) {
        *existing = Arc::new(entry);
        return;
    }
    let at = entries.partition_point(|e| e.seq <= entry.seq);
    entries.insert(at, Arc::new(entry));
}
