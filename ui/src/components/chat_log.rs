//! The conversation log of one agent: loaded entries (user lines with their attachments,
//! markdown answers, collapsed thinking, tool cards, errors with their hint, system markers,
//! the affordance cards of `cards`) followed by the live streaming buffers. User entries offer
//! "Edit" (fork from that message, `edit`). Each entry keeps its DOM node while it streams or
//! updates, so it can be watched growing.
//!
//! Virtualized for long conversations: only the rows in view plus [`OVERSCAN`] on each side are
//! in the DOM, between two spacers whose heights are the summed row heights (measured once a
//! row was shown, estimated before). Scrolling near the top fetches the previous page
//! (`GET /api/agents/:id/logs?before=…&limit=200`) and keeps the rows in view where they were.
//! New output follows the bottom only when the reader is already there.

mod cards;
mod edit;

use super::markdown::Markdown;
use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::LogsPage;
use isomux_protocol::{AgentId, DeltaKind, Entry, EntryBody, EntryId, Op, ToolStatus};
use leptos::html::Div;
use leptos::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// Rows rendered above and below the visible ones.
const OVERSCAN: usize = 12;
/// Height assumed for a row that was never shown (px).
const ESTIMATE: f64 = 80.0;
/// Entries per older page.
const OLDER_PAGE: i64 = 200;
/// Distance from the top (px) at which the previous page is fetched.
const FETCH_MARGIN: f64 = 600.0;

/// Which rows are in the DOM and how tall the space around them is.
#[derive(Debug, Clone, PartialEq)]
struct Window {
    start: usize,
    end: usize,
    top: f64,
    bottom: f64,
}

/// The rows to render for a viewport: pure, so it is unit-tested natively.
fn window(heights: &[f64], scroll_top: f64, viewport: f64, overscan: usize) -> Window {
    let n = heights.len();
    let mut y = 0.0;
    let mut first = n;
    for (i, h) in heights.iter().enumerate() {
        if y + h > scroll_top {
            first = i;
            break;
        }
        y += h;
    }
    let mut last = first;
    let mut y2 = y;
    while last < n && y2 < scroll_top + viewport {
        y2 += heights[last];
        last += 1;
    }
    let start = first.min(n).saturating_sub(overscan);
    let end = (last + overscan).min(n);
    let top: f64 = heights[..start].iter().sum();
    let bottom: f64 = heights[end..].iter().sum();
    Window {
        start,
        end,
        top,
        bottom,
    }
}

