//! Provider API keys (Anthropic, OpenAI) in the OS keyring (D-Bus Secret Service through the
//! `keyring` crate; service `isomux`, users `anthropic_api_key` / `openai_api_key`). The
//! settings panel stores and removes them through `keys_status` / `keys_set` / `keys_delete`;
//! the office injects them into agents at spawn (`ANTHROPIC_API_KEY` / `OPENAI_API_KEY`) through
//! the core's `SpawnEnv`. A value never goes back to the webview, into SQLite or into a log:
//! the status says only which keys are set. Where no keyring service exists, the status says so
//! and why, and agents use the process environment as `isomux serve` does.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The keyring service every key is stored under.
pub const SERVICE: &str = "isomux";

/// A model provider whose API key the desktop keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Anthropic,
    Openai,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Anthropic, Provider::Openai];

    /// The keyring user name.
    pub fn user(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic_api_key",
            Provider::Openai => "openai_api_key",
        }
    }

    /// The variable agents get.
    pub fn env_var(self) -> &'static str {
        match self {
            Provider::Anthropic => "ANTHROPIC_API_KEY",
            Provider::Openai => "OPENAI_API_KEY",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Anthropic => "Anthropic",
            Provider::Openai => "OpenAI",
        }
    }
}

/// What can go wrong storing a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key is empty")]
    Empty,
    #[error("the key is too long (at most {MAX_LEN} characters)")]
    TooLong,
    #[error("the key must be one line without spaces")]
    Malformed,
    #[error("no keyring service here ({0}): set the key in the agent environment instead")]
    Unavailable(String),
    #[error("the keyring failed: {0}")]
    Keyring(String),
}

/// Longer than any provider key; guards the keyring against pasted documents.
pub const MAX_LEN: usize = 1024;

/// One provider's line in the settings panel. Never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyStatus {
    pub provider: Provider,
    pub label: &'static str,
    pub env_var: &'static str,
    /// Stored in the OS keyring (and injected at spawn).
    pub stored: bool,
    /// The variable is set in the app's own environment (agents inherit it).
    pub in_environment: bool,
}

/// The answer of `keys_status`, `keys_set` and `keys_delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// A keyring service answered.
    pub available: bool,
    /// Why not, in words a person can act on (`None` when available).
    pub reason: Option<String>,
    pub keys: Vec<KeyStatus>,
}

/// The keys of one keyring service, with the stored values cached in memory for spawns (so the
/// office never waits on D-Bus).
#[derive(Debug)]
pub struct Keys {
    service: String,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    values: BTreeMap<Provider, String>,
    unavailable: Option<String>,
}

impl Keys {
    /// Reads the stored keys of `service` (blocking: one keyring round trip per provider).
    pub fn open(service: &str) -> Arc<Self> {
        let keys = Arc::new(Self {
            service: service.to_owned(),
            state: Mutex::default(),
        });
        keys.refresh();
        keys
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn entry(&self, provider: Provider) -> Result<keyring::Entry, keyring::Error> {
        keyring::Entry::new(&self.service, provider.user())
    }

    /// Re-reads the keyring: which keys are stored, and whether a keyring answers at all.
    pub fn refresh(&self) -> Status {
        let mut values = BTreeMap::new();
        let mut unavailable = None;
        for provider in Provider::ALL {
            match self.entry(provider).and_then(|e| e.get_password()) {
                Ok(v) => {
                    values.insert(provider, v);
                }
                Err(keyring::Error::NoEntry) => {}
                Err(e) => {
                    unavailable = Some(reason(&e));
                    break;
                }
            }
        }
        {
            let mut state = self.state();
            if unavailable.is_none() {
                state.values = values;
            }
            state.unavailable = unavailable;
        }
        self.status()
    }

    /// The last known status (no keyring round trip).
    pub fn status(&self) -> Status {
        let state = self.state();
        Status {
            available: state.unavailable.is_none(),
            reason: state.unavailable.clone(),
            keys: Provider::ALL
                .iter()
                .map(|&p| KeyStatus {
                    provider: p,
                    label: p.label(),
                    env_var: p.env_var(),
                    stored: state.values.contains_key(&p),
                    in_environment: std::env::var_os(p.env_var()).is_some_and(|v| !v.is_empty()),
                })
                .collect(),
        }
    }

    /// Stores `value` (trimmed) for `provider`; the next spawned agent gets it.
    pub fn set(&self, provider: Provider, value: &str) -> Result<Status, KeyError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(KeyError::Empty);
        }
        if value.len() > MAX_LEN {
            return Err(KeyError::TooLong);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(KeyError::Malformed);
        }
        self.entry(provider)
            .and_then(|e| e.set_password(value))
            .map_err(|e| self.failed(&e))?;
        self.state().values.insert(provider, value.to_owned());
        Ok(self.status())
    }

    /// Removes `provider`'s key (already absent is fine).
    pub fn delete(&self, provider: Provider) -> Result<Status, KeyError> {
        match self.entry(provider).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(self.failed(&e)),
        }
        self.state().values.remove(&provider);
        Ok(self.status())
    }

    /// Maps a keyring error, remembering an unavailable service for the status line.
    fn failed(&self, e: &keyring::Error) -> KeyError {
        match e {
            keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
                let why = reason(e);
                self.state().unavailable = Some(why.clone());
                KeyError::Unavailable(why)
            }
            other => KeyError::Keyring(other.to_string()),
        }
    }

    /// The variables for one agent spawn: the stored keys.
    pub fn env(&self) -> Vec<(String, String)> {
        self.state()
            .values
            .iter()
            .map(|(p, v)| (p.env_var().to_owned(), v.clone()))
            .collect()
    }
}

