//! The messages waiting for a busy agent, each with its sender and a cancel button, plus
//! "Send now" (interrupt the turn and deliver the coalesced queue).

use super::fire;
use crate::store::use_store;
use isomux_protocol::{AgentId, Op};
use leptos::prelude::*;

#[component]
pub fn Queue(agent_id: AgentId, error: RwSignal<Option<String>>) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let queue = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|a| s.agent(a).map(|a| a.queue.clone()).unwrap_or_default()))
    });
    let report = move |e: String| error.set(Some(e));
    view! {
        <Show when=move || queue.with(|q| !q.is_empty())>
            <div id="queue" aria-label="Waiting messages">
                <div class="queue-title">
                    {move || format!("Waiting for the agent ({})", queue.with(Vec::len))}
                </div>
                <For each=move || queue.get() key=|m| m.id.clone() let:m>
                    {
                    let message_id = m.id.clone();
                    view! {
                    <div class="queued" data-message-id=m.id.to_string()>
                        <span class="sender">{m.sender.label()}</span>
                        " "
                        <span class="text">{m.text.clone()}</span>
                        <button
                            class="cancel"
                            title="Cancel this message"
                            aria-label="Cancel this message"
                            on:click=move |_| {
                                let op = Op::CancelQueued {
                                    agent_id: agent.get_value(),
                                    message_id: message_id.clone(),
                                };
                                fire(store, op, report);
                            }
                        >
                            "✕"
                        </button>
                    </div>
                    }
                    }
                </For>
                <button
                    id="send-now"
                    title="Interrupt the current turn and deliver these now"
                    on:click=move |_| {
                        fire(store, Op::SendNow { agent_id: agent.get_value() }, report);
                    }
                >
                    "Send now"
                </button>
            </div>
        </Show>
    }
}
