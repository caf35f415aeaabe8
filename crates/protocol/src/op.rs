//! Every operation on the office is one variant of [`Op`]. The REST router builds an `Op` from a
//! route's path parameters, query and JSON body (merged into one object tagged with the route's
//! `op_id`); the desktop webview sends the same `Op` over one Tauri command; tests call it on the
//! core directly. Responses are the JSON bodies in [`responses`], identical on every door.

use crate::cards::Skill;
use crate::ids::*;
use crate::members::*;
use crate::model::*;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// One operation. `op` is the route table's `op_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// `full_state` for the caller (same as the first WebSocket frame).
    GetState,
    /// Who am I.
    GetMe,
    /// Discovery: every agent.
    ListAgents,
    /// Spawn an agent at a desk.
    SpawnAgent(SpawnAgent),
    /// Edit an agent's settings.
    UpdateAgent(UpdateAgent),
    /// Archive an agent (desk freed, conversations kept).
    DeleteAgent { agent_id: AgentId },
    /// Move an agent to another room / desk.
    MoveAgent {
        agent_id: AgentId,
        room_id: RoomId,
        #[serde(default)]
        desk: Option<u8>,
    },
    /// Send (or queue) a message.
    SendMessage(SendMessage),
    /// Interrupt the running turn and deliver the queue now.
    SendNow { agent_id: AgentId },
    /// Drop a queued message.
    CancelQueued {
        agent_id: AgentId,
        message_id: MessageId,
    },
    /// Stop the running turn.
    Abort { agent_id: AgentId },
    /// A page of the agent's current conversation (or `conversation_id`, also accepted as
    /// `session` as design §6 spells it), oldest first. A forked conversation's log starts with
    /// its ancestors' entries up to the fork point.
    GetLogs {
        agent_id: AgentId,
        #[serde(default, alias = "session")]
        conversation_id: Option<ConversationId>,
        #[serde(default, deserialize_with = "de_opt_i64")]
        before: Option<i64>,
        #[serde(default, deserialize_with = "de_opt_i64")]
        limit: Option<i64>,
    },
    /// Answer a pending approval.
    AnswerApproval {
        agent_id: AgentId,
        approval_id: ApprovalId,
        allow: bool,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        scope: Option<ApprovalScope>,
    },
    /// Start a fresh conversation (the old one is kept).
    NewConversation { agent_id: AgentId },
    /// The agent's conversations, newest first.
    ListSessions { agent_id: AgentId },
    /// Edit a past user message = fork: a new conversation with the history before
    /// `entry_id` (any `user` entry of one of the agent's conversations) becomes the agent's
    /// current one, and `text` is queued in it as a new message from the caller. The old
    /// conversation is kept untouched. Editing the conversation's first user message starts a
    /// fresh session (no history). Answers [`responses::Forked`]. Errors: 404 unknown entry
    /// (or another agent's), 400 not a user message / empty text, 409 the agent is mid-turn or
    /// has queued messages ("interrupt first"), 409 the backend cannot fork at a message
    /// (capability `fork_at_message` false).
    EditMessage {
        agent_id: AgentId,
        entry_id: EntryId,
        text: String,
    },
    /// Switch the agent back to one of its conversations (`session_id` is a conversation id as
    /// listed by `list_sessions`); its CLI restarts on that backend session at the next
    /// message. Answers `{"agent": …}`. 404 unknown conversation, 409 the agent is mid-turn.
    ResumeSession {
        agent_id: AgentId,
        session_id: ConversationId,
    },
    /// Every room.
    ListRooms,
    /// Add a room.
    CreateRoom {
        #[serde(default)]
        name: Option<String>,
    },
    /// Rename a room.
    UpdateRoom { room_id: RoomId, name: String },
    /// Delete an empty room.
    DeleteRoom { room_id: RoomId },
    /// A room's prompt and environment.
    GetRoomSettings { room_id: RoomId },
    /// Replace a room's prompt and environment.
    PutRoomSettings {
        room_id: RoomId,
        #[serde(default)]
        prompt: String,
        #[serde(default)]
        env: BTreeMap<String, String>,
    },
    /// The office's name, prompt and environment.
    GetOfficeSettings,
    /// Replace the office's settings.
    PutOfficeSettings {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        prompt: String,
        #[serde(default)]
        env: BTreeMap<String, String>,
    },
    /// Owner: mint an invite for someone else (`ttl_secs` default 7 days). The URL is answered
    /// once ([`responses::InviteCreated`]).
    CreateInvite {
        role: Role,
        #[serde(default)]
        ttl_secs: Option<i64>,
    },
    /// A device link for the caller: accepting it signs in as the same member on a new device.
    CreateDeviceLink {
        #[serde(default)]
        ttl_secs: Option<i64>,
    },
    /// Invites (the owner sees all; a member their own device links).
    ListInvites,
    /// Revoke an unused invite by its prefix.
    RevokeInvite { prefix: String },
    /// Signed-in devices (the owner sees all; a member their own).
    ListAuthSessions,
    /// Sign a device out; its WebSockets close within a second.
    RevokeAuthSession { prefix: String },
    /// The office's members.
    ListMembers,
    /// Owner: change a member's role or the rooms they may see (`rooms: null`: every room).
    UpdateMember {
        member_id: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<Role>,
        #[serde(
            default,
            deserialize_with = "de_present",
            skip_serializing_if = "Option::is_none"
        )]
        rooms: Option<Option<Vec<RoomId>>>,
    },
    /// Owner: remove a member (their sessions and tokens stop working at once).
    RemoveMember { member_id: MemberId },
    /// Owner: personal API tokens (never their secrets).
    ListApiTokens,
    /// Owner: mint a personal API token (`isx_pat_…`, shown once), optionally expiring.
    CreateApiToken {
        name: String,
        #[serde(default)]
        ttl_secs: Option<i64>,
    },
    /// Owner: revoke an API token by its prefix.
    RevokeApiToken { prefix: String },
    /// The task board, newest first.
    ListTasks,
    /// Put a task on the board (status `open`). Answers `{"task": …}`.
    CreateTask(CreateTask),
    /// One task.
    GetTask { task_id: TaskId },
    /// Edit a task: title, description, assignee (`null` unassigns) or status (`open` reopens
    /// it and clears `claimed_by`).
    UpdateTask(UpdateTask),
    /// Remove a task from the board.
    DeleteTask { task_id: TaskId },
    /// Claim an open task: a compare-and-swap on `status = open`. Exactly one claimer wins;
    /// every other claim (the holder's included) is 409 with `details: {claimed_by}`.
    ClaimTask { task_id: TaskId },
    /// Mark a task done (409 if it already is).
    CompleteTask { task_id: TaskId },
    /// Show a file in the agent's chat (an agent on its own id, or a human): an image inline,
    /// anything else as a download chip. `path` is absolute or relative to the agent's cwd and
    /// must resolve (symlinks followed) inside the cwd, the agent's uploads or an allowed root.
    /// Answers [`responses::CardPosted`].
    ReadFile { agent_id: AgentId, path: String },
    /// Show the uncommitted changes (untracked files included) of `dir` (default: the cwd) as a
    /// diff card.
    ShowDiff {
        agent_id: AgentId,
        #[serde(default)]
        dir: Option<String>,
    },
    /// Offer an "Open in editor" card for a file (confined like `read_file`).
    EditFile { agent_id: AgentId, path: String },
    /// Offer a "Copy to terminal" card for a command.
    TerminalCommand { agent_id: AgentId, command: String },
    /// The slash autocomplete for an agent: office commands and the skills its CLI would find
    /// (user, project, plugin, bundled), highest priority first, each with its source. A
    /// human's message `/name args` naming one of the skills sends the skill's body with the
    /// arguments as the turn. Answers [`responses::SkillsBody`].
    ListSkills { agent_id: AgentId },
}

