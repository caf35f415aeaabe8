//! The tray icon ("Open Isomux" / "Quit") with the number of agents that need the user, and
//! system notifications when an agent wants attention while the window is not focused.
//! [`Attention`] is the pure part: it folds office events into that count and those notices.

use isomux_protocol::event::AttentionReason;
use isomux_protocol::{Agent, AgentId, AgentState, FullState, ServerMessage};
use std::collections::{BTreeSet, HashMap};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

const TRAY_ID: &str = "isomux";
const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";

/// Which agents need the user (waiting for an answer or an approval, or failed), and their
/// names for the notifications.
#[derive(Debug, Default)]
pub struct Attention {
    names: HashMap<AgentId, String>,
    needy: BTreeSet<AgentId>,
}

/// A system notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

fn needs_user(state: AgentState) -> bool {
    matches!(
        state,
        AgentState::WaitingInput | AgentState::WaitingApproval | AgentState::Error
    )
}

impl Attention {
    pub fn from_state(state: &FullState) -> Self {
        let mut a = Self::default();
        a.reset(state);
        a
    }

    /// How many agents need the user.
    pub fn count(&self) -> usize {
        self.needy.len()
    }

    fn reset(&mut self, state: &FullState) {
        self.names.clear();
        self.needy.clear();
        for agent in &state.agents {
            self.agent(agent);
        }
    }

    fn agent(&mut self, agent: &Agent) {
        self.names.insert(agent.id.clone(), agent.name.clone());
        self.state(&agent.id, agent.state);
    }

    fn state(&mut self, id: &AgentId, state: AgentState) {
        if needs_user(state) {
            self.needy.insert(id.clone());
        } else {
            self.needy.remove(id);
        }
    }

    /// Folds one event in; returns the notice an `attention` event deserves.
    pub fn apply(&mut self, msg: &ServerMessage) -> Option<Notice> {
        match msg {
            ServerMessage::FullState(state) => self.reset(state),
            ServerMessage::AgentAdded { agent } | ServerMessage::AgentUpdated { agent } => {
                self.agent(agent);
            }
            ServerMessage::AgentRemoved { agent_id } => {
                self.names.remove(agent_id);
                self.needy.remove(agent_id);
            }
            ServerMessage::AgentState {
                agent_id, state, ..
            } => self.state(agent_id, *state),
            ServerMessage::Attention { agent_id, reason } => {
                let title = self
                    .names
                    .get(agent_id)
                    .cloned()
                    .unwrap_or_else(|| "An agent".into());
                let body = match reason {
                    AttentionReason::Done => "finished its turn",
                    AttentionReason::WaitingInput => "asks you a question",
                    AttentionReason::WaitingApproval => "waits for your approval",
                    AttentionReason::Error => "ran into an error",
                };
                return Some(Notice {
                    title,
                    body: body.into(),
                });
            }
            _ => {}
        }
        None
    }
}

/// Shows, unminimizes and focuses the main window.
fn open_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Creates the tray icon and its menu.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, MENU_OPEN, "Open Isomux", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(tauri::include_image!("../icons/tray.png"))
        .tooltip("Isomux")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            MENU_OPEN => open_window(app),
            MENU_QUIT => app.exit(0),
            _ => {}
        })
        .build(app)?;
    Ok(())
}

/// Puts the attention count on the tray (tooltip, and the label beside the icon where the
/// desktop shows one).
pub fn show_count(app: &AppHandle, count: usize) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let tooltip = match count {
        0 => "Isomux".to_owned(),
        1 => "Isomux: 1 agent needs you".to_owned(),
        n => format!("Isomux: {n} agents need you"),
    };
    let _ = tray.set_tooltip(Some(&tooltip));
    let _ = tray.set_title((count > 0).then(|| count.to_string()).as_deref());
}

/// Shows a system notification unless the user is already looking at the window.
pub fn notify(app: &AppHandle, notice: &Notice) {
    let focused = app
        .get_webview_window("main")
        .and_then(|w| w.is_focused().ok())
        .unwrap_or(false);
    if focused {
        return;
    }
    let app = app.clone();
    let notice = notice.clone();
    // D-Bus may be slow or absent; never stall the event forwarder on it.
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(e) = app
            .notification()
            .builder()
            .title(&notice.title)
            .body(&notice.body)
            .show()
        {
            tracing::debug!(error = %e, "could not show a notification");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn agent(id: &str, name: &str, state: &str) -> Agent {
        serde_json::from_value(json!({
            "id": id, "name": name, "room_id": "rm_1", "desk": 1,
            "look": serde_json::to_value(isomux_protocol::Look::default()).unwrap(),
            "cwd": "/tmp", "backend": "demo", "model": "demo", "permission_mode": "default",
            "effort": "medium", "prompt": "", "state": state, "conversation_id": "cv_1",
            "queue": [], "pending_approvals": [],
            "usage": serde_json::to_value(isomux_protocol::Usage::default()).unwrap(),
            "created_at": 0
        }))
        .unwrap()
    }

    fn msg(v: serde_json::Value) -> ServerMessage {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn counts_agents_that_need_the_user() {
        let mut a = Attention::default();
        assert_eq!(a.count(), 0);
        for m in [
            ServerMessage::AgentAdded {
                agent: Box::new(agent("ag_1", "Ada", "idle")),
            },
            ServerMessage::AgentAdded {
                agent: Box::new(agent("ag_2", "Bob", "waiting_approval")),
            },
        ] {
            assert_eq!(a.apply(&m), None);
        }
        assert_eq!(a.count(), 1);
        a.apply(&msg(
            json!({"type": "agent_state", "agent_id": "ag_1", "state": "error"}),
        ));
        assert_eq!(a.count(), 2);
        a.apply(&msg(
            json!({"type": "agent_state", "agent_id": "ag_2", "state": "thinking"}),
        ));
        assert_eq!(a.count(), 1);
        a.apply(&msg(json!({"type": "agent_removed", "agent_id": "ag_1"})));
        assert_eq!(a.count(), 0);
    }

    #[test]
    fn attention_events_become_named_notices() {
        let mut a = Attention::default();
        a.apply(&ServerMessage::AgentAdded {
            agent: Box::new(agent("ag_1", "Ada", "thinking")),
        });
        let n = a.apply(&msg(
            json!({"type": "attention", "agent_id": "ag_1", "reason": "waiting_input"}),
        ));
        assert_eq!(
            n,
            Some(Notice {
                title: "Ada".into(),
                body: "asks you a question".into()
            })
        );
        let n = a.apply(&msg(
            json!({"type": "attention", "agent_id": "ag_9", "reason": "done"}),
        ));
        assert_eq!(n.unwrap().title, "An agent");
    }
}
