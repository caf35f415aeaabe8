//! Domain types owned by the Office actor. Small value enums (backend kind, permission mode,
//! effort, look, usage) are shared with the protocol crate as plain values; the aggregates here
//! (agents, rooms, queue items, conversations) are converted to wire types in `to_proto`.

use isomux_protocol::{
    AgentId, AgentState, BackendKind, ConversationId, Effort, Look, MemberId, MessageId,
    PermissionMode, Role, RoomId, Sender, Usage,
};
use std::collections::BTreeMap;

/// A persistent agent.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    pub id: AgentId,
    pub name: String,
    pub room_id: RoomId,
    pub desk: u8,
    pub look: Look,
    pub cwd: String,
    pub backend: BackendKind,
    pub model: String,
    pub permission_mode: PermissionMode,
    pub effort: Effort,
    pub prompt: String,
    pub topic: Option<String>,
    pub conversation_id: ConversationId,
    pub usage: Usage,
    pub created_at: i64,
    /// A turn was delivered to the backend and has not finished (persisted so a restart can
    /// mark it as interrupted).
    pub turn_open: bool,
}

/// A room.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomRecord {
    pub id: RoomId,
    pub name: String,
    pub position: u32,
    pub prompt: String,
    pub env: BTreeMap<String, String>,
}

/// Office-wide settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OfficeSettings {
    pub name: String,
    pub prompt: String,
    pub env: BTreeMap<String, String>,
}

/// A message waiting in an agent's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedItem {
    pub id: MessageId,
    pub sender: Sender,
    pub text: String,
    pub created_at: i64,
    /// Stored names of the attached uploads.
    pub attachments: Vec<String>,
}

/// A conversation row.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub agent_id: AgentId,
    pub backend_session_id: Option<String>,
    pub forked_from: Option<ConversationId>,
    pub created_at: i64,
    pub topic: Option<String>,
    /// Where this conversation branched off `forked_from` (see [`ForkPoint`]).
    pub fork: Option<ForkPoint>,
}

/// Where a forked conversation starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForkPoint {
    /// The parent's entries with `seq` below this are this conversation's history.
    pub before: i64,
    /// The backend session to fork and the backend position to fork at (the last assistant
    /// message's uuid for claude, the last turn id for codex). `None`: a fresh session.
    pub backend: Option<(String, String)>,
}

/// A human member of the office.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub role: Role,
}

/// The runtime state of an agent that is not persisted (or persisted elsewhere).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentRuntime {
    pub state: AgentState,
    pub error: Option<String>,
}
