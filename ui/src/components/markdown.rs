//! Markdown for assistant text: CommonMark (+ tables, strikethrough, task lists) to HTML with
//! raw HTML escaped and links/images with a dangerous scheme (`javascript:` …) dropped.
//! Fenced code blocks are highlighted by [`super::highlight`].

use super::highlight::{escape, fence_lang, highlight, known};
use leptos::prelude::*;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Render markdown into a container whose HTML is only ever produced by [`to_html`].
#[component]
pub fn Markdown(#[prop(into)] text: Signal<String>) -> impl IntoView {
    view! { <div class="md" inner_html=move || text.with(|t| to_html(t))></div> }
}

/// Safe HTML for a markdown text.
pub fn to_html(src: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    // One flag per open link/image: whether its start tag was dropped.
    let mut dropped: Vec<bool> = Vec::new();
    let events = Parser::new_ext(src, opts).filter_map(|ev| match ev {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { ref dest_url, .. } | Tag::Image { ref dest_url, .. }) => {
            let bad = !safe_url(dest_url);
            dropped.push(bad);
            (!bad).then_some(ev)
        }
        Event::End(TagEnd::Link | TagEnd::Image) => (!dropped.pop().unwrap_or(false)).then_some(ev),
        other => Some(other),
    });
    let events = code_blocks(events);
    let mut out = String::with_capacity(src.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    // Raw HTML was escaped above, so every `<a href=` here is one of ours: open it in a new tab
    // instead of navigating the app away.
    out.replace(
        "<a href=",
        "<a target=\"_blank\" rel=\"noopener noreferrer\" href=",
    )
}

/// Replace each code block by our own highlighted HTML (its text escaped by the highlighter).
fn code_blocks<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut block: Option<(String, String)> = None;
    for ev in events {
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => fence_lang(&info).to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                block = Some((lang, String::new()));
            }
            Event::Text(t) if block.is_some() => {
                if let Some((_, code)) = block.as_mut() {
                    code.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let (lang, code) = block.take().unwrap_or_default();
                let lang_attr: String = lang
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '#'))
                    .collect();
                let mut html = String::with_capacity(code.len() * 2 + 64);
                if known(&lang) {
                    html.push_str(&format!(
                        "<pre class=\"code\" data-lang=\"{lang_attr}\"><code class=\"hl language-{lang_attr}\">"
                    ));
                    html.push_str(&highlight(&lang, &code));
                } else {
                    html.push_str("<pre class=\"code\"><code>");
                    html.push_str(&escape(&code));
                }
                html.push_str("</code></pre>\n");
                out.push(Event::Html(CowStr::from(html)));
            }
            other => out.push(other),
        }
    }
    // An unclosed block (a reply still streaming) is shown as it is so far.
    if let Some((lang, code)) = block {
        out.push(Event::Html(CowStr::from(format!(
            "<pre class=\"code\"><code>{}</code></pre>\n",
            if known(&lang) {
                highlight(&lang, &code)
            } else {
                escape(&code)
            }
        ))));
    }
    out
}

/// Relative URLs and http(s)/mailto only.
fn safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned[i..].starts_with(':') => {
            matches!(&cleaned[..i], "http" | "https" | "mailto")
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn renders_markdown() {
        let h = to_html("**bold** and `code`\n\n- a\n- b");
        assert!(h.contains("<strong>bold</strong>"));
        assert!(h.contains("<code>code</code>"));
        assert!(h.contains("<li>a</li>"));
    }

    #[test]
    fn raw_html_is_escaped() {
        let h = to_html("hi <img src=x onerror=alert(1)>\n\n<script>alert(1)</script>");
        assert!(!h.contains("<img"), "{h}");
        assert!(!h.contains("<script"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn dangerous_links_are_dropped_but_their_text_stays() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
        ] {
            let h = to_html(&format!("[click]({url})"));
            assert!(!h.contains("<a"), "{url}: {h}");
            assert!(h.contains("click"), "{url}: {h}");
        }
        let h = to_html("![pic](javascript:alert(1))");
        assert!(!h.contains("<img"), "{h}");
    }

    #[test]
    fn fenced_code_is_highlighted_and_escaped() {
        let h = to_html("text\n\n```rust\nfn main() { let s = \"<b>\"; }\n```\n\nafter");
        assert!(h.contains("<pre class=\"code\" data-lang=\"rust\">"), "{h}");
        assert!(h.contains("<span class=\"hl-kw\">fn</span>"), "{h}");
        assert!(h.contains("&lt;b&gt;"), "{h}");
        assert!(!h.contains("<b>"), "{h}");
        assert!(h.contains("<p>after</p>"), "{h}");
        let h = to_html("```\n<i>x</i>\n```");
        assert!(
            h.contains("&lt;i&gt;x&lt;/i&gt;") && !h.contains("<i>"),
            "{h}"
        );
        let h = to_html("```weird\\\"><script>\nx\n```");
        assert!(!h.contains("<script"), "{h}");
    }

    #[test]
    fn safe_links_open_in_a_new_tab() {
        let h = to_html("[docs](https://example.org/a?b#c) [rel](/api/x) [m](mailto:a@b.c)");
        assert_eq!(h.matches("target=\"_blank\"").count(), 3, "{h}");
    }
}
