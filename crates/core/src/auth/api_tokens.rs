//! Personal API tokens (`isx_pat_…`) for scripts and office-to-office calls: minted by the
//! owner, shown once, stored as SHA-256, revocable, optionally expiring. A request with one is
//! attributed to the token's member (with the token's name as the device label).

use super::{AuthStore, hash_token, new_token, prefix};
use crate::domain::Member;
use crate::error::{CoreError, Result};
use isomux_protocol::{ApiTokenInfo, MemberId};
use rusqlite::{OptionalExtension, params};

/// Prefix of personal API tokens.
pub const API_TOKEN_PREFIX: &str = "isx_pat_";

/// `last_used` is written at most this often (a script's every request must not be a write).
const LAST_USED_GRANULARITY_MS: i64 = 60 * 1000;

impl AuthStore {
    /// Mints a token for `member`; returns the secret (shown once) and its public view.
    pub fn mint_api_token(
        &self,
        member: &MemberId,
        name: &str,
        ttl_secs: Option<i64>,
    ) -> Result<(String, ApiTokenInfo)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(CoreError::InvalidBody(
                "a token needs a name of 1 to 60 characters (what it is for)".into(),
            ));
        }
        if ttl_secs.is_some_and(|t| t <= 0) {
            return Err(CoreError::InvalidBody("ttl_secs must be positive".into()));
        }
        self.member(member)?;
        let secret = format!("{API_TOKEN_PREFIX}{}", new_token());
        let hash = hash_token(&secret);
        let now = crate::time::now_ms();
        let expires_at = ttl_secs.map(|t| now.saturating_add(t.saturating_mul(1000)));
        self.conn().execute(
            "INSERT INTO api_tokens(hash, name, member_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, name, member.as_str(), now, expires_at],
        )?;
        Ok((
            secret,
            ApiTokenInfo {
                prefix: prefix(&hash).to_owned(),
                name: name.to_owned(),
                member_id: member.clone(),
                created_at: now,
                expires_at,
                last_used: None,
            },
        ))
    }

    /// Usable tokens (not revoked, not expired), newest first.
    pub fn list_api_tokens(&self) -> Result<Vec<ApiTokenInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT hash, name, member_id, created_at, expires_at, last_used FROM api_tokens
             WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?1)
             ORDER BY created_at DESC, hash",
        )?;
        let rows = stmt.query_map([crate::time::now_ms()], |r| {
            Ok(ApiTokenInfo {
                prefix: prefix(&r.get::<_, String>(0)?).to_owned(),
                name: r.get(1)?,
                member_id: MemberId(r.get(2)?),
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
                last_used: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Revokes a token by prefix.
    pub fn revoke_api_token(&self, p: &str) -> Result<()> {
        let pattern = super::manage::prefix_pattern(p, "token")?;
        let n = self.conn().execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE hash LIKE ?1 AND revoked_at IS NULL",
            params![pattern, crate::time::now_ms()],
        )?;
        if n == 0 {
            return Err(CoreError::not_found(format!("token {p:?}")));
        }
        Ok(())
    }

    /// The member and token name a secret authenticates, if it is usable.
    pub fn api_token(&self, secret: &str) -> Result<Option<(Member, String)>> {
        if !secret.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let now = crate::time::now_ms();
        let hash = hash_token(secret);
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT m.id, m.name, m.role, t.name, t.last_used
                 FROM api_tokens t JOIN members m ON m.id = t.member_id
                 WHERE t.hash = ?1 AND t.revoked_at IS NULL
                   AND (t.expires_at IS NULL OR t.expires_at > ?2) AND m.removed_at IS NULL",
                params![hash, now],
                |r| {
                    Ok((
                        super::row_to_member(r)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((member, name, last_used)) = row else {
            return Ok(None);
        };
        if last_used.is_none_or(|t| now - t > LAST_USED_GRANULARITY_MS) {
            conn.execute(
                "UPDATE api_tokens SET last_used = ?2 WHERE hash = ?1",
                params![hash, now],
            )?;
        }
        Ok(Some((member, name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::Role;

    #[test]
    fn api_tokens_are_shown_once_hashed_expiring_and_revocable() {
        let a = AuthStore::open_in_memory().unwrap();
        let owner = a.ensure_owner("Olive").unwrap();
        let (secret, info) = a.mint_api_token(&owner.id, "ci", None).unwrap();
        assert!(secret.starts_with("isx_pat_"));
        assert_eq!(secret.len(), "isx_pat_".len() + 43);
        assert_eq!(info.prefix, prefix(&hash_token(&secret)));
        // Only the hash is stored.
        let stored: String = a
            .conn()
            .query_row("SELECT hash FROM api_tokens", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, hash_token(&secret));
        assert!(!stored.contains(&secret[8..]));
        let (m, name) = a.api_token(&secret).unwrap().unwrap();
        assert_eq!(
            (m.id.clone(), m.role, name.as_str()),
            (owner.id.clone(), Role::Owner, "ci")
        );
        assert!(a.list_api_tokens().unwrap()[0].last_used.is_some());
        assert!(a.api_token("isx_pat_garbage").unwrap().is_none());
        assert!(a.api_token(&secret[1..]).unwrap().is_none());

        // Expiry.
        let (short, _) = a.mint_api_token(&owner.id, "short", Some(60)).unwrap();
        assert!(a.api_token(&short).unwrap().is_some());
        a.conn()
            .execute(
                "UPDATE api_tokens SET expires_at = 1 WHERE hash = ?1",
                [hash_token(&short)],
            )
            .unwrap();
        assert!(a.api_token(&short).unwrap().is_none());
        assert_eq!(a.list_api_tokens().unwrap().len(), 1);

        // Revocation.
        a.revoke_api_token(&info.prefix).unwrap();
        assert!(a.api_token(&secret).unwrap().is_none());
        assert!(matches!(
            a.revoke_api_token(&info.prefix),
            Err(CoreError::NotFound(_))
        ));
        assert!(a.mint_api_token(&owner.id, "  ", None).is_err());
        assert!(a.mint_api_token(&owner.id, "x", Some(0)).is_err());
    }
}
