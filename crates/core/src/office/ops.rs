//! Applying ops: validation, persistence (durable before the reply), state change, events.
//! One function per op family; the dispatcher is the single `match` over `Op`.

use super::Caller;
use super::actor::Office;
use super::agent::LiveAgent;
use crate::backend::SessionCommand;
use crate::domain::{AgentRecord, ConversationRecord, ForkPoint, QueuedItem, RoomRecord};
use crate::error::{CoreError, Result};
use crate::ids::new_id;
use crate::to_proto;
use crate::turn::Input;
use isomux_protocol::op::responses::*;
use isomux_protocol::op::{SendMessage, SpawnAgent, UpdateAgent};
use isomux_protocol::{
    AgentId, AgentState, ConversationId, EntryBody, EntryId, MessageId, Op, RoomId, Sender,
    SenderKind, ServerMessage,
};
use std::collections::BTreeMap;

/// Desks per room.
pub const DESKS_PER_ROOM: u8 = 8;
const MAX_NAME: usize = 40;
const MAX_TEXT: usize = 200_000;
const DEDUPE_MS: i64 = 5 * 60 * 1000;

impl Office {
    /// Applies one op for `caller` (visibility is checked around it, in `members.rs`).
    pub(crate) fn apply_op(&mut self, caller: &Caller, op: Op) -> Result<OpOutput> {
        match op {
            op @ (Op::CreateInvite { .. }
            | Op::CreateDeviceLink { .. }
            | Op::ListInvites
            | Op::RevokeInvite { .. }
            | Op::ListAuthSessions
            | Op::RevokeAuthSession { .. }
            | Op::ListMembers
            | Op::UpdateMember { .. }
            | Op::RemoveMember { .. }
            | Op::ListApiTokens
            | Op::CreateApiToken { .. }
            | Op::RevokeApiToken { .. }) => self.apply_members(caller, op),
            op @ (Op::ListTasks
            | Op::CreateTask(_)
            | Op::GetTask { .. }
            | Op::UpdateTask(_)
            | Op::DeleteTask { .. }
            | Op::ClaimTask { .. }
            | Op::CompleteTask { .. }) => self.apply_tasks(caller, op),
            // Cards run through `OfficeHandle::call` (their work happens off the actor).
            op @ (Op::ReadFile { .. }
            | Op::ShowDiff { .. }
            | Op::EditFile { .. }
            | Op::TerminalCommand { .. }
            | Op::ListSkills { .. }) => Err(CoreError::InvalidBody(format!(
                "{} is answered through OfficeHandle::call",
                op.op_id()
            ))),
            Op::GetState => Ok(OpOutput::State(Box::new(self.full_state(caller)?))),
            Op::GetMe => Ok(OpOutput::Me(MeBody {
                me: to_proto::me(caller),
            })),
            Op::ListAgents => Ok(OpOutput::Agents(AgentsBody {
                agents: self.agents.values().map(to_proto::agent).collect(),
            })),
            Op::SpawnAgent(s) => self.spawn_agent(s),
            Op::UpdateAgent(u) => self.update_agent(caller, u),
            Op::DeleteAgent { agent_id } => self.delete_agent(&agent_id),
            Op::MoveAgent {
                agent_id,
                room_id,
                desk,
            } => self.move_agent(&agent_id, &room_id, desk),
            Op::SendMessage(m) => self.send_message(caller, m),
            Op::SendNow { agent_id } | Op::Abort { agent_id } => {
                self.own_or_human(caller, &agent_id)?;
                self.interrupt(caller, &agent_id)?;
                Ok(OpOutput::done())
            }
            Op::CancelQueued {
                agent_id,
                message_id,
            } => self.cancel_queued(&agent_id, &message_id),
            Op::GetLogs {
                agent_id,
                conversation_id,
                before,
                limit,
            } => self.get_logs(&agent_id, conversation_id, before, limit),
            Op::AnswerApproval {
                agent_id,
                approval_id,
                allow,
                reason,
                scope: _,
            } => self.answer_approval(caller, &agent_id, &approval_id, allow, reason),
            Op::NewConversation { agent_id } => {
                self.own_or_human(caller, &agent_id)?;
                self.new_conversation(&agent_id)
            }
            Op::ListSessions { agent_id } => self.list_sessions(&agent_id),
            Op::EditMessage {
                agent_id,
                entry_id,
                text,
            } => self.edit_message(caller, &agent_id, &entry_id, &text),
            Op::ResumeSession {
                agent_id,
                session_id,
            } => self.resume_session(caller, &agent_id, &session_id),
            Op::ListRooms => Ok(OpOutput::Rooms(RoomsBody {
                rooms: self.rooms.iter().map(to_proto::room).collect(),
            })),
            Op::CreateRoom { name } => self.create_room(name),
            Op::UpdateRoom { room_id, name } => self.rename_room(&room_id, &name),
            Op::DeleteRoom { room_id } => self.delete_room(&room_id),
            Op::GetRoomSettings { room_id } => {
                let r = self.room(&room_id)?;
                Ok(OpOutput::RoomSettings(RoomSettings {
                    prompt: r.prompt.clone(),
                    env: r.env.clone(),
                }))
            }
            Op::PutRoomSettings {
                room_id,
                prompt,
                env,
            } => self.put_room_settings(&room_id, prompt, env),
            Op::GetOfficeSettings => Ok(OpOutput::Office(OfficeBody {
                office: to_proto::office(&self.office),
            })),
            Op::PutOfficeSettings { name, prompt, env } => {
                let mut next = self.office.clone();
                if let Some(n) = name {
                    next.name = clean_name(&n, "office name")?;
                }
                next.prompt = prompt;
                check_env(&env)?;
                next.env = env;
                self.store.put_office_settings(&next)?;
                self.office = next;
                let office = to_proto::office(&self.office);
                self.emit(ServerMessage::OfficeUpdated {
                    office: office.clone(),
                });
                Ok(OpOutput::Office(OfficeBody { office }))
            }
        }
    }

