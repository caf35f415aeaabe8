//! Discovery files for agents: `agents-summary.json` (the manifest: who is in the office, where,
//! doing what, and where their log is) and `logs/<agentId>/current.md` (a readable mirror of the
//! tail of each agent's current conversation), both in the data dir.
//!
//! A task of its own keeps them: it follows the office's event bus (a snapshot first, then
//! agent, room and log events), batches changes for [`DEBOUNCE`] and rewrites the changed files
//! atomically (write a temporary file, then rename). The actor never waits for it; a lagging
//! subscription starts over from a fresh snapshot. Agents read the files (the safety rules allow
//! reads of the data dir, never writes).

use crate::office::{Caller, WeakOfficeHandle};
use isomux_protocol::op::responses::{LogsPage, OpOutput};
use isomux_protocol::{Agent, AgentId, Entry, EntryBody, Op, RoomId, ServerMessage};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// How long changes are batched before the files are rewritten.
pub const DEBOUNCE: Duration = Duration::from_millis(150);
/// How many of the latest entries `current.md` mirrors (older ones: the logs API).
pub const MIRRORED_ENTRIES: usize = 500;
/// Tool inputs and outputs are cut to this many characters in `current.md`.
const MAX_TOOL_TEXT: usize = 1500;

/// The manifest's path.
pub fn manifest_path(data_dir: &Path) -> PathBuf {
    data_dir.join("agents-summary.json")
}

/// An agent's log directory.
pub fn log_dir(data_dir: &Path, agent: &AgentId) -> PathBuf {
    data_dir.join("logs").join(&agent.0)
}

/// The mirror of an agent's current conversation.
pub fn current_log_path(data_dir: &Path, agent: &AgentId) -> PathBuf {
    log_dir(data_dir, agent).join("current.md")
}

/// One agent in the manifest.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ManifestAgent {
    pub id: AgentId,
    pub name: String,
    pub desk: u8,
    /// The room's name.
    pub room: String,
    pub room_id: RoomId,
    pub topic: Option<String>,
    pub cwd: String,
    pub backend: String,
    pub model: String,
    pub state: String,
    /// `logs/<id>/current.md`, absolute.
    pub log_file: String,
    pub log_dir: String,
}

/// The manifest file's shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Manifest {
    pub office: String,
    /// The office's URL for agents (`ISOMUX_URL`).
    pub url: String,
    pub agents: Vec<ManifestAgent>,
}

/// What the mirror knows of the office.
#[derive(Debug, Default)]
struct Mirror {
    office: String,
    rooms: BTreeMap<RoomId, String>,
    agents: BTreeMap<AgentId, Agent>,
    /// The tail of each agent's current conversation.
    logs: BTreeMap<AgentId, Log>,
}

#[derive(Debug, Default)]
struct Log {
    entries: VecDeque<Entry>,
    /// Entries older than the mirrored ones exist (`before` cursor for the logs API).
    older: Option<i64>,
}

/// Starts the discovery task for an office.
pub(crate) fn spawn(handle: WeakOfficeHandle, data_dir: PathBuf, url: String) {
    tokio::spawn(run(handle, data_dir, url));
}

fn caller() -> Caller {
    Caller::Agent {
        agent_id: AgentId("isomux-discovery".into()),
        name: "Isomux".into(),
    }
}

