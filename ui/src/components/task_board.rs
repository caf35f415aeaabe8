//! The task board behind the corkboard: the office's tasks (`full_state.tasks`, kept live by
//! `task_upserted`/`task_deleted`) in three columns (open, claimed, done), a form to pin a new
//! one (title, description, assignee among the office's agents), and per card: assign, claim
//! (as the signed-in human), done, reopen, delete. A click on the assignee opens its chat.
//! An op's answer is applied at once (the same event follows over the socket; the reducer is
//! idempotent), so the board never waits for the push channel.

use super::panels::close_on_escape;
use crate::board::{self, COLUMNS};
use crate::store::{Store, use_store};
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::TaskBody;
use isomux_protocol::op::{CreateTask, UpdateTask};
use isomux_protocol::{AgentId, Op, ServerMessage, Task, TaskId, TaskStatus};
use leptos::ev;
use leptos::prelude::*;

/// Run a task op and apply the task it answers; failures go to `error`.
fn run(store: Store, op: Op, error: RwSignal<Option<String>>, then: impl FnOnce() + 'static) {
    leptos::task::spawn_local(async move {
        let deleted = match &op {
            Op::DeleteTask { task_id } => Some(task_id.clone()),
            _ => None,
        };
        let result = match deleted {
            Some(task_id) => transport::call(&op)
                .await
                .map(|_| store.dispatch(ServerMessage::TaskDeleted { task_id })),
            None => transport::call_as::<TaskBody>(&op)
                .await
                .map(|body| store.dispatch(ServerMessage::TaskUpserted { task: body.task })),
        };
        match result {
            Ok(()) => {
                error.set(None);
                then();
            }
            Err(ApiError::Unauthorized) => store.signed_out(),
            Err(e) => error.set(Some(e.to_string())),
        }
    });
}

/// The board (a dialog over the office).
#[component]
pub fn TaskBoardPanel(on_close: Callback<()>) -> impl IntoView {
    let store = use_store();
    let error = RwSignal::new(None::<String>);
    let empty = Memo::new(move |_| store.state.with(|s| s.tasks.is_empty()));
    let agents = Memo::new(move |_| {
        store.state.with(|s| {
            let mut list: Vec<(AgentId, String)> = s
                .agents
                .iter()
                .map(|a| (a.id.clone(), a.name.clone()))
                .collect();
            list.sort_by_key(|(_, n)| n.to_lowercase());
            list
        })
    });
    close_on_escape(on_close);
    let open_agent = Callback::new(move |id: AgentId| {
        on_close.run(());
        store.focus(Some(id));
    });

    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <section
                id="task-board-panel"
                class="modal corkboard-panel task-board"
                role="dialog"
                aria-label="Task board"
                on:click=|ev| ev.stop_propagation()
            >
                <h2>"Task board"</h2>
                <p class="small" id="task-board-empty" hidden=move || !empty.get()>
                    "No tasks yet: pin one below for an agent or a person to pick up."
                </p>
                <div class="task-columns">
                    {COLUMNS
                        .iter()
                        .map(|status| {
                            view! { <Column status=*status agents error open_agent /> }
                        })
                        .collect_view()}
                </div>
                <NewTask agents error />
                <p id="task-board-error" class="error" role="alert"
                    hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="actions">
                    <button id="panel-close" type="button" class="secondary"
                        on:click=move |_| on_close.run(())>
                        "Close"
                    </button>
                </div>
            </section>
        </div>
    }
}

/// One column of cards.
#[component]
fn Column(
    status: TaskStatus,
    agents: Memo<Vec<(AgentId, String)>>,
    error: RwSignal<Option<String>>,
    open_agent: Callback<AgentId>,
) -> impl IntoView {
    let store = use_store();
    let (key, heading) = board::column(status);
    let tasks = Memo::new(move |_| store.state.with(|s| board::in_column(&s.tasks, status)));
    view! {
        <section class="task-column" data-status=key>
            <h3>{heading}" "<span class="count">{move || tasks.with(Vec::len)}</span></h3>
            <ul class="tasks" aria-label=heading>
                <For each=move || tasks.get() key=|t| (t.id.clone(), t.updated_at, t.status as u8) let:task>
                    <Card task agents error open_agent />
                </For>
            </ul>
        </section>
    }
}

