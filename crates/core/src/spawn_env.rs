//! Environment the embedding app adds to every agent at spawn, read fresh at each spawn and
//! never stored: the desktop app's provider API keys from the OS keyring (`ANTHROPIC_API_KEY`,
//! `OPENAI_API_KEY`). The core stays free of any keyring: it only calls a provider function.
//! Every value handed to an agent is remembered in memory so entries mask it (`redact`).

use std::sync::{Arc, Mutex};

/// The provider: `(name, value)` pairs to add to an agent's environment.
pub type EnvFn = dyn Fn() -> Vec<(String, String)> + Send + Sync;

/// Values shorter than this are not masked (too likely to match ordinary text).
const MIN_SECRET_LEN: usize = 8;

/// An optional environment provider plus the secret values it has handed out so far.
#[derive(Clone, Default)]
pub struct SpawnEnv {
    provider: Option<Arc<EnvFn>>,
    injected: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for SpawnEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the values.
        f.debug_struct("SpawnEnv")
            .field("provider", &self.provider.is_some())
            .finish_non_exhaustive()
    }
}

impl SpawnEnv {
    /// A provider called at every agent spawn.
    pub fn new(provider: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static) -> Self {
        Self {
            provider: Some(Arc::new(provider)),
            injected: Arc::default(),
        }
    }

    /// The variables for one spawn (none without a provider); their values become secrets.
    pub fn vars(&self) -> Vec<(String, String)> {
        let Some(provider) = &self.provider else {
            return Vec::new();
        };
        let vars: Vec<(String, String)> = provider()
            .into_iter()
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .collect();
        let mut seen = self.injected.lock().unwrap_or_else(|p| p.into_inner());
        for (_, v) in &vars {
            if v.len() >= MIN_SECRET_LEN && !seen.contains(v) {
                seen.push(v.clone());
            }
        }
        vars
    }

    /// Every value handed to an agent so far (an agent may print any of them).
    pub fn secrets(&self) -> Vec<String> {
        self.injected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_the_provider_vars_and_remembers_long_values() {
        let none = SpawnEnv::default();
        assert!(none.vars().is_empty());
        assert!(none.secrets().is_empty());

        let key = Arc::new(Mutex::new("sk-ant-first-value".to_owned()));
        let k = key.clone();
        let env = SpawnEnv::new(move || {
            vec![
                ("ANTHROPIC_API_KEY".into(), k.lock().unwrap().clone()),
                ("SHORT".into(), "abc".into()),
                ("EMPTY".into(), String::new()),
            ]
        });
        assert!(env.secrets().is_empty(), "nothing handed out yet");
        let vars = env.vars();
        assert_eq!(
            vars,
            vec![
                (
                    "ANTHROPIC_API_KEY".to_owned(),
                    "sk-ant-first-value".to_owned()
                ),
                ("SHORT".to_owned(), "abc".to_owned()),
            ]
        );
        *key.lock().unwrap() = "sk-ant-second-value".into();
        let clone = env.clone();
        clone.vars();
        assert_eq!(
            env.secrets(),
            vec!["sk-ant-first-value", "sk-ant-second-value"],
            "an agent spawned with the old key may still print it"
        );
        assert!(!format!("{env:?}").contains("sk-ant"));
    }
}
