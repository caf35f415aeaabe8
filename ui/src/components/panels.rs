//! Panels the wall controls open: the office rules editor behind the framed sign (the office's
//! name, prompt and environment, `GET|PUT /api/office/settings`, saving is the owner's). The
//! task board behind the corkboard is `task_board.rs`.

use crate::env_text::{format_env, parse_env};
use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::OfficeBody;
use isomux_protocol::{Me, Op, Role, ServerMessage};
use leptos::ev;
use leptos::prelude::*;

mod provider_keys;

/// Esc closes the panel that calls this (removed with it).
pub fn close_on_escape(on_close: Callback<()>) {
    let esc = window_event_listener(ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    });
    on_cleanup(move || esc.remove());
}

/// The office rules editor.
#[component]
pub fn OfficeSettingsDialog(on_close: Callback<()>) -> impl IntoView {
    let store = use_store();
    let owner = Memo::new(move |_| {
        store.state.with(|s| {
            matches!(
                s.me,
                Some(Me::Human {
                    role: Role::Owner,
                    ..
                })
            )
        })
    });
    let initial = store.state.with_untracked(|s| s.office.clone());
    let name = RwSignal::new(initial.name.clone());
    let prompt = RwSignal::new(initial.prompt.clone());
    let env = RwSignal::new(format_env(&initial.env));
    let error = RwSignal::new(None::<String>);

    // The snapshot may be stale: load the current settings once.
    leptos::task::spawn_local(async move {
        match transport::call_as::<OfficeBody>(&Op::GetOfficeSettings).await {
            Ok(body) => {
                name.set(body.office.name);
                prompt.set(body.office.prompt);
                env.set(format_env(&body.office.env));
            }
            Err(ApiError::Unauthorized) => store.signed_out(),
            Err(e) => error.set(Some(e.to_string())),
        }
    });

    let save = Action::new_local(move |op: &Op| {
        let op = op.clone();
        async move { transport::call_as::<OfficeBody>(&op).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(body)) => {
            store.dispatch(ServerMessage::OfficeUpdated {
                office: body.office,
            });
            on_close.run(());
        }
        Some(Err(ApiError::Unauthorized)) => store.signed_out(),
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let parsed = match parse_env(&env.get_untracked()) {
            Ok(e) => e,
            Err(e) => {
                error.set(Some(format!("Environment: {e}")));
                return;
            }
        };
        let n = name.get_untracked().trim().to_owned();
        error.set(None);
        save.dispatch(Op::PutOfficeSettings {
            name: (!n.is_empty()).then_some(n),
            prompt: prompt.get_untracked(),
            env: parsed,
        });
    };
    close_on_escape(on_close);

    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <form
                id="office-settings"
                class="modal"
                role="dialog"
                aria-label="Office rules"
                on:click=|ev| ev.stop_propagation()
                on:submit=submit
            >
                <h2>"Office rules"</h2>
                <p class="small">
                    "Every agent in the office gets this prompt, before its room's and its own."
                </p>
                <label>
                    "Office name"
                    <input id="office-name-input" autocomplete="off" readonly=move || !owner.get()
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label>
                    "Office prompt"
                    <textarea id="office-prompt" rows="8" readonly=move || !owner.get()
                        placeholder="House rules for every agent: conventions, where things live…"
                        prop:value=move || prompt.get()
                        on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
                </label>
                <label>
                    "Environment (KEY=value per line)"
                    <textarea id="office-env" rows="3" spellcheck="false" readonly=move || !owner.get()
                        prop:value=move || env.get()
                        on:input=move |ev| env.set(event_target_value(&ev))></textarea>
                </label>
                <p class="small" hidden=move || owner.get()>
                    "Only the office's owner can change the rules."
                </p>
                <provider_keys::ProviderKeys />
                <p id="office-settings-error" class="error" role="alert"
                    hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| on_close.run(())>
                        "Close"
                    </button>
                    <button id="office-save" type="submit"
                        disabled=move || !owner.get() || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </div>
    }
}
