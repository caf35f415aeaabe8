//! Wire shapes of the office's objects: agents, rooms, entries, queue items, approvals,
//! backends and their capabilities, the caller. snake_case JSON everywhere.

use crate::ids::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which CLI drives an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// Claude Code over stream-json stdio.
    Claude,
    /// `codex app-server` over JSON-RPC.
    Codex,
    /// Built-in, offline, deterministic.
    Demo,
}

impl BackendKind {
    pub const ALL: [BackendKind; 3] = [Self::Claude, Self::Codex, Self::Demo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Codex => "codex",
            Self::Demo => "demo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How tool permission requests are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionMode {
    /// Ask the humans for anything the backend asks about.
    #[default]
    Default,
    /// File edits are allowed without asking.
    AcceptEdits,
    /// Plan only; no edits.
    Plan,
    /// The office's own mode: allow everything that passes the safety rules.
    Auto,
}

impl PermissionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::AcceptEdits => "accept_edits",
            Self::Plan => "plan",
            Self::Auto => "auto",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Default, Self::AcceptEdits, Self::Plan, Self::Auto]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Thinking effort, mapped per backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effort {
    Low,
    #[default]
    Medium,
    High,
    Max,
}

impl Effort {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Max => "max",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High, Self::Max]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What an agent is doing, for the animations and the attention indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Live and between turns.
    Idle,
    /// A turn is running; the model is producing text or thinking.
    Thinking,
    /// A turn is running a tool.
    Tool,
    /// The backend asked the user a question.
    WaitingInput,
    /// A tool call waits for a human's approval.
    WaitingApproval,
    /// The backend failed; `error` on the agent says why.
    Error,
    /// No live CLI (resumed lazily on the next message).
    #[default]
    Sleeping,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Thinking => "thinking",
            Self::Tool => "tool",
            Self::WaitingInput => "waiting_input",
            Self::WaitingApproval => "waiting_approval",
            Self::Error => "error",
            Self::Sleeping => "sleeping",
        }
    }

    /// A turn is in progress (the agent is busy and messages queue).
    pub fn is_busy(self) -> bool {
        matches!(
            self,
            Self::Thinking | Self::Tool | Self::WaitingApproval | Self::WaitingInput
        )
    }
}

/// A character's appearance. Free-form strings so new looks need no protocol change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Look {
    pub hair: String,
    pub hair_color: String,
    pub skin: String,
    pub outfit: String,
    pub accessory: String,
}

/// Who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    Human,
    Agent,
}

/// A labelled sender: the model sees `[name]` or `[name (device)]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub kind: SenderKind,
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl Sender {
    /// The label the model sees: `[Alice]`, `[Alice (Phone)]`.
    pub fn label(&self) -> String {
        match &self.device {
            Some(d) if !d.is_empty() => format!("[{} ({})]", self.name, d),
            _ => format!("[{}]", self.name),
        }
    }
}

/// A message waiting for a busy agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedMessage {
    pub id: MessageId,
    pub sender: Sender,
    pub text: String,
    /// Unix milliseconds. Left out (0) in `full_state`, which must stay small (design §9);
    /// `queue_updated` carries it.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub created_at: i64,
}

/// Token and cost accounting. Zero fields are left out on the wire (a missing field is 0).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub input_tokens: u64,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub output_tokens: u64,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub cache_read_tokens: u64,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub cache_write_tokens: u64,
    #[serde(skip_serializing_if = "is_zero_f64")]
    pub cost_usd: f64,
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub turns: u64,
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

/// A pending approval request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub approval_id: ApprovalId,
    pub agent_id: AgentId,
    pub tool: String,
    pub input: serde_json::Value,
    pub summary: String,
    pub created_at: i64,
}

/// An agent as every client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub room_id: RoomId,
    /// 1..=8.
    pub desk: u8,
    pub look: Look,
    pub cwd: String,
    pub backend: BackendKind,
    pub model: String,
    pub permission_mode: PermissionMode,
    pub effort: Effort,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub state: AgentState,
    /// Why the agent is in `error`, with what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub conversation_id: ConversationId,
    pub queue: Vec<QueuedMessage>,
    pub pending_approvals: Vec<Approval>,
    pub usage: Usage,
    pub created_at: i64,
}

/// A room of at most 8 desks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub position: u32,
    pub prompt: String,
    pub env: BTreeMap<String, String>,
}

