//! A logical dump of an office database, to prove that a refused request changed nothing
//! (design §11: the attack suite compares a dump of every table before and after).
//!
//! Read-only and order-independent: every table's schema, then its rows rendered as text and
//! sorted, so the same content always gives the same dump whatever the pages look like.

use anyhow::{Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::fmt::Write as _;
use std::path::Path;

/// Every table of the SQLite database at `db` (the server may be running: WAL readers are fine).
pub fn logical_dump(db: &Path) -> Result<String> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {} read-only", db.display()))?;
    let mut tables = conn.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )?;
    let tables: Vec<(String, String)> = tables
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = String::new();
    for (name, sql) in tables {
        writeln!(out, "-- {sql}")?;
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{}\"", name.replace('"', "\"\"")))?;
        let columns = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut row = Vec::with_capacity(columns);
                for i in 0..columns {
                    row.push(match r.get_ref(i)? {
                        ValueRef::Null => "NULL".to_owned(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => v.to_string(),
                        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
                        ValueRef::Blob(b) => format!("x'{}'", hex(b)),
                    });
                }
                Ok(row.join(", "))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.sort();
        for row in rows {
            writeln!(out, "{name}: {row}")?;
        }
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