/// The scrolling log; sticks to the bottom unless the reader scrolled up.
#[component]
pub fn ChatLog(agent_id: AgentId) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    // (id, seq) of the shown entries, oldest first.
    let rows = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|a| {
                s.logs
                    .get(a)
                    .map(|l| {
                        l.entries
                            .iter()
                            .filter(|e| !matches!(e.body, EntryBody::TurnEnd { .. }))
                            .map(|e| (e.id.clone(), e.seq))
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
    let older = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|a| {
                s.logs
                    .get(a)
                    .and_then(|l| l.loaded.then_some(l.next_before))
            })
        })
    });

    let log_ref = NodeRef::<Div>::new();
    let stick = StoredValue::new(true);
    let scroll_top = RwSignal::new(0.0_f64);
    let viewport = RwSignal::new(800.0_f64);
    // Measured row heights by entry id; `measured` is bumped when one changes.
    let heights = StoredValue::new(HashMap::<EntryId, f64>::new());
    let measured = RwSignal::new(0_u64);
    // Bumped by a row whose height changed on its own (image loaded, card toggled).
    let remeasure = RwSignal::new(0_u64);
    let fetching = RwSignal::new(false);
    let fetch_error = RwSignal::new(None::<String>);

    let win = Memo::new(move |_| {
        measured.track();
        let hs: Vec<f64> = heights.with_value(|h| {
            rows.with(|r| {
                r.iter()
                    .map(|(id, _)| h.get(id).copied().unwrap_or(ESTIMATE))
                    .collect()
            })
        });
        window(&hs, scroll_top.get(), viewport.get(), OVERSCAN)
    });
    let visible = Memo::new(move |_| {
        let w = win.get();
        rows.with(|r| r.get(w.start..w.end).map(<[_]>::to_vec).unwrap_or_default())
    });

    // After each render: measure the rows in the DOM, keep what is in view in place when rows
    // above it changed height, and follow the bottom if the reader is there.
    let measure = move || {
        let Some(el) = log_ref.try_get_untracked().flatten() else {
            return;
        };
        let Ok(nodes) = el.query_selector_all(".log-row") else {
            return;
        };
        let view_top = el.scroll_top() as f64;
        let mut changed = false;
        let mut shift = 0.0;
        heights.update_value(|h| {
            for i in 0..nodes.length() {
                let Some(row) = nodes
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                else {
                    continue;
                };
                let Some(id) = row.get_attribute("data-row") else {
                    continue;
                };
                let height = f64::from(row.offset_height());
                if height <= 0.0 {
                    continue;
                }
                let id = EntryId::from(id);
                let old = h.get(&id).copied().unwrap_or(ESTIMATE);
                if (old - height).abs() > 0.5 {
                    changed = true;
                    // A row wholly above the viewport pushes what is in view.
                    if f64::from(row.offset_top()) + old <= view_top {
                        shift += height - old;
                    }
                }
                h.insert(id, height);
            }
        });
        if changed {
            if !stick.get_value() && shift != 0.0 {
                el.set_scroll_top((view_top + shift).round() as i32);
            }
            measured.update(|m| *m += 1);
        }
        if stick.get_value() {
            el.set_scroll_top(el.scroll_height());
        }
        scroll_top.set(f64::from(el.scroll_top()));
        viewport.set(f64::from(el.client_height()));
    };
    Effect::new(move |_| {
        visible.track();
        win.track();
        remeasure.track();
        store
            .state
            .with(|s| s.streams.iter().map(|st| st.text.len()).sum::<usize>());
        // The chat may be gone by the next frame: `measure` tolerates a disposed ref.
        request_animation_frame(measure);
    });

    // Older pages as the reader nears the top.
    let fetch_older = move || {
        let Some(Some(before)) = older.get_untracked() else {
            return;
        };
        if fetching.get_untracked() {
            return;
        }
        fetching.set(true);
        let id = agent.get_value();
        leptos::task::spawn_local(async move {
            let op = Op::GetLogs {
                agent_id: id.clone(),
                conversation_id: None,
                before: Some(before),
                limit: Some(OLDER_PAGE),
            };
            match transport::call_as::<LogsPage>(&op).await {
                Ok(page) => {
                    let before = rows.try_with_untracked(Vec::len).unwrap_or(0);
                    store.state.try_update(|s| s.merge_older_page(&id, page));
                    let added = rows.try_with_untracked(Vec::len).unwrap_or(0) - before;
                    // The new rows are above, at the estimated height: move down by exactly
                    // that so the rows in view stay put.
                    if let Some(el) = log_ref.try_get_untracked().flatten() {
                        let y = f64::from(el.scroll_top()) + added as f64 * ESTIMATE;
                        request_animation_frame(move || {
                            if let Some(el) = log_ref.try_get_untracked().flatten() {
                                el.set_scroll_top(y.round() as i32);
                                scroll_top.set(f64::from(el.scroll_top()));
                            }
                        });
                    }
                    fetch_error.set(None);
                }
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => fetch_error.set(Some(format!("Could not load older messages: {e}"))),
            }
            let _ = fetching.try_set(false);
        });
    };
    let on_scroll = move |_| {
        if let Some(el) = log_ref.get_untracked() {
            let top = f64::from(el.scroll_top());
            let near_bottom = el.scroll_top() + el.client_height() >= el.scroll_height() - 60;
            stick.set_value(near_bottom);
            scroll_top.set(top);
            viewport.set(f64::from(el.client_height()));
            if top < FETCH_MARGIN {
                fetch_older();
            }
        }
    };
    // A short first page may not fill the screen (no scroll event): fetch until it does.
    Effect::new(move |_| {
        if older.get().flatten().is_some() && !fetching.get() {
            request_animation_frame(move || {
                if let Some(el) = log_ref.try_get_untracked().flatten()
                    && el.scroll_height() <= el.client_height()
                {
                    fetch_older();
                }
            });
        }
    });
    let agent_for_rows = agent.get_value();

    view! {
        <div class="log" node_ref=log_ref on:scroll=on_scroll>
            <Show when=move || !loaded.get() && rows.with(Vec::is_empty)>
                <p class="log-loading">"Loading the conversation…"</p>
            </Show>
            <Show when=move || loaded.get() && rows.with(Vec::is_empty) && stream_ids.with(Vec::is_empty)>
                <p class="log-empty">"No messages yet. Say hello!"</p>
            </Show>
            <Show when=move || fetching.get()>
                <p class="log-older" role="status">"Loading older messages…"</p>
            </Show>
            {move || fetch_error.get().map(|e| view! { <p class="log-older error" role="alert">{e}</p> })}
            <div class="log-spacer log-spacer-top" style:height=move || format!("{}px", win.with(|w| w.top))></div>
            <For each=move || visible.get() key=|(id, _)| id.clone() let:row>
                {
                    let row_id = row.0.to_string();
                    view! {
                        <div class="log-row" data-row=row_id>
                            <EntryView agent=agent_for_rows.clone() entry_id=row.0 seq=row.1 on_resize=remeasure />
                        </div>
                    }
                }
            </For>
            <div class="log-spacer log-spacer-bottom" style:height=move || format!("{}px", win.with(|w| w.bottom))></div>
            <For each=move || stream_ids.get() key=|(id, _)| id.clone() let:item>
                <StreamView entry_id=item.0 kind=item.1 />
            </For>
        </div>
    }
}

