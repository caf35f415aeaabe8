//! Invites, members and cookie sessions. Tokens are 32 random bytes (base64url, 43 chars),
//! stored only as SHA-256 hex; a "prefix" is the first 8 hex chars of the hash.
//!
//! Auth state is always read from SQLite (never only cached), so `isomux invite` from another
//! process works while the server runs. [`AuthStore`] holds its own connection behind a sync
//! mutex: every method is a short synchronous SQLite call and nothing awaits under the lock.

use crate::domain::Member;
use crate::error::{CoreError, Result};
use crate::store::{connect, migrate};
use base64::Engine;
use isomux_protocol::{MemberId, Role};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Mutex;

/// Rolling lifetime of a cookie session.
pub const SESSION_ROLLING_MS: i64 = 30 * 24 * 3600 * 1000;
/// Absolute cap of a cookie session.
pub const SESSION_CAP_MS: i64 = 365 * 24 * 3600 * 1000;
/// Default lifetime of an invite.
pub const DEFAULT_INVITE_TTL_SECS: i64 = 7 * 24 * 3600;

/// 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The public prefix of a hash (first 8 hex chars).
pub fn prefix(hash: &str) -> &str {
    &hash[..hash.len().min(8)]
}

mod api_tokens;
mod manage;

pub use api_tokens::API_TOKEN_PREFIX;

fn role_str(r: Role) -> &'static str {
    match r {
        Role::Owner => "owner",
        Role::Member => "member",
    }
}

fn parse_role(s: &str) -> Role {
    if s == "owner" {
        Role::Owner
    } else {
        Role::Member
    }
}

/// A validated cookie session.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthSession {
    pub member: Member,
    pub device: Option<String>,
    pub hash: String,
}

/// Auth storage on its own SQLite connection.
#[derive(Debug)]
pub struct AuthStore {
    // A sync mutex: each method holds it for one short SQLite call and never across an await.
    conn: Mutex<Connection>,
}