/// Why the keyring cannot be used, said so a person can act on it.
fn reason(e: &keyring::Error) -> String {
    let text = e.to_string();
    let hint = if text.contains("autolaunch") || text.contains("DBUS_SESSION_BUS_ADDRESS") {
        "no D-Bus session bus (no desktop session)"
    } else if text.contains("org.freedesktop.secrets") {
        "no Secret Service provider is running (install gnome-keyring or KWallet)"
    } else if matches!(e, keyring::Error::NoStorageAccess(_)) {
        "the keyring is locked or has no default collection"
    } else {
        "the Secret Service did not answer"
    };
    format!("{hint}: {text}")
}

#[cfg(test)]
mod tests {
    //! Against a real Secret Service: each test re-runs itself under `dbus-run-session` with an
    //! unlocked `gnome-keyring-daemon` and a temporary HOME (docs/toolchain §8), so it needs no
    //! desktop session and leaves nothing in the user's keyring.
    use super::*;
    use std::process::Command;

    const INNER: &str = "ISOMUX_KEYRING_TEST_INNER";

    fn which(tool: &str) -> bool {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
    }

    /// Runs the test `name` of this binary again with a temporary HOME: with `keyring_daemon`,
    /// in a fresh session bus with an unlocked gnome-keyring; without, with no bus at all.
    fn rerun(name: &str, keyring_daemon: bool) {
        let home = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let mut cmd = if keyring_daemon {
            for (tool, package) in [
                ("dbus-run-session", "dbus-daemon"),
                ("gnome-keyring-daemon", "gnome-keyring"),
            ] {
                assert!(
                    which(tool),
                    "{tool} is missing: apt-get install {package} (or `cargo xtask setup`)"
                );
            }
            let mut cmd = Command::new("dbus-run-session");
            cmd.args([
                "--",
                "sh",
                "-c",
                "echo -n isomux | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
                 && exec \"$0\" \"$@\"",
            ])
            .arg(exe);
            cmd
        } else {
            let mut cmd = Command::new(exe);
            cmd.env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", home.path().join("no-bus").display()),
            );
            cmd
        };
        cmd.args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(INNER, "1")
            .env("HOME", home.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("DISPLAY");
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{name} (keyring daemon: {keyring_daemon}): {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn service() -> String {
        format!("isomux-test-{}", std::process::id())
    }

    #[test]
    fn stores_reads_and_deletes_in_the_secret_service() {
        if std::env::var_os(INNER).is_none() {
            return rerun(
                "keys::tests::stores_reads_and_deletes_in_the_secret_service",
                true,
            );
        }
        let service = service();
        let keys = Keys::open(&service);
        let status = keys.status();
        assert!(status.available, "{status:?}");
        assert!(status.keys.iter().all(|k| !k.stored), "{status:?}");
        assert!(keys.env().is_empty());

        let secret = "sk-ant-api03-keyring-test-value";
        let status = keys
            .set(Provider::Anthropic, &format!("  {secret}\n"))
            .unwrap();
        assert!(
            status.keys[0].stored && !status.keys[1].stored,
            "{status:?}"
        );
        assert!(
            !serde_json::to_string(&status).unwrap().contains(secret),
            "the status never carries the value"
        );
        assert_eq!(
            keys.env(),
            vec![("ANTHROPIC_API_KEY".to_owned(), secret.to_owned())]
        );

        // Another process would see it: a fresh handle reads it back from the keyring.
        let again = Keys::open(&service);
        assert_eq!(again.env(), keys.env());
        assert_eq!(
            keyring::Entry::new(&service, "anthropic_api_key")
                .unwrap()
                .get_password()
                .unwrap(),
            secret
        );
        assert!(matches!(
            keys.set(Provider::Openai, "two words"),
            Err(KeyError::Malformed)
        ));
        assert!(matches!(
            keys.set(Provider::Openai, "  "),
            Err(KeyError::Empty)
        ));

        let status = keys.delete(Provider::Anthropic).unwrap();
        assert!(status.keys.iter().all(|k| !k.stored), "{status:?}");
        assert!(keys.env().is_empty());
        assert!(
            Keys::open(&service).env().is_empty(),
            "gone from the keyring"
        );
        // Deleting an absent key is fine.
        keys.delete(Provider::Openai).unwrap();
    }

    #[test]
    fn says_clearly_when_there_is_no_keyring_service() {
        if std::env::var_os(INNER).is_none() {
            return rerun(
                "keys::tests::says_clearly_when_there_is_no_keyring_service",
                false,
            );
        }
        let keys = Keys::open(&service());
        let status = keys.status();
        assert!(!status.available, "{status:?}");
        let reason = status.reason.unwrap();
        assert!(reason.contains("Secret Service"), "{reason}");
        let err = keys
            .set(Provider::Openai, "sk-openai-value-123")
            .unwrap_err();
        assert!(matches!(err, KeyError::Unavailable(_)), "{err}");
        assert!(
            err.to_string().contains("environment"),
            "the error points at the fallback: {err}"
        );
        assert!(keys.env().is_empty());
    }
}