/// One finished entry, re-rendered only when that entry changes.
#[component]
fn EntryView(
    agent: AgentId,
    entry_id: EntryId,
    seq: i64,
    /// Bumped when the row's height may have changed on its own (an image loaded).
    on_resize: RwSignal<u64>,
) -> impl IntoView {
    let store = use_store();
    let agent_for_files = agent.clone();
    let entry = Memo::new_with_compare(
        move |_| {
            store.state.with(|s| {
                s.logs.get(&agent).and_then(|l| {
                    // Entries are sorted by seq and keep theirs when replaced.
                    let at = l.entries.partition_point(|e| e.seq < seq);
                    l.entries
                        .get(at)
                        .filter(|e| e.id == entry_id)
                        .or_else(|| l.entries.iter().rev().find(|e| e.id == entry_id))
                        .cloned()
                })
            })
        },
        // The reducer replaces an entry's `Arc` when it changes: compare pointers, not content.
        |old, new| match (old, new) {
            (Some(Some(a)), Some(Some(b))) => !Arc::ptr_eq(a, b),
            (Some(None), Some(None)) => false,
            _ => true,
        },
    );
    move || {
        entry
            .get()
            .map(|e| render_entry(&e, &agent_for_files, on_resize))
    }
}

fn render_entry(e: &Entry, agent: &AgentId, on_resize: RwSignal<u64>) -> AnyView {
    let id = e.id.to_string();
    let resized = move |_| on_resize.update(|n| *n += 1);
    match e.body.clone() {
        EntryBody::User { messages } => {
            let lines = messages
                .iter()
                .map(|m| {
                    let files = m
                        .attachments
                        .iter()
                        .map(|name| attachment(agent, name, on_resize))
                        .collect_view();
                    view! {
                        <div class="line">
                            <span class="sender">{m.sender.label()}</span>
                            " "
                            <span class="text">{m.text.clone()}</span>
                            <div class="attachments">{files}</div>
                        </div>
                    }
                })
                .collect_view()
                .into_any();
            view! {
                <edit::UserEntry
                    agent=agent.clone()
                    entry_id=e.id.clone()
                    text=edit::initial_text(&messages)
                    lines
                    on_resize
                />
            }
            .into_any()
        }
        EntryBody::Assistant { text } => view! {
            <div class="entry entry-assistant" data-entry-id=id>
                <Markdown text=text />
            </div>
        }
        .into_any(),
        EntryBody::Thinking { text } => view! {
            <details class="entry entry-thinking" data-entry-id=id on:toggle=resized>
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
                <details class="entry entry-tool tool-card" data-entry-id=id data-status=status on:toggle=resized>
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
                {match hint {
                    Some(h) => view! { <div class="hint">{h}</div> }.into_any(),
                    None => view! {
                        <div class="hint hint-default">
                            "Send another message to try again; if it keeps failing, check the \
                             agent's backend, model and working directory."
                        </div>
                    }
                    .into_any(),
                }}
            </div>
        }
        .into_any(),
        EntryBody::System { text } => view! {
            <div class="entry entry-system" data-entry-id=id>{text}</div>
        }
        .into_any(),
        EntryBody::TurnEnd { .. } => ().into_any(),
        EntryBody::File {
            path,
            name,
            size,
            image,
            by,
            ..
        } => cards::file_card(id, agent, path, &name, size, image, by, on_resize),
        EntryBody::Diff {
            dir,
            files,
            truncated,
            by,
        } => cards::diff_card(id, dir, &files, truncated, by, on_resize),
        EntryBody::EditFile { path, by } => cards::edit_file_card(id, path, by),
        EntryBody::TerminalCommand { command, by } => cards::terminal_card(id, command, by),
    }
}

