//! The settings panel's door to the provider keys (`keys.rs`): `keys_status`, `keys_set` and
//! `keys_delete`. Each answers the status (which keys are stored, whether a keyring service is
//! here and if not why), never a value; errors are the REST error body like `api_call`'s.
//! Keyring calls block on D-Bus, so they run off the async runtime.

use crate::error;
use crate::keys::{KeyError, Keys, Provider, Status};
use isomux_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;
use std::sync::Arc;
use tauri::State;

/// The keys, shared by the commands and the office's spawn-time provider.
pub type SharedKeys = Arc<Keys>;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, KeyError> + Send + 'static,
) -> Result<T, Value> {
    match tauri::async_runtime::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(key_error(&e)),
        Err(e) => Err(error::internal(format!("the keyring task failed: {e}"))),
    }
}

fn key_error(e: &KeyError) -> Value {
    let code = match e {
        KeyError::Empty | KeyError::TooLong | KeyError::Malformed => ErrorCode::InvalidBody,
        KeyError::Unavailable(_) => ErrorCode::Conflict,
        KeyError::Keyring(_) => ErrorCode::Internal,
    };
    // The message never holds the value: the errors name only what is wrong with it.
    error::body(&ErrorBody::new(code, e.to_string()))
}

/// `invoke("keys_status")`: re-reads the keyring.
#[tauri::command]
pub async fn keys_status(keys: State<'_, SharedKeys>) -> Result<Status, Value> {
    let keys = keys.inner().clone();
    blocking(move || Ok(keys.refresh())).await
}

/// `invoke("keys_set", {provider, value})`.
#[tauri::command]
pub async fn keys_set(
    keys: State<'_, SharedKeys>,
    provider: Provider,
    value: String,
) -> Result<Status, Value> {
    let keys = keys.inner().clone();
    let status = blocking(move || keys.set(provider, &value)).await?;
    tracing::info!(
        provider = provider.label(),
        "stored a provider key in the keyring"
    );
    Ok(status)
}

/// `invoke("keys_delete", {provider})`.
#[tauri::command]
pub async fn keys_delete(keys: State<'_, SharedKeys>, provider: Provider) -> Result<Status, Value> {
    let keys = keys.inner().clone();
    let status = blocking(move || keys.delete(provider)).await?;
    tracing::info!(
        provider = provider.label(),
        "removed a provider key from the keyring"
    );
    Ok(status)
}