impl AuthStore {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = connect(path)?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether an owner has claimed the office.
    pub fn owner_exists(&self) -> Result<bool> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM members WHERE role = 'owner' AND removed_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// The owner member, if any.
    pub fn owner(&self) -> Result<Option<Member>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, name, role FROM members WHERE role = 'owner' AND removed_at IS NULL
                 ORDER BY created_at LIMIT 1",
                [],
                row_to_member,
            )
            .optional()?)
    }

    /// The owner, created with `name` if the office has none (the desktop app's user is the
    /// owner without an invite).
    pub fn ensure_owner(&self, name: &str) -> Result<Member> {
        if let Some(m) = self.owner()? {
            return Ok(m);
        }
        let m = Member {
            id: MemberId(crate::ids::new_id("mb")),
            name: name.to_owned(),
            role: Role::Owner,
        };
        self.conn().execute(
            "INSERT INTO members(id, name, role, created_at) VALUES (?1, ?2, 'owner', ?3)",
            params![m.id.as_str(), m.name, crate::time::now_ms()],
        )?;
        Ok(m)
    }

    /// Mints an invite; returns the token (shown once) and its hash.
    pub fn mint_invite(&self, role: Role, ttl_secs: Option<i64>) -> Result<(String, String)> {
        let token = new_token();
        let hash = hash_token(&token);
        let now = crate::time::now_ms();
        let ttl = ttl_secs.unwrap_or(DEFAULT_INVITE_TTL_SECS).max(1);
        self.conn().execute(
            "INSERT INTO invites(hash, role, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, role_str(role), now, now + ttl * 1000],
        )?;
        Ok((token, hash))
    }

    /// Revokes every unclaimed owner invite (the desktop, whose user became the owner
    /// without one, makes sure no link to the office's ownership stays claimable).
    pub fn revoke_unclaimed_owner_invites(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE invites SET revoked_at = ?1
             WHERE role = 'owner' AND consumed_at IS NULL AND revoked_at IS NULL",
            [crate::time::now_ms()],
        )?)
    }

    /// A fresh owner link (`isomux invite --owner`, the first start): bound to the existing
    /// owner when there is one (recovery signs in as them), else it creates the owner.
    /// Returns the token.
    ///
    /// The links it replaces are revoked: while nobody owns the office, every unclaimed owner
    /// invite; once an owner exists, the earlier recovery links (bound to an owner), while
    /// owner invites minted for new people stay valid.
    pub fn mint_owner_link(&self) -> Result<String> {
        let replaced = if self.owner_exists()? {
            "member_id IS NOT NULL"
        } else {
            "1 = 1"
        };
        self.conn().execute(
            &format!(
                "UPDATE invites SET revoked_at = ?1
                 WHERE role = 'owner' AND consumed_at IS NULL AND revoked_at IS NULL AND {replaced}"
            ),
            [crate::time::now_ms()],
        )?;
        Ok(match self.owner()? {
            Some(owner) => self.mint_device_link(&owner.id, None)?.0,
            None => self.mint_invite(Role::Owner, None)?.0,
        })
    }

    /// The role of a usable invite, without consuming it (for the confirm page).
    pub fn peek_invite(&self, token: &str) -> Result<Option<Role>> {
        let now = crate::time::now_ms();
        Ok(self
            .conn()
            .query_row(
                "SELECT role FROM invites WHERE hash = ?1 AND consumed_at IS NULL
                 AND revoked_at IS NULL AND expires_at > ?2",
                params![hash_token(token), now],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|s| parse_role(&s)))
    }

    /// Consumes a single-use invite and opens a session. A link bound to a member (a device
    /// link, or an owner recovery link) signs in as that member; any other invite creates a
    /// member with its role.
    /// Returns the session token (for the cookie) and the member.
    pub fn accept(
        &self,
        token: &str,
        name: Option<&str>,
        device: Option<&str>,
    ) -> Result<(String, AuthSession)> {
        let now = crate::time::now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let invite_hash = hash_token(token);
        let row: Option<(String, Option<String>)> = tx
            .query_row(
                "UPDATE invites SET consumed_at = ?2 WHERE hash = ?1 AND consumed_at IS NULL
                 AND revoked_at IS NULL AND expires_at > ?2 RETURNING role, member_id",
                params![invite_hash, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // A device link names its member at mint time: it signs in as them (if still here).
        let device_member = match row.as_ref().and_then(|(_, m)| m.as_deref()) {
            Some(id) => Some(
                tx.query_row(
                    "SELECT id, name, role FROM members WHERE id = ?1 AND removed_at IS NULL",
                    [id],
                    row_to_member,
                )
                .optional()?
                .ok_or_else(|| {
                    CoreError::InviteInvalid("this device link's member was removed".into())
                })?,
            ),
            None => None,
        };
        let Some(role) = row.map(|(r, _)| parse_role(&r)) else {
            return Err(CoreError::InviteInvalid(
                "this invite link is invalid, expired or already used; ask the owner for a new one \
                 (the owner can run `isomux invite --owner`)"
                    .into(),
            ));
        };
        let clean_name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(40).collect::<String>());
        let member = match device_member {
            Some(m) => m,
            None => {
                let m = Member {
                    id: MemberId(crate::ids::new_id("mb")),
                    name: clean_name.unwrap_or_else(|| match role {
                        Role::Owner => "Owner".into(),
                        Role::Member => "Guest".into(),
                    }),
                    role,
                };
                tx.execute(
                    "INSERT INTO members(id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![m.id.as_str(), m.name, role_str(role), now],
                )?;
                m
            }
        };
        tx.execute(
            "UPDATE invites SET member_id = ?2 WHERE hash = ?1",
            params![invite_hash, member.id.as_str()],
        )?;
        let session_token = new_token();
        let hash = hash_token(&session_token);
        let device = device
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(String::from);
        tx.execute(
            "INSERT INTO auth_sessions(hash, member_id, device, created_at, last_seen, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
            params![
                hash,
                member.id.as_str(),
                device,
                now,
                now + SESSION_ROLLING_MS
            ],
        )?;
        tx.commit()?;
        Ok((
            session_token,
            AuthSession {
                member,
                device,
                hash,
            },
        ))
    }

    /// Validates a cookie session token; extends its rolling expiry (at most hourly writes).
    pub fn session(&self, token: &str) -> Result<Option<AuthSession>> {
        let now = crate::time::now_ms();
        let hash = hash_token(token);
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT m.id, m.name, m.role, s.device, s.created_at, s.last_seen
                 FROM auth_sessions s JOIN members m ON m.id = s.member_id
                 WHERE s.hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2
                   AND m.removed_at IS NULL",
                params![hash, now],
                |r| {
                    Ok((
                        Member {
                            id: MemberId(r.get(0)?),
                            name: r.get(1)?,
                            role: parse_role(&r.get::<_, String>(2)?),
                        },
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((member, device, created_at, last_seen)) = row else {
            return Ok(None);
        };
        if now - last_seen > 3600 * 1000 {
            let expires = (now + SESSION_ROLLING_MS).min(created_at + SESSION_CAP_MS);
            conn.execute(
                "UPDATE auth_sessions SET last_seen = ?2, expires_at = ?3 WHERE hash = ?1",
                params![hash, now, expires],
            )?;
        }
        Ok(Some(AuthSession {
            member,
            device,
            hash,
        }))
    }

    /// Ends a session.
    pub fn revoke_session(&self, token: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE auth_sessions SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
            params![hash_token(token), crate::time::now_ms()],
        )?;
        Ok(())
    }
}

fn row_to_member(r: &rusqlite::Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        id: MemberId(r.get(0)?),
        name: r.get(1)?,
        role: parse_role(&r.get::<_, String>(2)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_base64url() {
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(t, new_token());
        let h = hash_token(&t);
        assert_eq!(h.len(), 64);
        assert_eq!(prefix(&h).len(), 8);
    }

    #[test]
    fn invites_are_single_use_and_only_hashes_are_stored() {
        let a = AuthStore::open_in_memory().unwrap();
        assert!(!a.owner_exists().unwrap());
        let (token, hash) = a.mint_invite(Role::Owner, None).unwrap();
        let stored: i64 = a
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM invites WHERE hash = ?1 AND hash != ?2",
                params![hash, token],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, 1);
        // Peeking does not consume.
        assert_eq!(a.peek_invite(&token).unwrap(), Some(Role::Owner));
        assert_eq!(a.peek_invite(&token).unwrap(), Some(Role::Owner));
        let (session, s) = a.accept(&token, Some("Nil"), Some("Laptop")).unwrap();
        assert_eq!(s.member.role, Role::Owner);
        assert_eq!(s.member.name, "Nil");
        assert!(a.owner_exists().unwrap());
        assert!(matches!(
            a.accept(&token, None, None),
            Err(CoreError::InviteInvalid(_))
        ));
        assert_eq!(a.peek_invite(&token).unwrap(), None);
        let got = a.session(&session).unwrap().unwrap();
        assert_eq!(got.member, s.member);
        assert_eq!(got.device.as_deref(), Some("Laptop"));
        assert!(a.session("garbage").unwrap().is_none());
        a.revoke_session(&session).unwrap();
        assert!(a.session(&session).unwrap().is_none());
    }

    #[test]
    fn sessions_roll_for_30_days_up_to_a_year() {
        let a = AuthStore::open_in_memory().unwrap();
        let (t, _) = a.mint_invite(Role::Owner, None).unwrap();
        let (session, s) = a.accept(&t, None, None).unwrap();
        let expiry = || -> i64 {
            a.conn()
                .query_row(
                    "SELECT expires_at FROM auth_sessions WHERE hash = ?1",
                    [&s.hash],
                    |r| r.get(0),
                )
                .unwrap()
        };
        let now = crate::time::now_ms();
        assert!((expiry() - (now + SESSION_ROLLING_MS)).abs() < 60_000);
        // Used again after 20 days: the expiry moves to 30 days from now.
        let day = 24 * 3600 * 1000;
        a.conn()
            .execute(
                "UPDATE auth_sessions SET created_at = ?2, last_seen = ?2, expires_at = ?3
                 WHERE hash = ?1",
                params![s.hash, now - 20 * day, now + 10 * day],
            )
            .unwrap();
        assert!(a.session(&session).unwrap().is_some());
        assert!((expiry() - (now + SESSION_ROLLING_MS)).abs() < 60_000);
        // Near the one-year cap, rolling stops at the cap.
        a.conn()
            .execute(
                "UPDATE auth_sessions SET created_at = ?2, last_seen = ?3 WHERE hash = ?1",
                params![s.hash, now - 360 * day, now - 2 * day],
            )
            .unwrap();
        assert!(a.session(&session).unwrap().is_some());
        assert!((expiry() - (now - 360 * day + SESSION_CAP_MS)).abs() < 60_000);
        // Past its expiry, a session is gone.
        a.conn()
            .execute(
                "UPDATE auth_sessions SET expires_at = ?2 WHERE hash = ?1",
                params![s.hash, now - 1],
            )
            .unwrap();
        assert!(a.session(&session).unwrap().is_none());
    }

    #[test]
    fn ensure_owner_is_idempotent() {
        let a = AuthStore::open_in_memory().unwrap();
        let m = a.ensure_owner("Desk").unwrap();
        assert_eq!(a.ensure_owner("Other").unwrap(), m);
        assert!(a.owner_exists().unwrap());
    }

    #[test]
    fn owner_links_recover_the_owner_and_owner_invites_add_one() {
        let a = AuthStore::open_in_memory().unwrap();
        let first = a.mint_owner_link().unwrap();
        let (_, s1) = a.accept(&first, Some("Olive"), None).unwrap();
        // An owner invite for someone else (pending) and a recovery link.
        let (for_bob, _) = a.mint_invite(Role::Owner, None).unwrap();
        let stale = a.mint_owner_link().unwrap();
        let recovery = a.mint_owner_link().unwrap();
        assert!(
            a.accept(&stale, None, None).is_err(),
            "replaced by the fresh link"
        );
        let (_, s2) = a.accept(&recovery, Some("ignored"), None).unwrap();
        assert_eq!(s2.member, s1.member, "recovery signs in as the owner");
        let (_, bob) = a.accept(&for_bob, Some("Bob"), None).unwrap();
        assert_ne!(bob.member.id, s1.member.id, "a second owner");
        assert_eq!(bob.member.role, Role::Owner);
        assert_eq!(a.list_members().unwrap().len(), 2);
    }

    #[test]
    fn expired_and_revoked_invites_are_refused() {
        let a = AuthStore::open_in_memory().unwrap();
        let (t, h) = a.mint_invite(Role::Member, Some(60)).unwrap();
        a.conn()
            .execute("UPDATE invites SET expires_at = 0 WHERE hash = ?1", [h])
            .unwrap();
        assert!(a.accept(&t, None, None).is_err());
        let (t2, _) = a.mint_invite(Role::Owner, None).unwrap();
        assert_eq!(a.revoke_unclaimed_owner_invites().unwrap(), 1);
        assert!(a.accept(&t2, None, None).is_err());
    }
}