/// `POST /api/tasks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The agent the task is for (it shows on the board; a click jumps to the agent).
    #[serde(default)]
    pub assignee: Option<AgentId>,
}

/// `PATCH /api/tasks/:id`: every field optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    pub task_id: TaskId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Absent: unchanged; `null`: unassigned.
    #[serde(
        default,
        deserialize_with = "de_present",
        skip_serializing_if = "Option::is_none"
    )]
    pub assignee: Option<Option<AgentId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
}

/// `POST /api/agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpawnAgent {
    pub name: String,
    pub backend: BackendKind,
    pub cwd: String,
    #[serde(default)]
    pub look: Option<Look>,
    #[serde(default)]
    pub room_id: Option<RoomId>,
    #[serde(default)]
    pub desk: Option<u8>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub permission_mode: Option<PermissionMode>,
    #[serde(default)]
    pub effort: Option<Effort>,
    #[serde(default)]
    pub prompt: Option<String>,
}

/// `PATCH /api/agents/:id`: every field optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    pub agent_id: AgentId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub look: Option<Look>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub permission_mode: Option<PermissionMode>,
    #[serde(default)]
    pub effort: Option<Effort>,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
}

/// `POST /api/agents/:id/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub agent_id: AgentId,
    pub text: String,
    #[serde(default)]
    pub client_message_id: Option<String>,
    #[serde(default)]
    pub steer: bool,
    /// Names of uploaded files (from the uploads route) to attach.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// How long an approval answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalScope {
    Once,
    Session,
}

