//! The office view: header with the office name, room doors (tabs) and the dark-mode switch,
//! the isometric room, and the one overlay open at a time: the spawn dialog for a clicked free
//! desk, the office rules (framed sign) or the task board (corkboard). A room tab pulses
//! (`.room-tab.attention`) while one of its agents waits for attention.

use crate::components::office_svg::OfficeScene;
use crate::components::panels::OfficeSettingsDialog;
use crate::components::people::PeopleButton;
use crate::components::spawn_dialog::SpawnDialog;
use crate::components::task_board::TaskBoardPanel;
use crate::store::use_store;
use leptos::prelude::*;

/// What is open over the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overlay {
    None,
    Spawn(u8),
    OfficeRules,
    TaskBoard,
}

#[component]
pub fn Office() -> impl IntoView {
    let store = use_store();
    let rooms = Memo::new(move |_| {
        store.state.with(|s| {
            s.rooms
                .iter()
                .map(|r| {
                    let waiting = s
                        .agents
                        .iter()
                        .filter(|a| a.room_id == r.id && s.attention.contains(&a.id))
                        .count();
                    (r.id.clone(), r.name.clone(), waiting)
                })
                .collect::<Vec<_>>()
        })
    });
    let current = Memo::new(move |_| store.state.with(|s| s.current_room.clone()));
    let office_name = Memo::new(move |_| {
        store.state.with(|s| {
            if s.office.name.is_empty() {
                "Isomux".to_owned()
            } else {
                s.office.name.clone()
            }
        })
    });
    let overlay = RwSignal::new(Overlay::None);
    let on_empty = Callback::new(move |desk: u8| overlay.set(Overlay::Spawn(desk)));
    let on_sign = Callback::new(move |()| overlay.set(Overlay::OfficeRules));
    let on_corkboard = Callback::new(move |()| overlay.set(Overlay::TaskBoard));
    let close = Callback::new(move |()| overlay.set(Overlay::None));

    view! {
        <div id="office">
            <header class="topbar">
                <div class="brand">
                    <span class="logo" aria-hidden="true">"▱"</span>
                    <span class="office-name">{office_name}</span>
                </div>
                <nav class="rooms" aria-label="Rooms">
                    <For each=move || rooms.get() key=|r| r.clone() let:room>
                        {
                            let (id, name, waiting) = room;
                            let here = id.clone();
                            let target = id.clone();
                            view! {
                                <button
                                    class="room-tab"
                                    class:active=move || current.with(|c| c.as_ref() == Some(&here))
                                    class:attention={waiting > 0}
                                    data-room-id=id.to_string()
                                    title=format!("Go to {name}")
                                    on:click=move |_| {
                                        let room = target.clone();
                                        store.state.update(|s| s.current_room = Some(room));
                                    }
                                >
                                    <span class="door" aria-hidden="true"></span>
                                    <span class="room-name">{name.clone()}</span>
                                    {(waiting > 0)
                                        .then(|| view! { <span class="badge">{waiting}</span> })}
                                </button>
                            }
                        }
                    </For>
                </nav>
                <PeopleButton />
                <button
                    id="dark-toggle"
                    class="icon"
                    title="Toggle dark mode"
                    aria-label="Toggle dark mode"
                    on:click=move |_| store.dark.update(|d| *d = !*d)
                >
                    {move || if store.dark.get() { "☀" } else { "☾" }}
                </button>
            </header>
            <main class="scene-wrap">
                <OfficeScene on_empty on_sign on_corkboard />
                <crate::components::agent_list::AgentList on_add=on_empty />
            </main>
            {move || match overlay.get() {
                Overlay::None => None,
                Overlay::Spawn(desk) => {
                    let room_id = current.get()?;
                    Some(view! { <SpawnDialog room_id desk on_close=close /> }.into_any())
                }
                Overlay::OfficeRules => {
                    Some(view! { <OfficeSettingsDialog on_close=close /> }.into_any())
                }
                Overlay::TaskBoard => Some(view! { <TaskBoardPanel on_close=close /> }.into_any()),
            }}
        </div>
    }
}
