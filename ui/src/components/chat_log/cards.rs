//! The affordance cards agents (and humans) drop into a chat (`read-file`, `diff`, `edit-file`,
//! `terminal-command`; shapes in `isomux_protocol::cards`): a file shown inline or as a
//! download chip, a side-by-side diff per file (collapsible, numbered, coloured, with a notice
//! when the office truncated it), "Open in editor" (the browser shows the path with a copy
//! button; there is no built-in editor) and "Copy to terminal". Each says who posted it.
//! The side-by-side pairing and the small formatters are pure and unit-tested natively.

use isomux_protocol::AgentId;
use isomux_protocol::cards::{DiffFile, DiffHunk, DiffLine, DiffLineKind, DiffStatus};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// A diff file with at most this many lines starts expanded...
const OPEN_LINES: usize = 400;
/// ... while the expanded files of the card stay within this many lines. A collapsed file's
/// rows are not in the DOM until it is opened (diff cards may hold 10k lines).
const OPEN_BUDGET: usize = 1000;

/// Which files of a card start expanded, given each file's line count: small files, in order,
/// until the budget is spent (a file that does not fit stays collapsed; later smaller ones may
/// still open).
pub fn initially_open(lines: &[usize]) -> Vec<bool> {
    let mut spent = 0;
    lines
        .iter()
        .map(|&n| {
            let open = n <= OPEN_LINES && spent + n <= OPEN_BUDGET;
            if open {
                spent += n;
            }
            open
        })
        .collect()
}

/// One row of a side-by-side hunk: the old line on the left, the new one on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    pub left: Option<&'a DiffLine>,
    pub right: Option<&'a DiffLine>,
}

/// Pairs a hunk's lines for a side-by-side view: context lines sit on both sides; within a run
/// of changes, removed lines pair with added ones in order and the longer side runs on alone.
pub fn side_by_side(lines: &[DiffLine]) -> Vec<Row<'_>> {
    let mut rows = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if lines[i].kind == DiffLineKind::Context {
            rows.push(Row {
                left: Some(&lines[i]),
                right: Some(&lines[i]),
            });
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].kind != DiffLineKind::Context {
            i += 1;
        }
        let run = &lines[start..i];
        let dels: Vec<&DiffLine> = run.iter().filter(|l| l.kind == DiffLineKind::Del).collect();
        let adds: Vec<&DiffLine> = run.iter().filter(|l| l.kind == DiffLineKind::Add).collect();
        for k in 0..dels.len().max(adds.len()) {
            rows.push(Row {
                left: dels.get(k).copied(),
                right: adds.get(k).copied(),
            });
        }
    }
    rows
}

/// `12 B`, `3.4 KB`, `1.2 MB`.
pub fn human_size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// The last component of a path.
pub fn base_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
}

/// The one-letter badge of a file's change.
pub fn status_letter(s: DiffStatus) -> &'static str {
    match s {
        DiffStatus::Added => "A",
        DiffStatus::Modified => "M",
        DiffStatus::Deleted => "D",
        DiffStatus::Renamed => "R",
        DiffStatus::Untracked => "U",
    }
}

fn status_name(s: DiffStatus) -> &'static str {
    match s {
        DiffStatus::Added => "added",
        DiffStatus::Modified => "modified",
        DiffStatus::Deleted => "deleted",
        DiffStatus::Renamed => "renamed",
        DiffStatus::Untracked => "untracked",
    }
}

fn card_head(title: &'static str, subject: String, by: String) -> impl IntoView {
    let tip = subject.clone();
    view! {
        <div class="card-head">
            <span class="card-title">{title}</span>
            <span class="card-subject" title=tip>{subject}</span>
            <span class="card-by">"by " {by}</span>
        </div>
    }
}

/// A file shown with `read-file`: an image inline, anything else a download chip.
pub fn file_card(
    id: String,
    agent: &AgentId,
    path: String,
    name: &str,
    size: u64,
    image: bool,
    by: String,
    on_resize: RwSignal<u64>,
) -> AnyView {
    let url = super::file_url(agent, name);
    let base = base_name(&path).to_owned();
    let body = if image {
        let href = url.clone();
        view! {
            <a class="attachment-image card-image" href=href target="_blank" rel="noopener">
                <img src=url alt=base loading="lazy" on:load=move |_| on_resize.update(|n| *n += 1) />
            </a>
        }
        .into_any()
    } else {
        let ext = name
            .rsplit_once('.')
            .map_or("file", |(_, e)| e)
            .to_ascii_uppercase();
        let label = base.clone();
        view! {
            <a class="file-chip card-download" href=url download=base title="Download">
                <span class="file-ext">{ext}</span>
                <span class="file-name">{label}</span>
                <span class="file-size">{human_size(size)}</span>
                " ⤓"
            </a>
        }
        .into_any()
    };
    view! {
        <div class="entry card card-file" data-entry-id=id data-image=image.to_string()>
            {card_head("File", path, by)}
            {body}
        </div>
    }
    .into_any()
}

