//! The message box: Enter sends, Shift+Enter is a newline; the draft is kept per agent (in
//! `localStorage`, so it survives switching agents and a reload); `/` opens the slash-command
//! menu (↑/↓ choose, Enter/Tab complete, Esc closes; skills fetched once per chat, each with
//! its source); files are attached with the paperclip
//! (uploaded at once, shown as chips, sent with the message); Esc or Stop interrupts a busy
//! agent.

use super::fire;
use super::slash::{self, Command};
use super::upload::{UploadError, upload};
use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::SendMessage;
use isomux_protocol::op::responses::{MessageAccepted, SkillsBody};
use isomux_protocol::{AgentId, BackendKind, Op, Skill};
use leptos::ev;
use leptos::html::{Input, Textarea};
use leptos::prelude::*;

/// A file attached in the composer.
#[derive(Debug, Clone, PartialEq)]
struct Attached {
    /// Local key (the stored name is only known after the upload).
    key: u64,
    original: String,
    /// `None` while uploading.
    name: Option<String>,
}

#[component]
pub fn Composer(agent_id: AgentId, error: RwSignal<Option<String>>) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let busy = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|a| s.agent(a).is_some_and(|a| a.state.is_busy())))
    });
    let backend = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|a| s.agent(a).map_or(BackendKind::Demo, |a| a.backend)))
    });
    let initial = agent.with_value(|a| store.draft(a));
    let text = RwSignal::new(initial.clone());
    let input_ref = NodeRef::<Textarea>::new();
    let file_ref = NodeRef::<Input>::new();
    let attached = RwSignal::new(Vec::<Attached>::new());
    let next_key = StoredValue::new(0_u64);
    // Slash menu: the suggestions and the highlighted one; closed by Esc until the text changes.
    let menu_closed = RwSignal::new(false);
    let selected = RwSignal::new(0_usize);
    // The agent's skills (office commands, user, project, plugin, bundled); until they
    // arrive, or if they cannot be fetched, the menu offers the built-in commands.
    let skills = RwSignal::new(Vec::<Skill>::new());
    {
        let agent_id = agent.get_value();
        leptos::task::spawn_local(async move {
            match transport::call_as::<SkillsBody>(&Op::ListSkills { agent_id }).await {
                Ok(body) => {
                    let _ = skills.try_set(body.skills);
                }
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(_) => {}
            }
        });
    }
    let suggestions = Memo::new(move |_| {
        if menu_closed.get() {
            return Vec::new();
        }
        skills.with(|sk| text.with(|t| slash::suggest(backend.get(), sk, t)))
    });

    let send = Action::new_local(move |req: &SendMessage| {
        let op = Op::SendMessage(req.clone());
        async move { transport::call_as::<MessageAccepted>(&op).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Err(ApiError::Unauthorized)) => store.signed_out(),
        Some(Err(e)) => error.set(Some(e.to_string())),
        _ => {}
    });

    let set_text = move |value: String| {
        agent.with_value(|a| store.set_draft(a, value.clone()));
        menu_closed.set(false);
        selected.set(0);
        text.set(value);
    };
    let replace_text = move |value: String| {
        if let Some(el) = input_ref.get_untracked() {
            el.set_value(&value);
            let _ = el.focus();
        }
        set_text(value);
    };
    let submit = move || {
        let Some(el) = input_ref.get_untracked() else {
            return;
        };
        let body = el.value();
        let files = attached.get_untracked();
        if files.iter().any(|f| f.name.is_none()) {
            error.set(Some("Wait for the attachments to finish uploading.".into()));
            return;
        }
        if body.trim().is_empty() && files.is_empty() {
            return;
        }
        replace_text(String::new());
        attached.set(Vec::new());
        error.set(None);
        send.dispatch(SendMessage {
            agent_id: agent.get_value(),
            text: body,
            client_message_id: Some(client_message_id()),
            steer: false,
            attachments: files.into_iter().filter_map(|f| f.name).collect(),
        });
    };
    let interrupt = move || {
        fire(
            store,
            Op::Abort {
                agent_id: agent.get_value(),
            },
            move |e| {
                error.set(Some(e));
            },
        );
    };
    let choose = move |cmd: Command| replace_text(slash::complete(&cmd));
    let on_keydown = move |ev: ev::KeyboardEvent| {
        let key = ev.key();
        let menu = suggestions.get_untracked();
        if !menu.is_empty() {
            let n = menu.len();
            match key.as_str() {
                "ArrowDown" => {
                    ev.prevent_default();
                    selected.update(|i| *i = (*i + 1) % n);
                    return;
                }
                "ArrowUp" => {
                    ev.prevent_default();
                    selected.update(|i| *i = (*i + n - 1) % n);
                    return;
                }
                "Tab" | "Enter" if !ev.shift_key() && !ev.is_composing() => {
                    ev.prevent_default();
                    choose(menu[selected.get_untracked().min(n - 1)].clone());
                    return;
                }
                "Escape" => {
                    ev.prevent_default();
                    menu_closed.set(true);
                    return;
                }
                _ => {}
            }
        }
        if key == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        } else if key == "Escape" && busy.get_untracked() {
            // Interrupt instead of leaving the chat (the chat's Esc checks `defaultPrevented`).
            ev.prevent_default();
            interrupt();
        }
    };
    let on_files = move |_| {
        let Some(input) = file_ref.get_untracked() else {
            return;
        };
        let Some(list) = input.files() else {
            return;
        };
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            let key = next_key.get_value();
            next_key.set_value(key + 1);
            attached.update(|a| {
                a.push(Attached {
                    key,
                    original: file.name(),
                    name: None,
                });
            });
            let id = agent.get_value();
            leptos::task::spawn_local(async move {
                match upload(id.as_str(), &file).await {
                    Ok(name) => attached.update(|a| {
                        if let Some(f) = a.iter_mut().find(|f| f.key == key) {
                            f.name = Some(name);
                        }
                    }),
                    Err(e) => {
                        attached.update(|a| a.retain(|f| f.key != key));
                        match e {
                            UploadError::Unauthorized => store.signed_out(),
                            UploadError::Failed(m) => error.set(Some(m)),
                        }
                    }
                }
            });
        }
        input.set_value("");
    };
    Effect::new(move |_| {
        if let Some(el) = input_ref.get() {
            let _ = el.focus();
        }
    });

    view! {
        <div class="composer">
            <Show when=move || suggestions.with(|s| !s.is_empty())>
                <ul id="slash-menu" class="slash-menu" role="listbox">
                    {move || {
                        let sel = selected.get();
                        suggestions
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(i, cmd)| {
                                let name = cmd.name.clone();
                                let data_name = name.clone();
                                let help = cmd.help.clone();
                                let args = cmd.arguments.clone();
                                let source = cmd.source;
                                view! {
                                    <li
                                        class="slash-item"
                                        class:active=i == sel
                                        role="option"
                                        aria-selected=(i == sel).to_string()
                                        data-command=data_name
                                        data-source=source
                                        on:mousedown=move |ev| {
                                            ev.prevent_default();
                                            choose(cmd.clone());
                                        }
                                    >
                                        <span class="slash-name">{name}</span>
                                        {(!args.is_empty()).then(|| view! { <span class="slash-args">{args}</span> })}
                                        <span class="slash-help">{help}</span>
                                        <span class=format!("slash-source source-{source}")>{source}</span>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
            <Show when=move || attached.with(|a| !a.is_empty())>
                <div class="attach-chips">
                    <For each=move || attached.get() key=|f| (f.key, f.name.clone()) let:f>
                        {
                            let key = f.key;
                            let uploading = f.name.is_none();
                            let stored = f.name.unwrap_or_default();
                            view! {
                                <span
                                    class="attach-chip"
                                    class:uploading=uploading
                                    data-name=stored
                                >
                                    <span class="attach-name">{f.original}</span>
                                    {uploading.then_some(" (uploading…)")}
                                    <button
                                        class="attach-remove icon"
                                        title="Remove this attachment"
                                        aria-label="Remove this attachment"
                                        on:click=move |_| attached.update(|a| a.retain(|x| x.key != key))
                                    >
                                        "✕"
                                    </button>
                                </span>
                            }
                        }
                    </For>
                </div>
            </Show>
            <div class="composer-row">
                <input
                    id="attach-input"
                    type="file"
                    multiple
                    hidden
                    node_ref=file_ref
                    on:change=on_files
                />
                <button
                    id="attach"
                    class="icon secondary"
                    title="Attach files"
                    aria-label="Attach files"
                    on:click=move |_| {
                        if let Some(i) = file_ref.get_untracked() {
                            i.click();
                        }
                    }
                >
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                        <path
                            d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"
                            fill="none"
                            stroke="currentColor"
                            stroke-width="2"
                            stroke-linecap="round"
                        ></path>
                    </svg>
                </button>
                <textarea
                    id="composer"
                    node_ref=input_ref
                    rows="2"
                    placeholder="Message… (Enter sends, Shift+Enter for a new line, / for commands)"
                    prop:value=initial
                    on:input=move |ev| set_text(event_target_value(&ev))
                    on:keydown=on_keydown
                    on:blur=move |_| menu_closed.set(true)
                    on:focus=move |_| menu_closed.set(false)
                ></textarea>
                <div class="composer-buttons">
                    <Show when=move || busy.get()>
                        <button
                            id="stop"
                            class="danger"
                            title="Stop the current turn (Esc)"
                            on:click=move |_| interrupt()
                        >
                            "Stop"
                        </button>
                    </Show>
                    <button id="send" on:click=move |_| submit()>
                        "Send"
                    </button>
                </div>
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