    /// Agents may act only on themselves; humans on anyone.
    fn own_or_human(&self, caller: &Caller, agent_id: &AgentId) -> Result<()> {
        match caller {
            Caller::Agent { agent_id: me, .. } if me != agent_id => Err(CoreError::Forbidden(
                "an agent token may only act on its own agent".into(),
            )),
            _ => Ok(()),
        }
    }

    fn spawn_agent(&mut self, s: SpawnAgent) -> Result<OpOutput> {
        let name = clean_name(&s.name, "name")?;
        self.check_name_free(&name, None)?;
        let backend = self
            .backends
            .get(&s.backend)
            .map(|b| b.describe())
            .ok_or_else(|| {
                CoreError::BackendUnavailable(format!(
                    "the {} backend is not available in this office; run `isomux doctor`",
                    s.backend.as_str()
                ))
            })?;
        if !backend.usable {
            return Err(CoreError::BackendUnavailable(format!(
                "the {} backend is not usable: {}",
                s.backend.as_str(),
                backend.detail.unwrap_or_default()
            )));
        }
        let cwd = check_cwd(&s.cwd)?;
        let (room_id, desk) = self.place(s.room_id.as_ref(), s.desk, None)?;
        let now = crate::time::now_ms();
        let rec = AgentRecord {
            id: AgentId(new_id("ag")),
            look: s.look.unwrap_or_else(|| crate::look::look_for_name(&name)),
            name,
            room_id,
            desk,
            cwd,
            backend: s.backend,
            model: s
                .model
                .filter(|m| !m.trim().is_empty())
                .unwrap_or(backend.default_model),
            permission_mode: s.permission_mode.unwrap_or_default(),
            effort: s.effort.unwrap_or_default(),
            prompt: s.prompt.unwrap_or_default(),
            topic: None,
            conversation_id: ConversationId(new_id("cv")),
            usage: Default::default(),
            created_at: now,
            turn_open: false,
        };
        self.store.insert_agent(&rec)?;
        self.mint_agent_token(&rec.id);
        let live = LiveAgent::new(rec, Vec::new());
        let agent = to_proto::agent(&live);
        self.agents.insert(live.rec.id.clone(), live);
        self.emit(ServerMessage::AgentAdded {
            agent: Box::new(agent.clone()),
        });
        Ok(OpOutput::Agent(Box::new(AgentBody { agent })))
    }

