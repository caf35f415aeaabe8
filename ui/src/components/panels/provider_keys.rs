//! The desktop app's "Provider keys" panel (inside the office rules dialog; absent in browsers):
//! a password field per provider (Anthropic, OpenAI) with Save and Remove, and a status line per
//! key. It talks to the shell's `keys_status` / `keys_set` / `keys_delete` Tauri commands, which
//! keep the keys in the OS keyring and answer only which keys are set: a saved value is never
//! shown again.

use crate::transport;
use leptos::ev;
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// What the shell answers (the `keys::Status` shape): never a key's value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Status {
    available: bool,
    reason: Option<String>,
    keys: Vec<KeyLine>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct KeyLine {
    provider: String,
    label: String,
    env_var: String,
    stored: bool,
    in_environment: bool,
}

fn json_text(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s;
    }
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Runs one keys command; the new status, or the error body's message.
async fn command(cmd: &str, args: Value) -> Result<Status, String> {
    let args = js_sys::JSON::parse(&args.to_string()).map_err(|e| json_text(&e))?;
    match tauri_invoke(cmd, args).await {
        Ok(v) => serde_json::from_str(&json_text(&v)).map_err(|e| e.to_string()),
        Err(e) => {
            let text = json_text(&e);
            Err(serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|b| b["error"]["message"].as_str().map(str::to_owned))
                .unwrap_or(text))
        }
    }
}

/// The status line of one key.
fn status_line(key: &KeyLine, available: bool) -> String {
    let env = &key.env_var;
    if key.stored {
        "stored in the OS keyring".into()
    } else if !available {
        if key.in_environment {
            format!("no keyring service here: agents use {env} from the environment")
        } else {
            format!("no keyring service here: set {env} in the environment instead")
        }
    } else if key.in_environment {
        format!("not set (agents use {env} from the environment)")
    } else {
        "not set".into()
    }
}

/// The panel; renders nothing outside the desktop app.
#[component]
pub fn ProviderKeys() -> impl IntoView {
    if !transport::in_tauri() {
        return ().into_any();
    }
    let status = RwSignal::new(None::<Status>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let run = move |cmd: &'static str, args: Value| {
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match command(cmd, args).await {
                Ok(s) => status.set(Some(s)),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    run("keys_status", json!({}));

    let rows = move || {
        status.get().map(|s| {
            let available = s.available;
            s.keys
                .into_iter()
                .map(|key| {
                    let value = RwSignal::new(String::new());
                    let provider = key.provider.clone();
                    let save = {
                        let provider = provider.clone();
                        move || {
                            let v = value.get_untracked();
                            if v.trim().is_empty() {
                                error.set(Some("Paste the key first.".into()));
                                return;
                            }
                            // The field forgets the value as soon as it is sent.
                            value.set(String::new());
                            run("keys_set", json!({"provider": provider, "value": v}));
                        }
                    };
                    let on_key = {
                        let save = save.clone();
                        move |ev: ev::KeyboardEvent| {
                            // Enter saves this key instead of submitting the rules form.
                            if ev.key() == "Enter" {
                                ev.prevent_default();
                                save();
                            }
                        }
                    };
                    let remove = {
                        let provider = provider.clone();
                        move |_| run("keys_delete", json!({"provider": provider}))
                    };
                    let line = status_line(&key, available);
                    let (input_id, save_id, remove_id, status_id) = (
                        format!("key-input-{provider}"),
                        format!("key-save-{provider}"),
                        format!("key-remove-{provider}"),
                        format!("key-status-{provider}"),
                    );
                    view! {
                        <div class="provider-key" data-provider=provider>
                            <label>
                                {format!("{} API key ({})", key.label, key.env_var)}
                                <input id=input_id type="password"
                                    autocomplete="off" spellcheck="false"
                                    disabled=move || !available
                                    placeholder=if key.stored { "•••••••• (saved)" } else { "" }
                                    prop:value=move || value.get()
                                    on:input=move |ev| value.set(event_target_value(&ev))
                                    on:keydown=on_key />
                            </label>
                            <div class="actions">
                                <button id=save_id type="button"
                                    disabled=move || !available || busy.get()
                                    on:click=move |_| save()>
                                    "Save"
                                </button>
                                <button id=remove_id type="button"
                                    class="secondary"
                                    disabled=move || !available || !key.stored || busy.get()
                                    on:click=remove>
                                    "Remove"
                                </button>
                            </div>
                            <p id=status_id class="small key-status">
                                {line}
                            </p>
                        </div>
                    }
                })
                .collect_view()
        })
    };

    view! {
        <section id="provider-keys" class="provider-keys">
            <h3>"Provider keys"</h3>
            <p class="small">
                "Kept in the OS keyring and given to agents when they start. A saved key is \
                 never shown again."
            </p>
            <p id="provider-keys-reason" class="small"
                hidden=move || status.with(|s| s.as_ref().is_none_or(|s| s.available))>
                {move || status.with(|s| {
                    s.as_ref()
                        .and_then(|s| s.reason.clone())
                        .map(|r| format!("No keyring service here ({r})."))
                        .unwrap_or_default()
                })}
            </p>
            {rows}
            <p id="provider-keys-error" class="error" role="alert"
                hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
        </section>
    }
    .into_any()
}
