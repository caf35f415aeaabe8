//! Chat affordances: cards an agent (on its own id) or a human drops into an agent's chat —
//! `read-file` (an image inline, anything else a download chip), `diff` (the uncommitted
//! changes of a directory, side by side), `edit-file` ("Open in editor") and
//! `terminal-command` ("Copy to terminal") — and the office slash commands typed by humans
//! (`/isomux-system-prompt`, `/isomux-diff`), answered by the office, never sent to the model.
//!
//! Reading files and running git never happen on the actor: [`call`] asks the actor for the
//! agent's context (visibility and "own id" checked there), does the work on a blocking
//! thread, then has the actor store and broadcast the card. Paths are canonicalized (symlinks
//! followed) and must land inside the agent's cwd, its uploads or a root listed in the
//! server's `ISOMUX_ALLOWED_ROOTS` (`:`-separated); secret files (the safety rules' list) are
//! refused.

pub mod diff;

use crate::error::{CoreError, Result};
use crate::ids::new_id;
use crate::office::{Caller, Office, OfficeHandle};
use crate::store::NewEntry;
use crate::visibility::Visibility;
use isomux_protocol::op::SendMessage;
use isomux_protocol::op::responses::{CardPosted, MessageAccepted, OpOutput, SkillsBody};
use isomux_protocol::{AgentId, Entry, EntryBody, MessageId, Op, ServerMessage};
use std::path::{Path, PathBuf};

/// Longest command a terminal card takes.
const MAX_COMMAND: usize = 10_000;

/// The office's own slash commands (the autocomplete lists them; they win over skills).
pub const OFFICE_COMMANDS: &[(&str, &str)] = &[
    (
        "isomux-system-prompt",
        "Show the system prompt this agent's sessions start with",
    ),
    (
        "isomux-diff",
        "Show the uncommitted changes of the agent's cwd (or a dir) as a diff card",
    ),
];

