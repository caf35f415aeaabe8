//! The Isomux desktop app: starts the office core and its REST/WS listener in-process (for
//! agents and phones), shows the UI in a webview that talks to the core only over Tauri IPC
//! (`api_call` + `isomux://event`), and keeps a tray icon with the attention count.
//!
//! Architecture invariant: this crate is wiring only. Ops are the core's, JSON shapes are the
//! protocol's; nothing here interprets an op.

// No console window on Windows release builds (harmless elsewhere).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod events;
mod files;
mod key_commands;
mod keys;
mod office;
mod tray;

use std::time::Duration;
use tauri::{Manager, RunEvent};

/// How long quitting waits for backend sessions to close and the listener to drain.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// SIGTERM or SIGINT (Ctrl-C in the terminal that started the app).
async fn terminated() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("could not install signal handlers; SIGTERM will not stop cleanly");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ISOMUX_LOG")
                .unwrap_or_else(|_| "warn,isomux=info,isomux_desktop=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    // The office starts before the window: a data dir held by another app or server is a clean
    // exit with a message, not a panic inside the event loop.
    // Provider keys are read once here (a keyring round trip each); agents get them at spawn.
    let keys = keys::Keys::open(keys::SERVICE);
    if let Some(reason) = keys.status().reason {
        tracing::warn!("no keyring service, provider keys come from the environment: {reason}");
    }
    let spawn_env = {
        let keys = keys.clone();
        isomux_core::spawn_env::SpawnEnv::new(move || keys.env())
    };
    let (desktop, running) = match tauri::async_runtime::block_on(office::start(None, spawn_env)) {
        Ok(started) => started,
        Err(e) => {
            eprintln!("isomux-desktop: {e:#}");
            std::process::exit(1);
        }
    };
    println!("Listening on {}", running.url);
    println!("Data dir: {}", running.data_dir.display());
    let forwarded = desktop.clone();

    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .register_asynchronous_uri_scheme_protocol(files::SCHEME, files::handle)
        .manage(desktop)
        .manage(keys)
        .manage(office::Shutdown::new(running))
        .invoke_handler(tauri::generate_handler![
            commands::api_call,
            files::upload,
            key_commands::keys_status,
            key_commands::keys_set,
            key_commands::keys_delete
        ])
        .setup(move |app| {
            if let Err(e) = tray::create(app.handle()) {
                tracing::warn!(error = %e, "no tray icon");
            }
            tauri::async_runtime::spawn(events::forward(
                app.handle().clone(),
                forwarded.office,
                forwarded.caller,
            ));
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                terminated().await;
                // Ends the event loop through `RunEvent::Exit`, which stops the office cleanly.
                handle.exit(0);
            });
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("isomux-desktop: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event
            && let Some(running) = handle
                .try_state::<office::Shutdown>()
                .and_then(|s| s.take())
        {
            tauri::async_runtime::block_on(async {
                if tokio::time::timeout(STOP_TIMEOUT, running.stop())
                    .await
                    .is_err()
                {
                    tracing::warn!("the office did not stop within {STOP_TIMEOUT:?}");
                }
            });
        }
    });
}