/// Holds only a weak handle between calls, so the office ends when its last real handle is
/// dropped (the subscription then closes and this task ends).
async fn run(weak: WeakOfficeHandle, dir: PathBuf, url: String) {
    loop {
        let Some(handle) = weak.upgrade() else {
            return;
        };
        // Snapshot and subscription at the same instant (no gap).
        let Ok((_, state, mut rx)) = handle.connect(caller()).await else {
            return; // shutting down
        };
        drop(handle);
        let mut m = Mirror {
            office: state.office.name.clone(),
            rooms: state
                .rooms
                .iter()
                .map(|r| (r.id.clone(), r.name.clone()))
                .collect(),
            agents: state
                .agents
                .into_iter()
                .map(|a| (a.id.clone(), a))
                .collect(),
            logs: BTreeMap::new(),
        };
        let ids: Vec<AgentId> = m.agents.keys().cloned().collect();
        for id in &ids {
            m.logs.insert(id.clone(), load_log(&weak, id).await);
        }
        let mut manifest_dirty = true;
        let mut dirty_logs: BTreeSet<AgentId> = ids.into_iter().collect();
        let mut deadline: Option<Instant> = Some(Instant::now());
        loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                ev = rx.recv() => match ev {
                    Ok(ev) => {
                        let (manifest, log, reload) = m.apply(&ev);
                        if let Some(id) = reload {
                            let log = load_log(&weak, &id).await;
                            m.logs.insert(id, log);
                        }
                        manifest_dirty |= manifest;
                        dirty_logs.extend(log);
                        if (manifest_dirty || !dirty_logs.is_empty()) && deadline.is_none() {
                            deadline = Some(Instant::now() + DEBOUNCE);
                        }
                    }
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return,
                },
                () = sleep => {
                    deadline = None;
                    let manifest = manifest_dirty.then(|| m.manifest(&dir, &url));
                    let logs: Vec<(PathBuf, String)> = std::mem::take(&mut dirty_logs)
                        .into_iter()
                        .filter_map(|id| {
                            let a = m.agents.get(&id)?;
                            Some((current_log_path(&dir, &id), render(a, m.logs.get(&id), &m.rooms)))
                        })
                        .collect();
                    manifest_dirty = false;
                    let dir = dir.clone();
                    let written = tokio::task::spawn_blocking(move || {
                        if let Some(man) = manifest {
                            let json = serde_json::to_string_pretty(&man).unwrap_or_default();
                            write_atomic(&manifest_path(&dir), json.as_bytes())?;
                        }
                        for (path, text) in logs {
                            write_atomic(&path, text.as_bytes())?;
                        }
                        std::io::Result::Ok(())
                    })
                    .await;
                    if let Ok(Err(e)) = written {
                        tracing::warn!(error = %e, "could not write the discovery files");
                    }
                }
            }
        }
    }
}

/// The tail of an agent's current conversation.
async fn load_log(weak: &WeakOfficeHandle, id: &AgentId) -> Log {
    let Some(handle) = weak.upgrade() else {
        return Log::default();
    };
    let op = Op::GetLogs {
        agent_id: id.clone(),
        conversation_id: None,
        before: None,
        limit: Some(MIRRORED_ENTRIES as i64),
    };
    match handle.call(caller(), op).await {
        Ok(OpOutput::Logs(LogsPage {
            entries,
            next_before,
        })) => Log {
            entries: entries.into(),
            older: next_before,
        },
        _ => Log::default(),
    }
}

impl Mirror {
    /// Applies an event: (manifest changed, the agent whose log changed, an agent whose log
    /// must be reloaded because its current conversation changed).
    fn apply(&mut self, ev: &ServerMessage) -> (bool, Option<AgentId>, Option<AgentId>) {
        use ServerMessage as M;
        match ev {
            M::AgentAdded { agent } | M::AgentUpdated { agent } => {
                let switched = self
                    .agents
                    .get(&agent.id)
                    .is_none_or(|old| old.conversation_id != agent.conversation_id);
                self.agents.insert(agent.id.clone(), (**agent).clone());
                (
                    true,
                    Some(agent.id.clone()),
                    switched.then(|| agent.id.clone()),
                )
            }
            M::AgentRemoved { agent_id } => {
                self.agents.remove(agent_id);
                self.logs.remove(agent_id);
                (true, None, None)
            }
            M::AgentState {
                agent_id, state, ..
            } => {
                if let Some(a) = self.agents.get_mut(agent_id) {
                    a.state = *state;
                }
                (true, None, None)
            }
            M::LogEntry { agent_id, entry } => {
                let current = self
                    .agents
                    .get(agent_id)
                    .is_some_and(|a| a.conversation_id == entry.conversation_id);
                if !current {
                    return (false, None, None);
                }
                let log = self.logs.entry(agent_id.clone()).or_default();
                if let Some(slot) = log.entries.iter_mut().rev().find(|e| e.id == entry.id) {
                    *slot = entry.clone();
                } else {
                    log.entries.push_back(entry.clone());
                    while log.entries.len() > MIRRORED_ENTRIES {
                        let gone = log.entries.pop_front();
                        log.older = gone.map(|e| e.seq + 1).or(log.older);
                    }
                }
                (false, Some(agent_id.clone()), None)
            }
            M::RoomAdded { room } | M::RoomUpdated { room } => {
                self.rooms.insert(room.id.clone(), room.name.clone());
                (true, None, None)
            }
            M::RoomRemoved { room_id } => {
                self.rooms.remove(room_id);
                (true, None, None)
            }
            M::OfficeUpdated { office } => {
                self.office = office.name.clone();
                (true, None, None)
            }
            _ => (false, None, None),
        }
    }

