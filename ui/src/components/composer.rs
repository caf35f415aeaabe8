//! The message box: Enter sends, Shift+Enter is a newline, the draft is kept per agent while
//! you look elsewhere; Stop interrupts a busy agent.

use super::fire;
use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::SendMessage;
use isomux_protocol::op::responses::MessageAccepted;
use isomux_protocol::{AgentId, Op};
use leptos::ev;
use leptos::html::Textarea;
use leptos::prelude::*;

#[component]
pub fn Composer(agent_id: AgentId, error: RwSignal<Option<String>>) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let busy = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|a| s.agent(a).is_some_and(|a| a.state.is_busy())))
    });
    let initial = store
        .drafts
        .with_untracked(|d| agent.with_value(|a| d.get(a).cloned()))
        .unwrap_or_default();
    let input_ref = NodeRef::<Textarea>::new();

    let send = Action::new_local(move |req: &SendMessage| {
        let op = Op::SendMessage(req.clone());
        async move { transport::call_as::<MessageAccepted>(&op).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Err(ApiError::Unauthorized)) => store.signed_out(),
        Some(Err(e)) => error.set(Some(e.to_string())),
        _ => {}
    });

    let set_draft = move |text: String| {
        store.drafts.update(|d| {
            agent.with_value(|a| {
                if text.is_empty() {
                    d.remove(a);
                } else {
                    d.insert(a.clone(), text);
                }
            });
        });
    };
    let submit = move || {
        let Some(el) = input_ref.get_untracked() else {
            return;
        };
        let text = el.value();
        if text.trim().is_empty() {
            return;
        }
        el.set_value("");
        set_draft(String::new());
        error.set(None);
        send.dispatch(SendMessage {
            agent_id: agent.get_value(),
            text,
            client_message_id: Some(client_message_id()),
            steer: false,
            attachments: Vec::new(),
        });
    };
    let on_keydown = move |ev: ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    Effect::new(move |_| {
        if let Some(el) = input_ref.get() {
            let _ = el.focus();
        }
    });

    view! {
        <div class="composer">
            <textarea
                id="composer"
                node_ref=input_ref
                rows="2"
                placeholder="Message… (Enter sends, Shift+Enter for a new line)"
                prop:value=initial
                on:input=move |ev| set_draft(event_target_value(&ev))
                on:keydown=on_keydown
            ></textarea>
            <div class="composer-buttons">
                <Show when=move || busy.get()>
                    <button
                        id="stop"
                        class="danger"
                        title="Stop the current turn"
                        on:click=move |_| {
                            fire(store, Op::Abort { agent_id: agent.get_value() }, move |e| {
                                error.set(Some(e));
                            });
                        }
                    >
                        "Stop"
                    </button>
                </Show>
                <button id="send" on:click=move |_| submit()>
                    "Send"
                </button>
            </div>
        </div>
    }
}

/// A fresh id so a retried send is not delivered twice.
fn client_message_id() -> String {
    let now = js_sys::Date::now() as u64;
    let rand = (js_sys::Math::random() * 1e12) as u64;
    format!("ui-{now:x}-{rand:x}")
}
