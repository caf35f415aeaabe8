//! The Office: one actor task owns all office state (rooms, agents, queues, presence) and
//! applies operations serially — no locks on domain state. Everything else talks to it through
//! an [`OfficeHandle`] (requests with a reply channel) and listens to [`OfficeEvent`]s on a
//! broadcast bus. Backends run in their own tasks and report back through an internal channel,
//! so a slow or dead CLI never blocks the actor.

mod actor;
mod agent;
pub mod agent_view;
mod members;
mod ops;

use crate::backend::Backend;
use crate::error::{CoreError, Result};
use crate::store::Store;
use isomux_protocol::op::responses::OpOutput;
use isomux_protocol::{
    AgentId, ConnectionId, FullState, MemberId, Op, Role, RoomId, ServerMessage, View,
};
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot};

pub use actor::Office;

/// Who is calling an op. Attribution always comes from here, never from a request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// A human with a cookie session (the desktop app's user is the owner).
    Human {
        member_id: MemberId,
        name: String,
        role: Role,
        device: Option<String>,
    },
    /// An agent with its own bearer token.
    Agent { agent_id: AgentId, name: String },
}

impl Caller {
    pub fn is_owner(&self) -> bool {
        matches!(
            self,
            Caller::Human {
                role: Role::Owner,
                ..
            }
        )
    }

    pub fn is_human(&self) -> bool {
        matches!(self, Caller::Human { .. })
    }

    /// The label used for `by` fields and system entries.
    pub fn display_name(&self) -> String {
        match self {
            Caller::Human {
                name,
                device: Some(d),
                ..
            } if !d.is_empty() => format!("{name} ({d})"),
            Caller::Human { name, .. } | Caller::Agent { name, .. } => name.clone(),
        }
    }
}

/// One pushed event, already in wire form (converted once, in `to_proto`).
pub type OfficeEvent = Arc<ServerMessage>;

/// Static configuration of an office.
#[derive(Debug, Clone)]
pub struct OfficeConfig {
    /// The data directory (protected by the safety rules; holds the manifest and logs).
    pub data_dir: std::path::PathBuf,
    /// Version string shown to clients.
    pub version: String,
    /// Create a room and a demo agent when the office is new.
    pub seed_demo: bool,
    /// The working directory of the seeded demo agent.
    pub demo_cwd: String,
    /// The office's plain-HTTP loopback URL, given to agents as `ISOMUX_URL`.
    pub office_url: String,
    /// At most this many live backend sessions (CLIs take hundreds of MB each); starting one more
    /// puts the least recently active idle agent to sleep. 0: no cap.
    pub max_live_sessions: usize,
    /// Members, invites, sessions and API tokens (`None`: the member ops answer 403).
    pub auth: Option<std::sync::Arc<crate::auth::AuthStore>>,
    /// The URL people use to reach the office (invite links); default `office_url`.
    pub public_url: Option<String>,
    /// Variables added to every agent at spawn (the desktop's keyring API keys); never stored.
    pub spawn_env: crate::spawn_env::SpawnEnv,
}

/// Where a connection looks, sent by clients over the socket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PresenceUpdate {
    pub room_id: Option<RoomId>,
    pub agent_id: Option<AgentId>,
    pub view: View,
    pub device: Option<String>,
}

#[expect(
    clippy::large_enum_variant,
    reason = "requests are moved once through the channel; boxing would add an allocation per op"
)]
pub(crate) enum Request {
    Call {
        caller: Caller,
        op: Op,
        reply: oneshot::Sender<Result<OpOutput>>,
    },
    Connect {
        caller: Caller,
        reply: oneshot::Sender<Result<(ConnectionId, FullState, broadcast::Receiver<OfficeEvent>)>>,
    },
    Snapshot {
        caller: Caller,
        reply: oneshot::Sender<Result<FullState>>,
    },
    Presence {
        connection_id: ConnectionId,
        update: PresenceUpdate,
    },
    Disconnect {
        connection_id: ConnectionId,
    },
    AgentByToken {
        token: String,
        reply: oneshot::Sender<Option<Caller>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
    /// May `caller` post a card to `agent_id`, and what does it need (`affordances`).
    CardContext {
        caller: Caller,
        agent_id: AgentId,
        reply: oneshot::Sender<Result<crate::affordances::CardContext>>,
    },
    /// Store and broadcast a card built off the actor.
    PostCard {
        agent_id: AgentId,
        body: isomux_protocol::EntryBody,
        reply: oneshot::Sender<Result<isomux_protocol::Entry>>,
    },
}

/// A cheap, cloneable handle to the Office actor.
#[derive(Debug, Clone)]
pub struct OfficeHandle {
    tx: mpsc::Sender<Request>,
    events: broadcast::Sender<OfficeEvent>,
}

/// See [`OfficeHandle::downgrade`].
#[derive(Debug, Clone)]
pub(crate) struct WeakOfficeHandle {
    tx: mpsc::WeakSender<Request>,
    events: broadcast::WeakSender<OfficeEvent>,
}

impl WeakOfficeHandle {
    /// A strong handle while the office runs.
    pub(crate) fn upgrade(&self) -> Option<OfficeHandle> {
        Some(OfficeHandle {
            tx: self.tx.upgrade()?,
            events: self.events.upgrade()?,
        })
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Request")
    }
}

impl OfficeHandle {
    /// Restores the office from `store` and starts its actor on the current tokio runtime.
    pub fn start(
        config: OfficeConfig,
        store: Store,
        backends: Vec<Arc<dyn Backend>>,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel(1024);
        let (events, _) = broadcast::channel(4096);
        let (data_dir, url) = (config.data_dir.clone(), config.office_url.clone());
        let office = Office::restore(config, store, backends, events.clone())?;
        tokio::spawn(office.run(rx));
        let handle = Self { tx, events };
        crate::discovery::spawn(handle.downgrade(), data_dir, url);
        Ok(handle)
    }

