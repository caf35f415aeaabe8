//! The webview's one door into the office: `api_call(op)`, the IPC twin of the REST routes.
//! It takes an `Op` as JSON (`{"op": "<op_id>", ...}`), runs it as the desktop user (the owner)
//! and answers the very JSON body the REST route answers, or rejects with the REST error body.

use crate::error;
use crate::office::Desktop;
use isomux_core::CoreError;
use isomux_protocol::{ErrorCode, Op};
use serde_json::Value;
use tauri::State;

/// `invoke("api_call", {op})`: resolves to the REST-identical body, rejects with
/// `{"error": {"code", "message"}}`.
#[tauri::command]
pub async fn api_call(desktop: State<'_, Desktop>, op: Value) -> Result<Value, Value> {
    call(&desktop, op).await
}

/// Parses and runs one op. Every op is allowed: the desktop user is the owner, and the route
/// table's access levels never exclude an owner.
pub async fn call(desktop: &Desktop, op: Value) -> Result<Value, Value> {
    if !op.is_object() {
        return Err(error::invalid_body(
            "the op must be a JSON object such as {\"op\": \"get_state\"}",
        ));
    }
    let op: Op = serde_json::from_value(op)
        .map_err(|e| error::invalid_body(format!("invalid request: {e}")))?;
    let out = desktop
        .office
        .call(desktop.caller.clone(), op)
        .await
        .map_err(|e: CoreError| {
            if e.code() == ErrorCode::Internal {
                tracing::error!(error = %e, "internal error");
            }
            error::core(&e)
        })?;
    serde_json::to_value(out).map_err(|e| error::internal(format!("could not encode reply: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    async fn office() -> (tempfile::TempDir, Desktop, isomux::app::Running) {
        let dir = tempfile::tempdir().unwrap();
        let (desktop, running) =
            crate::office::start(Some(dir.path().join("home")), Default::default())
                .await
                .unwrap();
        (dir, desktop, running)
    }

    #[tokio::test]
    async fn answers_what_rest_answers() {
        let (_dir, desktop, running) = office().await;
        let state = call(&desktop, json!({"op": "get_state"})).await.unwrap();
        assert_eq!(state["me"]["role"], "owner", "{state}");
        assert!(state["agents"].is_array(), "{state}");
        let agents = call(&desktop, json!({"op": "list_agents"})).await.unwrap();
        assert!(agents["agents"].is_array(), "{agents}");
        running.stop().await.unwrap();
    }

    #[tokio::test]
    async fn rejects_with_the_rest_error_body() {
        let (_dir, desktop, running) = office().await;
        for bad in [
            json!("get_state"),
            json!({"op": "no_such_op"}),
            json!({"op": "spawn_agent", "name": 5}),
            json!({"op": "send_message", "agent_id": "ag_1", "text": "hi", "extra": true}),
        ] {
            let err = call(&desktop, bad.clone()).await.unwrap_err();
            assert_eq!(err["error"]["code"], "invalid_body", "{bad} -> {err}");
            assert!(err["error"]["message"].is_string(), "{err}");
        }
        let err = call(
            &desktop,
            json!({"op": "delete_agent", "agent_id": "ag_missing"}),
        )
        .await
        .unwrap_err();
        assert_eq!(err["error"]["code"], "not_found", "{err}");
        running.stop().await.unwrap();
    }
}
