//! The root component: creates and provides the store, starts the transport, keeps `body.dark`,
//! the URL hash (`#/agent/<id>`, so a phone's back button leaves a chat) and our presence in
//! sync, handles the office keyboard shortcuts, and picks the page.

use crate::pages::chat::Chat;
use crate::pages::office::Office;
use crate::pages::signin::{Connecting, SignedOut};
use crate::storage;
use crate::store::{Auth, Conn, Store};
use crate::transport;
use isomux_protocol::{AgentId, ClientMessage, View};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What fills the screen.
#[derive(Debug, Clone, PartialEq)]
enum Page {
    Connecting,
    SignedOut,
    Office,
    Chat(AgentId),
}

const HASH_PREFIX: &str = "#/agent/";

#[component]
pub fn App() -> impl IntoView {
    let store = Store::new(storage::get(storage::DARK).as_deref() == Some("1"));
    provide_context(store);

    Effect::new(move |_| {
        let dark = store.dark.get();
        if let Some(body) = document().body() {
            let _ = body.class_list().toggle_with_force("dark", dark);
        }
        storage::set(storage::DARK, if dark { "1" } else { "0" });
    });

    transport::start(store);
    sync_presence(store);
    sync_hash(store);
    keyboard(store);

    let page = Memo::new(move |_| {
        store.state.with(|s| match s.auth {
            Auth::Unknown => Page::Connecting,
            Auth::SignedOut => Page::SignedOut,
            Auth::SignedIn => match &s.focused {
                Some(id) => Page::Chat(id.clone()),
                None => Page::Office,
            },
        })
    });
    let reconnecting = move || {
        matches!(page.get(), Page::Office | Page::Chat(_))
            && matches!(store.conn.get(), Conn::Offline(_))
    };

    view! {
        <Show when=reconnecting>
            <div class="conn-banner" role="status">"Connection lost. Reconnecting…"</div>
        </Show>
        {move || match page.get() {
            Page::Connecting => view! { <Connecting /> }.into_any(),
            Page::SignedOut => view! { <SignedOut /> }.into_any(),
            Page::Office => view! { <Office /> }.into_any(),
            Page::Chat(id) => view! { <Chat agent_id=id /> }.into_any(),
        }}
    }
}

/// Tell the office where we look whenever that changes (a hidden tab is `away`, at the same
/// place, and back when shown again).
fn sync_presence(store: Store) {
    let hidden = RwSignal::new(document().hidden());
    let listener = window_event_listener(ev::visibilitychange, move |_| {
        hidden.set(document().hidden());
    });
    on_cleanup(move || listener.remove());
    let place = Memo::new(move |_| {
        store.state.with(|s| {
            (s.auth == Auth::SignedIn).then(|| (s.current_room.clone(), s.focused.clone()))
        })
    });
    Effect::new(move |_| {
        if let Some((room_id, agent_id)) = place.get() {
            let view = if hidden.get() {
                View::Away
            } else if agent_id.is_some() {
                View::Chat
            } else {
                View::Office
            };
            transport::send(&ClientMessage::PresenceUpdate {
                room_id,
                agent_id,
                view,
                device: None,
            });
        }
    });
}

/// Mirror the open chat in the URL hash and follow hash changes (back button, deep links).
fn sync_hash(store: Store) {
    let read_hash = || {
        let hash = window().location().hash().unwrap_or_default();
        hash.strip_prefix(HASH_PREFIX)
            .filter(|id| !id.is_empty())
            .map(AgentId::from)
    };
    // A deep link is applied once the snapshot says the agent exists.
    let pending = StoredValue::new(read_hash());
    let focused = Memo::new(move |_| store.state.with(|s| s.focused.clone()));
    let signed_in = Memo::new(move |_| store.state.with(|s| s.auth == Auth::SignedIn));
    Effect::new(move |_| {
        if !signed_in.get() {
            return;
        }
        if let Some(id) = pending.get_value() {
            pending.set_value(None);
            if store.state.with_untracked(|s| s.agent(&id).is_some()) {
                store.focus(Some(id));
                return;
            }
        }
        let want = focused
            .get()
            .map(|id| format!("{HASH_PREFIX}{id}"))
            .unwrap_or_default();
        let loc = window().location();
        if loc.hash().unwrap_or_default() != want {
            let _ = loc.set_hash(&want);
        }
    });
    let listener = window_event_listener(ev::hashchange, move |_| {
        let id = read_hash();
        if store.state.with_untracked(|s| s.focused != id) {
            store.focus(id.filter(|id| store.state.with_untracked(|s| s.agent(id).is_some())));
        }
    });
    on_cleanup(move || listener.remove());
}

/// Keyboard shortcuts (Esc in a chat is the chat's own). Office: Tab / Shift+Tab cycle rooms,
/// 1–8 open the agent at that desk. Chat: Tab / Shift+Tab cycle the room's awake agents.
/// Ignored while typing in a field, except Tab in an empty composer.
fn keyboard(store: Store) {
    let listener = window_event_listener(ev::keydown, move |ev| {
        if ev.default_prevented() || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let key = ev.key();
        let tab = key == "Tab";
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let editable = el
                .dyn_ref::<web_sys::HtmlElement>()
                .is_some_and(|h| h.is_content_editable());
            let typing =
                editable || matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT");
            let empty_composer = el.id() == "composer"
                && el
                    .dyn_ref::<web_sys::HtmlTextAreaElement>()
                    .is_some_and(|t| t.value().is_empty());
            if typing && !(tab && empty_composer) {
                return;
            }
        }
        // A dialog (spawn, office rules, task board) owns the keyboard while it is open.
        if document().query_selector(".modal").ok().flatten().is_some() {
            return;
        }
        let forward = !ev.shift_key();
        let (signed_in, in_chat) = store
            .state
            .with_untracked(|s| (s.auth == Auth::SignedIn, s.focused.is_some()));
        if !signed_in {
            return;
        }
        if in_chat {
            if tab && let Some(next) = store.state.with_untracked(|s| s.cycle_agent(forward)) {
                ev.prevent_default();
                store.focus(Some(next));
            }
            return;
        }
        if tab {
            if store.state.with_untracked(|s| s.rooms.len() > 1) {
                ev.prevent_default();
                store.state.update(|s| {
                    s.cycle_room(forward);
                });
            }
        } else if let Some(desk) = key.parse::<u8>().ok().filter(|d| (1..=8).contains(d))
            && let Some(id) = store.state.with_untracked(|s| s.desk_agent(desk))
        {
            ev.prevent_default();
            store.focus(Some(id));
        }
    });
    on_cleanup(move || listener.remove());
}
