//! Past conversations of one agent (design §6, issue 3): a "Conversations" button for the
//! chat header that opens a list of `GET /api/agents/:id/sessions`, forks nested under the
//! conversation they branched from (`↳`), conversations something was forked from dimmed with
//! "(branched)", the current one marked; "New conversation" (`POST …/new-conversation`) and
//! "Resume" (`POST …/resume {session_id}`). Both answer the agent, which is applied at once:
//! its new `conversation_id` makes the reducer drop the loaded log, so the open chat reloads.

use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::{AgentBody, SessionsBody};
use isomux_protocol::{AgentId, Conversation, ConversationId, Op, ServerMessage};
use leptos::prelude::*;

/// A conversation with its nesting depth (0 for a root, 1 for a fork of it, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub depth: usize,
    pub conversation: Conversation,
}

/// Orders the list as a tree: roots newest first, each followed by its forks (newest first,
/// recursively). A fork whose parent is not listed is a root. Every conversation appears once.
pub fn tree(list: &[Conversation]) -> Vec<Row> {
    let listed = |id: &ConversationId| list.iter().any(|c| &c.id == id);
    let mut sorted: Vec<&Conversation> = list.iter().collect();
    sorted.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.0.cmp(&a.id.0))
    });
    let mut out: Vec<Row> = Vec::with_capacity(list.len());
    let is_root = |c: &Conversation| {
        !c.forked_from
            .as_ref()
            .is_some_and(|p| listed(p) && p != &c.id)
    };
    // Roots first; then anything a cycle of `forked_from` left unreached, so nothing is lost.
    let starts: Vec<&Conversation> = sorted
        .iter()
        .copied()
        .filter(|c| is_root(c))
        .chain(sorted.iter().copied())
        .collect();
    for start in starts {
        // Depth-first with an explicit stack (children pushed oldest first: newest pops first).
        let mut stack = vec![(0, start)];
        while let Some((depth, c)) = stack.pop() {
            if out.iter().any(|r| r.conversation.id == c.id) {
                continue;
            }
            out.push(Row {
                depth,
                conversation: c.clone(),
            });
            for child in sorted
                .iter()
                .rev()
                .filter(|k| k.forked_from.as_ref() == Some(&c.id) && k.id != c.id)
            {
                stack.push((depth + 1, *child));
            }
        }
    }
    out
}

/// What a row says: its topic, else when it started.
pub fn label(c: &Conversation, started: &str) -> String {
    match c.topic.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_owned(),
        None => format!("Conversation of {started}"),
    }
}

/// Local date and time of a Unix-milliseconds timestamp.
fn when(ms: i64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "milliseconds since 1970 fit an f64 exactly"
    )]
    let d = js_sys::Date::new(&(ms as f64).into());
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// The chat header's button; the list opens over the chat.
#[component]
pub fn ConversationsButton(agent_id: AgentId) -> impl IntoView {
    let open = RwSignal::new(false);
    let agent = StoredValue::new(agent_id);
    view! {
        <button id="conversations-toggle" type="button" class="secondary conversations-toggle"
            title="Past conversations: resume one or start a new one"
            on:click=move |_| open.set(true)>
            "Conversations"
        </button>
        {move || open.get().then(|| view! {
            <ConversationsPanel agent_id=agent.get_value() on_close=Callback::new(move |()| open.set(false)) />
        })}
    }
}

