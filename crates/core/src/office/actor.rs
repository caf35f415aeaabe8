//! The Office actor's state and loop: restore from SQLite, then serve requests and backend
//! events one at a time. Op handlers live in `ops.rs`, per-agent turn handling in `agent.rs`.

use super::agent::LiveAgent;
use super::{Caller, OfficeConfig, OfficeEvent, PresenceUpdate, Request};
use crate::backend::{Backend, NormalizedEvent, SessionCommand};
use crate::domain::{AgentRecord, OfficeSettings, RoomRecord};
use crate::error::{CoreError, Result};
use crate::ids::new_id;
use crate::store::Store;
use crate::to_proto;
use isomux_protocol::{
    AgentId, BackendKind, ConnectionId, EntryBody, FullState, MessageId, Presence, RoomId,
    ServerMessage,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc};

/// Messages from backend tasks to the actor, tagged with the session generation so output of a
/// replaced session is dropped.
#[derive(Debug)]
pub(crate) enum Internal {
    SessionStarted {
        agent_id: AgentId,
        generation: u64,
        commands: mpsc::Sender<SessionCommand>,
    },
    SessionFailed {
        agent_id: AgentId,
        generation: u64,
        error: String,
    },
    Backend {
        agent_id: AgentId,
        generation: u64,
        event: NormalizedEvent,
    },
    SessionEnded {
        agent_id: AgentId,
        generation: u64,
    },
}

/// All office state, owned by one task.
pub struct Office {
    pub(crate) config: OfficeConfig,
    pub(crate) store: Store,
    pub(crate) office: OfficeSettings,
    pub(crate) rooms: Vec<RoomRecord>,
    pub(crate) agents: BTreeMap<AgentId, LiveAgent>,
    pub(crate) backends: HashMap<BackendKind, Arc<dyn Backend>>,
    pub(crate) events: broadcast::Sender<OfficeEvent>,
    pub(crate) internal_tx: mpsc::UnboundedSender<Internal>,
    internal_rx: Option<mpsc::UnboundedReceiver<Internal>>,
    pub(crate) presence: BTreeMap<ConnectionId, (Caller, Presence)>,
    /// (agent, client_message_id) → (message id, when), kept 5 minutes.
    pub(crate) dedupe: HashMap<(AgentId, String), (MessageId, i64)>,
    /// Agent bearer tokens: SHA-256 hash → agent, and the agent's token for its CLI's
    /// environment. Minted at spawn and restore, never persisted.
    pub(crate) agent_tokens: HashMap<String, AgentId>,
    pub(crate) token_of: HashMap<AgentId, String>,
}

impl std::fmt::Debug for Office {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Office")
            .field("agents", &self.agents.len())
            .finish()
    }
}

impl Office {
    /// Loads everything from the store; seeds a fresh office; marks turns a crash interrupted.
    pub(crate) fn restore(
        config: OfficeConfig,
        store: Store,
        backends: Vec<Arc<dyn Backend>>,
        events: broadcast::Sender<OfficeEvent>,
    ) -> Result<Self> {
        let (internal_tx, internal_rx) = mpsc::unbounded_channel();
        let backends = backends
            .into_iter()
            .map(|b| (b.describe().kind, b))
            .collect();
        let mut office = Self {
            office: store.office_settings()?,
            rooms: store.load_rooms()?,
            agents: BTreeMap::new(),
            config,
            store,
            backends,
            events,
            internal_tx,
            internal_rx: Some(internal_rx),
            presence: BTreeMap::new(),
            dedupe: HashMap::new(),
            agent_tokens: HashMap::new(),
            token_of: HashMap::new(),
        };
        if office.store.meta_get("office.seeded")?.is_none() {
            office.seed()?;
        }
        for rec in office.store.load_agents()? {
            let queue = office.store.load_queue(&rec.id)?;
            let mut live = LiveAgent::new(rec, queue);
            if live.rec.turn_open {
                // The office stopped mid-turn (crash, kill -9, power loss): say so in the log.
                office.store.upsert_entry(&crate::store::NewEntry {
                    id: new_id("en").into(),
                    conversation_id: live.rec.conversation_id.clone(),
                    ts: crate::time::now_ms(),
                    body: EntryBody::System {
                        text: "This turn was interrupted: the office stopped before it finished. \
                               Send a message to continue."
                            .into(),
                    },
                    position: None,
                })?;
                office.store.set_turn_open(&live.rec.id, false)?;
                live.rec.turn_open = false;
            }
            office.mint_agent_token(&live.rec.id);
            office.agents.insert(live.rec.id.clone(), live);
        }
        // Messages that were acknowledged but not yet delivered flow now.
        let waiting: Vec<AgentId> = office
            .agents
            .values()
            .filter(|a| !a.queue.is_empty())
            .map(|a| a.rec.id.clone())
            .collect();
        for id in waiting {
            office.agent_input(&id, crate::turn::Input::MessageQueued);
        }
        Ok(office)
    }