impl Op {
    /// The route table's id of this op (the serde tag).
    pub fn op_id(&self) -> &'static str {
        match self {
            Op::GetState => "get_state",
            Op::GetMe => "get_me",
            Op::ListAgents => "list_agents",
            Op::SpawnAgent(_) => "spawn_agent",
            Op::UpdateAgent(_) => "update_agent",
            Op::DeleteAgent { .. } => "delete_agent",
            Op::MoveAgent { .. } => "move_agent",
            Op::SendMessage(_) => "send_message",
            Op::SendNow { .. } => "send_now",
            Op::CancelQueued { .. } => "cancel_queued",
            Op::Abort { .. } => "abort",
            Op::GetLogs { .. } => "get_logs",
            Op::AnswerApproval { .. } => "answer_approval",
            Op::NewConversation { .. } => "new_conversation",
            Op::ListSessions { .. } => "list_sessions",
            Op::EditMessage { .. } => "edit_message",
            Op::ResumeSession { .. } => "resume_session",
            Op::ListRooms => "list_rooms",
            Op::CreateRoom { .. } => "create_room",
            Op::UpdateRoom { .. } => "update_room",
            Op::DeleteRoom { .. } => "delete_room",
            Op::GetRoomSettings { .. } => "get_room_settings",
            Op::PutRoomSettings { .. } => "put_room_settings",
            Op::GetOfficeSettings => "get_office_settings",
            Op::PutOfficeSettings { .. } => "put_office_settings",
            Op::CreateInvite { .. } => "create_invite",
            Op::CreateDeviceLink { .. } => "create_device_link",
            Op::ListInvites => "list_invites",
            Op::RevokeInvite { .. } => "revoke_invite",
            Op::ListAuthSessions => "list_auth_sessions",
            Op::RevokeAuthSession { .. } => "revoke_auth_session",
            Op::ListMembers => "list_members",
            Op::UpdateMember { .. } => "update_member",
            Op::RemoveMember { .. } => "remove_member",
            Op::ListApiTokens => "list_api_tokens",
            Op::CreateApiToken { .. } => "create_api_token",
            Op::RevokeApiToken { .. } => "revoke_api_token",
            Op::ListTasks => "list_tasks",
            Op::CreateTask(_) => "create_task",
            Op::GetTask { .. } => "get_task",
            Op::UpdateTask(_) => "update_task",
            Op::DeleteTask { .. } => "delete_task",
            Op::ClaimTask { .. } => "claim_task",
            Op::CompleteTask { .. } => "complete_task",
            Op::ReadFile { .. } => "read_file",
            Op::ShowDiff { .. } => "show_diff",
            Op::EditFile { .. } => "edit_file",
            Op::TerminalCommand { .. } => "terminal_command",
            Op::ListSkills { .. } => "list_skills",
        }
    }
}

/// Accepts a number or a numeric string (query strings are strings).
fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(i64),
        Str(String),
    }
    match Option::<NumOrStr>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrStr::Num(n)) => Ok(Some(n)),
        Some(NumOrStr::Str(s)) if s.is_empty() => Ok(None),
        Some(NumOrStr::Str(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {s:?}"))),
    }
}

/// A field that is present (even as `null`) becomes `Some(..)`; absent stays `None` (default).
fn de_present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Response bodies (the JSON each op answers with).
pub mod responses {
    use super::*;

