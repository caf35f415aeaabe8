//! Editing a past user message = forking the conversation from it (design §6): the "Edit"
//! affordance on user entries, the inline editor and `PATCH /api/agents/:id/messages/:entry_id`.
//! Which entries offer it follows `Capabilities::fork_at_message` (every user entry) or, without
//! it, only the conversation's first user message. A successful edit answers the agent with its
//! new `conversation_id`; applying it makes the reducer drop the loaded log, so the open chat
//! reloads into the fork (a fork's log starts with its ancestors' entries).

use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::Forked;
use isomux_protocol::{AgentId, Entry, EntryBody, EntryId, Op, ServerMessage, UserLine};
use leptos::ev;
use leptos::html::Textarea;
use leptos::prelude::*;

/// Whether the user entry `id` offers "Edit". With `fork_at_message` every user entry does;
/// otherwise only the first user entry of the log, and only once the loaded entries reach the
/// conversation's start (`reached_start`: no older page left), so a later message that merely
/// happens to be the first loaded one is never offered.
pub fn editable<'a>(
    fork_at_message: bool,
    entries: impl IntoIterator<Item = &'a Entry>,
    reached_start: bool,
    id: &EntryId,
) -> bool {
    let mut users = entries
        .into_iter()
        .filter(|e| matches!(e.body, EntryBody::User { .. }));
    if fork_at_message {
        return users.any(|e| &e.id == id);
    }
    reached_start && users.next().is_some_and(|e| &e.id == id)
}