/// The list of an agent's conversations.
#[component]
fn ConversationsPanel(agent_id: AgentId, on_close: Callback<()>) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let rows = RwSignal::new(None::<Vec<Row>>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Reload whenever the agent's current conversation changes (here or on another device).
    let current = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|id| s.agent(id).map(|a| a.conversation_id.clone())))
    });
    Effect::new(move |_| {
        current.track();
        let agent_id = agent.get_value();
        leptos::task::spawn_local(async move {
            match transport::call_as::<SessionsBody>(&Op::ListSessions { agent_id }).await {
                Ok(body) => rows.set(Some(tree(&body.sessions))),
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let switch = move |op: Op| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match transport::call_as::<AgentBody>(&op).await {
                Ok(body) => {
                    store.dispatch(ServerMessage::AgentUpdated {
                        agent: Box::new(body.agent),
                    });
                    on_close.run(());
                }
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    super::panels::close_on_escape(on_close);

    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <section id="conversations-panel" class="modal conversations" role="dialog"
                aria-label="Conversations" on:click=|ev| ev.stop_propagation()>
                <h2>"Conversations"</h2>
                <p class="small">
                    "Every conversation is kept. Resume one to pick it up where it stopped; "
                    "an edited message branches a new one (↳)."
                </p>
                <div class="actions start">
                    <button id="new-conversation" type="button" disabled=move || busy.get()
                        on:click=move |_| switch(Op::NewConversation { agent_id: agent.get_value() })>
                        "New conversation"
                    </button>
                </div>
                {move || match rows.get() {
                    None => view! { <p class="small" id="conversations-loading">"Loading…"</p> }.into_any(),
                    Some(list) => view! {
                        <ul id="conversation-list" class="conversation-list">
                            {list
                                .into_iter()
                                .map(|row| {
                                    let c = row.conversation;
                                    let id = c.id.clone();
                                    let text = label(&c, &when(c.created_at));
                                    let entries = format!(
                                        "{} {}",
                                        c.entries,
                                        if c.entries == 1 { "entry" } else { "entries" }
                                    );
                                    view! {
                                        <li class="conversation" class:current=c.current
                                            class:branched=c.branched class:fork={row.depth > 0}
                                            data-conversation-id=c.id.to_string()
                                            style:padding-left=format!("{}em", 0.6 + 1.2 * row.depth as f32)>
                                            {(row.depth > 0).then(|| view! {
                                                <span class="fork-mark" aria-label="fork of the one above">"↳ "</span>
                                            })}
                                            <span class="conversation-label">{text}</span>
                                            {c.branched.then(|| view! {
                                                <span class="branched-tag">" (branched)"</span>
                                            })}
                                            <span class="conversation-meta small">{entries}</span>
                                            {if c.current {
                                                view! { <span class="current-tag">"current"</span> }.into_any()
                                            } else {
                                                let target = id;
                                                view! {
                                                    <button type="button" class="secondary conversation-resume"
                                                        disabled=move || busy.get()
                                                        on:click=move |_| switch(Op::ResumeSession {
                                                            agent_id: agent.get_value(),
                                                            session_id: target.clone(),
                                                        })>
                                                        "Resume"
                                                    </button>
                                                }.into_any()
                                            }}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }.into_any(),
                }}
                <p id="conversations-error" class="error" role="alert"
                    hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="actions">
                    <button id="conversations-close" type="button" class="secondary"
                        on:click=move |_| on_close.run(())>"Close"</button>
                </div>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(id: &str, at: i64, from: Option<&str>) -> Conversation {
        Conversation {
            id: id.into(),
            agent_id: "ag_1".into(),
            created_at: at,
            topic: None,
            forked_from: from.map(Into::into),
            entries: 0,
            current: false,
            branched: false,
        }
    }

    fn shape(rows: &[Row]) -> Vec<(usize, String)> {
        rows.iter()
            .map(|r| (r.depth, r.conversation.id.0.clone()))
            .collect()
    }

    #[test]
    fn forks_nest_under_their_parent_newest_first() {
        let list = vec![
            conv("cv_a", 1, None),
            conv("cv_b", 2, None),
            conv("cv_a1", 3, Some("cv_a")),
            conv("cv_a2", 5, Some("cv_a")),
            conv("cv_a1x", 4, Some("cv_a1")),
            // Its parent is not listed: shown as a root.
            conv("cv_orphan", 6, Some("cv_gone")),
        ];
        let want: Vec<(usize, String)> = [
            (0, "cv_orphan"),
            (0, "cv_b"),
            (0, "cv_a"),
            (1, "cv_a2"),
            (1, "cv_a1"),
            (2, "cv_a1x"),
        ]
        .into_iter()
        .map(|(d, id)| (d, id.to_owned()))
        .collect();
        assert_eq!(shape(&tree(&list)), want);
    }

    #[test]
    fn every_conversation_once_even_with_a_cycle() {
        let list = vec![conv("cv_x", 1, Some("cv_y")), conv("cv_y", 2, Some("cv_x"))];
        // A cycle has no root: each is still listed once, and nothing loops.
        assert_eq!(
            shape(&tree(&list)),
            vec![(0, "cv_y".to_owned()), (1, "cv_x".to_owned())]
        );
        let selfish = vec![conv("cv_s", 1, Some("cv_s"))];
        assert_eq!(shape(&tree(&selfish)), vec![(0, "cv_s".to_owned())]);
    }

    #[test]
    fn labels_prefer_the_topic() {
        let mut c = conv("cv_a", 1, None);
        assert_eq!(
            label(&c, "2026-01-02 03:04"),
            "Conversation of 2026-01-02 03:04"
        );
        c.topic = Some("  ".into());
        assert_eq!(label(&c, "x"), "Conversation of x");
        c.topic = Some("Fix the build".into());
        assert_eq!(label(&c, "x"), "Fix the build");
    }
}
