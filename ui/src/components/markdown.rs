//! Markdown for assistant text: CommonMark (+ tables, strikethrough, task lists) to HTML with
//! raw HTML escaped and links/images with a dangerous scheme (`javascript:` …) dropped.

use leptos::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

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
    let mut out = String::with_capacity(src.len() * 3 / 2);
    html::push_html(&mut out, events);
    // Raw HTML was escaped above, so every `<a href=` here is one of ours: open it in a new tab
    // instead of navigating the app away.
    out.replace(
        "<a href=",
        "<a target=\"_blank\" rel=\"noopener noreferrer\" href=",
    )
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
    fn safe_links_open_in_a_new_tab() {
        let h = to_html("[docs](https://example.org/a?b#c) [rel](/api/x) [m](mailto:a@b.c)");
        assert_eq!(h.matches("target=\"_blank\"").count(), 3, "{h}");
    }
}
