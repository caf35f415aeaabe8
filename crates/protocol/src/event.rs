//! Pushed events (server → client over `/ws` and as Tauri events) and the few frames a client
//! sends over the socket. Internally tagged by `type`; clients ignore types they do not know.

use crate::ids::*;
use crate::model::*;
use serde::{Deserialize, Serialize};

/// The snapshot sent first on every connection and after a lagging subscriber is resynced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FullState {
    pub office: Office,
    pub rooms: Vec<Room>,
    /// Agents with their `prompt` left empty (it is in `GET /api/agents` and in
    /// `agent_added`/`agent_updated`), so the snapshot stays small (design §9).
    pub agents: Vec<Agent>,
    pub tasks: Vec<Task>,
    pub presence: Vec<Presence>,
    pub me: Me,
    pub backends: Vec<BackendInfo>,
    /// Server version, for the footer and for clients to notice upgrades.
    pub version: String,
}

/// Server → client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Everything a client needs to render the office.
    FullState(Box<FullState>),
    /// A new agent sat down.
    AgentAdded { agent: Box<Agent> },
    /// An agent's settings, queue, approvals or usage changed (whole object).
    AgentUpdated { agent: Box<Agent> },
    /// An agent was archived.
    AgentRemoved { agent_id: AgentId },
    /// An agent's state changed.
    AgentState {
        agent_id: AgentId,
        state: AgentState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A finished (or updated, same `entry.id`) entry.
    LogEntry { agent_id: AgentId, entry: Entry },
    /// A piece of streaming text of the entry `entry_id` (not stored).
    LogDelta {
        agent_id: AgentId,
        entry_id: EntryId,
        conversation_id: ConversationId,
        kind: DeltaKind,
        delta: String,
    },
    /// The agent's queue changed.
    QueueUpdated {
        agent_id: AgentId,
        queue: Vec<QueuedMessage>,
    },
    /// A tool call waits for a human.
    ApprovalRequested {
        agent_id: AgentId,
        approval_id: ApprovalId,
        tool: String,
        input: serde_json::Value,
        summary: String,
        /// Unix milliseconds.
        #[serde(default)]
        created_at: i64,
    },
    /// An approval was answered (by a human or by the permission mode).
    ApprovalResolved {
        agent_id: AgentId,
        approval_id: ApprovalId,
        allow: bool,
        by: String,
    },
    /// A task was created or changed.
    TaskUpserted { task: Task },
    /// A task was deleted.
    TaskDeleted { task_id: TaskId },
    /// A room was added.
    RoomAdded { room: Room },
    /// A room changed.
    RoomUpdated { room: Room },
    /// A room was deleted.
    RoomRemoved { room_id: RoomId },
    /// Office settings changed.
    OfficeUpdated { office: Office },
    /// Who is connected and where they look.
    PresenceList { presence: Vec<Presence> },
    /// An agent needs someone: finished, asks a question, or waits for approval.
    Attention {
        agent_id: AgentId,
        reason: AttentionReason,
    },
    /// Usage totals of an agent changed.
    UsageUpdated { agent_id: AgentId, usage: Usage },
    /// The connection's auth session ended; the client should go to the login page.
    SessionExpired,
    /// Answer to `ping`.
    Pong,
    /// A type this client does not know (newer server).
    #[serde(other)]
    Unknown,
}

/// Why an agent wants attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttentionReason {
    Done,
    WaitingInput,
    WaitingApproval,
    Error,
}

impl ServerMessage {
    /// Every event type, as it appears in the `type` field. The route-table test checks this
    /// registry against serialization, so a new event is registered here or the test fails.
    pub const TYPES: &'static [&'static str] = &[
        "full_state",
        "agent_added",
        "agent_updated",
        "agent_removed",
        "agent_state",
        "log_entry",
        "log_delta",
        "queue_updated",
        "approval_requested",
        "approval_resolved",
        "task_upserted",
        "task_deleted",
        "room_added",
        "room_updated",
        "room_removed",
        "office_updated",
        "presence_list",
        "attention",
        "usage_updated",
        "session_expired",
        "pong",
    ];

    /// The `type` tag of this message (exhaustive: a new variant must be named here).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::FullState(_) => "full_state",
            Self::AgentAdded { .. } => "agent_added",
            Self::AgentUpdated { .. } => "agent_updated",
            Self::AgentRemoved { .. } => "agent_removed",
            Self::AgentState { .. } => "agent_state",
            Self::LogEntry { .. } => "log_entry",
            Self::LogDelta { .. } => "log_delta",
            Self::QueueUpdated { .. } => "queue_updated",
            Self::ApprovalRequested { .. } => "approval_requested",
            Self::ApprovalResolved { .. } => "approval_resolved",
            Self::TaskUpserted { .. } => "task_upserted",
            Self::TaskDeleted { .. } => "task_deleted",
            Self::RoomAdded { .. } => "room_added",
            Self::RoomUpdated { .. } => "room_updated",
            Self::RoomRemoved { .. } => "room_removed",
            Self::OfficeUpdated { .. } => "office_updated",
            Self::PresenceList { .. } => "presence_list",
            Self::Attention { .. } => "attention",
            Self::UsageUpdated { .. } => "usage_updated",
            Self::SessionExpired => "session_expired",
            Self::Pong => "pong",
            Self::Unknown => "unknown",
        }
    }
}

/// Client → server over the socket (everything else goes through ops).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Keepalive; answered with `pong`.
    Ping,
    /// Where this connection is looking (its ghost moves there).
    PresenceUpdate {
        #[serde(default)]
        room_id: Option<RoomId>,
        #[serde(default)]
        agent_id: Option<AgentId>,
        #[serde(default)]
        view: View,
        #[serde(default)]
        device: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_event_types_are_tolerated() {
        let m: ServerMessage = serde_json::from_str(r#"{"type":"from_the_future","x":1}"#).unwrap();
        assert_eq!(m, ServerMessage::Unknown);
    }

    #[test]
    fn registry_matches_serialization() {
        let samples = vec![
            ServerMessage::AgentRemoved {
                agent_id: "a".into(),
            },
            ServerMessage::LogDelta {
                agent_id: "a".into(),
                entry_id: "e".into(),
                conversation_id: "c".into(),
                kind: DeltaKind::Text,
                delta: "hi".into(),
            },
            ServerMessage::Pong,
            ServerMessage::SessionExpired,
            ServerMessage::PresenceList { presence: vec![] },
        ];
        for m in samples {
            let v = serde_json::to_value(&m).unwrap();
            assert_eq!(v["type"], m.type_name());
            assert!(ServerMessage::TYPES.contains(&m.type_name()));
        }
        let mut names = ServerMessage::TYPES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            ServerMessage::TYPES.len(),
            "duplicate event type"
        );
    }
}