    fn check_name_free(&self, name: &str, except: Option<&AgentId>) -> Result<()> {
        let lower = name.to_lowercase();
        if self
            .agents
            .values()
            .any(|a| a.rec.name.to_lowercase() == lower && Some(&a.rec.id) != except)
        {
            return Err(CoreError::conflict(format!(
                "an agent named {name:?} already exists; pick another name"
            )));
        }
        Ok(())
    }

    /// Chooses a room and desk: the requested ones if free, else the first free desk.
    fn place(
        &self,
        room: Option<&RoomId>,
        desk: Option<u8>,
        moving: Option<&AgentId>,
    ) -> Result<(RoomId, u8)> {
        if let Some(d) = desk
            && !(1..=DESKS_PER_ROOM).contains(&d)
        {
            return Err(CoreError::InvalidBody(format!(
                "desk must be 1 to {DESKS_PER_ROOM}"
            )));
        }
        let taken = |room: &RoomId, d: u8| {
            self.agents
                .values()
                .any(|a| &a.rec.room_id == room && a.rec.desk == d && Some(&a.rec.id) != moving)
        };
        let candidates: Vec<&RoomRecord> = match room {
            Some(id) => vec![self.room(id)?],
            None => self.rooms.iter().collect(),
        };
        for r in candidates {
            match desk {
                Some(d) if room.is_some() => {
                    if taken(&r.id, d) {
                        return Err(CoreError::conflict(format!(
                            "desk {d} in {} is taken",
                            r.name
                        )));
                    }
                    return Ok((r.id.clone(), d));
                }
                _ => {
                    if let Some(d) = (1..=DESKS_PER_ROOM).find(|d| !taken(&r.id, *d)) {
                        return Ok((r.id.clone(), d));
                    }
                }
            }
        }
        Err(CoreError::conflict(
            "no free desk: every room has 8 agents; add a room first",
        ))
    }

    fn update_agent(&mut self, caller: &Caller, u: UpdateAgent) -> Result<OpOutput> {
        self.own_or_human(caller, &u.agent_id)?;
        let id = u.agent_id.clone();
        let current = self.agent_mut(&id)?.rec.clone();
        let mut next = current.clone();
        if let Some(n) = u.name {
            let n = clean_name(&n, "name")?;
            self.check_name_free(&n, Some(&id))?;
            next.name = n;
        }
        if let Some(l) = u.look {
            next.look = l;
        }
        if let Some(c) = u.cwd {
            next.cwd = check_cwd(&c)?;
        }
        if let Some(m) = u.model.filter(|m| !m.trim().is_empty()) {
            next.model = m;
        }
        if let Some(p) = u.permission_mode {
            next.permission_mode = p;
        }
        if let Some(e) = u.effort {
            next.effort = e;
        }
        if let Some(p) = u.prompt {
            next.prompt = p;
        }
        if let Some(t) = u.topic {
            next.topic = Some(t).filter(|t| !t.trim().is_empty());
        }
        if next == current {
            return Ok(OpOutput::Agent(Box::new(AgentBody {
                agent: to_proto::agent(self.agents.get(&id).expect("exists")),
            })));
        }
        // The CLI got these at spawn: restart it (at the next idle point) to apply them.
        let respawn = next.model != current.model
            || next.effort != current.effort
            || next.cwd != current.cwd
            || next.prompt != current.prompt;
        self.store.update_agent(&next)?;
        self.agent_mut(&id)?.rec = next;
        if respawn {
            self.agent_input(&id, Input::Restart);
            let a = self.agent_mut(&id)?;
            if a.session.is_none() && !a.flow.is_busy() && a.rt.state == AgentState::Idle {
                self.set_state(&id, AgentState::Sleeping, None);
            }
        }
        self.emit_agent(&id);
        Ok(OpOutput::Agent(Box::new(AgentBody {
            agent: to_proto::agent(self.agents.get(&id).expect("exists")),
        })))
    }

    fn delete_agent(&mut self, id: &AgentId) -> Result<OpOutput> {
        self.agent_mut(id)?;
        self.store.archive_agent(id)?;
        self.agent_input(id, Input::Close);
        self.forget_agent_token(id);
        self.agents.remove(id);
        self.emit(ServerMessage::AgentRemoved {
            agent_id: id.clone(),
        });
        Ok(OpOutput::done())
    }

