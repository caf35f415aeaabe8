//! Persistence behind a narrow API: one SQLite file (WAL, `synchronous=FULL`, so a write is on
//! disk before the office acknowledges it). The Office actor owns one [`Store`]; auth uses its
//! own connection (see `auth`). Streaming deltas are never stored; finished entries are.

mod migrations;

use crate::domain::{
    AgentRecord, ConversationRecord, ForkPoint, OfficeSettings, QueuedItem, RoomRecord,
};
use crate::error::{CoreError, Result};
use isomux_protocol::{
    AgentId, BackendKind, ConversationId, Effort, Entry, EntryBody, EntryId, Look, MessageId,
    PermissionMode, RoomId, Sender, Usage,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;

/// Opens a connection with the office's pragmas.
pub fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Applies pending migrations.
pub fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in migrations::MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))?;
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn from_json<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}

/// The office's storage.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (and migrates) the database file.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = connect(path)?;
        migrate(&conn)?;
        Ok(Self { conn })
    }

    /// The connection, for storage modules kept in their own files (`crate::tasks`).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// An in-memory database for unit tests.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        migrate(&conn)?;
        Ok(Self { conn })
    }

    // ---- meta and office settings ----

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn office_settings(&self) -> Result<OfficeSettings> {
        Ok(OfficeSettings {
            name: self
                .meta_get("office.name")?
                .unwrap_or_else(|| "Isomux".into()),
            prompt: self.meta_get("office.prompt")?.unwrap_or_default(),
            env: self
                .meta_get("office.env")?
                .map(|s| from_json(&s))
                .unwrap_or_default(),
        })
    }

    pub fn put_office_settings(&mut self, s: &OfficeSettings) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (k, v) in [
            ("office.name", s.name.clone()),
            ("office.prompt", s.prompt.clone()),
            ("office.env", json(&s.env)),
        ] {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    // ---- rooms ----

    pub fn load_rooms(&self) -> Result<Vec<RoomRecord>> {
        let mut st = self
            .conn
            .prepare("SELECT id, name, position, prompt, env FROM rooms ORDER BY position, id")?;
        let rows = st.query_map([], |r| {
            Ok(RoomRecord {
                id: RoomId(r.get(0)?),
                name: r.get(1)?,
                position: r.get(2)?,
                prompt: r.get(3)?,
                env: from_json(&r.get::<_, String>(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn upsert_room(&self, room: &RoomRecord) -> Result<()> {
        self.conn.execute(
            "INSERT INTO rooms(id, name, position, prompt, env, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, position = excluded.position,
                 prompt = excluded.prompt, env = excluded.env",
            params![
                room.id.as_str(),
                room.name,
                room.position,
                room.prompt,
                json(&room.env),
                crate::time::now_ms()
            ],
        )?;
        Ok(())
    }

    pub fn delete_room(&self, id: &RoomId) -> Result<()> {
        self.conn
            .execute("DELETE FROM rooms WHERE id = ?1", [id.as_str()])?;
        Ok(())
    }

    // ---- agents ----

    pub fn load_agents(&self) -> Result<Vec<AgentRecord>> {
        let mut st = self.conn.prepare(
            "SELECT id, name, room_id, desk, look, cwd, backend, model, permission_mode, effort,
                    prompt, topic, conversation_id, usage, created_at, turn_open
             FROM agents WHERE archived_at IS NULL ORDER BY created_at, id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AgentRecord {
                id: AgentId(r.get(0)?),
                name: r.get(1)?,
                room_id: RoomId(r.get(2)?),
                desk: r.get(3)?,
                look: from_json::<Look>(&r.get::<_, String>(4)?),
                cwd: r.get(5)?,
                backend: BackendKind::parse(&r.get::<_, String>(6)?).unwrap_or(BackendKind::Demo),
                model: r.get(7)?,
                permission_mode: PermissionMode::parse(&r.get::<_, String>(8)?).unwrap_or_default(),
                effort: Effort::parse(&r.get::<_, String>(9)?).unwrap_or_default(),
                prompt: r.get(10)?,
                topic: r.get(11)?,
                conversation_id: ConversationId(r.get(12)?),
                usage: from_json::<Usage>(&r.get::<_, String>(13)?),
                created_at: r.get(14)?,
                turn_open: r.get::<_, i64>(15)? != 0,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Inserts a new agent together with its first conversation.
    pub fn insert_agent(&mut self, a: &AgentRecord) -> Result<()> {
        let tx = self.conn.transaction()?;
        insert_conversation(
            &tx,
            &ConversationRecord {
                id: a.conversation_id.clone(),
                agent_id: a.id.clone(),
                backend_session_id: None,
                forked_from: None,
                created_at: a.created_at,
                topic: None,
                fork: None,
            },
        )?;
        tx.execute(
            "INSERT INTO agents(id, name, room_id, desk, look, cwd, backend, model,
                 permission_mode, effort, prompt, topic, conversation_id, usage, turn_open,
                 created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                a.id.as_str(),
                a.name,
                a.room_id.as_str(),
                a.desk,
                json(&a.look),
                a.cwd,
                a.backend.as_str(),
                a.model,
                a.permission_mode.as_str(),
                a.effort.as_str(),
                a.prompt,
                a.topic,
                a.conversation_id.as_str(),
                json(&a.usage),
                a.turn_open,
                a.created_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Writes every mutable field of an agent.
    pub fn update_agent(&self, a: &AgentRecord) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE agents SET name = ?2, room_id = ?3, desk = ?4, look = ?5, cwd = ?6,
                 model = ?7, permission_mode = ?8, effort = ?9, prompt = ?10, topic = ?11,
                 conversation_id = ?12, usage = ?13, turn_open = ?14
             WHERE id = ?1 AND archived_at IS NULL",
            params![
                a.id.as_str(),
                a.name,
                a.room_id.as_str(),
                a.desk,
                json(&a.look),
                a.cwd,
                a.model,
                a.permission_mode.as_str(),
                a.effort.as_str(),
                a.prompt,
                a.topic,
                a.conversation_id.as_str(),
                json(&a.usage),
                a.turn_open,
            ],
        )?;
        if n == 0 {
            return Err(CoreError::not_found(format!("agent {}", a.id)));
        }
        Ok(())
    }

    /// Archives an agent: it leaves its desk; conversations stay.
    pub fn archive_agent(&mut self, id: &AgentId) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE agents SET archived_at = ?2, turn_open = 0 WHERE id = ?1",
            params![id.as_str(), crate::time::now_ms()],
        )?;
        tx.execute("DELETE FROM queue WHERE agent_id = ?1", [id.as_str()])?;
        tx.commit()?;
        Ok(())
    }

    // ---- conversations ----

    pub fn insert_conversation(&self, c: &ConversationRecord) -> Result<()> {
        insert_conversation(&self.conn, c)
    }

    pub fn conversation(&self, id: &ConversationId) -> Result<Option<ConversationRecord>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, agent_id, backend_session_id, forked_from, created_at, topic,
                        fork_before, fork_session, fork_at
                 FROM conversations WHERE id = ?1",
                [id.as_str()],
                row_to_conversation,
            )
            .optional()?)
    }

    pub fn set_backend_session_id(&self, id: &ConversationId, session: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE conversations SET backend_session_id = ?2 WHERE id = ?1",
            params![id.as_str(), session],
        )?;
        Ok(())
    }

    /// An agent's conversations, newest first, with their own entry counts and whether
    /// another conversation was forked from them.
    pub fn list_conversations(
        &self,
        agent: &AgentId,
    ) -> Result<Vec<(ConversationRecord, u64, bool)>> {
        let mut st = self.conn.prepare(
            "SELECT c.id, c.agent_id, c.backend_session_id, c.forked_from, c.created_at, c.topic,
                    c.fork_before, c.fork_session, c.fork_at,
                    (SELECT COUNT(*) FROM entries e WHERE e.conversation_id = c.id),
                    EXISTS(SELECT 1 FROM conversations k WHERE k.forked_from = c.id)
             FROM conversations c WHERE c.agent_id = ?1 ORDER BY c.created_at DESC, c.id DESC",
        )?;
        let rows = st.query_map([agent.as_str()], |r| {
            Ok((
                row_to_conversation(r)?,
                r.get::<_, i64>(9)? as u64,
                r.get::<_, bool>(10)?,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The conversations whose entries make up `conversation`'s log, each with the exclusive
    /// upper bound of the `seq`s it contributes: the conversation itself (no bound), then each
    /// ancestor up to where its child forked off.
    pub fn chain(&self, conversation: &ConversationId) -> Result<Vec<(ConversationId, i64)>> {
        let mut out = vec![(conversation.clone(), i64::MAX)];
        let mut next = self.conversation(conversation)?;
        while let Some(c) = next {
            let (Some(parent), Some(fork)) = (c.forked_from, c.fork) else {
                break;
            };
            // A corrupt cycle must not loop forever.
            if out.iter().any(|(id, _)| id == &parent) || out.len() > 1000 {
                break;
            }
            out.push((parent.clone(), fork.before));
            next = self.conversation(&parent)?;
        }
        Ok(out)
    }

    /// One stored entry and the backend position recorded on it.
    pub fn entry(&self, id: &EntryId) -> Result<Option<Entry>> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, id, conversation_id, ts, data FROM entries WHERE id = ?1",
                [id.as_str()],
                row_to_entry,
            )
            .optional()?)
    }

    /// The last backend position a turn of `conversation` reached before `seq`.
    pub fn position_before(
        &self,
        conversation: &ConversationId,
        seq: i64,
    ) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT position FROM entries
                 WHERE conversation_id = ?1 AND seq < ?2 AND position IS NOT NULL
                 ORDER BY seq DESC LIMIT 1",
                params![conversation.as_str(), seq],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Makes `conv` (new, or `None` to switch back to an existing one named by
    /// `agent.conversation_id`) the agent's current conversation, with `item` queued in it, in
    /// one transaction.
    pub fn switch_conversation(
        &mut self,
        agent: &AgentRecord,
        conv: Option<&ConversationRecord>,
        item: Option<&QueuedItem>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        if let Some(c) = conv {
            insert_conversation(&tx, c)?;
        }
        let n = tx.execute(
            "UPDATE agents SET conversation_id = ?2, topic = ?3, turn_open = 0
             WHERE id = ?1 AND archived_at IS NULL",
            params![
                agent.id.as_str(),
                agent.conversation_id.as_str(),
                agent.topic
            ],
        )?;
        if n == 0 {
            return Err(CoreError::not_found(format!("agent {}", agent.id)));
        }
        if let Some(item) = item {
            enqueue(&tx, &agent.id, item)?;
        }
        tx.commit()?;
        Ok(())
    }

    // ---- queue ----

    pub fn load_queue(&self, agent: &AgentId) -> Result<Vec<QueuedItem>> {
        let mut st = self.conn.prepare(
            "SELECT id, sender, text, created_at, attachments FROM queue WHERE agent_id = ?1
             ORDER BY ord",
        )?;
        let rows = st.query_map([agent.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, sender, text, created_at, attachments) = row?;
            let attachments: Vec<String> = serde_json::from_str(&attachments)
                .map_err(|e| CoreError::InvalidBody(format!("corrupt queue attachments: {e}")))?;
            let sender: Sender = serde_json::from_str(&sender)
                .map_err(|e| CoreError::InvalidBody(format!("corrupt queue sender: {e}")))?;
            out.push(QueuedItem {
                id: MessageId(id),
                sender,
                text,
                created_at,
                attachments,
            });
        }
        Ok(out)
    }

    pub fn enqueue(&self, agent: &AgentId, item: &QueuedItem) -> Result<()> {
        enqueue(&self.conn, agent, item)
    }

    pub fn dequeue(&self, id: &MessageId) -> Result<()> {
        self.conn
            .execute("DELETE FROM queue WHERE id = ?1", [id.as_str()])?;
        Ok(())
    }

    /// Delivers a turn atomically: the queued messages leave the queue, the user entry is
    /// written and the agent's turn is marked open.
    pub fn deliver_turn(
        &mut self,
        agent: &AgentId,
        message_ids: &[MessageId],
        entry: &NewEntry,
    ) -> Result<Entry> {
        let tx = self.conn.transaction()?;
        for id in message_ids {
            tx.execute("DELETE FROM queue WHERE id = ?1", [id.as_str()])?;
        }
        tx.execute(
            "UPDATE agents SET turn_open = 1 WHERE id = ?1",
            [agent.as_str()],
        )?;
        let e = upsert_entry(&tx, entry)?;
        tx.commit()?;
        Ok(e)
    }

    pub fn set_turn_open(&self, agent: &AgentId, open: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE agents SET turn_open = ?2 WHERE id = ?1",
            params![agent.as_str(), open],
        )?;
        Ok(())
    }

    // ---- entries ----

    /// Inserts an entry, or replaces the body of the entry with the same id (keeping its seq).
    pub fn upsert_entry(&self, entry: &NewEntry) -> Result<Entry> {
        upsert_entry(&self.conn, entry)
    }

    /// Entries of a conversation's log with `seq < before`, the newest `limit` of them, oldest
    /// first. The log of a fork is its ancestors' entries up to each fork point plus its own
    /// ([`Store::chain`]); seqs are global, so one query pages through all of them. Also says
    /// whether older entries exist.
    pub fn page_entries(
        &self,
        conversation: &ConversationId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<Entry>, bool)> {
        let before = before.unwrap_or(i64::MAX);
        let chain = self.chain(conversation)?;
        let mut sql = String::from(
            "SELECT seq, id, conversation_id, ts, data FROM entries WHERE seq < ?1 AND (",
        );
        let mut args: Vec<rusqlite::types::Value> = vec![before.into()];
        for (i, (conv, bound)) in chain.iter().enumerate() {
            if i > 0 {
                sql.push_str(" OR ");
            }
            let n = args.len();
            sql.push_str(&format!(
                "(conversation_id = ?{} AND seq < ?{})",
                n + 1,
                n + 2
            ));
            args.push(conv.0.clone().into());
            args.push((*bound).into());
        }
        sql.push_str(&format!(") ORDER BY seq DESC LIMIT ?{}", args.len() + 1));
        args.push((i64::from(limit) + 1).into());
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), row_to_entry)?;
        let mut entries: Vec<Entry> = rows.collect::<rusqlite::Result<_>>()?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        entries.reverse();
        Ok((entries, more))
    }

    /// Inserts many entries in one transaction (imports, benchmarks and large test fixtures:
    /// one fsync instead of one per entry).
    pub fn insert_entries(&mut self, entries: &[NewEntry]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for e in entries {
            upsert_entry(&tx, e)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Number of stored entries (all conversations).
    pub fn count_entries(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get::<_, i64>(0))?
            as u64)
    }
}

/// An entry to write (the seq is assigned by the database).
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub id: EntryId,
    pub conversation_id: ConversationId,
    pub ts: i64,
    pub body: EntryBody,
    /// The backend position a turn reached (on its `turn_end` entry): where an edit of the
    /// next user message forks.
    pub position: Option<String>,
}

fn entry_kind(body: &EntryBody) -> &'static str {
    match body {
        EntryBody::User { .. } => "user",
        EntryBody::Assistant { .. } => "assistant",
        EntryBody::Thinking { .. } => "thinking",
        EntryBody::ToolCall { .. } => "tool_call",
        EntryBody::Error { .. } => "error",
        EntryBody::System { .. } => "system",
        EntryBody::TurnEnd { .. } => "turn_end",
        EntryBody::File { .. } => "file",
        EntryBody::Diff { .. } => "diff",
        EntryBody::EditFile { .. } => "edit_file",
        EntryBody::TerminalCommand { .. } => "terminal_command",
    }
}

fn enqueue(conn: &Connection, agent: &AgentId, item: &QueuedItem) -> Result<()> {
    conn.execute(
        "INSERT INTO queue(id, agent_id, sender, text, created_at, ord, attachments)
         VALUES (?1, ?2, ?3, ?4, ?5,
                 (SELECT COALESCE(MAX(ord), 0) + 1 FROM queue WHERE agent_id = ?2), ?6)",
        params![
            item.id.as_str(),
            agent.as_str(),
            json(&item.sender),
            item.text,
            item.created_at,
            json(&item.attachments)
        ],
    )?;
    Ok(())
}

fn upsert_entry(conn: &Connection, e: &NewEntry) -> Result<Entry> {
    let data = json(&e.body);
    let seq: i64 = conn.query_row(
        "INSERT INTO entries(id, conversation_id, ts, kind, data, position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET data = excluded.data, kind = excluded.kind,
             position = COALESCE(excluded.position, position)
         RETURNING seq",
        params![
            e.id.as_str(),
            e.conversation_id.as_str(),
            e.ts,
            entry_kind(&e.body),
            data,
            e.position
        ],
        |r| r.get(0),
    )?;
    Ok(Entry {
        id: e.id.clone(),
        conversation_id: e.conversation_id.clone(),
        seq,
        ts: e.ts,
        body: e.body.clone(),
    })
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let data: String = r.get(4)?;
    let body: EntryBody = serde_json::from_str(&data).unwrap_or_else(|e| EntryBody::Error {
        message: format!("unreadable stored entry: {e}"),
        hint: None,
    });
    Ok(Entry {
        seq: r.get(0)?,
        id: EntryId(r.get(1)?),
        conversation_id: ConversationId(r.get(2)?),
        ts: r.get(3)?,
        body,
    })
}

fn insert_conversation(conn: &Connection, c: &ConversationRecord) -> Result<()> {
    conn.execute(
        "INSERT INTO conversations(id, agent_id, backend_session_id, forked_from, topic,
             created_at, fork_before, fork_session, fork_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            c.id.as_str(),
            c.agent_id.as_str(),
            c.backend_session_id,
            c.forked_from.as_ref().map(|f| f.as_str()),
            c.topic,
            c.created_at,
            c.fork.as_ref().map(|f| f.before),
            c.fork
                .as_ref()
                .and_then(|f| f.backend.as_ref())
                .map(|b| b.0.as_str()),
            c.fork
                .as_ref()
                .and_then(|f| f.backend.as_ref())
                .map(|b| b.1.as_str()),
        ],
    )?;
    Ok(())
}

fn row_to_conversation(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationRecord> {
    Ok(ConversationRecord {
        id: ConversationId(r.get(0)?),
        agent_id: AgentId(r.get(1)?),
        backend_session_id: r.get(2)?,
        forked_from: r.get::<_, Option<String>>(3)?.map(ConversationId),
        created_at: r.get(4)?,
        topic: r.get(5)?,
        fork: r.get::<_, Option<i64>>(6)?.map(|before| ForkPoint {
            before,
            backend: r
                .get::<_, Option<String>>(7)
                .ok()
                .flatten()
                .zip(r.get::<_, Option<String>>(8).ok().flatten()),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::{SenderKind, UserLine};

    fn agent() -> AgentRecord {
        AgentRecord {
            id: "ag_1".into(),
            name: "Ada".into(),
            room_id: "rm_1".into(),
            desk: 1,
            look: Look::default(),
            cwd: "/tmp".into(),
            backend: BackendKind::Demo,
            model: "demo".into(),
            permission_mode: PermissionMode::Default,
            effort: Effort::Medium,
            prompt: String::new(),
            topic: None,
            conversation_id: "cv_1".into(),
            usage: Usage::default(),
            created_at: 1,
            turn_open: false,
        }
    }

    fn text_entry(id: &str, text: &str) -> NewEntry {
        NewEntry {
            id: id.into(),
            conversation_id: "cv_1".into(),
            ts: 5,
            body: EntryBody::Assistant { text: text.into() },
            position: None,
        }
    }

    #[test]
    fn agents_round_trip_and_archive() {
        let mut s = Store::open_in_memory().unwrap();
        let mut a = agent();
        s.insert_agent(&a).unwrap();
        a.name = "Ada Lovelace".into();
        a.usage.input_tokens = 7;
        s.update_agent(&a).unwrap();
        assert_eq!(s.load_agents().unwrap(), vec![a.clone()]);
        s.archive_agent(&a.id).unwrap();
        assert!(s.load_agents().unwrap().is_empty());
        assert!(s.update_agent(&a).is_err());
        // The conversation is kept.
        assert_eq!(s.list_conversations(&a.id).unwrap().len(), 1);
    }

    #[test]
    fn entries_page_backwards_oldest_first() {
        let s = Store::open_in_memory().unwrap();
        for i in 0..7 {
            s.upsert_entry(&text_entry(&format!("e{i}"), &format!("t{i}")))
                .unwrap();
        }
        let (page, more) = s.page_entries(&"cv_1".into(), None, 3).unwrap();
        let ids: Vec<_> = page.iter().map(|e| e.id.0.clone()).collect();
        assert_eq!(ids, ["e4", "e5", "e6"]);
        assert!(more);
        let (page2, more2) = s
            .page_entries(&"cv_1".into(), Some(page[0].seq), 3)
            .unwrap();
        let ids2: Vec<_> = page2.iter().map(|e| e.id.0.clone()).collect();
        assert_eq!(ids2, ["e1", "e2", "e3"]);
        assert!(more2);
        let (page3, more3) = s
            .page_entries(&"cv_1".into(), Some(page2[0].seq), 3)
            .unwrap();
        assert_eq!(page3.len(), 1);
        assert!(!more3);
    }

    fn conv(id: &str, parent: Option<(&str, i64)>) -> ConversationRecord {
        ConversationRecord {
            id: id.into(),
            agent_id: "ag_1".into(),
            backend_session_id: None,
            forked_from: parent.map(|(p, _)| p.into()),
            created_at: 1,
            topic: None,
            fork: parent.map(|(_, before)| ForkPoint {
                before,
                backend: Some(("sess".into(), "pos".into())),
            }),
        }
    }

    fn entry_in(s: &Store, conv: &str, id: &str, position: Option<&str>) -> i64 {
        s.upsert_entry(&NewEntry {
            conversation_id: conv.into(),
            position: position.map(Into::into),
            ..text_entry(id, id)
        })
        .unwrap()
        .seq
    }

    #[test]
    fn a_forks_log_is_its_ancestors_up_to_each_fork_point_then_its_own() {
        let mut s = Store::open_in_memory().unwrap();
        s.insert_conversation(&conv("cv_1", None)).unwrap();
        entry_in(&s, "cv_1", "a1", None);
        let a2 = entry_in(&s, "cv_1", "a2", Some("p-a2"));
        let a3 = entry_in(&s, "cv_1", "a3", None);
        entry_in(&s, "cv_1", "a4", Some("p-a4"));
        // cv_2 forks cv_1 before a3; cv_3 forks cv_2 before its own b2.
        s.insert_conversation(&conv("cv_2", Some(("cv_1", a3))))
            .unwrap();
        entry_in(&s, "cv_2", "b1", None);
        let b2 = entry_in(&s, "cv_2", "b2", None);
        entry_in(&s, "cv_1", "a5", None);
        s.insert_conversation(&conv("cv_3", Some(("cv_2", b2))))
            .unwrap();
        entry_in(&s, "cv_3", "c1", None);
        assert_eq!(
            s.chain(&"cv_3".into()).unwrap(),
            vec![
                ("cv_3".into(), i64::MAX),
                ("cv_2".into(), b2),
                ("cv_1".into(), a3)
            ]
        );
        let ids = |v: Vec<Entry>| v.into_iter().map(|e| e.id.0).collect::<Vec<_>>();
        let (all, more) = s.page_entries(&"cv_3".into(), None, 100).unwrap();
        assert_eq!(ids(all), ["a1", "a2", "b1", "c1"]);
        assert!(!more);
        let (page, more) = s.page_entries(&"cv_3".into(), None, 2).unwrap();
        assert_eq!(ids(page.clone()), ["b1", "c1"]);
        assert!(more);
        let (older, more) = s
            .page_entries(&"cv_3".into(), Some(page[0].seq), 2)
            .unwrap();
        assert_eq!(ids(older), ["a1", "a2"]);
        assert!(!more);
        // The original and the middle fork are unchanged by their descendants.
        let (orig, _) = s.page_entries(&"cv_1".into(), None, 100).unwrap();
        assert_eq!(ids(orig), ["a1", "a2", "a3", "a4", "a5"]);
        let (mid, _) = s.page_entries(&"cv_2".into(), None, 100).unwrap();
        assert_eq!(ids(mid), ["a1", "a2", "b1", "b2"]);
        // Positions: the last one before a seq, within that conversation only.
        assert_eq!(
            s.position_before(&"cv_1".into(), a3).unwrap(),
            Some("p-a2".into())
        );
        assert_eq!(s.position_before(&"cv_1".into(), a2).unwrap(), None);
        assert_eq!(s.position_before(&"cv_2".into(), b2).unwrap(), None);
        // Listing: who was branched from, and the stored fork point.
        s.insert_agent(&agent()).ok();
        let listed = s.list_conversations(&"ag_1".into()).unwrap();
        let flags: Vec<(String, bool)> = listed
            .iter()
            .map(|(c, _, b)| (c.id.0.clone(), *b))
            .collect();
        assert!(flags.contains(&("cv_1".into(), true)));
        assert!(flags.contains(&("cv_2".into(), true)));
        assert!(flags.contains(&("cv_3".into(), false)));
        let c3 = s.conversation(&"cv_3".into()).unwrap().unwrap();
        assert_eq!(c3, conv("cv_3", Some(("cv_2", b2))));
    }

    #[test]
    fn upsert_keeps_the_seq() {
        let s = Store::open_in_memory().unwrap();
        let a = s.upsert_entry(&text_entry("e1", "one")).unwrap();
        s.upsert_entry(&text_entry("e2", "two")).unwrap();
        let b = s.upsert_entry(&text_entry("e1", "one, edited")).unwrap();
        assert_eq!(a.seq, b.seq);
        let (page, _) = s.page_entries(&"cv_1".into(), None, 10).unwrap();
        assert_eq!(
            page[0].body,
            EntryBody::Assistant {
                text: "one, edited".into()
            }
        );
    }

    #[test]
    fn delivering_a_turn_moves_messages_out_of_the_queue_atomically() {
        let mut s = Store::open_in_memory().unwrap();
        let a = agent();
        s.insert_agent(&a).unwrap();
        let sender = Sender {
            kind: SenderKind::Human,
            id: "mb_1".into(),
            name: "Nil".into(),
            device: None,
        };
        for i in 0..2 {
            s.enqueue(
                &a.id,
                &QueuedItem {
                    id: format!("m{i}").into(),
                    sender: sender.clone(),
                    text: format!("hi {i}"),
                    created_at: i,
                    attachments: vec![format!("{}.png", "a".repeat(64))],
                },
            )
            .unwrap();
        }
        let queued = s.load_queue(&a.id).unwrap();
        assert_eq!(queued.len(), 2);
        assert_eq!(
            queued[1].attachments,
            vec![format!("{}.png", "a".repeat(64))]
        );
        let entry = NewEntry {
            id: "e1".into(),
            conversation_id: a.conversation_id.clone(),
            ts: 1,
            body: EntryBody::User {
                messages: vec![UserLine {
                    sender,
                    text: "hi 0\nhi 1".into(),
                    attachments: vec![],
                }],
            },
            position: None,
        };
        s.deliver_turn(&a.id, &["m0".into(), "m1".into()], &entry)
            .unwrap();
        assert!(s.load_queue(&a.id).unwrap().is_empty());
        assert!(s.load_agents().unwrap()[0].turn_open);
    }

    #[test]
    fn office_settings_default_and_round_trip() {
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.office_settings().unwrap().name, "Isomux");
        let mut o = s.office_settings().unwrap();
        o.prompt = "be kind".into();
        o.env.insert("A".into(), "1".into());
        s.put_office_settings(&o).unwrap();
        assert_eq!(s.office_settings().unwrap(), o);
    }
}