/// Office-wide settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Office {
    pub name: String,
    pub prompt: String,
    pub env: BTreeMap<String, String>,
}

/// Status of a tool call card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    Running,
    Ok,
    Failed,
    Denied,
}

/// Kinds of streamed deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaKind {
    Text,
    Thinking,
    ToolInput,
}

/// What an entry holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryBody {
    /// One delivered user turn: one or more (coalesced) messages, each labelled.
    User { messages: Vec<UserLine> },
    /// The assistant's text.
    Assistant { text: String },
    /// The assistant's visible thinking.
    Thinking { text: String },
    /// A tool call and (once finished) its output.
    ToolCall {
        call_id: String,
        tool: String,
        input: serde_json::Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        status: ToolStatus,
    },
    /// Something went wrong; `hint` says what to do.
    Error {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
    },
    /// An office marker (turn interrupted, restarted, replayed, conversation started).
    System { text: String },
    /// End of a turn with its usage.
    TurnEnd { usage: Usage },
    /// A file shown with `read-file`: copied into the agent's files (served at
    /// `GET /api/agents/{agent_id}/files/{name}`); an image renders inline, anything else is a
    /// download chip.
    File {
        /// The canonical path it was read from.
        path: String,
        /// Stored name (`<sha256>.<ext>`).
        name: String,
        mime: String,
        size: u64,
        image: bool,
        /// Who showed it (agent or human name).
        by: String,
    },
    /// Uncommitted changes of `dir` (tracked and untracked) as a side-by-side diff card.
    Diff {
        dir: String,
        files: Vec<crate::cards::DiffFile>,
        /// Files or lines were left out to respect the size caps.
        truncated: bool,
        by: String,
    },
    /// An "Open in editor" card for a file.
    EditFile { path: String, by: String },
    /// A "Copy to terminal" card for a command.
    TerminalCommand { command: String, by: String },
}

/// One labelled line of a coalesced user turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLine {
    pub sender: Sender,
    pub text: String,
    /// Stored names of the files attached to this line's messages (`<sha256>.<ext>`, served
    /// at `GET /api/agents/{agent_id}/files/{name}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// One finished entry of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub conversation_id: ConversationId,
    /// Monotonic position in the office's log (use as the `before` cursor).
    pub seq: i64,
    /// Unix milliseconds.
    pub ts: i64,
    #[serde(flatten)]
    pub body: EntryBody,
}

/// A past or current conversation of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub agent_id: AgentId,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The conversation this one was forked from (edit of a past message): its log starts
    /// with that conversation's entries before the edited message (see `get_logs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<ConversationId>,
    /// Entries stored in this conversation itself (ancestors' not counted).
    pub entries: u64,
    pub current: bool,
    /// Another conversation was forked from this one (the list dims it as "(branched)").
    #[serde(default)]
    pub branched: bool,
}

/// What a backend can do; the UI hides what it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// Editing a past user message can fork the backend session.
    pub fork: bool,
    /// ... at that message: every `user` entry of a log is editable (`edit_message`). Without
    /// it only a conversation's first user message is (that starts a fresh session).
    pub fork_at_message: bool,
    pub hooks: bool,
    pub approvals: bool,
    pub images: bool,
    pub interrupt: bool,
    pub resume: bool,
    pub skills: bool,
    pub mcp: bool,
    /// The office's safety rules see only part of this backend's tool calls: it runs some
    /// commands (e.g. codex's "known-safe" read-only ones such as `cat`) without asking, so
    /// rules such as the secret-file read ban cannot block them. Published for the UI to show,
    /// so parity with a fully covered backend is never implied (design §12).
    pub safety_partial: bool,
}

/// A backend as the spawn dialog sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// Installed and usable now.
    pub usable: bool,
    /// Version, or why it is not usable and how to fix that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub capabilities: Capabilities,
    pub models: Vec<String>,
    pub default_model: String,
}

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Member,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    /// A human with a cookie session (or the desktop app's owner).
    Human {
        member_id: MemberId,
        name: String,
        role: Role,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
    },
    /// An agent with its bearer token.
    Agent { agent_id: AgentId, name: String },
}

/// Where a connected person is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    #[default]
    Office,
    Chat,
    Away,
}

/// One connected device (a ghost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Presence {
    pub connection_id: ConnectionId,
    pub member_id: MemberId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<RoomId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    pub view: View,
}

/// Task board status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Claimed,
    Done,
}

/// A task on the shared board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<AgentId>,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