/// A side-by-side diff of uncommitted changes, one collapsible section per file.
pub fn diff_card(
    id: String,
    dir: String,
    files: &[DiffFile],
    truncated: bool,
    by: String,
    on_resize: RwSignal<u64>,
) -> AnyView {
    let adds: u32 = files.iter().map(|f| f.additions).sum();
    let dels: u32 = files.iter().map(|f| f.deletions).sum();
    let count = files.len();
    let summary = format!(
        "{count} {} changed",
        if count == 1 { "file" } else { "files" }
    );
    let counts: Vec<usize> = files
        .iter()
        .map(|f| f.hunks.iter().map(|h| h.lines.len()).sum())
        .collect();
    let files_view = files
        .iter()
        .zip(initially_open(&counts))
        .map(|(f, open)| diff_file(f, open, on_resize))
        .collect_view();
    view! {
        <div class="entry card card-diff" data-entry-id=id>
            {card_head("Diff", dir, by)}
            <div class="diff-summary">
                <span>{summary}</span>
                " "
                <span class="diff-adds">"+" {adds}</span>
                " "
                <span class="diff-dels">"−" {dels}</span>
            </div>
            {(count == 0).then(|| view! { <p class="diff-empty small">"No uncommitted changes."</p> })}
            {truncated.then(|| view! {
                <p class="diff-truncated" role="note">
                    "Truncated: some files or lines were left out to keep the card small. \
                     Run git diff in the agent's directory for everything."
                </p>
            })}
            {files_view}
        </div>
    }
    .into_any()
}

fn diff_file(f: &DiffFile, open: bool, on_resize: RwSignal<u64>) -> AnyView {
    let is_open = RwSignal::new(open);
    let renamed = f
        .old_path
        .as_ref()
        .filter(|o| **o != f.path)
        .map(|o| view! { <span class="diff-old-path">{o.clone()} " → "</span> });
    let binary = f.binary;
    let hunks = StoredValue::new(f.hunks.clone());
    let body = move || {
        if binary {
            return view! { <p class="diff-binary small">"Binary or too large to show."</p> }
                .into_any();
        }
        if !is_open.get() {
            return ().into_any();
        }
        hunks.with_value(|hunks| hunk_views(hunks))
    };
    let toggled = move |ev: leptos::ev::Event| {
        let open = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            .and_then(|el| js_sys::Reflect::get(&el, &"open".into()).ok())
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        is_open.set(open);
        on_resize.update(|n| *n += 1);
    };

    view! {
        <details class="diff-file" open=open data-path=f.path.clone() data-status=status_name(f.status)
            on:toggle=toggled>
            <summary>
                <span class=format!("diff-status status-{}", status_name(f.status)) title=status_name(f.status)>
                    {status_letter(f.status)}
                </span>
                {renamed}
                <span class="diff-path">{f.path.clone()}</span>
                <span class="diff-counts">
                    <span class="diff-adds">"+" {f.additions}</span>
                    " "
                    <span class="diff-dels">"−" {f.deletions}</span>
                </span>
            </summary>
            <div class="diff-body">{body}</div>
        </details>
    }
    .into_any()
}

