//! Schema migrations, applied in order and recorded in `PRAGMA user_version`.
//! Only ever add a migration; never edit one that has shipped.

pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation schema.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE rooms (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        position   INTEGER NOT NULL,
        prompt     TEXT NOT NULL DEFAULT '',
        env        TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
    );
    CREATE TABLE agents (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        room_id         TEXT NOT NULL,
        desk            INTEGER NOT NULL,
        look            TEXT NOT NULL,
        cwd             TEXT NOT NULL,
        backend         TEXT NOT NULL,
        model           TEXT NOT NULL,
        permission_mode TEXT NOT NULL,
        effort          TEXT NOT NULL,
        prompt          TEXT NOT NULL DEFAULT '',
        topic           TEXT,
        conversation_id TEXT NOT NULL,
        usage           TEXT NOT NULL DEFAULT '{}',
        turn_open       INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        archived_at     INTEGER
    );
    CREATE TABLE conversations (
        id                 TEXT PRIMARY KEY,
        agent_id           TEXT NOT NULL,
        backend_session_id TEXT,
        forked_from        TEXT,
        topic              TEXT,
        usage              TEXT NOT NULL DEFAULT '{}',
        created_at         INTEGER NOT NULL
    );
    CREATE INDEX conversations_agent ON conversations(agent_id, created_at);
    CREATE TABLE entries (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        id              TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        ts              INTEGER NOT NULL,
        kind            TEXT NOT NULL,
        data            TEXT NOT NULL
    );
    CREATE INDEX entries_conversation ON entries(conversation_id, seq);
    CREATE TABLE queue (
        id                TEXT PRIMARY KEY,
        agent_id          TEXT NOT NULL,
        sender            TEXT NOT NULL,
        text              TEXT NOT NULL,
        created_at        INTEGER NOT NULL,
        ord               INTEGER NOT NULL
    );
    CREATE INDEX queue_agent ON queue(agent_id, ord);
    CREATE TABLE members (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        role       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        removed_at INTEGER
    );
    CREATE TABLE invites (
        hash        TEXT PRIMARY KEY,
        role        TEXT NOT NULL,
        member_id   TEXT,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        consumed_at INTEGER,
        revoked_at  INTEGER
    );
    CREATE TABLE auth_sessions (
        hash        TEXT PRIMARY KEY,
        member_id   TEXT NOT NULL,
        device      TEXT,
        created_at  INTEGER NOT NULL,
        last_seen   INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    );
    "#,
    // 2: attachments of queued messages (JSON array of stored file names).
    r#"
    ALTER TABLE queue ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
    "#,
    // 3: forks. A conversation forked from another shows the parent's entries with
    // `seq < fork_before`; its backend session starts as a fork of `fork_session` at backend
    // position `fork_at` (NULL: a fresh session). A turn's `turn_end` entry records the
    // backend position reached by that turn (`position`), where a later edit can fork.
    r#"
    ALTER TABLE conversations ADD COLUMN fork_before INTEGER;
    ALTER TABLE conversations ADD COLUMN fork_session TEXT;
    ALTER TABLE conversations ADD COLUMN fork_at TEXT;
    CREATE INDEX conversations_forked_from ON conversations(forked_from);
    ALTER TABLE entries ADD COLUMN position TEXT;
    "#,
    // 4: members' room access (JSON array of room ids; NULL: every room) and personal API
    // tokens (`isx_pat_…`, stored as SHA-256 like every other token).
    r#"
    ALTER TABLE members ADD COLUMN rooms TEXT;
    CREATE TABLE api_tokens (
        hash       TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        member_id  TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used  INTEGER,
        revoked_at INTEGER
    );
    "#,
    // 5: the shared task board. `claimed_by` is set by the compare-and-swap on `status`.
    r#"
    CREATE TABLE tasks (
        id          TEXT PRIMARY KEY,
        title       TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        status      TEXT NOT NULL,
        assignee    TEXT,
        created_by  TEXT NOT NULL,
        claimed_by  TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX tasks_created ON tasks(created_at);
    "#,
];

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_apply_to_an_empty_database() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        super::super::migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, super::MIGRATIONS.len() as i64);
        // Idempotent.
        super::super::migrate(&conn).unwrap();
    }
}