    fn move_agent(&mut self, id: &AgentId, room: &RoomId, desk: Option<u8>) -> Result<OpOutput> {
        self.agent_mut(id)?;
        let (room_id, desk) = self.place(Some(room), desk, Some(id))?;
        let mut next = self.agent_mut(id)?.rec.clone();
        next.room_id = room_id;
        next.desk = desk;
        self.store.update_agent(&next)?;
        self.agent_mut(id)?.rec = next;
        self.emit_agent(id);
        Ok(OpOutput::Agent(Box::new(AgentBody {
            agent: to_proto::agent(self.agents.get(id).expect("exists")),
        })))
    }

    fn send_message(&mut self, caller: &Caller, m: SendMessage) -> Result<OpOutput> {
        let id = m.agent_id.clone();
        self.agent_mut(&id)?;
        if let Some(out) = self.office_command(caller, &m)? {
            return Ok(out);
        }
        if m.steer && !caller.is_human() {
            return Err(CoreError::Forbidden(
                "steer is for humans; agents' messages always queue".into(),
            ));
        }
        let text = clean_text(&m.text, !m.attachments.is_empty())?;
        for name in &m.attachments {
            if !crate::files::valid_name(name) {
                return Err(CoreError::InvalidBody(format!(
                    "attachment {name:?} is not an uploaded file name (upload it first with \
                     POST /api/agents/{id}/uploads and use the returned name)"
                )));
            }
            if !crate::files::agent_dir(&self.config.data_dir, &id)
                .join(name)
                .is_file()
            {
                return Err(CoreError::InvalidBody(format!(
                    "attachment {name} was not uploaded to this agent (POST \
                     /api/agents/{id}/uploads first)"
                )));
            }
        }
        let mut attachments: Vec<String> = Vec::new();
        for name in m.attachments {
            if !attachments.contains(&name) {
                attachments.push(name);
            }
        }
        let now = crate::time::now_ms();
        self.dedupe.retain(|_, (_, t)| now - *t < DEDUPE_MS);
        if let Some(cmid) = &m.client_message_id
            && let Some((mid, _)) = self.dedupe.get(&(id.clone(), cmid.clone()))
        {
            return Ok(OpOutput::MessageAccepted(MessageAccepted {
                message_id: mid.clone(),
                queued: self.agents.get(&id).is_some_and(|a| a.flow.is_busy()),
            }));
        }
        let item = QueuedItem {
            id: MessageId(new_id("mg")),
            sender: sender_of(caller),
            text,
            created_at: now,
            attachments,
        };
        // Durable before acknowledged: the message is in SQLite before we answer.
        self.store.enqueue(&id, &item)?;
        if let Some(cmid) = m.client_message_id {
            self.dedupe
                .insert((id.clone(), cmid), (item.id.clone(), now));
        }
        let message_id = item.id.clone();
        let a = self.agent_mut(&id)?;
        let busy = a.flow.is_busy();
        a.queue.push(item);
        let queue = a.queue.items().iter().map(to_proto::queued).collect();
        self.emit(ServerMessage::QueueUpdated {
            agent_id: id.clone(),
            queue,
        });
        if m.steer && busy {
            self.interrupt(caller, &id)?;
        }
        self.agent_input(&id, Input::MessageQueued);
        Ok(OpOutput::MessageAccepted(MessageAccepted {
            message_id,
            queued: busy,
        }))
    }

    fn interrupt(&mut self, caller: &Caller, id: &AgentId) -> Result<()> {
        let a = self.agent_mut(id)?;
        if a.flow.is_busy() {
            a.interrupted_by = Some(caller.display_name());
        }
        self.agent_input(id, Input::InterruptRequested);
        Ok(())
    }

    fn cancel_queued(&mut self, id: &AgentId, message_id: &MessageId) -> Result<OpOutput> {
        let a = self.agent_mut(id)?;
        if a.queue.remove(message_id).is_none() {
            return Err(CoreError::not_found(format!("queued message {message_id}")));
        }
        let queue = a.queue.items().iter().map(to_proto::queued).collect();
        self.store.dequeue(message_id)?;
        self.emit(ServerMessage::QueueUpdated {
            agent_id: id.clone(),
            queue,
        });
        Ok(OpOutput::done())
    }