/// `/name rest` → (name, rest) when `text` starts with a slash command.
pub fn slash_command(text: &str) -> Option<(&str, &str)> {
    let t = text.trim_start().strip_prefix('/')?;
    let (name, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    (!name.is_empty()).then_some((name, rest.trim()))
}

impl Office {
    /// Answers a human's office command sent as a message; `None`: an ordinary message.
    pub(crate) fn office_command(
        &mut self,
        caller: &Caller,
        m: &SendMessage,
    ) -> Result<Option<OpOutput>> {
        if !caller.is_human() {
            return Ok(None);
        }
        match slash_command(&m.text) {
            Some(("isomux-system-prompt", _)) => {
                let text = self.system_prompt_of(&m.agent_id)?;
                self.system_entry(&m.agent_id, &text);
                Ok(Some(accepted()))
            }
            _ => Ok(None),
        }
    }

    /// The assembled system prompt of an agent, as its next session will get it.
    pub(crate) fn system_prompt_of(&mut self, id: &AgentId) -> Result<String> {
        let rec = self.agent_mut(id)?.rec.clone();
        let room = self.rooms.iter().find(|r| r.id == rec.room_id);
        let prompt = crate::prompt::assemble(&self.office, room, &rec, &self.config.data_dir);
        Ok(format!(
            "System prompt of {} (assembled at every session start):\n\n{prompt}",
            rec.name
        ))
    }
}

/// What building a card needs from the actor.
#[derive(Debug, Clone)]
pub(crate) struct CardContext {
    pub cwd: PathBuf,
    pub uploads: PathBuf,
    /// Who shows the card.
    pub by: String,
    /// The agent's CLI's HOME (the office/room `HOME` if set, else the server's): where its
    /// user and plugin skills live.
    pub home: PathBuf,
    /// The CLI's own slash commands, as its last session reported them.
    pub backend_commands: Vec<String>,
}

impl Office {
    /// Checks that `caller` may post a card to `id` (a visible agent; an agent only on its
    /// own id) and returns what the card needs.
    pub(crate) fn card_context(&mut self, caller: &Caller, id: &AgentId) -> Result<CardContext> {
        let view = Visibility::new(self.visible_rooms(caller)?);
        let a = self.agent_mut(id)?;
        if !view.room_visible(&a.rec.room_id) {
            return Err(CoreError::not_found(format!("agent {id}")));
        }
        if let Caller::Agent { agent_id, .. } = caller
            && agent_id != id
        {
            return Err(CoreError::Forbidden(
                "an agent may post cards only to its own chat ($ISOMUX_AGENT_ID)".into(),
            ));
        }
        let cwd = PathBuf::from(&a.rec.cwd);
        let room = a.rec.room_id.clone();
        let backend_commands = a.backend_commands.clone();
        let home = self
            .rooms
            .iter()
            .find(|r| r.id == room)
            .and_then(|r| r.env.get("HOME"))
            .or_else(|| self.office.env.get("HOME"))
            .cloned()
            .unwrap_or_else(home);
        Ok(CardContext {
            cwd,
            uploads: crate::files::agent_dir(&self.config.data_dir, id),
            by: caller.display_name(),
            home: PathBuf::from(home),
            backend_commands,
        })
    }

    /// Stores a card in the agent's current conversation (secrets masked) and broadcasts it.
    pub(crate) fn post_card(&mut self, id: &AgentId, body: EntryBody) -> Result<Entry> {
        let a = self.agent_mut(id)?;
        let conversation_id = a.rec.conversation_id.clone();
        let room = a.rec.room_id.clone();
        let room = self.rooms.iter().find(|r| r.id == room);
        let secrets = crate::redact::secret_values(
            std::iter::once(&self.office.env).chain(room.map(|r| &r.env)),
        );
        let entry = self.store.upsert_entry(&NewEntry {
            id: new_id("en").into(),
            conversation_id,
            ts: crate::time::now_ms(),
            body: crate::redact::body(body, &secrets),
            position: None,
        })?;
        self.emit(ServerMessage::LogEntry {
            agent_id: id.clone(),
            entry: entry.clone(),
        });
        Ok(entry)
    }
}

/// Whether [`OfficeHandle::call`] routes `op` here: the card ops, the skills list, and a
/// human's slash command other than the actor's own (`/isomux-diff`, or maybe a skill).
pub(crate) fn is_card_op(caller: &Caller, op: &Op) -> bool {
    match op {
        Op::ReadFile { .. } | Op::ShowDiff { .. } | Op::EditFile { .. } => true,
        Op::TerminalCommand { .. } | Op::ListSkills { .. } => true,
        Op::SendMessage(m) => {
            caller.is_human()
                && slash_command(&m.text).is_some_and(|(name, _)| name != "isomux-system-prompt")
        }
        _ => false,
    }
}

/// Runs a card op: context from the actor, the work on a blocking thread, the card stored by
/// the actor.
pub(crate) async fn call(handle: &OfficeHandle, caller: Caller, op: Op) -> Result<OpOutput> {
    match op {
        Op::ListSkills { agent_id } => {
            let ctx = handle.card_context(caller, agent_id).await?;
            let skills = tokio::task::spawn_blocking(move || {
                let found = crate::skills::discover(&ctx.home, &ctx.cwd)
                    .into_iter()
                    .map(|s| s.skill)
                    .collect();
                crate::skills::with_backend_commands(found, &ctx.backend_commands)
            })
            .await
            .map_err(|e| CoreError::Io(std::io::Error::other(e.to_string())))?;
            Ok(OpOutput::Skills(SkillsBody { skills }))
        }
        Op::SendMessage(mut m) if !matches!(slash_command(&m.text), Some(("isomux-diff", _))) => {
            // A skill runs as its body plus the arguments; anything else (a backend's own
            // command) goes to the agent as typed.
            let (name, args) = slash_command(&m.text)
                .map(|(n, a)| (n.to_owned(), a.to_owned()))
                .unwrap_or_default();
            let ctx = handle
                .card_context(caller.clone(), m.agent_id.clone())
                .await?;
            let found = tokio::task::spawn_blocking(move || {
                crate::skills::find(&ctx.home, &ctx.cwd, &name)
            })
            .await
            .map_err(|e| CoreError::Io(std::io::Error::other(e.to_string())))?;
            if let Some(skill) = found {
                m.text = crate::skills::invocation(&skill.body, &args);
            }
            handle.call_actor(caller, Op::SendMessage(m)).await
        }
        op => call_card(handle, caller, op).await,
    }
}

async fn call_card(handle: &OfficeHandle, caller: Caller, op: Op) -> Result<OpOutput> {
    let (agent_id, work, command) = match op {
        Op::ReadFile { agent_id, path } => (agent_id, Work::Read(path), false),
        Op::ShowDiff { agent_id, dir } => (agent_id, Work::Diff(dir), false),
        Op::EditFile { agent_id, path } => (agent_id, Work::Edit(path), false),
        Op::TerminalCommand { agent_id, command } => (agent_id, Work::Terminal(command), false),
        Op::SendMessage(m) => {
            let dir = slash_command(&m.text)
                .map(|(_, rest)| rest.to_owned())
                .filter(|d| !d.is_empty());
            (m.agent_id, Work::Diff(dir), true)
        }
        other => {
            return Err(CoreError::InvalidBody(format!(
                "{} is not a card op",
                other.op_id()
            )));
        }
    };
    let ctx = handle.card_context(caller, agent_id.clone()).await?;
    let body = tokio::task::spawn_blocking(move || work.run(&ctx))
        .await
        .map_err(|e| CoreError::Io(std::io::Error::other(e.to_string())))??;
    let entry = handle.post_card(agent_id, body).await?;
    Ok(if command {
        accepted()
    } else {
        OpOutput::CardPosted(Box::new(CardPosted { entry }))
    })
}

/// The blocking part of a card.
enum Work {
    Read(String),
    Diff(Option<String>),
    Edit(String),
    Terminal(String),
}

impl Work {
    fn run(self, ctx: &CardContext) -> Result<EntryBody> {
        let by = ctx.by.clone();
        match self {
            Work::Read(path) => read_file(ctx, &path),
            Work::Edit(path) => {
                let path = resolve(ctx, &path)?;
                if !path.is_file() {
                    return Err(CoreError::InvalidBody(format!(
                        "{} is not a file",
                        path.display()
                    )));
                }
                Ok(EntryBody::EditFile {
                    path: path.to_string_lossy().into_owned(),
                    by,
                })
            }
            Work::Terminal(command) => {
                let command = command.trim().to_owned();
                if command.is_empty() || command.len() > MAX_COMMAND || command.contains('\0') {
                    return Err(CoreError::InvalidBody(format!(
                        "command must be 1 to {MAX_COMMAND} bytes of text"
                    )));
                }
                Ok(EntryBody::TerminalCommand { command, by })
            }
            Work::Diff(dir) => {
                let dir = match dir {
                    Some(d) => resolve(ctx, &d)?,
                    None => ctx.cwd.canonicalize()?,
                };
                if !dir.is_dir() {
                    return Err(CoreError::InvalidBody(format!(
                        "{} is not a directory",
                        dir.display()
                    )));
                }
                let home = home();
                let (files, truncated) =
                    diff::diff_dir(&dir, &|p| is_secret(p, &home)).map_err(|e| match e {
                        diff::DiffError::NotARepo(_) => CoreError::InvalidBody(e.to_string()),
                        diff::DiffError::Git(m) => CoreError::Io(std::io::Error::other(m)),
                    })?;
                Ok(EntryBody::Diff {
                    dir: dir.to_string_lossy().into_owned(),
                    files,
                    truncated,
                    by,
                })
            }
        }
    }
}

fn home() -> String {
    std::env::var("HOME").unwrap_or_else(|_| "/root".into())
}

fn is_secret(path: &Path, home: &str) -> bool {
    crate::safety::is_secret_path(&path.to_string_lossy(), home)
}

/// The roots a card's path must resolve inside, canonical.
fn roots(ctx: &CardContext) -> Vec<PathBuf> {
    let extra = std::env::var("ISOMUX_ALLOWED_ROOTS").unwrap_or_default();
    [ctx.cwd.clone(), ctx.uploads.clone()]
        .into_iter()
        .chain(
            extra
                .split(':')
                .filter(|s| !s.trim().is_empty())
                .map(PathBuf::from),
        )
        .filter_map(|p| p.canonicalize().ok())
        .collect()
}

/// Resolves `raw` (absolute, or relative to the cwd) to a canonical path inside the allowed
/// roots, refusing secret files.
fn resolve(ctx: &CardContext, raw: &str) -> Result<PathBuf> {
    let raw = raw.trim();
    if raw.is_empty() || raw.contains('\0') {
        return Err(CoreError::InvalidBody("path must not be empty".into()));
    }
    let p = Path::new(raw);
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        ctx.cwd.join(p)
    };
    let canonical = joined
        .canonicalize()
        .map_err(|e| CoreError::InvalidBody(format!("cannot read {}: {e}", joined.display())))?;
    let roots = roots(ctx);
    if !roots.iter().any(|r| canonical.starts_with(r)) {
        return Err(CoreError::Forbidden(format!(
            "{} is outside the allowed roots ({}); copy the file into your working directory \
             first",
            canonical.display(),
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if is_secret(&canonical, &home()) {
        return Err(CoreError::Forbidden(format!(
            "{} looks like a secret file (keys, credentials, .env); it is never shown in chat \
             — ask the user instead",
            canonical.display()
        )));
    }
    Ok(canonical)
}

/// Copies the file into the agent's files (content-addressed) and describes the card.
fn read_file(ctx: &CardContext, raw: &str) -> Result<EntryBody> {
    let path = resolve(ctx, raw)?;
    let meta = std::fs::metadata(&path)?;
    if !meta.is_file() {
        return Err(CoreError::InvalidBody(format!(
            "{} is not a file",
            path.display()
        )));
    }
    if meta.len() > crate::files::MAX_FILE_BYTES as u64 {
        return Err(CoreError::InvalidBody(format!(
            "{} is larger than {} MiB",
            path.display(),
            crate::files::MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = std::fs::read(&path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = crate::files::stored_name(&bytes, crate::files::classify(&bytes, &file_name));
    let stored = ctx.uploads.join(&name);
    if !stored.is_file() {
        crate::discovery::write_atomic(&stored, &bytes)?;
    }
    let mime = crate::files::mime_for_name(&name).to_owned();
    Ok(EntryBody::File {
        path: path.to_string_lossy().into_owned(),
        image: crate::files::is_image(&mime),
        name,
        mime,
        size: bytes.len() as u64,
        by: ctx.by.clone(),
    })
}

fn accepted() -> OpOutput {
    OpOutput::MessageAccepted(MessageAccepted {
        message_id: MessageId(new_id("mg")),
        queued: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_commands_split_name_and_arguments() {
        assert_eq!(slash_command("/isomux-diff"), Some(("isomux-diff", "")));
        assert_eq!(
            slash_command("  /pair-programming Bob  fix the parser "),
            Some(("pair-programming", "Bob  fix the parser"))
        );
        assert_eq!(slash_command("hello /x"), None);
        assert_eq!(slash_command("/ x"), None);
    }
}