/// The URL of an agent's stored file (HTTP in a browser, the `isomux-file` scheme on desktop).
pub fn file_url(agent: &AgentId, name: &str) -> String {
    crate::transport::file_url(agent.as_str(), name)
}

/// Whether a stored name is an image the browser shows inline.
pub fn is_image(name: &str) -> bool {
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "gif" | "webp")
}

/// An attached file: images inline (click for full size), anything else a download chip.
fn attachment(agent: &AgentId, name: &str, on_resize: RwSignal<u64>) -> AnyView {
    let url = file_url(agent, name);
    if is_image(name) {
        let href = url.clone();
        view! {
            <a class="attachment-image" href=href target="_blank" rel="noopener">
                <img src=url alt=name.to_owned() loading="lazy" on:load=move |_| on_resize.update(|n| *n += 1) />
            </a>
        }
        .into_any()
    } else {
        let ext = name
            .rsplit('.')
            .next()
            .unwrap_or("file")
            .to_ascii_uppercase();
        view! {
            <a class="file-chip" href=url download=name.to_owned() title="Download">
                <span class="file-ext">{ext}</span>
                <span class="file-name">{short_name(name)}</span>
                " ⤓"
            </a>
        }
        .into_any()
    }
}

/// `3f9a…c2.pdf` for a long stored name.
fn short_name(name: &str) -> String {
    match name.split_once('.') {
        Some((stem, ext)) if stem.len() > 12 => {
            format!("{}…{}.{ext}", &stem[..6], &stem[stem.len() - 4..])
        }
        _ => name.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::{Window, is_image, short_name, window};

    #[test]
    fn only_the_rows_in_view_and_the_overscan_are_rendered() {
        let hs = vec![100.0; 20_000];
        let w = window(&hs, 0.0, 800.0, 10);
        assert_eq!((w.start, w.end, w.top), (0, 18, 0.0));
        assert_eq!(w.bottom, (20_000 - 18) as f64 * 100.0);
        // In the middle: the spacers add up to everything not rendered.
        let w = window(&hs, 1_000_050.0, 800.0, 10);
        assert_eq!((w.start, w.end), (9_990, 10_019));
        assert_eq!(
            w.top + w.bottom + (w.end - w.start) as f64 * 100.0,
            2_000_000.0
        );
        // At the bottom.
        let w = window(&hs, 1_999_200.0, 800.0, 10);
        assert_eq!((w.end, w.bottom), (20_000, 0.0));
        assert!(w.end - w.start < 40);
    }

    #[test]
    fn uneven_and_empty() {
        let w = window(&[], 0.0, 800.0, 5);
        assert_eq!(
            w,
            Window {
                start: 0,
                end: 0,
                top: 0.0,
                bottom: 0.0
            }
        );
        let hs = [10.0, 1000.0, 10.0, 10.0];
        let w = window(&hs, 500.0, 100.0, 0);
        assert_eq!((w.start, w.end, w.top, w.bottom), (1, 2, 10.0, 20.0));
    }

    #[test]
    fn attachments() {
        assert!(is_image("ab.PNG") && is_image("x.webp") && !is_image("doc.pdf"));
        assert_eq!(short_name("0123456789abcdef0123.pdf"), "012345…0123.pdf");
        assert_eq!(short_name("a.txt"), "a.txt");
    }
}