    fn manifest(&self, dir: &Path, url: &str) -> Manifest {
        Manifest {
            office: self.office.clone(),
            url: url.to_owned(),
            agents: self
                .agents
                .values()
                .map(|a| ManifestAgent {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    desk: a.desk,
                    room: self.rooms.get(&a.room_id).cloned().unwrap_or_default(),
                    room_id: a.room_id.clone(),
                    topic: a.topic.clone(),
                    cwd: a.cwd.clone(),
                    backend: a.backend.as_str().to_owned(),
                    model: a.model.clone(),
                    state: a.state.as_str().to_owned(),
                    log_file: current_log_path(dir, &a.id).to_string_lossy().into_owned(),
                    log_dir: log_dir(dir, &a.id).to_string_lossy().into_owned(),
                })
                .collect(),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers never see a
/// half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}… [cut]")
}

/// `current.md`: a header, then each entry of the tail of the current conversation.
fn render(a: &Agent, log: Option<&Log>, rooms: &BTreeMap<RoomId, String>) -> String {
    let mut out = format!(
        "# {name}: current conversation\n\nAgent `{id}` at desk {desk} in {room}; cwd `{cwd}`; \
         {backend} `{model}`; state {state}.\nConversation `{conv}`.\n",
        name = a.name,
        id = a.id,
        desk = a.desk,
        room = rooms.get(&a.room_id).map_or("?", String::as_str),
        cwd = a.cwd,
        backend = a.backend.as_str(),
        model = a.model,
        state = a.state.as_str(),
        conv = a.conversation_id,
    );
    if let Some(t) = &a.topic {
        out.push_str(&format!("Topic: {t}\n"));
    }
    let Some(log) = log else {
        return out;
    };
    if let Some(before) = log.older {
        out.push_str(&format!(
            "\n(Only the latest {MIRRORED_ENTRIES} entries are here; older ones: \
             `curl -s -H \"Authorization: Bearer $ISOMUX_AGENT_TOKEN\" \
             \"$ISOMUX_URL/api/agents/{}/logs?before={before}\"`.)\n",
            a.id
        ));
    }
    for e in &log.entries {
        out.push('\n');
        render_entry(&mut out, &a.name, &e.body);
    }
    out
}

fn render_entry(out: &mut String, agent: &str, body: &EntryBody) {
    match body {
        EntryBody::User { messages } => {
            for m in messages {
                out.push_str(&format!("### {}\n{}\n", m.sender.label(), m.text));
                for f in &m.attachments {
                    out.push_str(&format!("(attached: {f})\n"));
                }
            }
        }
        EntryBody::Assistant { text } => out.push_str(&format!("### {agent}\n{text}\n")),
        EntryBody::Thinking { text } => {
            out.push_str(&format!("_{agent} thinking:_ {}\n", cut(text, 500)));
        }
        EntryBody::ToolCall {
            tool,
            input,
            output,
            status,
            ..
        } => {
            out.push_str(&format!(
                "**Tool {tool}** ({}): `{}`\n",
                serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                cut(&input.to_string(), MAX_TOOL_TEXT)
            ));
            if let Some(o) = output.as_deref().filter(|o| !o.trim().is_empty()) {
                out.push_str(&format!("```\n{}\n```\n", cut(o, MAX_TOOL_TEXT)));
            }
        }
        EntryBody::Error { message, hint } => {
            out.push_str(&format!("**Error:** {message}\n"));
            if let Some(h) = hint {
                out.push_str(&format!("Hint: {h}\n"));
            }
        }
        EntryBody::System { text } => out.push_str(&format!("_Office: {text}_\n")),
        EntryBody::TurnEnd { .. } => out.push_str("---\n"),
        EntryBody::File { path, by, .. } => out.push_str(&format!("_{by} showed {path}_\n")),
        EntryBody::Diff { dir, files, by, .. } => out.push_str(&format!(
            "_{by} showed the diff of {dir} ({} files)_\n",
            files.len()
        )),
        EntryBody::EditFile { path, by } => {
            out.push_str(&format!("_{by} offered {path} in the editor_\n"));
        }
        EntryBody::TerminalCommand { command, by } => {
            out.push_str(&format!("_{by} offered a command:_ `{command}`\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::{Sender, SenderKind, UserLine};

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("logs/ag_1/current.md");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn entries_render_with_sender_labels() {
        let mut out = String::new();
        render_entry(
            &mut out,
            "Ada",
            &EntryBody::User {
                messages: vec![UserLine {
                    sender: Sender {
                        kind: SenderKind::Agent,
                        id: "ag_2".into(),
                        name: "Bob".into(),
                        device: None,
                    },
                    text: "hello".into(),
                    attachments: vec![],
                }],
            },
        );
        render_entry(&mut out, "Ada", &EntryBody::Assistant { text: "hi".into() });
        assert_eq!(out, "### [Bob]\nhello\n### Ada\nhi\n");
        assert_eq!(cut("abcdef", 3), "abc… [cut]");
    }
}
