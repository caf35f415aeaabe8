//! Approvals of an agent as cards: pending ones with the tool, what it wants to do and
//! Approve / Deny (answerable from any device); answered ones say how and by whom, on every
//! device, until a few newer ones push them out.

use super::fire;
use crate::store::use_store;
use isomux_protocol::{AgentId, Op};
use leptos::prelude::*;

#[component]
pub fn Approvals(agent_id: AgentId, error: RwSignal<Option<String>>) -> impl IntoView {
    let store = use_store();
    let agent = StoredValue::new(agent_id);
    let pending = Memo::new(move |_| {
        store.state.with(|s| {
            agent.with_value(|a| {
                s.agent(a)
                    .map(|a| a.pending_approvals.clone())
                    .unwrap_or_default()
            })
        })
    });
    let resolved = Memo::new(move |_| {
        store
            .state
            .with(|s| agent.with_value(|a| s.resolved_for(a)))
    });
    let answer = move |approval_id, allow| {
        let op = Op::AnswerApproval {
            agent_id: agent.get_value(),
            approval_id,
            allow,
            reason: None,
            scope: None,
        };
        fire(store, op, move |e| error.set(Some(e)));
    };
    view! {
        <For each=move || resolved.get() key=|r| r.approval_id.clone() let:r>
            {
                let outcome = if r.allow { "Approved" } else { "Denied" };
                let tool = if r.tool.is_empty() { "a tool".to_owned() } else { r.tool.clone() };
                view! {
                    <div
                        class="approval approval-resolved"
                        class:allowed=r.allow
                        class:denied=!r.allow
                        data-approval-id=r.approval_id.to_string()
                    >
                        <span class="approval-outcome">{format!("{outcome} by {}", r.by)}</span>
                        ": "
                        <strong class="tool-name">{tool}</strong>
                        " "
                        <span class="approval-summary">{r.summary.clone()}</span>
                    </div>
                }
            }
        </For>
        <For each=move || pending.get() key=|p| p.approval_id.clone() let:p>
            {
                let (yes, no) = (p.approval_id.clone(), p.approval_id.clone());
                let input = serde_json::to_string_pretty(&p.input).unwrap_or_default();
                view! {
                    <div class="approval" data-approval-id=p.approval_id.to_string() role="alert">
                        <div class="approval-head">
                            <span>"Wants to use "</span>
                            <strong class="tool-name">{p.tool.clone()}</strong>
                        </div>
                        <div class="approval-summary">{p.summary.clone()}</div>
                        <details>
                            <summary>"Details"</summary>
                            <pre>{input}</pre>
                        </details>
                        <div class="actions">
                            <button class="deny secondary" on:click=move |_| answer(no.clone(), false)>
                                "Deny"
                            </button>
                            <button class="approve" on:click=move |_| answer(yes.clone(), true)>
                                "Approve"
                            </button>
                        </div>
                    </div>
                }
            }
        </For>
    }
}
