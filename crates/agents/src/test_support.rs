//! Helpers shared by the backends' unit tests: a session spec and a fake CLI that dies at
//! startup.

use isomux_core::backend::{Backend, BackendError, SessionSpec};
use isomux_protocol::Effort;
use std::path::PathBuf;

/// The spec of agent `agent_name` (`ag_1`, conversation `cv_1`) on `model`, at high effort,
/// working in the temp dir, with no prompt and an office data dir that does not exist.
pub fn spec(agent_name: &str, model: &str) -> SessionSpec {
    SessionSpec {
        agent_id: "ag_1".into(),
        agent_name: agent_name.into(),
        conversation_id: "cv_1".into(),
        cwd: std::env::temp_dir(),
        model: model.into(),
        effort: Effort::High,
        permission_mode: Default::default(),
        system_prompt: String::new(),
        resume: None,
        fork: None,
        session_id: None,
        data_dir: "/nonexistent/isomux-home".into(),
        env: vec![],
    }
}

/// An executable `name` in a fresh temp dir that prints `error: unknown <what> $1` to stderr
/// and exits 2; keep the dir alive while it runs.
pub fn dying_cli(name: &str, what: &str) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path().join(name);
    let script = format!("#!/bin/sh\necho \"error: unknown {what} $1\" >&2\nexit 2\n");
    std::fs::write(&bin, script).expect("write the fake CLI");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (dir, bin)
}

/// Starts `spec` on `backend`, which must fail with `StartFailed`; returns its message.
pub async fn start_failure(backend: &dyn Backend, spec: SessionSpec) -> String {
    match backend.start(spec).await {
        Err(BackendError::StartFailed(message)) => message,
        Err(other) => panic!("expected StartFailed, got {other:?}"),
        Ok(_) => panic!("expected StartFailed, the session started"),
    }
}
