//! The seam between the office and the agent CLIs: the [`Backend`] trait that `isomux-agents`
//! implements (claude, codex, demo) and the normalized events every backend produces.
//!
//! A started session is a pair of channels: the office sends [`SessionCommand`]s and reads
//! [`NormalizedEvent`]s. A backend never blocks the Office actor: it runs in its own tasks.

use isomux_protocol::{
    AgentId, BackendKind, Capabilities, ConversationId, Effort, PermissionMode, Usage, UserLine,
};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use tokio::sync::mpsc;

/// Everything a backend needs to start (or resume) a session.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub agent_id: AgentId,
    pub agent_name: String,
    pub conversation_id: ConversationId,
    pub cwd: PathBuf,
    pub model: String,
    pub effort: Effort,
    pub permission_mode: PermissionMode,
    /// The assembled system prompt to append.
    pub system_prompt: String,
    /// The backend session id to resume, if the conversation already has one.
    pub resume: Option<String>,
    /// For a new conversation of a backend that takes one
    /// ([`BackendDescription::accepts_session_id`]): the id the office chose and persisted
    /// before spawning, so a crash during the first turn can still resume it.
    pub session_id: Option<String>,
    /// For a forked conversation: the backend session it forks and where. Used when there is no
    /// `resume` yet (its first start), or when the `resume` session turns out never to have been
    /// saved (the CLI died before writing it): then the fork is made again under that id.
    pub fork: Option<ForkSpec>,
    /// The office's data dir (the safety rules protect it).
    pub data_dir: PathBuf,
    /// Extra environment for the CLI (office, room, ISOMUX_*).
    pub env: Vec<(String, String)>,
}

/// Start the session as a fork of another backend session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkSpec {
    /// The backend session id to fork (claude session id, codex thread id).
    pub source_session: String,
    /// Keep the source's history up to this backend position only (a
    /// [`NormalizedEvent::Position`] the source reported); `None`: all of it.
    pub at: Option<String>,
}

/// One user turn (coalesced queue).
#[derive(Debug, Clone)]
pub struct UserTurn {
    pub lines: Vec<UserLine>,
    /// What the model receives: one labelled line per sender.
    pub text: String,
    /// The files attached to the turn's messages.
    pub attachments: Vec<TurnAttachment>,
}

/// One attached upload, as a backend reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnAttachment {
    /// Its stored name (`<sha256>.<ext>`).
    pub name: String,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Its MIME type (`image/png`, `application/pdf`, `text/plain; charset=utf-8`, …).
    pub mime: String,
}

/// Office → backend.
#[derive(Debug)]
pub enum SessionCommand {
    Send(UserTurn),
    Interrupt,
    AnswerApproval {
        request_id: String,
        allow: bool,
        reason: Option<String>,
    },
    Close,
}

/// Backend → office, the same for every CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum NormalizedEvent {
    /// The backend's own session/thread id (persisted for resume).
    SessionId(String),
    /// The model started a turn.
    TurnStarted,
    /// A point in the backend session a later fork can keep history up to (claude: the uuid of
    /// an assistant message as written in its session file; codex: the id of the running
    /// turn). The last one before `TurnCompleted` is recorded with the turn.
    Position(String),
    /// A piece of assistant text.
    TextDelta(String),
    /// A piece of visible thinking.
    ThinkingDelta(String),
    /// A finished block of assistant text.
    AssistantText(String),
    /// A finished block of thinking.
    Thinking(String),
    /// A tool call started.
    ToolStarted {
        call_id: String,
        tool: String,
        input: serde_json::Value,
    },
    /// A tool call finished.
    ToolFinished {
        call_id: String,
        output: String,
        ok: bool,
    },
    /// A tool call needs permission. It passed the safety rules, or they could not analyse it
    /// (`unanalysable` says why: the office's `auto` mode then fails closed).
    ApprovalRequest {
        request_id: String,
        tool: String,
        input: serde_json::Value,
        summary: String,
        unanalysable: Option<String>,
    },
    /// The model asked the user a question and waits.
    Question(String),
    /// The CLI's own slash commands (claude lists them in `system/init`), for the composer's
    /// autocomplete beside the office's commands and the skills.
    Commands(Vec<String>),
    /// The turn ended (normally or interrupted) with its usage.
    TurnCompleted { usage: Usage, interrupted: bool },
    /// The turn failed; the session may still be usable.
    TurnFailed {
        message: String,
        hint: Option<String>,
    },
    /// The process went away.
    Exited {
        code: Option<i32>,
        stderr_tail: String,
    },
}

/// A live session: commands in, events out.
#[derive(Debug)]
pub struct SessionHandle {
    pub commands: mpsc::Sender<SessionCommand>,
    pub events: mpsc::Receiver<NormalizedEvent>,
}

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    NotInstalled(String),
    #[error("{0}")]
    StartFailed(String),
}

/// Static facts about a backend for the spawn dialog.
#[derive(Debug, Clone)]
pub struct BackendDescription {
    pub kind: BackendKind,
    pub usable: bool,
    pub detail: Option<String>,
    pub capabilities: Capabilities,
    pub models: Vec<String>,
    pub default_model: String,
    /// The CLI takes an office-chosen session id (`claude --session-id`).
    pub accepts_session_id: bool,
}

/// Boxed future returned by [`Backend::start`].
pub type StartFuture = Pin<Box<dyn Future<Output = Result<SessionHandle, BackendError>> + Send>>;

/// An agent CLI driver.
pub trait Backend: Send + Sync + 'static {
    fn describe(&self) -> BackendDescription;
    fn start(&self, spec: SessionSpec) -> StartFuture;
}
