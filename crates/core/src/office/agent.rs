//! One agent inside the actor: its record, queue, turn flow and live session, and how the
//! backend's normalized events become log entries, deltas, state changes and usage.

use super::actor::{Internal, Office};
use crate::backend::{
    ForkSpec, NormalizedEvent, SessionCommand, SessionSpec, TurnAttachment, UserTurn,
};
use crate::domain::{AgentRecord, AgentRuntime, QueuedItem};
use crate::ids::new_id;
use crate::permission::Decision;
use crate::queue::Queue;
use crate::store::NewEntry;
use crate::to_proto;
use crate::turn::{Effect, Input, TurnFlow};
use isomux_protocol::{
    AgentId, AgentState, ApprovalId, DeltaKind, EntryBody, EntryId, ServerMessage, ToolStatus,
};
use std::collections::HashMap;
use tokio::sync::mpsc;

/// A pending approval: the office's id and the backend's request id.
#[derive(Debug, Clone)]
pub(crate) struct PendingApproval {
    pub approval_id: ApprovalId,
    pub request_id: String,
    pub tool: String,
    pub input: serde_json::Value,
    pub summary: String,
    pub created_at: i64,
    /// The CLI that asked is gone (the watchdog is restarting it): the card stays, and the
    /// replayed turn's identical request is bound to it instead of raising a new one.
    pub orphaned: bool,
}

/// A human's answer to an orphaned approval, applied when the restarted CLI asks again.
#[derive(Debug, Clone)]
pub(crate) struct RememberedAnswer {
    pub tool: String,
    pub input: serde_json::Value,
    pub allow: bool,
    pub reason: Option<String>,
}

/// An entry being streamed: its id and the text so far (persisted if the turn is cut short).
#[derive(Debug, Clone)]
pub(crate) struct OpenBlock {
    pub id: EntryId,
    pub text: String,
}

/// An agent as the actor holds it.
#[derive(Debug)]
pub(crate) struct LiveAgent {
    pub rec: AgentRecord,
    pub rt: AgentRuntime,
    pub queue: Queue,
    pub flow: TurnFlow,
    pub session: Option<mpsc::Sender<SessionCommand>>,
    pub generation: u64,
    pub open_text: Option<OpenBlock>,
    pub open_thinking: Option<OpenBlock>,
    pub tools: HashMap<String, (EntryId, String, serde_json::Value)>,
    pub approvals: Vec<PendingApproval>,
    /// Set when the backend asked a question in this turn.
    pub asked: bool,
    /// Who interrupted the running turn.
    pub interrupted_by: Option<String>,
    /// The turn the backend is working on (the watchdog replays it once if the CLI dies).
    pub inflight: Option<UserTurn>,
    /// `inflight` was already replayed once.
    pub replayed: bool,
    /// When the CLI died mid-turn recently (unix ms), for the watchdog's budget.
    pub crashes: Vec<i64>,
    /// How the last CLI process ended: exit code and the tail of its stderr.
    pub last_exit: Option<(Option<i32>, String)>,
    /// Answers given to orphaned approvals, waiting for the replayed request.
    pub remembered: Vec<RememberedAnswer>,
    /// When a turn last started or ended (unix ms), to pick who sleeps under the live cap.
    pub last_active: i64,
    /// The latest backend position of the running turn (stored on its `turn_end` entry).
    pub turn_position: Option<String>,
    /// The CLI's own slash commands, as its last session reported them (not persisted).
    pub backend_commands: Vec<String>,
}

/// The watchdog replays a turn only while the CLI died fewer than this many times mid-turn
/// within [`CRASH_WINDOW_MS`].
const MAX_CRASHES: usize = 3;
const CRASH_WINDOW_MS: i64 = 10 * 60 * 1000;

impl LiveAgent {
    pub fn new(rec: AgentRecord, queue: Vec<QueuedItem>) -> Self {
        Self {
            rec,
            rt: AgentRuntime::default(),
            queue: Queue::from_items(queue),
            flow: TurnFlow::default(),
            session: None,
            generation: 0,
            open_text: None,
            open_thinking: None,
            tools: HashMap::new(),
            approvals: Vec::new(),
            asked: false,
            interrupted_by: None,
            inflight: None,
            replayed: false,
            crashes: Vec::new(),
            last_exit: None,
            remembered: Vec::new(),
            last_active: 0,
            turn_position: None,
            backend_commands: Vec::new(),
        }
    }
}