/// The side-by-side tables of a file's hunks.
fn hunk_views(hunks: &[DiffHunk]) -> AnyView {
    hunks
        .iter()
        .map(|h| {
            let rows = side_by_side(&h.lines)
                .into_iter()
                .map(|r| {
                    view! {
                        <tr class="diff-row">
                            {side(r.left, true)}
                            {side(r.right, false)}
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="diff-hunk">
                    <tbody>
                        <tr class="hunk-header"><td colspan="4">{h.header.clone()}</td></tr>
                        {rows}
                    </tbody>
                </table>
            }
        })
        .collect_view()
        .into_any()
}

/// One side of a row: the line number and the text, or an empty filler.
fn side(line: Option<&DiffLine>, old: bool) -> impl IntoView {
    let (n_class, c_class) = if old {
        ("ln ln-old", "code code-old")
    } else {
        ("ln ln-new", "code code-new")
    };
    match line {
        Some(l) => {
            let kind = match l.kind {
                DiffLineKind::Context => "ctx",
                DiffLineKind::Add => "add",
                DiffLineKind::Del => "del",
            };
            let n = if old { l.old } else { l.new };
            view! {
                <td class=format!("{n_class} {kind}")>{n.map(|n| n.to_string())}</td>
                <td class=format!("{c_class} {kind}")>{l.text.clone()}</td>
            }
            .into_any()
        }
        None => view! {
            <td class=format!("{n_class} empty")></td>
            <td class=format!("{c_class} empty")></td>
        }
        .into_any(),
    }
}

/// "Open in editor": the browser has no editor, so the card shows the path and copies it.
pub fn edit_file_card(id: String, path: String, by: String) -> AnyView {
    view! {
        <div class="entry card card-edit-file" data-entry-id=id>
            {card_head("Open in editor", base_name(&path).to_owned(), by)}
            <div class="card-row">
                <code class="card-path">{path.clone()}</code>
                <CopyButton text=path label="Copy path" class="copy-path" />
            </div>
        </div>
    }
    .into_any()
}

/// "Copy to terminal": the command, copied with one click.
pub fn terminal_card(id: String, command: String, by: String) -> AnyView {
    view! {
        <div class="entry card card-terminal" data-entry-id=id>
            {card_head("Terminal command", String::new(), by)}
            <pre class="terminal-command"><span class="prompt" aria-hidden="true">"$ "</span>{command.clone()}</pre>
            <div class="card-row end">
                <CopyButton text=command label="Copy to terminal" class="copy-terminal" />
            </div>
        </div>
    }
    .into_any()
}

/// A button that copies `text` and says "Copied" for a moment (or that copying failed).
#[component]
fn CopyButton(text: String, label: &'static str, class: &'static str) -> impl IntoView {
    let status = RwSignal::new(None::<bool>);
    let text = StoredValue::new(text);
    let click = move |_| {
        let t = text.get_value();
        leptos::task::spawn_local(async move {
            let ok = copy_text(&t).await;
            if status.try_set(Some(ok)).is_some() {
                return;
            }
            set_timeout(
                move || {
                    let _ = status.try_set(None);
                },
                std::time::Duration::from_secs(3),
            );
        });
    };
    view! {
        <button type="button" class=format!("copy-button {class}") class:copied=move || status.get() == Some(true)
            on:click=click>
            {move || match status.get() {
                None => label,
                Some(true) => "Copied",
                Some(false) => "Copy failed: select the text",
            }}
        </button>
    }
}

/// Puts text on the clipboard: the async Clipboard API, else the older `execCommand("copy")`
/// on a hidden textarea (the Clipboard API is missing outside secure contexts).
async fn copy_text(text: &str) -> bool {
    let window = window();
    let clipboard = js_sys::Reflect::get(&window, &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()))
        .ok()
        .filter(|c| !c.is_undefined() && !c.is_null());
    if let Some(clipboard) = clipboard
        && let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into())
        && let Some(write) = write.dyn_ref::<js_sys::Function>()
        && let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text))
        && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
        && wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    {
        return true;
    }
    copy_with_exec_command(text).unwrap_or(false)
}

fn copy_with_exec_command(text: &str) -> Option<bool> {
    let doc = document();
    let area = doc.create_element("textarea").ok()?;
    js_sys::Reflect::set(&area, &"value".into(), &JsValue::from_str(text)).ok()?;
    area.set_attribute("style", "position:fixed;top:-1000px;opacity:0")
        .ok()?;
    let body = doc.body()?;
    body.append_child(&area).ok()?;
    let call = |target: &JsValue, name: &str, args: &js_sys::Array| {
        js_sys::Reflect::get(target, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.apply(target, args).ok())
    };
    call(&area, "select", &js_sys::Array::new());
    let copied = call(
        &doc,
        "execCommand",
        &js_sys::Array::of1(&JsValue::from_str("copy")),
    )
    .and_then(|v| v.as_bool())
    .unwrap_or(false);
    area.remove();
    Some(copied)
}

#[cfg(test)]
mod tests {
    use super::{base_name, human_size, initially_open, side_by_side};
    use isomux_protocol::cards::{DiffLine, DiffLineKind};

    fn l(kind: DiffLineKind, old: Option<u32>, new: Option<u32>, text: &str) -> DiffLine {
        DiffLine {
            kind,
            old,
            new,
            text: text.into(),
        }
    }

    #[test]
    fn changes_pair_up_and_context_sits_on_both_sides() {
        use DiffLineKind::{Add, Context, Del};
        let lines = vec![
            l(Context, Some(1), Some(1), "a"),
            l(Del, Some(2), None, "b"),
            l(Del, Some(3), None, "c"),
            l(Add, None, Some(2), "B"),
            l(Context, Some(4), Some(3), "d"),
            l(Add, None, Some(4), "e"),
        ];
        let rows = side_by_side(&lines);
        let shape: Vec<(Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.left.map(|x| x.text.as_str()),
                    r.right.map(|x| x.text.as_str()),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (Some("a"), Some("a")),
                (Some("b"), Some("B")),
                (Some("c"), None),
                (Some("d"), Some("d")),
                (None, Some("e")),
            ]
        );
        assert!(side_by_side(&[]).is_empty());
    }

    #[test]
    fn small_files_open_until_the_budget_is_spent() {
        assert_eq!(
            initially_open(&[10, 5000, 390, 400, 300, 100]),
            [true, false, true, true, false, true]
        );
        assert!(initially_open(&[1; 205]).iter().all(|o| *o));
        assert!(initially_open(&[]).is_empty());
    }

    #[test]
    fn sizes_and_names() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(3 * 1024 + 400), "3.4 KB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(base_name("/a/b/c.txt"), "c.txt");
        assert_eq!(base_name("c.txt"), "c.txt");
        assert_eq!(base_name("/a/dir/"), "dir");
    }
}
