//! The spawn dialog: name, the character's look (hair style and colour, skin, outfit,
//! accessory) with a live preview, backend (usable ones), model, cwd (with suggestions from
//! this browser's recent cwds and the other agents'), permission mode, effort and prompt for a
//! new agent at a chosen desk. Server errors are shown inline, verbatim.

use super::character::LookPreview;
use crate::look::{self, cwd_suggestions, look_for_name, remember_cwd, shuffled};
use crate::storage;
use crate::store::use_store;
use crate::transport::{self, ApiError};
use isomux_protocol::op::SpawnAgent;
use isomux_protocol::op::responses::AgentBody;
use isomux_protocol::{BackendKind, Effort, Look, Op, PermissionMode, RoomId, ServerMessage};
use leptos::ev;
use leptos::html::Input;
use leptos::prelude::*;

const PERMISSIONS: &[(&str, &str)] = &[
    ("default", "Ask for anything risky"),
    ("accept_edits", "Accept file edits"),
    ("plan", "Plan only"),
    ("auto", "Auto (office safety rules)"),
];
const EFFORTS: &[&str] = &["low", "medium", "high", "max"];
/// This browser's recent working directories (a JSON list, most recent first).
const RECENT_CWDS_KEY: &str = "isomux.recent_cwds";

fn recent_cwds() -> Vec<String> {
    storage::get(RECENT_CWDS_KEY)
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default()
}

/// Which part of the look a swatch row sets.
#[derive(Debug, Clone, Copy)]
enum Part {
    HairColor,
    Skin,
    Outfit,
}

impl Part {
    fn get(self, look: &Look) -> &str {
        match self {
            Self::HairColor => &look.hair_color,
            Self::Skin => &look.skin,
            Self::Outfit => &look.outfit,
        }
    }

    fn set(self, look: &mut Look, value: String) {
        match self {
            Self::HairColor => look.hair_color = value,
            Self::Skin => look.skin = value,
            Self::Outfit => look.outfit = value,
        }
    }
}

/// A row of colour swatches (radio buttons) for one part of the look.
#[component]
fn Swatches(
    id: &'static str,
    label: &'static str,
    part: Part,
    options: &'static [&'static str],
    look: RwSignal<Look>,
    touched: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="swatch-row">
            <span class="swatch-label">{label}</span>
            <div id=id class="swatches" role="radiogroup" aria-label=label>
                {options
                    .iter()
                    .map(|c| {
                        let value = *c;
                        view! {
                            <button
                                type="button"
                                class="swatch"
                                role="radio"
                                data-value=value
                                title=value
                                aria-label=format!("{label} {value}")
                                aria-checked=move || look.with(|l| (part.get(l) == value).to_string())
                                class:selected=move || look.with(|l| part.get(l) == value)
                                style:background=value
                                on:click=move |_| {
                                    touched.set(true);
                                    look.update(|l| part.set(l, value.to_owned()));
                                }
                            ></button>
                        }
                    })
                    .collect_view()}
            </div>
        </div>
    }
}