impl Office {
    /// Feeds the turn machine and runs its effects.
    pub(crate) fn agent_input(&mut self, id: &AgentId, input: Input) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        let fx = a.flow.handle(input, !a.queue.is_empty());
        for effect in fx {
            self.run_effect(id, effect);
        }
    }

    fn run_effect(&mut self, id: &AgentId, effect: Effect) {
        match effect {
            Effect::StartSession => self.start_session(id),
            Effect::DeliverQueue => self.deliver_queue(id),
            Effect::SendInterrupt => {
                if let Some(tx) = self.agents.get(id).and_then(|a| a.session.as_ref()) {
                    let _ = tx.try_send(SessionCommand::Interrupt);
                }
            }
            Effect::MarkTurnLost => {
                self.finish_open_blocks(id, true);
                let exit = self.agents.get(id).and_then(|a| a.last_exit.clone());
                let text = match &exit {
                    Some((code, tail)) => format!(
                        "The turn was cut short: the agent's CLI stopped (exit code {}) and the \
                         watchdog gave up on it.{}",
                        code.map_or_else(|| "none".into(), |c| c.to_string()),
                        if tail.trim().is_empty() {
                            String::new()
                        } else {
                            format!(" Last stderr: {}", tail.trim())
                        }
                    ),
                    None => "The turn was cut short: the agent's backend stopped.".into(),
                };
                self.system_entry(id, &text);
                self.drop_orphaned_approvals(id);
                self.close_turn(id);
                if exit.is_some() {
                    self.set_state(id, AgentState::Error, Some(text));
                }
            }
            Effect::MarkReplay => {
                self.finish_open_blocks(id, true);
                let Some(a) = self.agents.get(id) else {
                    return;
                };
                let code = a
                    .last_exit
                    .as_ref()
                    .and_then(|(c, _)| *c)
                    .map_or_else(|| "none".into(), |c| c.to_string());
                let text = format!(
                    "Watchdog: the {} process stopped mid-turn (exit code {code}); restarting it on \
                     the same session and sending the interrupted message again (replay).",
                    a.rec.backend.as_str()
                );
                self.system_entry(id, &text);
            }
            Effect::Replay => {
                let Some(a) = self.agents.get_mut(id) else {
                    return;
                };
                a.replayed = true;
                let sent = match (&a.session, &a.inflight) {
                    (Some(tx), Some(turn)) => {
                        tx.try_send(SessionCommand::Send(turn.clone())).is_ok()
                    }
                    _ => false,
                };
                self.set_state(id, AgentState::Thinking, None);
                if !sent {
                    self.agent_input(id, Input::SessionExited { replay: false });
                }
            }
            Effect::CloseSession => {
                if let Some(a) = self.agents.get_mut(id) {
                    a.generation += 1;
                    if let Some(tx) = a.session.take() {
                        let _ = tx.try_send(SessionCommand::Close);
                    }
                }
            }
        }
    }

    /// Under the live-session cap, puts the least recently active idle agent to sleep (its
    /// CLI is resumed lazily on its next message).
    fn make_room_for(&mut self, id: &AgentId) {
        let cap = self.config.max_live_sessions;
        if cap == 0 {
            return;
        }
        let live = self
            .agents
            .values()
            .filter(|a| &a.rec.id != id && a.flow.session != crate::turn::SessionPhase::None)
            .count();
        if live < cap {
            return;
        }
        let victim = self
            .agents
            .values()
            .filter(|a| &a.rec.id != id && a.session.is_some() && !a.flow.is_busy())
            .min_by_key(|a| a.last_active)
            .map(|a| a.rec.id.clone());
        match victim {
            Some(v) => {
                tracing::info!(agent = %v, cap, "live-session cap reached: putting an idle agent to sleep");
                self.agent_input(&v, Input::Close);
                self.set_state(&v, AgentState::Sleeping, None);
            }
            None => tracing::warn!(cap, "live-session cap reached but every agent is busy"),
        }
    }

    fn start_session(&mut self, id: &AgentId) {
        self.make_room_for(id);
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        a.generation += 1;
        let generation = a.generation;
        let rec = a.rec.clone();
        let conv = self.store.conversation(&rec.conversation_id).ok().flatten();
        let resume = conv.as_ref().and_then(|c| c.backend_session_id.clone());
        // A fork: its first start copies the source session's history (later starts resume its
        // own session; the fork point stays known for a backend that never saved it).
        let fork = conv
            .and_then(|c| c.fork)
            .and_then(|f| f.backend)
            .map(|(source_session, at)| ForkSpec {
                source_session,
                at: Some(at),
            });
        let mut session_id = None;
        if resume.is_none()
            && self
                .backends
                .get(&rec.backend)
                .is_some_and(|b| b.describe().accepts_session_id)
        {
            // Persisted before the spawn: a crash in the first turn can still resume it.
            let id = crate::ids::new_uuid_v4();
            match self.store.set_backend_session_id(&rec.conversation_id, &id) {
                Ok(()) => session_id = Some(id),
                Err(e) => tracing::error!(error = %e, "could not store the new session id"),
            }
        }
        let tx = self.internal_tx.clone();
        let agent_id = id.clone();
        let Some(backend) = self.backends.get(&rec.backend).cloned() else {
            let _ = tx.send(Internal::SessionFailed {
                agent_id,
                generation,
                error: format!(
                    "the {} backend is not available in this office; run `isomux doctor` to see \
                     which backends are installed",
                    rec.backend.as_str()
                ),
            });
            return;
        };
        let room = self.rooms.iter().find(|r| r.id == rec.room_id);
        let spec = SessionSpec {
            agent_id: rec.id.clone(),
            agent_name: rec.name.clone(),
            conversation_id: rec.conversation_id.clone(),
            cwd: rec.cwd.clone().into(),
            model: rec.model.clone(),
            effort: rec.effort,
            permission_mode: rec.permission_mode,
            system_prompt: crate::prompt::assemble(&self.office, room, &rec, &self.config.data_dir),
            resume,
            session_id,
            fork,
            data_dir: self.config.data_dir.clone(),
            // Provider keys first: an office or room variable of the same name wins.
            env: self
                .config
                .spawn_env
                .vars()
                .into_iter()
                .chain(
                    self.office
                        .env
                        .iter()
                        .chain(room.map(|r| r.env.iter()).into_iter().flatten())
                        .map(|(k, v)| (k.clone(), v.clone())),
                )
                .chain([
                    ("ISOMUX_URL".to_owned(), self.config.office_url.clone()),
                    ("ISOMUX_AGENT_ID".to_owned(), rec.id.0.clone()),
                    (
                        "ISOMUX_AGENT_TOKEN".to_owned(),
                        self.token_of.get(&rec.id).cloned().unwrap_or_default(),
                    ),
                ])
                .collect(),
        };
        tokio::spawn(async move {
            match backend.start(spec).await {
                Ok(mut handle) => {
                    // What the backend reported while starting (its session/thread id) is
                    // applied before the session counts as started, so the id is persisted
                    // before the first turn is sent (design §10).
                    while let Ok(event) = handle.events.try_recv() {
                        let _ = tx.send(Internal::Backend {
                            agent_id: agent_id.clone(),
                            generation,
                            event,
                        });
                    }
                    let _ = tx.send(Internal::SessionStarted {
                        agent_id: agent_id.clone(),
                        generation,
                        commands: handle.commands,
                    });
                    while let Some(event) = handle.events.recv().await {
                        if tx
                            .send(Internal::Backend {
                                agent_id: agent_id.clone(),
                                generation,
                                event,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                    let _ = tx.send(Internal::SessionEnded {
                        agent_id,
                        generation,
                    });
                }
                Err(e) => {
                    let _ = tx.send(Internal::SessionFailed {
                        agent_id,
                        generation,
                        error: e.to_string(),
                    });
                }
            }
        });
    }

    pub(crate) fn session_started(
        &mut self,
        id: &AgentId,
        generation: u64,
        commands: mpsc::Sender<SessionCommand>,
    ) {
        let Some(a) = self.agents.get_mut(id) else {
            let _ = commands.try_send(SessionCommand::Close);
            return;
        };
        if a.generation != generation {
            let _ = commands.try_send(SessionCommand::Close);
            return;
        }
        a.session = Some(commands);
        a.last_exit = None;
        self.agent_input(id, Input::SessionStarted);
        // Delivering the queue already moved the agent to `thinking`; otherwise it is awake.
        if let Some(a) = self.agents.get(id)
            && !a.flow.is_busy()
            && matches!(a.rt.state, AgentState::Sleeping | AgentState::Error)
        {
            self.set_state(id, AgentState::Idle, None);
        }
    }

    pub(crate) fn session_failed(&mut self, id: &AgentId, generation: u64, error: &str) {
        let Some(a) = self.agents.get(id) else {
            return;
        };
        if a.generation != generation {
            return;
        }
        self.error_entry(id, error, None);
        self.set_state(id, AgentState::Error, Some(error.to_owned()));
        self.agent_input(id, Input::SessionFailed);
    }

    pub(crate) fn session_ended(&mut self, id: &AgentId, generation: u64) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        if a.generation != generation {
            return;
        }
        a.session = None;
        for p in &mut a.approvals {
            p.orphaned = true;
        }
        let was_busy = a.flow.is_busy();
        let now = crate::time::now_ms();
        let mut replay = false;
        if was_busy {
            a.crashes.retain(|t| now - t < CRASH_WINDOW_MS);
            a.crashes.push(now);
            replay = a.flow.turn == crate::turn::TurnPhase::Running
                && a.inflight.is_some()
                && !a.replayed
                && a.crashes.len() < MAX_CRASHES;
        }
        self.agent_input(id, Input::SessionExited { replay });
        let state = self.agents.get(id).map(|a| a.rt.state);
        if !was_busy && state != Some(AgentState::Error) {
            self.set_state(id, AgentState::Sleeping, None);
        }
    }

    /// Takes the whole queue, writes the user entry durably, and sends the turn.
    fn deliver_queue(&mut self, id: &AgentId) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        let Some(turn) = a.queue.take_turn() else {
            return;
        };
        let conversation_id = a.rec.conversation_id.clone();
        let entry = NewEntry {
            id: new_id("en").into(),
            conversation_id,
            ts: crate::time::now_ms(),
            body: EntryBody::User {
                messages: turn.lines.clone(),
            },
            position: None,
        };
        match self.store.deliver_turn(id, &turn.message_ids, &entry) {
            Ok(entry) => {
                let user_turn = UserTurn {
                    lines: turn.lines.clone(),
                    text: turn.text.clone(),
                    attachments: turn
                        .attachments
                        .iter()
                        .map(|name| TurnAttachment {
                            name: name.clone(),
                            path: crate::files::agent_dir(&self.config.data_dir, id).join(name),
                            mime: crate::files::mime_for_name(name).to_owned(),
                        })
                        .collect(),
                };
                let a = self.agents.get_mut(id).expect("checked above");
                a.rec.turn_open = true;
                a.asked = false;
                a.interrupted_by = None;
                a.last_active = crate::time::now_ms();
                a.inflight = Some(user_turn.clone());
                a.replayed = false;
                a.turn_position = None;
                let queue = a.queue.items().iter().map(to_proto::queued).collect();
                let sent = a
                    .session
                    .as_ref()
                    .map(|tx| tx.try_send(SessionCommand::Send(user_turn)));
                self.emit(ServerMessage::LogEntry {
                    agent_id: id.clone(),
                    entry,
                });
                self.emit(ServerMessage::QueueUpdated {
                    agent_id: id.clone(),
                    queue,
                });
                self.set_state(id, AgentState::Thinking, None);
                if !matches!(sent, Some(Ok(()))) {
                    // The session vanished between the check and the send.
                    self.agent_input(id, Input::SessionExited { replay: false });
                }
            }
            Err(e) => {
                tracing::error!(agent = %id, error = %e, "could not store a delivered turn");
                // Put the messages back: nothing acknowledged may be lost.
                if let Ok(items) = self.store.load_queue(id)
                    && let Some(a) = self.agents.get_mut(id)
                {
                    a.queue = Queue::from_items(items);
                }
                self.error_entry(id, &format!("could not store the message: {e}"), None);
                self.agent_input(id, Input::SessionFailed);
            }
        }
    }

    /// Turns one backend event into entries, deltas and state.
    pub(crate) fn backend_event(&mut self, id: &AgentId, generation: u64, ev: NormalizedEvent) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        if a.generation != generation {
            return;
        }
        match ev {
            NormalizedEvent::SessionId(sid) => {
                let conv = a.rec.conversation_id.clone();
                if let Err(e) = self.store.set_backend_session_id(&conv, &sid) {
                    tracing::error!(error = %e, "could not store the backend session id");
                }
            }
            NormalizedEvent::TurnStarted => self.set_state(id, AgentState::Thinking, None),
            NormalizedEvent::Position(p) => a.turn_position = Some(p),
            NormalizedEvent::TextDelta(t) => self.delta(id, DeltaKind::Text, &t),
            NormalizedEvent::ThinkingDelta(t) => self.delta(id, DeltaKind::Thinking, &t),
            NormalizedEvent::AssistantText(text) => {
                let open = a.open_text.take();
                self.finished_block(id, open, EntryBody::Assistant { text });
            }
            NormalizedEvent::Thinking(text) => {
                let open = a.open_thinking.take();
                self.finished_block(id, open, EntryBody::Thinking { text });
            }
            NormalizedEvent::ToolStarted {
                call_id,
                tool,
                input,
            } => {
                let entry_id: EntryId = new_id("en").into();
                a.tools.insert(
                    call_id.clone(),
                    (entry_id.clone(), tool.clone(), input.clone()),
                );
                self.write_entry(
                    id,
                    entry_id,
                    EntryBody::ToolCall {
                        call_id,
                        tool,
                        input,
                        output: None,
                        status: ToolStatus::Running,
                    },
                );
                self.set_state(id, AgentState::Tool, None);
            }
            NormalizedEvent::ToolFinished {
                call_id,
                output,
                ok,
            } => {
                if let Some((entry_id, tool, input)) = a.tools.remove(&call_id) {
                    self.write_entry(
                        id,
                        entry_id,
                        EntryBody::ToolCall {
                            call_id,
                            tool,
                            input,
                            output: Some(output),
                            status: if ok {
                                ToolStatus::Ok
                            } else {
                                ToolStatus::Failed
                            },
                        },
                    );
                }
                self.set_state(id, AgentState::Thinking, None);
            }
            NormalizedEvent::ApprovalRequest {
                request_id,
                tool,
                input,
                summary,
                unanalysable,
            } => self.approval_requested(
                id,
                request_id,
                tool,
                input,
                summary,
                unanalysable.as_deref(),
            ),
            NormalizedEvent::Commands(commands) => a.backend_commands = commands,
            NormalizedEvent::Question(text) => {
                a.asked = true;
                let open = a.open_text.take();
                self.finished_block(id, open, EntryBody::Assistant { text });
                self.set_state(id, AgentState::WaitingInput, None);
            }
            NormalizedEvent::TurnCompleted { usage, interrupted } => {
                self.finish_open_blocks(id, interrupted);
                let a = self.agents.get_mut(id).expect("checked above");
                if interrupted {
                    let by = a.interrupted_by.take().unwrap_or_else(|| "someone".into());
                    self.system_entry(id, &format!("Interrupted by {by}."));
                }
                let a = self.agents.get_mut(id).expect("checked above");
                a.rec.usage.input_tokens += usage.input_tokens;
                a.rec.usage.output_tokens += usage.output_tokens;
                a.rec.usage.cache_read_tokens += usage.cache_read_tokens;
                a.rec.usage.cache_write_tokens += usage.cache_write_tokens;
                a.rec.usage.cost_usd += usage.cost_usd;
                a.rec.usage.turns += 1;
                let total = a.rec.usage;
                let position = a.turn_position.take();
                self.write_entry_at(
                    id,
                    new_id("en").into(),
                    EntryBody::TurnEnd { usage },
                    position,
                );
                self.emit(ServerMessage::UsageUpdated {
                    agent_id: id.clone(),
                    usage: total,
                });
                self.close_turn(id);
                self.agent_input(id, Input::TurnFinished);
            }
            NormalizedEvent::TurnFailed { message, hint } => {
                self.finish_open_blocks(id, true);
                self.error_entry(id, &message, hint.as_deref());
                self.close_turn(id);
                self.set_state(id, AgentState::Error, Some(message));
                self.agent_input(id, Input::TurnFinished);
            }
            NormalizedEvent::Exited { code, stderr_tail } => {
                // What happens next (replay, error, sleep) is decided when the session ends.
                let tail: String = {
                    let t = stderr_tail.trim();
                    let start = t.len().saturating_sub(2000);
                    let start = (start..=t.len())
                        .find(|i| t.is_char_boundary(*i))
                        .unwrap_or(t.len());
                    t[start..].to_owned()
                };
                a.last_exit = Some((code, tail));
            }
        }
    }

    /// Ends the turn's bookkeeping: persisted flag, state, attention.
    fn close_turn(&mut self, id: &AgentId) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        a.rec.turn_open = false;
        a.tools.clear();
        a.inflight = None;
        a.last_active = crate::time::now_ms();
        let asked = a.asked;
        let approvals_left = !a.approvals.is_empty();
        // One write for the end of the turn: `turn_open` and the usage totals.
        if let Err(e) = self.store.update_agent(&a.rec) {
            tracing::error!(error = %e, "could not store the end of a turn");
        }
        let a = self.agents.get(id).expect("present");
        if a.rt.state != AgentState::Error {
            let next = if asked {
                AgentState::WaitingInput
            } else if approvals_left {
                AgentState::WaitingApproval
            } else if a.session.is_some() {
                AgentState::Idle
            } else {
                AgentState::Sleeping
            };
            self.set_state(id, next, None);
        }
    }

    fn delta(&mut self, id: &AgentId, kind: DeltaKind, text: &str) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        let slot = match kind {
            DeltaKind::Thinking => &mut a.open_thinking,
            _ => &mut a.open_text,
        };
        let block = slot.get_or_insert_with(|| OpenBlock {
            id: new_id("en").into(),
            text: String::new(),
        });
        block.text.push_str(text);
        let entry_id = block.id.clone();
        let conversation_id = a.rec.conversation_id.clone();
        let state = a.rt.state;
        let secrets = self.secrets_for(id);
        let delta = crate::redact::text(text, &secrets).into_owned();
        self.emit(ServerMessage::LogDelta {
            agent_id: id.clone(),
            entry_id,
            conversation_id,
            kind,
            delta,
        });
        if state != AgentState::Thinking {
            self.set_state(id, AgentState::Thinking, None);
        }
    }

    fn finished_block(&mut self, id: &AgentId, open: Option<OpenBlock>, body: EntryBody) {
        let entry_id = open.map_or_else(|| new_id("en").into(), |b| b.id);
        self.write_entry(id, entry_id, body);
    }

    /// Persists what was streamed of unfinished blocks (a cut-short turn keeps its text).
    fn finish_open_blocks(&mut self, id: &AgentId, cut_short: bool) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        let text = a.open_text.take();
        let thinking = a.open_thinking.take();
        if let Some(b) = thinking {
            self.write_entry(id, b.id, EntryBody::Thinking { text: b.text });
        }
        if let Some(b) = text {
            let text = if cut_short {
                format!("{} …", b.text)
            } else {
                b.text
            };
            self.write_entry(id, b.id, EntryBody::Assistant { text });
        }
    }

    /// Persists an entry of the agent's current conversation and broadcasts it.
    pub(crate) fn write_entry(&mut self, id: &AgentId, entry_id: EntryId, body: EntryBody) {
        self.write_entry_at(id, entry_id, body, None);
    }

    /// [`Office::write_entry`], recording the backend position the turn reached.
    fn write_entry_at(
        &mut self,
        id: &AgentId,
        entry_id: EntryId,
        body: EntryBody,
        position: Option<String>,
    ) {
        let secrets = self.secrets_for(id);
        let Some(a) = self.agents.get(id) else {
            return;
        };
        let new = NewEntry {
            id: entry_id,
            conversation_id: a.rec.conversation_id.clone(),
            ts: crate::time::now_ms(),
            body: crate::redact::body(body, &secrets),
            position,
        };
        match self.store.upsert_entry(&new) {
            Ok(entry) => self.emit(ServerMessage::LogEntry {
                agent_id: id.clone(),
                entry,
            }),
            Err(e) => tracing::error!(agent = %id, error = %e, "could not store an entry"),
        }
    }

    /// The secret values an agent's entries must not show: its office and room environment's
    /// secret-looking values and the spawn-time provider keys (office tokens are masked by their
    /// shape).
    fn secrets_for(&self, id: &AgentId) -> Vec<String> {
        let room = self
            .agents
            .get(id)
            .and_then(|a| self.rooms.iter().find(|r| r.id == a.rec.room_id));
        let mut secrets = crate::redact::secret_values(
            std::iter::once(&self.office.env).chain(room.map(|r| &r.env)),
        );
        secrets.extend(self.config.spawn_env.secrets());
        secrets
    }

    pub(crate) fn system_entry(&mut self, id: &AgentId, text: &str) {
        self.write_entry(
            id,
            new_id("en").into(),
            EntryBody::System { text: text.into() },
        );
    }

    pub(crate) fn error_entry(&mut self, id: &AgentId, message: &str, hint: Option<&str>) {
        self.write_entry(
            id,
            new_id("en").into(),
            EntryBody::Error {
                message: message.into(),
                hint: hint.map(Into::into),
            },
        );
    }

    /// Changes an agent's state, broadcasting it and any attention it raises.
    pub(crate) fn set_state(&mut self, id: &AgentId, state: AgentState, error: Option<String>) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        let prev = a.rt.state;
        if prev == state && a.rt.error == error {
            return;
        }
        a.rt.state = state;
        a.rt.error = error.clone();
        self.emit(ServerMessage::AgentState {
            agent_id: id.clone(),
            state,
            error,
        });
        if let Some(reason) = crate::attention::on_transition(prev, state) {
            self.emit(ServerMessage::Attention {
                agent_id: id.clone(),
                reason,
            });
        }
    }

    fn approval_requested(
        &mut self,
        id: &AgentId,
        request_id: String,
        tool: String,
        input: serde_json::Value,
        summary: String,
        unanalysable: Option<&str>,
    ) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        // The watchdog restarted the CLI and the replayed turn asks the same thing again: bind the
        // request to the card people already see, or apply the answer they already gave.
        if let Some(pos) = a
            .remembered
            .iter()
            .position(|r| r.tool == tool && r.input == input)
        {
            let r = a.remembered.remove(pos);
            if let Some(tx) = &a.session {
                let _ = tx.try_send(SessionCommand::AnswerApproval {
                    request_id,
                    allow: r.allow,
                    reason: r.reason,
                });
            }
            return;
        }
        if let Some(p) = a
            .approvals
            .iter_mut()
            .find(|p| p.orphaned && p.tool == tool && p.input == input)
        {
            p.request_id = request_id;
            p.orphaned = false;
            self.set_state(id, AgentState::WaitingApproval, None);
            return;
        }
        let approval_id = ApprovalId(new_id("ap"));
        let mode = a.rec.permission_mode;
        let (allow, reason) = match crate::permission::decide(mode, &tool, unanalysable) {
            Decision::Ask => (None, None),
            Decision::Allow => (Some(true), None),
            Decision::Deny(why) => (Some(false), Some(why)),
        };
        if let Some(allow) = allow {
            // The agent's permission mode answers (the safety rules already ran upstream).
            if let Some(tx) = &a.session {
                let _ = tx.try_send(SessionCommand::AnswerApproval {
                    request_id,
                    allow,
                    reason,
                });
            }
            self.emit(ServerMessage::ApprovalResolved {
                agent_id: id.clone(),
                approval_id,
                allow,
                by: format!("{} mode", mode.as_str()),
            });
            return;
        }
        let created_at = crate::time::now_ms();
        a.approvals.push(PendingApproval {
            approval_id: approval_id.clone(),
            request_id,
            tool: tool.clone(),
            input: input.clone(),
            summary: summary.clone(),
            created_at,
            orphaned: false,
        });
        self.emit(ServerMessage::ApprovalRequested {
            agent_id: id.clone(),
            approval_id,
            tool,
            input,
            summary,
            created_at,
        });
        self.emit_agent(id);
        self.set_state(id, AgentState::WaitingApproval, None);
    }

    /// The turn is over for good: approvals of the dead CLI and answers waiting for a replay
    /// are void; everyone sees the cards close.
    fn drop_orphaned_approvals(&mut self, id: &AgentId) {
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        a.remembered.clear();
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut a.approvals)
            .into_iter()
            .partition(|p| p.orphaned);
        a.approvals = kept;
        if gone.is_empty() {
            return;
        }
        for p in gone {
            self.emit(ServerMessage::ApprovalResolved {
                agent_id: id.clone(),
                approval_id: p.approval_id,
                allow: false,
                by: "office (the turn was lost)".into(),
            });
        }
        self.emit_agent(id);
    }

    /// Broadcasts the whole agent object.
    pub(crate) fn emit_agent(&self, id: &AgentId) {
        if let Some(a) = self.agents.get(id) {
            self.emit(ServerMessage::AgentUpdated {
                agent: Box::new(to_proto::agent(a)),
            });
        }
    }
}
