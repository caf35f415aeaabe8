//! The store: the plain [`State`] and its one reducer ([`apply`]), wrapped in Leptos signals
//! for the views. Views read signals; only transport callbacks and user actions write them.

mod reducer;
mod state;
#[cfg(test)]
mod tests;

pub use reducer::apply;
pub use state::{Auth, State};

use crate::storage;
use isomux_protocol::{AgentId, ServerMessage};
use leptos::prelude::*;
use std::collections::HashMap;

/// How the push channel is doing (shown as a small banner when not `Online`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Conn {
    #[default]
    Connecting,
    Online,
    /// Lost; retrying. The text says why.
    Offline(String),
}

/// The reactive store, provided as context at the root (it is `Copy`: signals are handles).
#[derive(Debug, Clone, Copy)]
pub struct Store {
    /// Server state plus the local state the reducer needs (focus, room, attention).
    pub state: RwSignal<State>,
    /// Unsent composer text per agent (kept apart so typing does not touch `state`).
    pub drafts: RwSignal<HashMap<AgentId, String>>,
    pub dark: RwSignal<bool>,
    pub conn: RwSignal<Conn>,
}

impl Store {
    pub fn new(dark: bool) -> Self {
        Self {
            state: RwSignal::new(State::default()),
            drafts: RwSignal::new(HashMap::new()),
            dark: RwSignal::new(dark),
            conn: RwSignal::new(Conn::Connecting),
        }
    }

    /// Feed one server message through the reducer. An `attention` event (the office's
    /// attention module reports only the transitions that need a human) also plays a short
    /// sound when this tab is hidden.
    pub fn dispatch(&self, msg: ServerMessage) {
        if matches!(msg, ServerMessage::Attention { .. }) {
            crate::components::sound::attention();
        }
        self.state.update(|s| apply(s, msg));
    }

    /// The unsent composer text for an agent (kept in `localStorage`, so it survives a reload).
    pub fn draft(&self, id: &AgentId) -> String {
        self.drafts
            .with_untracked(|d| d.get(id).cloned())
            .or_else(|| storage::get(&storage::draft_key(id)))
            .unwrap_or_default()
    }

    /// Remember (or, when empty, forget) the unsent text for an agent.
    pub fn set_draft(&self, id: &AgentId, text: String) {
        let key = storage::draft_key(id);
        if text.is_empty() {
            storage::remove(&key);
        } else {
            storage::set(&key, &text);
        }
        self.drafts.update(|d| {
            d.insert(id.clone(), text);
        });
    }

    /// Open an agent's chat, or go back to the office with `None`.
    pub fn focus(&self, id: Option<AgentId>) {
        self.state.update(|s| s.focus(id));
    }

    pub fn signed_out(&self) {
        self.state.update(|s| s.auth = Auth::SignedOut);
    }
}

/// The store of the running app.
pub fn use_store() -> Store {
    expect_context::<Store>()
}