    fn get_logs(
        &mut self,
        id: &AgentId,
        conversation: Option<ConversationId>,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> Result<OpOutput> {
        let current = self.agent_mut(id)?.rec.conversation_id.clone();
        let conversation = match conversation {
            Some(c) if c != current => {
                let rec = self.store.conversation(&c)?;
                if rec.is_none_or(|r| &r.agent_id != id) {
                    return Err(CoreError::not_found(format!("conversation {c}")));
                }
                c
            }
            _ => current,
        };
        let limit = limit.unwrap_or(100).clamp(1, 500) as u32;
        let (entries, more) = self.store.page_entries(&conversation, before, limit)?;
        let next_before = if more {
            entries.first().map(|e| e.seq)
        } else {
            None
        };
        Ok(OpOutput::Logs(LogsPage {
            entries,
            next_before,
        }))
    }

    fn answer_approval(
        &mut self,
        caller: &Caller,
        id: &AgentId,
        approval_id: &isomux_protocol::ApprovalId,
        allow: bool,
        reason: Option<String>,
    ) -> Result<OpOutput> {
        let a = self.agent_mut(id)?;
        let Some(pos) = a
            .approvals
            .iter()
            .position(|p| &p.approval_id == approval_id)
        else {
            // A malformed id was never minted here: unknown, not a second answer.
            if !crate::ids::well_formed(approval_id.as_str(), "ap") {
                return Err(CoreError::not_found(format!("approval {approval_id}")));
            }
            return Err(CoreError::conflict(format!(
                "approval {approval_id} is not pending (already answered, or unknown)"
            )));
        };
        let pending = a.approvals.remove(pos);
        if pending.orphaned {
            // The CLI that asked is restarting: apply the answer when it asks again.
            a.remembered.push(super::agent::RememberedAnswer {
                tool: pending.tool,
                input: pending.input,
                allow,
                reason,
            });
        } else if let Some(tx) = &a.session {
            let _ = tx.try_send(SessionCommand::AnswerApproval {
                request_id: pending.request_id,
                allow,
                reason,
            });
        }
        let still_waiting = !a.approvals.is_empty();
        let busy = a.flow.is_busy();
        self.emit(ServerMessage::ApprovalResolved {
            agent_id: id.clone(),
            approval_id: approval_id.clone(),
            allow,
            by: caller.display_name(),
        });
        self.emit_agent(id);
        if !still_waiting {
            let next = if busy {
                AgentState::Thinking
            } else {
                AgentState::Idle
            };
            self.set_state(id, next, None);
        }
        Ok(OpOutput::done())
    }

    fn new_conversation(&mut self, id: &AgentId) -> Result<OpOutput> {
        self.agent_mut(id)?;
        self.agent_input(id, Input::Close);
        let conv = ConversationRecord {
            id: ConversationId(new_id("cv")),
            agent_id: id.clone(),
            backend_session_id: None,
            forked_from: None,
            created_at: crate::time::now_ms(),
            topic: None,
            fork: None,
        };
        self.store.insert_conversation(&conv)?;
        let mut next = self.agent_mut(id)?.rec.clone();
        next.conversation_id = conv.id;
        next.turn_open = false;
        next.topic = None;
        self.store.update_agent(&next)?;
        let a = self.agent_mut(id)?;
        a.rec = next;
        a.approvals.clear();
        a.remembered.clear();
        self.set_state(id, AgentState::Sleeping, None);
        self.emit_agent(id);
        // Messages still waiting start the new conversation.
        self.agent_input(id, Input::MessageQueued);
        Ok(OpOutput::Agent(Box::new(AgentBody {
            agent: to_proto::agent(self.agents.get(id).expect("exists")),
        })))
    }

    fn list_sessions(&mut self, id: &AgentId) -> Result<OpOutput> {
        let current = self.agent_mut(id)?.rec.conversation_id.clone();
        let sessions = self
            .store
            .list_conversations(id)?
            .into_iter()
            .map(|(c, n, branched)| to_proto::conversation(&c, n, c.id == current, branched))
            .collect();
        Ok(OpOutput::Sessions(SessionsBody { sessions }))
    }

    /// Edit = fork (design §6): see [`Op::EditMessage`]. The new conversation shows the
    /// history before the edited message (its `forked_from` chain, walked at read time) and
    /// its backend session starts as a fork of the session that message was sent in, at the
    /// backend position the previous turn reached; with no earlier turn, a fresh session.
    fn edit_message(
        &mut self,
        caller: &Caller,
        id: &AgentId,
        entry_id: &EntryId,
        text: &str,
    ) -> Result<OpOutput> {
        self.own_or_human(caller, id)?;
        let a = self.agent_mut(id)?;
        let busy = a.flow.is_busy() || a.rec.turn_open;
        let queued = !a.queue.is_empty();
        let backend = a.rec.backend;
        let entry = self
            .store
            .entry(entry_id)?
            .ok_or_else(|| CoreError::not_found(format!("entry {entry_id}")))?;
        let source = self
            .store
            .conversation(&entry.conversation_id)?
            .filter(|c| &c.agent_id == id)
            .ok_or_else(|| CoreError::not_found(format!("entry {entry_id}")))?;
        if !matches!(entry.body, EntryBody::User { .. }) {
            return Err(CoreError::InvalidBody(format!(
                "entry {entry_id} is not a user message; only user messages can be edited"
            )));
        }
        let text = clean_text(text, false)?;
        if busy {
            return Err(CoreError::conflict(
                "the agent is mid-turn; interrupt first (POST /api/agents/:id/abort), then edit",
            ));
        }
        if queued {
            return Err(CoreError::conflict(
                "the agent has queued messages; send or cancel them first, then edit",
            ));
        }
        let backend_point =
            fork_position(self.store.position_before(&source.id, entry.seq)?, &source)?;
        let capable = self
            .backends
            .get(&backend)
            .is_some_and(|b| b.describe().capabilities.fork_at_message);
        if backend_point.is_some() && !capable {
            return Err(CoreError::conflict(format!(
                "the {} backend cannot fork a conversation at a message; start a new \
                 conversation instead",
                backend.as_str()
            )));
        }
        let conv = ConversationRecord {
            id: ConversationId(new_id("cv")),
            agent_id: id.clone(),
            backend_session_id: None,
            forked_from: Some(source.id),
            created_at: crate::time::now_ms(),
            topic: None,
            fork: Some(ForkPoint {
                before: entry.seq,
                backend: backend_point,
            }),
        };
        let item = QueuedItem {
            id: MessageId(new_id("mg")),
            sender: sender_of(caller),
            text,
            created_at: crate::time::now_ms(),
            attachments: Vec::new(),
        };
        let mut next = self.agent_mut(id)?.rec.clone();
        next.conversation_id = conv.id.clone();
        next.turn_open = false;
        next.topic = None;
        // Durable before acknowledged: the fork, the switch and the message in one transaction.
        self.store
            .switch_conversation(&next, Some(&conv), Some(&item))?;
        let message_id = item.id.clone();
        self.switch_to(id, next, Some(item));
        Ok(OpOutput::Forked(Box::new(Forked {
            agent: to_proto::agent(self.agents.get(id).expect("exists")),
            conversation: to_proto::conversation(&conv, 0, true, false),
            message_id,
        })))
    }

    /// Makes one of the agent's conversations its current one again.
    fn resume_session(
        &mut self,
        caller: &Caller,
        id: &AgentId,
        conversation: &ConversationId,
    ) -> Result<OpOutput> {
        self.own_or_human(caller, id)?;
        let a = self.agent_mut(id)?;
        let busy = a.flow.is_busy() || a.rec.turn_open;
        let current = a.rec.conversation_id.clone();
        let conv = self
            .store
            .conversation(conversation)?
            .filter(|c| &c.agent_id == id)
            .ok_or_else(|| CoreError::not_found(format!("session {conversation}")))?;
        if conv.id != current {
            if busy {
                return Err(CoreError::conflict(
                    "the agent is mid-turn; interrupt first (POST /api/agents/:id/abort), then \
                     switch sessions",
                ));
            }
            let mut next = self.agent_mut(id)?.rec.clone();
            next.conversation_id = conv.id.clone();
            next.turn_open = false;
            next.topic = conv.topic;
            self.store.switch_conversation(&next, None, None)?;
            self.switch_to(id, next, None);
        }
        Ok(OpOutput::Agent(Box::new(AgentBody {
            agent: to_proto::agent(self.agents.get(id).expect("exists")),
        })))
    }

    /// After the store switched the agent's conversation: closes the live CLI (the next
    /// message starts or resumes the new conversation's backend session), drops approvals of
    /// the old one, queues `item` and lets the turn machine deliver it.
    fn switch_to(&mut self, id: &AgentId, next: AgentRecord, item: Option<QueuedItem>) {
        self.agent_input(id, Input::Close);
        let Some(a) = self.agents.get_mut(id) else {
            return;
        };
        a.rec = next;
        a.approvals.clear();
        a.remembered.clear();
        let queued = item.is_some();
        if let Some(item) = item {
            a.queue.push(item);
        }
        let queue = a.queue.items().iter().map(to_proto::queued).collect();
        self.set_state(id, AgentState::Sleeping, None);
        if queued {
            self.emit(ServerMessage::QueueUpdated {
                agent_id: id.clone(),
                queue,
            });
        }
        self.emit_agent(id);
        self.agent_input(id, Input::MessageQueued);
    }

    fn create_room(&mut self, name: Option<String>) -> Result<OpOutput> {
        let position = self.rooms.iter().map(|r| r.position + 1).max().unwrap_or(0);
        let name = match name {
            Some(n) => clean_name(&n, "room name")?,
            None => format!("Room {}", self.rooms.len() + 1),
        };
        let room = RoomRecord {
            id: RoomId(new_id("rm")),
            name,
            position,
            prompt: String::new(),
            env: BTreeMap::new(),
        };
        self.store.upsert_room(&room)?;
        let wire = to_proto::room(&room);
        self.rooms.push(room);
        self.emit(ServerMessage::RoomAdded { room: wire.clone() });
        Ok(OpOutput::Room(RoomBody { room: wire }))
    }

    fn rename_room(&mut self, id: &RoomId, name: &str) -> Result<OpOutput> {
        let name = clean_name(name, "room name")?;
        let mut room = self.room(id)?.clone();
        room.name = name;
        self.save_room(room)
    }

    fn put_room_settings(
        &mut self,
        id: &RoomId,
        prompt: String,
        env: BTreeMap<String, String>,
    ) -> Result<OpOutput> {
        check_env(&env)?;
        let mut room = self.room(id)?.clone();
        room.prompt = prompt;
        room.env = env;
        self.save_room(room)?;
        let r = self.room(id)?;
        Ok(OpOutput::RoomSettings(RoomSettings {
            prompt: r.prompt.clone(),
            env: r.env.clone(),
        }))
    }

    fn save_room(&mut self, room: RoomRecord) -> Result<OpOutput> {
        self.store.upsert_room(&room)?;
        let wire = to_proto::room(&room);
        if let Some(slot) = self.rooms.iter_mut().find(|r| r.id == room.id) {
            *slot = room;
        }
        self.emit(ServerMessage::RoomUpdated { room: wire.clone() });
        Ok(OpOutput::Room(RoomBody { room: wire }))
    }

    fn delete_room(&mut self, id: &RoomId) -> Result<OpOutput> {
        self.room(id)?;
        if self.agents.values().any(|a| &a.rec.room_id == id) {
            return Err(CoreError::conflict(
                "the room still has agents; move or delete them first",
            ));
        }
        if self.rooms.len() == 1 {
            return Err(CoreError::conflict("the office needs at least one room"));
        }
        self.store.delete_room(id)?;
        self.rooms.retain(|r| &r.id != id);
        self.emit(ServerMessage::RoomRemoved {
            room_id: id.clone(),
        });
        Ok(OpOutput::done())
    }
}

/// Where the backend session of a fork before a message starts: the position the previous
/// turn of `source` reached (in `source`'s backend session), else — the message is the first of
/// `source` — wherever `source` itself started (`None`: a fresh session).
fn fork_position(
    before: Option<String>,
    source: &ConversationRecord,
) -> Result<Option<(String, String)>> {
    match before {
        Some(at) => {
            let session = source.backend_session_id.clone().ok_or_else(|| {
                CoreError::conflict("the conversation has no backend session to fork")
            })?;
            Ok(Some((session, at)))
        }
        None => Ok(source.fork.as_ref().and_then(|f| f.backend.clone())),
    }
}

/// Who a message is from: the authenticated caller, never a body field.
fn sender_of(caller: &Caller) -> Sender {
    match caller {
        Caller::Human {
            member_id,
            name,
            device,
            ..
        } => Sender {
            kind: SenderKind::Human,
            id: member_id.0.clone(),
            name: name.clone(),
            device: device.clone(),
        },
        Caller::Agent { agent_id, name } => Sender {
            kind: SenderKind::Agent,
            id: agent_id.0.clone(),
            name: name.clone(),
            device: None,
        },
    }
}

/// A message's text: trailing whitespace dropped, not empty (unless files are attached), at
/// most [`MAX_TEXT`] bytes.
fn clean_text(text: &str, has_attachments: bool) -> Result<String> {
    let text = text.trim_end().to_owned();
    if text.trim().is_empty() && !has_attachments {
        return Err(CoreError::InvalidBody("text must not be empty".into()));
    }
    if text.len() > MAX_TEXT {
        return Err(CoreError::InvalidBody(format!(
            "text is longer than {MAX_TEXT} bytes; attach a file instead"
        )));
    }
    Ok(text)
}

fn clean_name(name: &str, what: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(CoreError::InvalidBody(format!("{what} must not be empty")));
    }
    if n.chars().count() > MAX_NAME {
        return Err(CoreError::InvalidBody(format!(
            "{what} must be at most {MAX_NAME} characters"
        )));
    }
    if n.chars().any(char::is_control) {
        return Err(CoreError::InvalidBody(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(n.to_owned())
}

fn check_cwd(cwd: &str) -> Result<String> {
    let p = std::path::Path::new(cwd);
    if !p.is_absolute() {
        return Err(CoreError::InvalidCwd(format!(
            "cwd must be an absolute path, got {cwd:?}"
        )));
    }
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Ok(p
            .canonicalize()
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_else(|_| cwd.to_owned())),
        Ok(_) => Err(CoreError::InvalidCwd(format!("{cwd} is not a directory"))),
        Err(e) => Err(CoreError::InvalidCwd(format!("{cwd}: {e}"))),
    }
}

fn check_env(env: &BTreeMap<String, String>) -> Result<()> {
    for k in env.keys() {
        let ok = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(CoreError::InvalidBody(format!(
                "invalid environment variable name {k:?}"
            )));
        }
        if k.starts_with("ISOMUX_") {
            return Err(CoreError::InvalidBody(format!(
                "{k}: ISOMUX_* variables are set by the office"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(session: Option<&str>, fork: Option<ForkPoint>) -> ConversationRecord {
        ConversationRecord {
            id: "cv_1".into(),
            agent_id: "ag_1".into(),
            backend_session_id: session.map(Into::into),
            forked_from: fork.as_ref().map(|_| "cv_0".into()),
            created_at: 1,
            topic: None,
            fork,
        }
    }

    #[test]
    fn a_fork_starts_where_the_previous_turn_ended_else_where_its_source_started() {
        // A turn before the edited message: fork the source's own session there.
        assert_eq!(
            fork_position(Some("u-2".into()), &conv(Some("s-1"), None)).unwrap(),
            Some(("s-1".into(), "u-2".into()))
        );
        // The first message of a root conversation: a fresh session.
        assert_eq!(fork_position(None, &conv(Some("s-1"), None)).unwrap(), None);
        // The first own message of a fork: the fork's own starting point.
        let start = ForkPoint {
            before: 9,
            backend: Some(("s-0".into(), "u-1".into())),
        };
        assert_eq!(
            fork_position(None, &conv(Some("s-1"), Some(start))).unwrap(),
            Some(("s-0".into(), "u-1".into()))
        );
        // A position without a session to fork is refused.
        assert!(fork_position(Some("u-2".into()), &conv(None, None)).is_err());
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(clean_text("hi \n", false).unwrap(), "hi");
        assert!(clean_text("  ", false).is_err());
        assert_eq!(clean_text("", true).unwrap(), "");
        assert!(clean_text(&"x".repeat(MAX_TEXT + 1), false).is_err());
    }
}