    /// `{"agent": …}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct AgentBody {
        pub agent: Agent,
    }

    /// `{"agents": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct AgentsBody {
        pub agents: Vec<Agent>,
    }

    /// `{"room": …}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct RoomBody {
        pub room: Room,
    }

    /// `{"rooms": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct RoomsBody {
        pub rooms: Vec<Room>,
    }

    /// Answer to `send_message`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct MessageAccepted {
        pub message_id: MessageId,
        /// True when the agent was busy and the message waits in its queue.
        pub queued: bool,
    }

    /// A page of entries, oldest first; pass `next_before` as `before` for the previous page.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct LogsPage {
        pub entries: Vec<Entry>,
        pub next_before: Option<i64>,
    }

    /// `{"sessions": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct SessionsBody {
        pub sessions: Vec<Conversation>,
    }

    /// Answer to `edit_message`: the fork, now the agent's current conversation, and the id of
    /// the queued edited message.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Forked {
        pub agent: Agent,
        pub conversation: Conversation,
        pub message_id: MessageId,
    }

    /// Room settings.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct RoomSettings {
        pub prompt: String,
        pub env: BTreeMap<String, String>,
    }

    /// `{"office": …}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct OfficeBody {
        pub office: Office,
    }

    /// `{"me": …}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct MeBody {
        pub me: Me,
    }

    /// `{"ok": true}` for operations with nothing else to say.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Done {
        pub ok: bool,
    }

    /// `{"invite": …, "url": …}`: the URL (with its token) is shown only here.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct InviteCreated {
        pub invite: InviteInfo,
        pub url: String,
    }

    /// `{"invites": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct InvitesBody {
        pub invites: Vec<InviteInfo>,
    }

    /// `{"sessions": […]}` of `GET /api/sessions` (signed-in devices).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct AuthSessionsBody {
        pub sessions: Vec<AuthSessionInfo>,
    }

    /// `{"members": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct MembersBody {
        pub members: Vec<MemberInfo>,
    }

    /// `{"member": …}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct MemberBody {
        pub member: MemberInfo,
    }

    /// `{"tokens": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct ApiTokensBody {
        pub tokens: Vec<ApiTokenInfo>,
    }

    /// `{"token": …, "secret": "isx_pat_…"}`: the secret is shown only here.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct ApiTokenCreated {
        pub token: ApiTokenInfo,
        pub secret: String,
    }

    /// `{"task": …}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct TaskBody {
        pub task: Task,
    }

    /// `{"tasks": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct TasksBody {
        pub tasks: Vec<Task>,
    }

    /// `{"entry": …}`: the card an affordance dropped into the chat.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct CardPosted {
        pub entry: Entry,
    }

    /// `{"skills": […]}`
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct SkillsBody {
        pub skills: Vec<Skill>,
    }

    /// Whatever an op answers; serialized as the inner body (no tag). Callers know which
    /// body their op returns and decode it with the matching type.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[serde(untagged)]
    pub enum OpOutput {
        State(Box<crate::event::FullState>),
        Me(MeBody),
        Agent(Box<AgentBody>),
        Agents(AgentsBody),
        Room(RoomBody),
        Rooms(RoomsBody),
        MessageAccepted(MessageAccepted),
        Logs(LogsPage),
        Sessions(SessionsBody),
        Forked(Box<Forked>),
        RoomSettings(RoomSettings),
        Office(OfficeBody),
        InviteCreated(Box<InviteCreated>),
        Invites(InvitesBody),
        AuthSessions(AuthSessionsBody),
        Members(MembersBody),
        Member(Box<MemberBody>),
        ApiTokens(ApiTokensBody),
        ApiTokenCreated(Box<ApiTokenCreated>),
        Task(Box<TaskBody>),
        Tasks(TasksBody),
        CardPosted(Box<CardPosted>),
        Skills(SkillsBody),
        Done(Done),
    }

    impl OpOutput {
        /// `{"ok": true}`.
        pub fn done() -> Self {
            Self::Done(Done { ok: true })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn op_id_matches_serde_tag() {
        let op = Op::GetLogs {
            agent_id: "ag_1".into(),
            conversation_id: None,
            before: Some(5),
            limit: None,
        };
        let v = serde_json::to_value(&op).unwrap();
        assert_eq!(v["op"], op.op_id());
    }

    #[test]
    fn query_numbers_may_be_strings() {
        let op: Op = serde_json::from_value(
            json!({"op":"get_logs","agent_id":"ag_1","before":"12","limit":"3"}),
        )
        .unwrap();
        assert_eq!(
            op,
            Op::GetLogs {
                agent_id: "ag_1".into(),
                conversation_id: None,
                before: Some(12),
                limit: Some(3)
            }
        );
        let bad =
            serde_json::from_value::<Op>(json!({"op":"get_logs","agent_id":"ag_1","limit":"ten"}));
        assert!(bad.is_err());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let bad = serde_json::from_value::<Op>(
            json!({"op":"send_message","agent_id":"a","text":"hi","sender":"mallory"}),
        );
        assert!(bad.is_err(), "attribution must never come from the body");
    }
}