    /// A fresh office: one room and one demo agent, so a newcomer sees it alive.
    fn seed(&mut self) -> Result<()> {
        if self.rooms.is_empty() {
            let room = RoomRecord {
                id: RoomId(new_id("rm")),
                name: "Main Office".into(),
                position: 0,
                prompt: String::new(),
                env: BTreeMap::new(),
            };
            self.store.upsert_room(&room)?;
            self.rooms.push(room);
        }
        if self.config.seed_demo && self.store.load_agents()?.is_empty() {
            let now = crate::time::now_ms();
            let rec = AgentRecord {
                id: AgentId(new_id("ag")),
                name: "Demo".into(),
                room_id: self.rooms[0].id.clone(),
                desk: 1,
                look: crate::look::look_for_name("Demo"),
                cwd: self.config.demo_cwd.clone(),
                backend: BackendKind::Demo,
                model: "demo-1".into(),
                permission_mode: Default::default(),
                effort: Default::default(),
                prompt: String::new(),
                topic: Some("Showing newcomers around".into()),
                conversation_id: new_id("cv").into(),
                usage: Default::default(),
                created_at: now,
                turn_open: false,
            };
            self.store.insert_agent(&rec)?;
        }
        self.store.meta_set("office.seeded", "1")
    }

    /// The actor loop.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut internal_rx = self.internal_rx.take().expect("run once");
        loop {
            tokio::select! {
                req = rx.recv() => match req {
                    Some(Request::Shutdown { reply }) => {
                        self.close_all();
                        let _ = reply.send(());
                        return;
                    }
                    Some(req) => self.handle_request(req),
                    None => {
                        self.close_all();
                        return;
                    }
                },
                Some(msg) = internal_rx.recv() => self.handle_internal(msg),
            }
        }
    }

    fn handle_request(&mut self, req: Request) {
        match req {
            Request::Call { caller, op, reply } => {
                let result = self.apply(&caller, op);
                if let Err(e) = &result {
                    tracing::debug!(error = %e, "op refused");
                }
                let _ = reply.send(result);
            }
            Request::Connect { caller, reply } => {
                let id = ConnectionId(new_id("cn"));
                let rx = self.events.subscribe();
                let result = self.full_state(&caller).map(|s| (id.clone(), s, rx));
                if result.is_ok()
                    && let Caller::Human {
                        member_id,
                        name,
                        device,
                        ..
                    } = &caller
                {
                    self.presence.insert(
                        id.clone(),
                        (
                            caller.clone(),
                            Presence {
                                connection_id: id,
                                member_id: member_id.clone(),
                                name: name.clone(),
                                device: device.clone(),
                                room_id: None,
                                agent_id: None,
                                view: Default::default(),
                            },
                        ),
                    );
                    self.emit_presence();
                }
                let _ = reply.send(result);
            }
            Request::Snapshot { caller, reply } => {
                let _ = reply.send(self.full_state(&caller));
            }
            Request::Presence {
                connection_id,
                update,
            } => self.update_presence(&connection_id, update),
            Request::Disconnect { connection_id } => {
                if self.presence.remove(&connection_id).is_some() {
                    self.emit_presence();
                }
            }
            Request::AgentByToken { token, reply } => {
                let caller = self
                    .agent_tokens
                    .get(&crate::auth::hash_token(&token))
                    .and_then(|id| self.agents.get(id))
                    .map(|a| Caller::Agent {
                        agent_id: a.rec.id.clone(),
                        name: a.rec.name.clone(),
                    });
                let _ = reply.send(caller);
            }
            Request::CardContext {
                caller,
                agent_id,
                reply,
            } => {
                let _ = reply.send(self.card_context(&caller, &agent_id));
            }
            Request::PostCard {
                agent_id,
                body,
                reply,
            } => {
                let _ = reply.send(self.post_card(&agent_id, body));
            }
            Request::Shutdown { .. } => unreachable!("handled in run"),
        }
    }

    fn update_presence(&mut self, id: &ConnectionId, u: PresenceUpdate) {
        if let Some((_, p)) = self.presence.get_mut(id) {
            p.room_id = u.room_id;
            p.agent_id = u.agent_id;
            p.view = u.view;
            if u.device.is_some() {
                p.device = u.device;
            }
            self.emit_presence();
        }
    }

    fn emit_presence(&self) {
        let presence = self.presence.values().map(|(_, p)| p.clone()).collect();
        self.emit(ServerMessage::PresenceList { presence });
    }

    fn handle_internal(&mut self, msg: Internal) {
        match msg {
            Internal::SessionStarted {
                agent_id,
                generation,
                commands,
            } => self.session_started(&agent_id, generation, commands),
            Internal::SessionFailed {
                agent_id,
                generation,
                error,
            } => self.session_failed(&agent_id, generation, &error),
            Internal::Backend {
                agent_id,
                generation,
                event,
            } => self.backend_event(&agent_id, generation, event),
            Internal::SessionEnded {
                agent_id,
                generation,
            } => self.session_ended(&agent_id, generation),
        }
    }

    fn close_all(&mut self) {
        let ids: Vec<AgentId> = self.agents.keys().cloned().collect();
        for id in ids {
            if let Some(a) = self.agents.get_mut(&id)
                && let Some(tx) = a.session.take()
            {
                let _ = tx.try_send(SessionCommand::Close);
            }
        }
    }

    /// Publishes an event to every subscriber.
    pub(crate) fn emit(&self, msg: ServerMessage) {
        let _ = self.events.send(Arc::new(msg));
    }

    /// The snapshot for `caller`.
    pub(crate) fn full_state(&self, caller: &Caller) -> Result<FullState> {
        Ok(FullState {
            office: to_proto::office(&self.office),
            rooms: self.rooms.iter().map(to_proto::room).collect(),
            // Design §9 keeps the snapshot under 64 KB for 32 busy agents, and their prompts
            // alone (2 KB each) would fill it: the snapshot leaves `prompt` empty; `GET
            // /api/agents` and `agent_added`/`agent_updated` carry it. Queued messages go
            // without their timestamps (`queue_updated` carries them).
            agents: self
                .agents
                .values()
                .map(|a| {
                    let mut a = to_proto::agent(a);
                    a.prompt = String::new();
                    for q in &mut a.queue {
                        q.created_at = 0;
                    }
                    a
                })
                .collect(),
            tasks: self.store.list_tasks()?,
            presence: self.presence.values().map(|(_, p)| p.clone()).collect(),
            me: to_proto::me(caller),
            backends: {
                let mut b: Vec<_> = self
                    .backends
                    .values()
                    .map(|b| to_proto::backend(&b.describe()))
                    .collect();
                b.sort_by_key(|b| b.kind.as_str());
                b
            },
            version: self.config.version.clone(),
        })
    }

    /// A fresh bearer token for an agent (replacing any earlier one).
    pub(crate) fn mint_agent_token(&mut self, id: &AgentId) {
        self.forget_agent_token(id);
        let token = format!("isx_agent_{}", crate::auth::new_token());
        self.agent_tokens
            .insert(crate::auth::hash_token(&token), id.clone());
        self.token_of.insert(id.clone(), token);
    }

    pub(crate) fn forget_agent_token(&mut self, id: &AgentId) {
        if let Some(old) = self.token_of.remove(id) {
            self.agent_tokens.remove(&crate::auth::hash_token(&old));
        }
    }

    pub(crate) fn agent_mut(&mut self, id: &AgentId) -> Result<&mut LiveAgent> {
        self.agents
            .get_mut(id)
            .ok_or_else(|| CoreError::not_found(format!("agent {id}")))
    }

    pub(crate) fn room(&self, id: &RoomId) -> Result<&RoomRecord> {
        self.rooms
            .iter()
            .find(|r| &r.id == id)
            .ok_or_else(|| CoreError::not_found(format!("room {id}")))
    }
}