/// One task card.
#[component]
fn Card(
    task: Task,
    agents: Memo<Vec<(AgentId, String)>>,
    error: RwSignal<Option<String>>,
    open_agent: Callback<AgentId>,
) -> impl IntoView {
    let store = use_store();
    let id = StoredValue::new(task.id.clone());
    let acts = board::actions(task.status);
    let status_key = board::column(task.status).0;
    let assignee = task.assignee.clone().map(|a| {
        let (name, known) = store
            .state
            .with_untracked(|s| board::assignee_name(&s.agents, &a));
        let target = a.clone();
        view! {
            <button type="button" class="link task-assignee" data-agent-id=a.to_string()
                disabled=!known title=format!("Open {name}'s chat")
                on:click=move |_| open_agent.run(target.clone())>
                "@"{name.clone()}
            </button>
        }
    });
    let current = task
        .assignee
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let op = move |make: fn(TaskId) -> Op| {
        run(store, make(id.get_value()), error, || {});
    };
    let assign = move |ev: ev::Event| {
        let value = event_target_value(&ev);
        run(
            store,
            Op::UpdateTask(UpdateTask {
                task_id: id.get_value(),
                title: None,
                description: None,
                assignee: Some(board::parse_assignee(&value)),
                status: None,
            }),
            error,
            || {},
        );
    };
    view! {
        <li class="task" data-task-id=task.id.to_string() data-status=status_key>
            <div class="task-title">{task.title.clone()}</div>
            {(!task.description.is_empty())
                .then(|| view! { <div class="task-desc">{task.description.clone()}</div> })}
            <div class="task-meta small">
                {assignee.map(IntoAny::into_any).unwrap_or_else(|| {
                    view! { <span class="task-unassigned">"unassigned"</span> }.into_any()
                })}
                {task.claimed_by.clone().map(|by| {
                    view! { <span class="task-claimed-by">{format!("claimed by {by}")}</span> }
                })}
                <span class="task-by">{format!("pinned by {}", task.created_by)}</span>
            </div>
            <div class="task-actions">
                <select class="task-assign" title="Assign to" aria-label="Assign to" on:change=assign>
                    <option value="" selected=current.is_empty()>"nobody"</option>
                    {move || {
                        let current = current.clone();
                        agents
                            .get()
                            .into_iter()
                            .map(|(aid, name)| {
                                let value = aid.to_string();
                                let selected = value == current;
                                view! { <option value=value selected=selected>{name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                {acts.claim.then(|| view! {
                    <button type="button" class="task-claim"
                        on:click=move |_| op(|task_id| Op::ClaimTask { task_id })>"Claim"</button>
                })}
                {acts.done.then(|| view! {
                    <button type="button" class="task-done"
                        on:click=move |_| op(|task_id| Op::CompleteTask { task_id })>"Done"</button>
                })}
                {acts.reopen.then(|| view! {
                    <button type="button" class="secondary task-reopen"
                        on:click=move |_| op(|task_id| Op::UpdateTask(UpdateTask {
                            task_id,
                            title: None,
                            description: None,
                            assignee: None,
                            status: Some(TaskStatus::Open),
                        }))>"Reopen"</button>
                })}
                <button type="button" class="link task-delete" title="Delete the task"
                    on:click=move |_| op(|task_id| Op::DeleteTask { task_id })>"Delete"</button>
            </div>
        </li>
    }
}

/// The form that pins a new task.
#[component]
fn NewTask(agents: Memo<Vec<(AgentId, String)>>, error: RwSignal<Option<String>>) -> impl IntoView {
    let store = use_store();
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let assignee = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let t = title.get_untracked().trim().to_owned();
        if t.is_empty() {
            error.set(Some("A task needs a title.".into()));
            return;
        }
        busy.set(true);
        let op = Op::CreateTask(CreateTask {
            title: t,
            description: description.get_untracked().trim().to_owned(),
            assignee: board::parse_assignee(&assignee.get_untracked()),
        });
        run(store, op, error, move || {
            title.set(String::new());
            description.set(String::new());
        });
        busy.set(false);
    };
    view! {
        <form id="task-new" class="task-new" on:submit=submit>
            <div class="row">
                <label>
                    "New task"
                    <input id="task-title" autocomplete="off" placeholder="What needs doing?"
                        prop:value=move || title.get()
                        on:input=move |ev| title.set(event_target_value(&ev)) />
                </label>
                <label class="task-new-assignee">
                    "For"
                    <select id="task-assignee" on:change=move |ev| assignee.set(event_target_value(&ev))>
                        <option value="" selected=move || assignee.with(String::is_empty)>"anyone"</option>
                        {move || agents
                            .get()
                            .into_iter()
                            .map(|(aid, name)| {
                                let value = aid.to_string();
                                let v2 = value.clone();
                                view! {
                                    <option value=value selected=move || assignee.with(|a| *a == v2)>{name}</option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <label>
                "Details (optional)"
                <textarea id="task-description" rows="2"
                    prop:value=move || description.get()
                    on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </label>
            <div class="actions">
                <button id="task-create" type="submit" disabled=move || busy.get()>"Pin it"</button>
            </div>
        </form>
    }
}
