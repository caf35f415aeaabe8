//! Starting the office for the desktop user: the same `isomux::app::start` as `isomux serve`
//! (data dir, SQLite, backends, the loopback listener agents use), then the desktop user
//! becomes the owner without an invite. Not the webview's transport (see `commands.rs`).

use anyhow::{Context, Result};
use isomux::app::{Running, ServeOptions};
use isomux_core::auth::AuthStore;
use isomux_core::spawn_env::SpawnEnv;
use isomux_core::{Caller, OfficeHandle, datadir};
use isomux_protocol::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;

/// Overrides the listener address (default `127.0.0.1:0`: agents learn the real port).
pub const LISTEN_ENV: &str = "ISOMUX_DESKTOP_LISTEN";

/// What every IPC call needs: the office and who the desktop user is.
#[derive(Debug, Clone)]
pub struct Desktop {
    pub office: OfficeHandle,
    pub caller: Caller,
    /// The office data dir (uploads live under `files/<agent_id>/`).
    pub data_dir: PathBuf,
}

/// The running office, taken once when the app exits so its sessions close cleanly.
#[derive(Debug)]
pub struct Shutdown(Mutex<Option<Running>>);

impl Shutdown {
    pub fn new(running: Running) -> Self {
        Self(Mutex::new(Some(running)))
    }

    pub fn take(&self) -> Option<Running> {
        // A sync mutex: held only to move the value out, never across an await.
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// The listener address from the environment, else loopback on a free port.
fn listen_addr() -> Result<SocketAddr> {
    match std::env::var(LISTEN_ENV) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("{LISTEN_ENV}={v:?} is not an address like 127.0.0.1:4000")),
        _ => Ok(SocketAddr::from(([127, 0, 0, 1], 0))),
    }
}

/// The owner's display name for a new office: the login name, capitalized.
fn owner_name() -> String {
    let login = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_default();
    let mut chars = login.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Owner".into(),
    }
}

/// Starts the office on the current tokio runtime and signs the desktop user in as the owner.
/// `data_dir: None` resolves `$ISOMUX_HOME`, else `~/.isomux`, as `isomux serve` does;
/// `spawn_env` adds the keyring's provider keys to every agent.
pub async fn start(data_dir: Option<PathBuf>, spawn_env: SpawnEnv) -> Result<(Desktop, Running)> {
    let running = isomux::app::start(ServeOptions {
        listen: listen_addr()?,
        data_dir,
        public_url: None,
        allow_plain_http: false,
        // The webview never loads pages from the listener; browsers that do get a pointer to
        // the headless server instead.
        ui: Some(isomux_server::UiSource::Placeholder),
        backends: None,
        max_live_sessions: None,
        tls: None,
        spawn_env,
    })
    .await?;
    let auth = AuthStore::open(&datadir::db_path(&running.data_dir))?;
    let owner = auth.ensure_owner(&owner_name())?;
    // `start` minted an owner link because nobody owned the office yet; the desktop user now
    // does, so that link must not stay claimable.
    if running.owner_link.is_some() {
        auth.revoke_unclaimed_owner_invites()?;
    }
    let caller = Caller::Human {
        member_id: owner.id,
        name: owner.name,
        role: Role::Owner,
        device: Some("Desktop".into()),
    };
    Ok((
        Desktop {
            office: running.office.clone(),
            caller,
            data_dir: running.data_dir.clone(),
        },
        running,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_desktop_user_owns_the_office_and_no_owner_link_stays_open() {
        let dir = tempfile::tempdir().unwrap();
        let (desktop, running) = start(Some(dir.path().join("home")), SpawnEnv::default())
            .await
            .unwrap();
        assert!(desktop.caller.is_owner());
        let link = running
            .owner_link
            .clone()
            .expect("a fresh office mints an owner link");
        let token = link.rsplit('/').next().unwrap();
        let auth = AuthStore::open(&datadir::db_path(&running.data_dir)).unwrap();
        assert_eq!(
            auth.peek_invite(token).unwrap(),
            None,
            "the owner link was revoked"
        );
        let owner = auth.owner().unwrap().unwrap();
        assert_eq!(
            desktop.caller,
            Caller::Human {
                member_id: owner.id,
                name: owner.name,
                role: Role::Owner,
                device: Some("Desktop".into()),
            }
        );
        running.stop().await.unwrap();

        // A restart keeps the same owner and mints no link.
        let (again, running) = start(Some(dir.path().join("home")), SpawnEnv::default())
            .await
            .unwrap();
        assert_eq!(again.caller, desktop.caller);
        assert!(running.owner_link.is_none());
        running.stop().await.unwrap();
    }
}