/// The dialog for `desk` of `room_id`; `on_close` is called on cancel and after a spawn.
#[component]
pub fn SpawnDialog(room_id: RoomId, desk: u8, on_close: Callback<()>) -> impl IntoView {
    let store = use_store();
    let backends = Memo::new(move |_| store.state.with(|s| s.backends.clone()));
    let first = backends.with_untracked(|b| b.iter().find(|b| b.usable).cloned());
    let backend = RwSignal::new(first.as_ref().map(|b| b.kind.as_str()).unwrap_or_default());
    let model = RwSignal::new(first.map(|b| b.default_model).unwrap_or_default());
    let name = RwSignal::new(String::new());
    let recent = recent_cwds();
    let cwd = RwSignal::new(
        recent
            .first()
            .cloned()
            .or_else(|| storage::get(storage::LAST_CWD))
            .unwrap_or_else(|| "/tmp".into()),
    );
    let suggestions = Memo::new(move |_| {
        store
            .state
            .with(|s| cwd_suggestions(&recent, s.agents.iter().map(|a| a.cwd.as_str())))
    });
    // The look follows the name until the user picks a part.
    let look = RwSignal::new(look_for_name(""));
    let touched = RwSignal::new(false);
    let rolls = StoredValue::new(0u32);
    Effect::new(move |_| {
        let n = name.get();
        if !touched.get_untracked() {
            look.set(look_for_name(&n));
        }
    });
    let permission = RwSignal::new("default");
    let effort = RwSignal::new("medium");
    let prompt = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let models = Memo::new(move |_| {
        let kind = backend.get();
        backends.with(|bs| {
            bs.iter()
                .find(|b| b.kind.as_str() == kind)
                .map(|b| {
                    let mut m = b.models.clone();
                    if !b.default_model.is_empty() && !m.contains(&b.default_model) {
                        m.insert(0, b.default_model.clone());
                    }
                    m
                })
                .unwrap_or_default()
        })
    });

    let spawn = Action::new_local(move |req: &SpawnAgent| {
        let op = Op::SpawnAgent(req.clone());
        async move { transport::call_as::<AgentBody>(&op).await }
    });
    Effect::new(move |_| match spawn.value().get() {
        Some(Ok(body)) => {
            let used = cwd.get_untracked();
            storage::set(storage::LAST_CWD, &used);
            if let Ok(list) = serde_json::to_string(&remember_cwd(&recent_cwds(), &used)) {
                storage::set(RECENT_CWDS_KEY, &list);
            }
            // Show it now; the `agent_added` event that follows is an idempotent upsert.
            store.dispatch(ServerMessage::AgentAdded {
                agent: Box::new(body.agent),
            });
            on_close.run(());
        }
        Some(Err(ApiError::Unauthorized)) => store.signed_out(),
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });

    let room = StoredValue::new(room_id);
    let submit = move |ev: ev::SubmitEvent| {
        ev.prevent_default();
        let Some(kind) = BackendKind::parse(backend.get_untracked()) else {
            error.set(Some(
                "No usable backend: run `isomux doctor` on the server.".into(),
            ));
            return;
        };
        let req = SpawnAgent {
            name: name.get_untracked().trim().to_owned(),
            backend: kind,
            cwd: cwd.get_untracked().trim().to_owned(),
            look: Some(look.get_untracked()),
            room_id: Some(room.get_value()),
            desk: Some(desk),
            model: Some(model.get_untracked()).filter(|m| !m.is_empty()),
            permission_mode: PermissionMode::parse(permission.get_untracked()),
            effort: Effort::parse(effort.get_untracked()),
            prompt: Some(prompt.get_untracked()).filter(|p| !p.trim().is_empty()),
        };
        if req.name.is_empty() {
            error.set(Some("Give your agent a name.".into()));
            return;
        }
        error.set(None);
        spawn.dispatch(req);
    };

    let name_ref = NodeRef::<Input>::new();
    Effect::new(move |_| {
        if let Some(el) = name_ref.get() {
            let _ = el.focus();
        }
    });
    let esc = window_event_listener(ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    });
    on_cleanup(move || esc.remove());

    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <form
                id="spawn-dialog"
                class="modal"
                role="dialog"
                aria-label="Spawn an agent"
                on:click=|ev| ev.stop_propagation()
                on:submit=submit
            >
                <h2>"New agent at desk " {desk}</h2>
                <div class="look-editor">
                    <div class="preview-box">
                        <LookPreview look=look />
                        <button id="spawn-shuffle" type="button" class="secondary"
                            title="Another look" on:click=move |_| {
                                touched.set(true);
                                rolls.update_value(|r| *r += 1);
                                let seed = rolls.get_value();
                                look.update(|l| *l = shuffled(l, seed));
                            }>"↻ Shuffle"</button>
                    </div>
                    <div class="look-fields">
                        <label>
                            "Name"
                            <input id="spawn-name" node_ref=name_ref autocomplete="off" placeholder="Ada"
                                prop:value=move || name.get()
                                on:input=move |ev| name.set(event_target_value(&ev)) />
                        </label>
                        <div class="row">
                            <label>
                                "Hair"
                                <select id="spawn-hair" on:change=move |ev| {
                                    touched.set(true);
                                    look.update(|l| l.hair = event_target_value(&ev));
                                }>
                                    {look::HAIR.iter().map(|h| view! {
                                        <option value=*h selected=move || look.with(|l| l.hair == *h)>{*h}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>
                                "Accessory"
                                <select id="spawn-accessory" on:change=move |ev| {
                                    touched.set(true);
                                    look.update(|l| l.accessory = event_target_value(&ev));
                                }>
                                    {look::ACCESSORY.iter().map(|a| view! {
                                        <option value=*a selected=move || look.with(|l| l.accessory == *a)>{*a}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                        </div>
                        <Swatches id="spawn-hair-color" label="Hair colour" part=Part::HairColor
                            options=look::HAIR_COLOR look touched />
                        <Swatches id="spawn-skin" label="Skin" part=Part::Skin options=look::SKIN
                            look touched />
                        <Swatches id="spawn-outfit" label="Outfit" part=Part::Outfit
                            options=look::OUTFIT look touched />
                    </div>
                </div>
                <div class="row">
                    <label>
                        "Backend"
                        <select id="spawn-backend" on:change=move |ev| {
                            let kind = event_target_value(&ev);
                            let default = backends.with_untracked(|bs| {
                                bs.iter().find(|b| b.kind.as_str() == kind)
                                    .map(|b| b.default_model.clone()).unwrap_or_default()
                            });
                            model.set(default);
                            backend.set(BackendKind::parse(&kind).map(|k| k.as_str()).unwrap_or_default());
                        }>
                            {move || backends.get().into_iter().map(|b| {
                                let k = b.kind.as_str();
                                let label = match (&b.detail, b.usable) {
                                    (_, true) => k.to_owned(),
                                    (Some(d), false) => format!("{k} (unavailable: {d})"),
                                    (None, false) => format!("{k} (unavailable)"),
                                };
                                view! {
                                    <option value=k disabled=!b.usable
                                        selected=move || backend.get() == k>{label}</option>
                                }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        "Model"
                        <select id="spawn-model" on:change=move |ev| model.set(event_target_value(&ev))>
                            {move || models.get().into_iter().map(|m| {
                                let (selected, label) = (m.clone(), m.clone());
                                view! {
                                    <option value=m
                                        selected=move || model.with(|cur| *cur == selected)>{label}</option>
                                }
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <label>
                    "Working directory"
                    <input id="spawn-cwd" autocomplete="off" spellcheck="false" list="spawn-cwd-list"
                        prop:value=move || cwd.get()
                        on:input=move |ev| cwd.set(event_target_value(&ev)) />
                    <datalist id="spawn-cwd-list">
                        {move || suggestions.get().into_iter().map(|c| {
                            view! { <option value=c></option> }
                        }).collect_view()}
                    </datalist>
                </label>
                <div class="row">
                    <label>
                        "Permissions"
                        <select id="spawn-permission" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some((k, _)) = PERMISSIONS.iter().find(|(k, _)| *k == v) {
                                permission.set(k);
                            }
                        }>
                            {PERMISSIONS.iter().map(|(k, label)| view! {
                                <option value=*k selected=move || permission.get() == *k>{*label}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        "Effort"
                        <select id="spawn-effort" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(k) = EFFORTS.iter().find(|k| **k == v) {
                                effort.set(k);
                            }
                        }>
                            {EFFORTS.iter().map(|k| view! {
                                <option value=*k selected=move || effort.get() == *k>{*k}</option>
                            }).collect_view()}
                        </select>
                    </label>
                </div>
                <label>
                    "Prompt (optional)"
                    <textarea id="spawn-prompt" rows="3" placeholder="Your role in this office…"
                        prop:value=move || prompt.get()
                        on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
                </label>
                <p id="spawn-error" class="error" role="alert" hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="actions">
                    <button id="spawn-cancel" type="button" class="secondary"
                        on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button id="spawn-submit" type="submit" disabled=move || spawn.pending().get()>
                        {move || if spawn.pending().get() { "Spawning…" } else { "Spawn" }}
                    </button>
                </div>
            </form>
        </div>
    }
}