    async fn request<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Request) -> Result<T> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| CoreError::ShuttingDown)?;
        rx.await.map_err(|_| CoreError::ShuttingDown)
    }

    /// Applies one op as `caller`.
    pub async fn call(&self, caller: Caller, op: Op) -> Result<OpOutput> {
        // Cards and skills read files or run git: that work happens here, never on the actor.
        if crate::affordances::is_card_op(&caller, &op) {
            return crate::affordances::call(self, caller, op).await;
        }
        self.call_actor(caller, op).await
    }

    /// Applies one op on the actor as it is (no card or skill handling).
    pub(crate) async fn call_actor(&self, caller: Caller, op: Op) -> Result<OpOutput> {
        self.request(|reply| Request::Call { caller, op, reply })
            .await?
    }

    /// Registers a connection: its id, a snapshot and a receiver subscribed at the same instant
    /// (no gap between the snapshot and the first event).
    pub async fn connect(
        &self,
        caller: Caller,
    ) -> Result<(ConnectionId, FullState, broadcast::Receiver<OfficeEvent>)> {
        self.request(|reply| Request::Connect { caller, reply })
            .await?
    }

    /// A fresh snapshot (for a lagging subscriber or the desktop's first load).
    pub async fn snapshot(&self, caller: Caller) -> Result<FullState> {
        self.request(|reply| Request::Snapshot { caller, reply })
            .await?
    }

    /// Moves a connection's ghost.
    pub async fn presence(&self, connection_id: ConnectionId, update: PresenceUpdate) {
        let _ = self
            .tx
            .send(Request::Presence {
                connection_id,
                update,
            })
            .await;
    }

    /// Forgets a connection.
    pub async fn disconnect(&self, connection_id: ConnectionId) {
        let _ = self.tx.send(Request::Disconnect { connection_id }).await;
    }

    /// The agent an `isx_agent_…` bearer token belongs to (tokens live only in memory).
    pub async fn agent_by_token(&self, token: &str) -> Option<Caller> {
        let token = token.to_owned();
        self.request(|reply| Request::AgentByToken { token, reply })
            .await
            .ok()
            .flatten()
    }

    pub(crate) async fn card_context(
        &self,
        caller: Caller,
        agent_id: AgentId,
    ) -> Result<crate::affordances::CardContext> {
        self.request(|reply| Request::CardContext {
            caller,
            agent_id,
            reply,
        })
        .await?
    }

    pub(crate) async fn post_card(
        &self,
        agent_id: AgentId,
        body: isomux_protocol::EntryBody,
    ) -> Result<isomux_protocol::Entry> {
        self.request(|reply| Request::PostCard {
            agent_id,
            body,
            reply,
        })
        .await?
    }

    /// A handle that does not keep the office alive (for the office's own helper tasks,
    /// which must end with it).
    pub(crate) fn downgrade(&self) -> WeakOfficeHandle {
        WeakOfficeHandle {
            tx: self.tx.downgrade(),
            events: self.events.downgrade(),
        }
    }

    /// A receiver of every event from now on (no snapshot).
    pub fn subscribe(&self) -> broadcast::Receiver<OfficeEvent> {
        self.events.subscribe()
    }

    /// Closes every backend session and stops the actor.
    pub async fn shutdown(&self) {
        let _ = self.request(|reply| Request::Shutdown { reply }).await;
    }
}
