//! The conversation log of one agent: loaded entries (user lines, markdown answers, collapsed
//! thinking, tool cards, errors, system markers) followed by the live streaming buffers.
//! Each entry keeps its DOM node while it streams or updates, so it can be watched growing.

use super::markdown::Markdown;
use crate::store::use_store;
use isomux_protocol::{AgentId, DeltaKind, Entry, EntryBody, EntryId, ToolStatus};
use leptos::html::Div;
use leptos::prelude::*;
use std::sync::Arc;

/// The scrolling log; sticks to the bottom unless the reader scrolled up.
#[component]
pub fn ChatLog(agent_id: AgentId) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let ids = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|a| {
                s.logs
                    .get(a)
                    .map(|l| {
                        l.entries
                            .iter()
                            .filter(|e| !matches!(e.body, EntryBody::TurnEnd { .. }))
                            .map(|e| e.id.clone())
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        })
    });
    let stream_ids = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|a| {
                s.streams
                    .iter()
                    .filter(|st| &st.agent_id == a)
                    .map(|st| (st.entry_id.clone(), st.kind))
                    .collect::<Vec<_>>()
            })
        })
    });
    let loaded = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|a| s.logs.get(a).is_some_and(|l| l.loaded)))
    });

    let log_ref = NodeRef::<Div>::new();
    let stick = StoredValue::new(true);
    // Any change to what is shown: follow the bottom if the reader is there.
    Effect::new(move |_| {
        ids.track();
        store
            .state
            .with(|s| s.streams.iter().map(|st| st.text.len()).sum::<usize>());
        if stick.get_value() {
            // The chat may be gone by the next frame: `try_` tolerates a disposed ref.
            request_animation_frame(move || {
                if let Some(el) = log_ref.try_get_untracked().flatten() {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = log_ref.get_untracked() {
            let near_bottom = el.scroll_top() + el.client_height() >= el.scroll_height() - 60;
            stick.set_value(near_bottom);
        }
    };

    view! {
        <div class="log" node_ref=log_ref on:scroll=on_scroll>
            <Show when=move || !loaded.get() && ids.with(Vec::is_empty)>
                <p class="log-loading">"Loading the conversation…"</p>
            </Show>
            <Show when=move || loaded.get() && ids.with(Vec::is_empty) && stream_ids.with(Vec::is_empty)>
                <p class="log-empty">"No messages yet. Say hello!"</p>
            </Show>
            <For each=move || ids.get() key=|id| id.clone() let:entry_id>
                <EntryView agent=agent.get_value() entry_id />
            </For>
            <For each=move || stream_ids.get() key=|(id, _)| id.clone() let:item>
                <StreamView entry_id=item.0 kind=item.1 />
            </For>
        </div>
    }
}

/// One finished entry, re-rendered only when that entry changes.
#[component]
fn EntryView(agent: AgentId, entry_id: EntryId) -> impl IntoView {
    let store = use_store();
    let entry = Memo::new_with_compare(
        move |_| {
            store.state.with(|s| {
                s.logs
                    .get(&agent)
                    .and_then(|l| l.entries.iter().rev().find(|e| e.id == entry_id))
                    .cloned()
            })
        },
        // The reducer replaces an entry's `Arc` when it changes: compare pointers, not content.
        |old, new| match (old, new) {
            (Some(Some(a)), Some(Some(b))) => !Arc::ptr_eq(a, b),
            (Some(None), Some(None)) => false,
            _ => true,
        },
    );
    move || entry.get().map(|e| render_entry(&e))
}

fn render_entry(e: &Entry) -> AnyView {
    let id = e.id.to_string();
    match e.body.clone() {
        EntryBody::User { messages } => view! {
            <div class="entry entry-user" data-entry-id=id>
                {messages
                    .into_iter()
                    .map(|m| {
                        view! {
                            <div class="line">
                                <span class="sender">{m.sender.label()}</span>
                                " "
                                <span class="text">{m.text}</span>
                            </div>
                        }
                    })
                    .collect_view()}
            </div>
        }
        .into_any(),
        EntryBody::Assistant { text } => view! {
            <div class="entry entry-assistant" data-entry-id=id>
                <Markdown text=text />
            </div>
        }
        .into_any(),
        EntryBody::Thinking { text } => view! {
            <details class="entry entry-thinking" data-entry-id=id>
                <summary>"Thinking"</summary>
                <div class="thinking-text">{text}</div>
            </details>
        }
        .into_any(),
        EntryBody::ToolCall {
            tool,
            input,
            output,
            status,
            ..
        } => {
            let status = tool_status(status);
            let brief = tool_brief(&input);
            let input = serde_json::to_string_pretty(&input).unwrap_or_default();
            view! {
                <details class="entry entry-tool" data-entry-id=id data-status=status>
                    <summary>
                        <span class="tool-name">{tool}</span>
                        <span class="tool-brief">{brief}</span>
                        <span class=format!("tool-status status-{status}")>{status}</span>
                    </summary>
                    <pre class="tool-input">{input}</pre>
                    {output.map(|o| view! { <pre class="tool-output">{o}</pre> })}
                </details>
            }
            .into_any()
        }
        EntryBody::Error { message, hint } => view! {
            <div class="entry entry-error" data-entry-id=id role="alert">
                <div class="message">{message}</div>
                {hint.map(|h| view! { <div class="hint">{h}</div> })}
            </div>
        }
        .into_any(),
        EntryBody::System { text } => view! {
            <div class="entry entry-system" data-entry-id=id>{text}</div>
        }
        .into_any(),
        EntryBody::TurnEnd { .. } => ().into_any(),
    }
}

fn tool_status(s: ToolStatus) -> &'static str {
    match s {
        ToolStatus::Running => "running",
        ToolStatus::Ok => "ok",
        ToolStatus::Failed => "failed",
        ToolStatus::Denied => "denied",
    }
}

/// The most telling input field of a tool call, for the collapsed card.
fn tool_brief(input: &serde_json::Value) -> String {
    let text = [
        "command",
        "file_path",
        "path",
        "pattern",
        "url",
        "query",
        "description",
    ]
    .iter()
    .find_map(|k| input.get(*k).and_then(|v| v.as_str()))
    .unwrap_or_default();
    let mut brief: String = text.chars().take(90).collect();
    if text.chars().count() > 90 {
        brief.push('…');
    }
    brief
}

/// A streaming buffer: a stable node whose text grows with each `log_delta`.
#[component]
fn StreamView(entry_id: EntryId, kind: DeltaKind) -> impl IntoView {
    let store = use_store();
    let id = entry_id.to_string();
    let text = Memo::new(move |_| {
        store.state.with(|s| {
            s.streams
                .iter()
                .find(|st| st.entry_id == entry_id)
                .map(|st| st.text.clone())
                .unwrap_or_default()
        })
    });
    match kind {
        DeltaKind::Text => view! {
            <div class="entry entry-assistant streaming" data-entry-id=id aria-live="polite">
                <Markdown text=text />
            </div>
        }
        .into_any(),
        DeltaKind::Thinking => view! {
            <div class="entry live live-thinking" data-entry-id=id>
                <div class="thinking-text">{text}</div>
            </div>
        }
        .into_any(),
        DeltaKind::ToolInput => view! {
            <div class="entry live live-tool" data-entry-id=id>
                <pre class="tool-input">{text}</pre>
            </div>
        }
        .into_any(),
    }
}
