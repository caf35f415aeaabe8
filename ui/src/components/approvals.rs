//! Pending approvals of an agent as cards: the tool, what it wants to do, Approve / Deny.

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