/// The text the editor starts with: the entry's messages, one per line when coalesced.
pub fn initial_text(messages: &[UserLine]) -> String {
    messages
        .iter()
        .map(|m| m.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A user entry: its labelled lines (rendered by `lines`), with an "Edit" button where the
/// backend allows it and the inline editor once clicked.
#[component]
pub fn UserEntry(
    agent: AgentId,
    entry_id: EntryId,
    /// What the editor starts with ([`initial_text`] of the entry's messages).
    text: String,
    /// The entry's lines (sender, text, attachments).
    lines: AnyView,
    /// Bumped when the row's height changes (the editor opens or closes).
    on_resize: RwSignal<u64>,
) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent);
    let id = entry_id.to_string();
    let entry = StoredValue::new(entry_id);
    let can_edit = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|a| {
                let Some(info) = s.agent(a) else {
                    return false;
                };
                let fork_at_message = s
                    .backends
                    .iter()
                    .find(|b| b.kind == info.backend)
                    .is_some_and(|b| b.capabilities.fork_at_message);
                s.logs.get(a).is_some_and(|log| {
                    entry.with_value(|id| {
                        editable(
                            fork_at_message,
                            log.entries.iter().map(AsRef::as_ref),
                            log.next_before.is_none(),
                            id,
                        )
                    })
                })
            })
        })
    });
    let editing = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let original = StoredValue::new(text.clone());
    let text = RwSignal::new(text);
    let editor = NodeRef::<Textarea>::new();
    Effect::new(move |_| {
        editing.track();
        on_resize.update(|n| *n += 1);
        if let Some(el) = editor.get() {
            let _ = el.focus();
        }
    });

    let open = move |_| {
        text.set(original.get_value());
        error.set(None);
        editing.set(true);
    };
    let cancel = move || {
        editing.set(false);
        error.set(None);
    };
    let save = move || {
        let body = text.get_untracked();
        if body.trim().is_empty() {
            error.set(Some("Type the new message first.".into()));
            return;
        }
        if saving.get_untracked() {
            return;
        }
        saving.set(true);
        error.set(None);
        let op = Op::EditMessage {
            agent_id: agent.get_value(),
            entry_id: entry.get_value(),
            text: body,
        };
        leptos::task::spawn_local(async move {
            match transport::call_as::<Forked>(&op).await {
                // The agent now points at the fork: the reducer drops this log (and this row),
                // and the chat fetches the fork's. Applied only if the socket has not told us
                // already: this answer's agent may be older than later events (its queue still
                // holds the edited message the fork has since delivered).
                Ok(forked) => {
                    let known = store.state.with_untracked(|s| {
                        s.agent(&forked.agent.id)
                            .is_some_and(|a| a.conversation_id == forked.agent.conversation_id)
                    });
                    if !known {
                        store.dispatch(ServerMessage::AgentUpdated {
                            agent: Box::new(forked.agent),
                        });
                    }
                }
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => {
                    let _ = error.try_set(Some(e.to_string()));
                }
            }
            let _ = saving.try_set(false);
        });
    };
    let on_keydown = move |ev: ev::KeyboardEvent| match ev.key().as_str() {
        // Esc closes the editor, not the chat (the chat's Esc checks `defaultPrevented`).
        "Escape" => {
            ev.prevent_default();
            cancel();
        }
        "Enter" if (ev.ctrl_key() || ev.meta_key()) && !ev.is_composing() => {
            ev.prevent_default();
            save();
        }
        _ => {}
    };

    view! {
        <div class="entry entry-user" class:editing=move || editing.get() data-entry-id=id>
            <div class="user-lines" hidden=move || editing.get()>{lines}</div>
            <Show when=move || can_edit.get() && !editing.get()>
                <button
                    type="button"
                    class="entry-edit link"
                    title="Edit this message: the conversation forks from here (the original is kept)"
                    on:click=open
                >
                    "Edit"
                </button>
            </Show>
            <Show when=move || editing.get()>
                <div class="edit-form">
                    <textarea
                        class="edit-text"
                        node_ref=editor
                        rows="3"
                        aria-label="Edited message"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                        on:keydown=on_keydown
                    ></textarea>
                    <p class="edit-note small">
                        "Saving forks the conversation from this message; the original stays in Conversations."
                    </p>
                    <p class="edit-error error" role="alert" hidden=move || error.with(Option::is_none)>
                        {move || error.get().unwrap_or_default()}
                    </p>
                    <div class="edit-actions">
                        <button type="button" class="edit-save" disabled=move || saving.get() on:click=move |_| save()>
                            {move || if saving.get() { "Forking…" } else { "Save and fork" }}
                        </button>
                        <button type="button" class="edit-cancel secondary" on:click=move |_| cancel()>
                            "Cancel"
                        </button>
                    </div>
                </div>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{editable, initial_text};
    use isomux_protocol::{Entry, EntryBody, EntryId, Sender, SenderKind, UserLine};

    fn line(text: &str) -> UserLine {
        UserLine {
            sender: Sender {
                kind: SenderKind::Human,
                id: "mb_1".into(),
                name: "Ann".into(),
                device: None,
            },
            text: text.into(),
            attachments: vec![],
        }
    }

    fn entry(id: &str, seq: i64, body: EntryBody) -> Entry {
        Entry {
            id: id.into(),
            conversation_id: "cv_1".into(),
            seq,
            ts: 0,
            body,
        }
    }

    fn log() -> Vec<Entry> {
        vec![
            entry("en_s", 1, EntryBody::System { text: "hi".into() }),
            entry(
                "en_u1",
                2,
                EntryBody::User {
                    messages: vec![line("one")],
                },
            ),
            entry("en_a1", 3, EntryBody::Assistant { text: "ok".into() }),
            entry(
                "en_u2",
                4,
                EntryBody::User {
                    messages: vec![line("two")],
                },
            ),
        ]
    }

    #[test]
    fn every_user_entry_when_the_backend_forks_at_a_message() {
        let l = log();
        for (id, want) in [
            ("en_u1", true),
            ("en_u2", true),
            ("en_a1", false),
            ("en_s", false),
        ] {
            assert_eq!(editable(true, &l, false, &EntryId::from(id)), want, "{id}");
        }
    }

    #[test]
    fn otherwise_only_the_first_and_only_when_the_start_is_loaded() {
        let l = log();
        assert!(editable(false, &l, true, &"en_u1".into()));
        assert!(!editable(false, &l, true, &"en_u2".into()));
        assert!(!editable(false, &l, true, &"en_a1".into()));
        // Older pages not loaded yet: the first loaded user entry may not be the first one.
        assert!(!editable(false, &l, false, &"en_u1".into()));
        assert!(!editable(false, &[], true, &"en_u1".into()));
    }

    #[test]
    fn coalesced_messages_are_edited_as_lines() {
        assert_eq!(initial_text(&[line("a"), line("b")]), "a\nb");
        assert_eq!(initial_text(&[]), "");
    }
}
