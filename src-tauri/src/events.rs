//! The push channel to the webview: every office event is emitted as the Tauri event
//! `isomux://event` with one `ServerMessage` JSON as payload, exactly the frames `/ws` sends.
//! A lagging receiver resyncs the UI with a fresh `full_state`, never a silent gap. The same
//! stream drives the tray's attention count and the system notifications.

use crate::tray;
use isomux_core::{Caller, OfficeHandle};
use isomux_protocol::ServerMessage;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

/// The Tauri event name the UI listens to.
pub const EVENT: &str = "isomux://event";

/// Forwards office events until the office stops. Registers the desktop as a connection, so
/// phones and browsers see the owner present "(Desktop)".
pub async fn forward(app: AppHandle, office: OfficeHandle, caller: Caller) {
    let (conn_id, snapshot, mut events) = match office.connect(caller.clone()).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "could not subscribe to office events");
            return;
        }
    };
    let mut attention = tray::Attention::from_state(&snapshot);
    tray::show_count(&app, attention.count());
    loop {
        let msg = match events.recv().await {
            Ok(msg) => msg,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(skipped = n, "the webview lagged; resyncing with full_state");
                match office.snapshot(caller.clone()).await {
                    Ok(snap) => std::sync::Arc::new(ServerMessage::FullState(Box::new(snap))),
                    Err(_) => break,
                }
            }
            Err(RecvError::Closed) => break,
        };
        if let Err(e) = app.emit(EVENT, &*msg) {
            tracing::warn!(error = %e, "could not emit an office event to the webview");
        }
        let before = attention.count();
        let notice = attention.apply(&msg);
        if attention.count() != before {
            tray::show_count(&app, attention.count());
        }
        if let Some(notice) = notice {
            tray::notify(&app, &notice);
        }
    }
    office.disconnect(conn_id).await;
}
