//! One agent's chat: header (back, name, state), the log (first page fetched on open), pending
//! approvals, the queue and the composer. Esc goes back to the office.

use crate::components::approvals::Approvals;
use crate::components::character::badge;
use crate::components::chat_log::ChatLog;
use crate::components::composer::Composer;
use crate::components::conversations::ConversationsButton;
use crate::components::ghosts::ChatGhosts;
use crate::components::queue::Queue;
use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::LogsPage;
use isomux_protocol::{AgentId, Op};
use leptos::ev;
use leptos::prelude::*;

/// Entries fetched when a chat opens.
const PAGE: i64 = 100;

#[component]
pub fn Chat(agent_id: AgentId) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id.clone());
    let info = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|id| {
                s.agent(id).map(|a| {
                    (
                        a.name.clone(),
                        a.state,
                        format!("{} · {}", a.backend.as_str(), a.model),
                        a.error.clone(),
                    )
                })
            })
        })
    });
    let error = RwSignal::new(None::<String>);
    load_first_page(agent, error);

    let back = move || store.focus(None);
    let esc = window_event_listener(ev::keydown, move |ev| {
        // An open dialog (e.g. the conversations list) takes Esc for itself.
        let dialog = document().query_selector(".modal").ok().flatten().is_some();
        if ev.key() == "Escape" && !ev.default_prevented() && !dialog {
            back();
        }
    });
    on_cleanup(move || esc.remove());

    view! {
        <div id="chat" data-agent-id=agent.get_value().to_string()>
            <header class="chat-header">
                <button id="back" class="icon" title="Back to the office (Esc)" on:click=move |_| back()>
                    "←"
                </button>
                <div class="who">
                    <div class="name">{move || info.with(|i| i.as_ref().map(|i| i.0.clone()))}</div>
                    <div class="meta">
                        <span
                            id="chat-state"
                            class="state-pill"
                            style:background=move || {
                                info.with(|i| i.as_ref().map(|i| badge(i.1).1).unwrap_or("#999"))
                            }
                        >
                            {move || info.with(|i| i.as_ref().map(|i| i.1.as_str()))}
                        </span>
                        <span class="model">{move || info.with(|i| i.as_ref().map(|i| i.2.clone()))}</span>
                    </div>
                </div>
                <ChatGhosts agent_id=agent.get_value() />
                <ConversationsButton agent_id=agent.get_value() />
            </header>
            {move || {
                info.with(|i| i.as_ref().and_then(|i| i.3.clone()))
                    .map(|e| view! { <div class="agent-error" role="alert">{e}</div> })
            }}
            <ChatLog agent_id=agent_id.clone() />
            <div class="chat-bottom">
                <Approvals agent_id=agent_id.clone() error />
                <Queue agent_id=agent_id.clone() error />
                <p class="chat-error error" role="alert" hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                    " "
                    <button class="link" on:click=move |_| error.set(None)>"dismiss"</button>
                </p>
                <Composer agent_id error />
            </div>
        </div>
    }
}

/// Fetch the latest page whenever the log is missing or stale (on open, after a reconnect or a
/// new conversation). A failure is shown and not retried in a loop. A page that answers for a
/// conversation the agent has left meanwhile (a fork, resume or new conversation while it was
/// loading) is dropped and the current one fetched instead.
fn load_first_page(agent: StoredValue<AgentId>, error: RwSignal<Option<String>>) {
    let store = use_store();
    let needs_page = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|id| !s.logs.get(id).is_some_and(|l| l.loaded)))
    });
    // Only the store (global) after an await: the chat may be gone by then.
    let conversation = move |id: &AgentId| {
        store
            .state
            .with_untracked(|s| s.agent(id).map(|a| a.conversation_id.clone()))
    };
    let in_flight = StoredValue::new(false);
    let retry = RwSignal::new(0_u32);
    Effect::new(move |_| {
        retry.track();
        if !needs_page.get() || in_flight.get_value() {
            return;
        }
        in_flight.set_value(true);
        let id = agent.get_value();
        let asked_for = conversation(&id);
        store.state.update(|s| s.ensure_log(&id));
        leptos::task::spawn_local(async move {
            let op = Op::GetLogs {
                agent_id: id.clone(),
                conversation_id: None,
                before: None,
                limit: Some(PAGE),
            };
            let result = transport::call_as::<LogsPage>(&op).await;
            let _ = in_flight.try_set_value(false);
            match result {
                Ok(_) if conversation(&id) != asked_for => {
                    let _ = retry.try_update(|n| *n += 1);
                }
                Ok(page) => store.state.update(|s| s.merge_page(&id, page)),
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(format!("Could not load the conversation: {e}"))),
            }
        });
    });
}
