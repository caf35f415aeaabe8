//! Managing people and devices: members (role, room access, removal), invites and device links
//! (listed and revoked by prefix, never shown again), cookie sessions (listed, revoked).
//! Who may do what is decided by the office's op handlers; these are the storage operations.

use super::{AuthStore, hash_token, new_token, parse_role, prefix, role_str, row_to_member};
use crate::domain::Member;
use crate::error::{CoreError, Result};
use isomux_protocol::{
    AuthSessionInfo, InviteInfo, InviteStatus, MemberId, MemberInfo, Role, RoomId,
};
use rusqlite::{OptionalExtension, params};

/// The `LIKE` pattern for a public prefix: 8 to 64 lowercase hex chars, else 404 (an unknown
/// or malformed id is `not_found`).
pub(crate) fn prefix_pattern(p: &str, what: &str) -> Result<String> {
    if (8..=64).contains(&p.len())
        && p.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(format!("{p}%"))
    } else {
        Err(CoreError::not_found(format!("{what} {p:?}")))
    }
}

fn rooms_from(json: Option<String>) -> Option<Vec<RoomId>> {
    json.and_then(|j| serde_json::from_str(&j).ok())
}

impl AuthStore {
    /// Every current member, oldest first.
    pub fn list_members(&self) -> Result<Vec<MemberInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, role, rooms, created_at FROM members WHERE removed_at IS NULL
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MemberInfo {
                id: MemberId(r.get(0)?),
                name: r.get(1)?,
                role: parse_role(&r.get::<_, String>(2)?),
                rooms: rooms_from(r.get(3)?),
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A current member.
    pub fn member(&self, id: &MemberId) -> Result<Member> {
        self.conn()
            .query_row(
                "SELECT id, name, role FROM members WHERE id = ?1 AND removed_at IS NULL",
                [id.as_str()],
                row_to_member,
            )
            .optional()?
            .ok_or_else(|| CoreError::not_found(format!("member {}", id.as_str())))
    }

    /// The rooms a member may see (`None`: every room; owners always see every room).
    pub fn member_rooms(&self, id: &MemberId) -> Result<Option<Vec<RoomId>>> {
        let row: Option<(String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT role, rooms FROM members WHERE id = ?1",
                [id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((role, rooms)) if parse_role(&role) == Role::Member => rooms_from(rooms),
            _ => None,
        })
    }

    fn owner_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM members WHERE role = 'owner' AND removed_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Changes a member's role and/or room access (`rooms: Some(None)`: every room). The last
    /// owner cannot be demoted.
    pub fn update_member(
        &self,
        id: &MemberId,
        role: Option<Role>,
        rooms: Option<Option<Vec<RoomId>>>,
    ) -> Result<MemberInfo> {
        let current = self.member(id)?;
        if current.role == Role::Owner && role == Some(Role::Member) && self.owner_count()? <= 1 {
            return Err(CoreError::conflict(
                "the office needs an owner: promote someone else first",
            ));
        }
        if let Some(role) = role {
            self.conn().execute(
                "UPDATE members SET role = ?2 WHERE id = ?1",
                params![id.as_str(), role_str(role)],
            )?;
        }
        if let Some(rooms) = rooms {
            let json = rooms.map(|r| serde_json::to_string(&r).unwrap_or_else(|_| "[]".into()));
            self.conn().execute(
                "UPDATE members SET rooms = ?2 WHERE id = ?1",
                params![id.as_str(), json],
            )?;
        }
        self.list_members()?
            .into_iter()
            .find(|m| &m.id == id)
            .ok_or_else(|| CoreError::not_found(format!("member {}", id.as_str())))
    }

    /// Removes a member: their sessions, device links and API tokens stop working at once.
    /// The last owner cannot be removed.
    pub fn remove_member(&self, id: &MemberId) -> Result<()> {
        let current = self.member(id)?;
        if current.role == Role::Owner && self.owner_count()? <= 1 {
            return Err(CoreError::conflict("the last owner cannot be removed"));
        }
        let now = crate::time::now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE members SET removed_at = ?2 WHERE id = ?1",
            params![id.as_str(), now],
        )?;
        tx.execute(
            "UPDATE auth_sessions SET revoked_at = ?2 WHERE member_id = ?1 AND revoked_at IS NULL",
            params![id.as_str(), now],
        )?;
        tx.execute(
            "UPDATE invites SET revoked_at = ?2 WHERE member_id = ?1 AND consumed_at IS NULL
             AND revoked_at IS NULL",
            params![id.as_str(), now],
        )?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE member_id = ?1 AND revoked_at IS NULL",
            params![id.as_str(), now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A device link for `member`: accepting it signs in as the same member on a new device.
    pub fn mint_device_link(
        &self,
        member: &MemberId,
        ttl_secs: Option<i64>,
    ) -> Result<(String, InviteInfo)> {
        let m = self.member(member)?;
        let token = new_token();
        let hash = hash_token(&token);
        let now = crate::time::now_ms();
        let ttl = ttl_secs.unwrap_or(super::DEFAULT_INVITE_TTL_SECS).max(1);
        self.conn().execute(
            "INSERT INTO invites(hash, role, member_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash, role_str(m.role), m.id.as_str(), now, now + ttl * 1000],
        )?;
        let info = InviteInfo {
            prefix: prefix(&hash).to_owned(),
            role: m.role,
            member_id: Some(m.id),
            status: InviteStatus::Open,
            created_at: now,
            expires_at: now + ttl * 1000,
        };
        Ok((token, info))
    }

    /// One invite's public view, by its hash.
    pub fn invite_info(&self, hash: &str) -> Result<InviteInfo> {
        self.query_invites("WHERE hash = ?1", params![hash])?
            .pop()
            .ok_or_else(|| CoreError::not_found("invite"))
    }

    fn query_invites(&self, filter: &str, args: impl rusqlite::Params) -> Result<Vec<InviteInfo>> {
        let now = crate::time::now_ms();
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT hash, role, member_id, created_at, expires_at, consumed_at, revoked_at
             FROM invites {filter} ORDER BY created_at DESC, hash"
        ))?;
        let rows = stmt.query_map(args, |r| {
            let hash: String = r.get(0)?;
            let expires_at: i64 = r.get(4)?;
            let consumed: Option<i64> = r.get(5)?;
            let revoked: Option<i64> = r.get(6)?;
            Ok(InviteInfo {
                prefix: prefix(&hash).to_owned(),
                role: parse_role(&r.get::<_, String>(1)?),
                member_id: r.get::<_, Option<String>>(2)?.map(MemberId),
                status: if revoked.is_some() {
                    InviteStatus::Revoked
                } else if consumed.is_some() {
                    InviteStatus::Consumed
                } else if expires_at <= now {
                    InviteStatus::Expired
                } else {
                    InviteStatus::Open
                },
                created_at: r.get(3)?,
                expires_at,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Invites, newest first; `of`: only that member's device links.
    pub fn list_invites(&self, of: Option<&MemberId>) -> Result<Vec<InviteInfo>> {
        match of {
            Some(m) => self.query_invites(
                "WHERE member_id = ?1 AND consumed_at IS NULL",
                params![m.as_str()],
            ),
            None => self.query_invites("", []),
        }
    }

    /// Revokes an unused invite by prefix (`of`: only that member's device links).
    pub fn revoke_invite(&self, p: &str, of: Option<&MemberId>) -> Result<()> {
        let pattern = prefix_pattern(p, "invite")?;
        let n = self.conn().execute(
            "UPDATE invites SET revoked_at = ?2 WHERE hash LIKE ?1 AND consumed_at IS NULL
             AND revoked_at IS NULL AND (?3 IS NULL OR member_id = ?3)",
            params![pattern, crate::time::now_ms(), of.map(MemberId::as_str)],
        )?;
        if n == 0 {
            return Err(CoreError::not_found(format!("open invite {p:?}")));
        }
        Ok(())
    }

    /// Live cookie sessions, newest first; `of`: only that member's.
    pub fn list_sessions(&self, of: Option<&MemberId>) -> Result<Vec<AuthSessionInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT s.hash, s.member_id, m.name, s.device, s.created_at, s.last_seen, s.expires_at
             FROM auth_sessions s JOIN members m ON m.id = s.member_id
             WHERE s.revoked_at IS NULL AND s.expires_at > ?1 AND m.removed_at IS NULL
               AND (?2 IS NULL OR s.member_id = ?2)
             ORDER BY s.created_at DESC, s.hash",
        )?;
        let rows = stmt.query_map(
            params![crate::time::now_ms(), of.map(MemberId::as_str)],
            |r| {
                Ok(AuthSessionInfo {
                    prefix: prefix(&r.get::<_, String>(0)?).to_owned(),
                    member_id: MemberId(r.get(1)?),
                    member_name: r.get(2)?,
                    device: r.get(3)?,
                    created_at: r.get(4)?,
                    last_seen: r.get(5)?,
                    expires_at: r.get(6)?,
                    current: false,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Signs a device out by its session prefix (`of`: only that member's sessions).
    pub fn revoke_session_prefix(&self, p: &str, of: Option<&MemberId>) -> Result<()> {
        let pattern = prefix_pattern(p, "session")?;
        let n = self.conn().execute(
            "UPDATE auth_sessions SET revoked_at = ?2 WHERE hash LIKE ?1 AND revoked_at IS NULL
             AND (?3 IS NULL OR member_id = ?3)",
            params![pattern, crate::time::now_ms(), of.map(MemberId::as_str)],
        )?;
        if n == 0 {
            return Err(CoreError::not_found(format!("session {p:?}")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office_with_member() -> (AuthStore, String, MemberId, String) {
        let a = AuthStore::open_in_memory().unwrap();
        let (t, _) = a.mint_invite(Role::Owner, None).unwrap();
        let (owner_session, _) = a.accept(&t, Some("Olive"), None).unwrap();
        let (t, _) = a.mint_invite(Role::Member, None).unwrap();
        let (member_session, s) = a.accept(&t, Some("Max"), Some("Laptop")).unwrap();
        (a, owner_session, s.member.id, member_session)
    }

    #[test]
    fn device_links_sign_in_as_the_same_member() {
        let (a, _, max, _) = office_with_member();
        let (token, info) = a.mint_device_link(&max, None).unwrap();
        assert_eq!(info.member_id.as_ref(), Some(&max));
        assert_eq!(a.list_invites(Some(&max)).unwrap().len(), 1);
        let (_, s) = a.accept(&token, Some("ignored"), Some("Phone")).unwrap();
        assert_eq!(s.member.id, max);
        assert_eq!(s.member.name, "Max");
        assert_eq!(a.list_sessions(Some(&max)).unwrap().len(), 2);
        assert_eq!(a.list_sessions(None).unwrap().len(), 3);
    }

    #[test]
    fn sessions_are_revoked_by_prefix_and_only_by_their_member() {
        let (a, owner_session, max, member_session) = office_with_member();
        let owner = a.owner().unwrap().unwrap();
        let owner_prefix = prefix(&hash_token(&owner_session)).to_owned();
        // A member cannot revoke someone else's session: 404, nothing changes.
        assert!(matches!(
            a.revoke_session_prefix(&owner_prefix, Some(&max)),
            Err(CoreError::NotFound(_))
        ));
        assert!(a.session(&owner_session).unwrap().is_some());
        for bad in ["", "abc", "ZZZZZZZZ", "../../etc", "%%%%%%%%"] {
            assert!(matches!(
                a.revoke_session_prefix(bad, None),
                Err(CoreError::NotFound(_))
            ));
        }
        let p = prefix(&hash_token(&member_session)).to_owned();
        a.revoke_session_prefix(&p, Some(&max)).unwrap();
        assert!(a.session(&member_session).unwrap().is_none());
        assert!(
            a.revoke_session_prefix(&p, None).is_err(),
            "already revoked"
        );
        assert_eq!(a.list_sessions(Some(&owner.id)).unwrap().len(), 1);
    }

    #[test]
    fn room_access_and_removal() {
        let (a, _, max, member_session) = office_with_member();
        assert_eq!(a.member_rooms(&max).unwrap(), None);
        let m = a
            .update_member(&max, None, Some(Some(vec![RoomId("rm_1".into())])))
            .unwrap();
        assert_eq!(m.rooms, Some(vec![RoomId("rm_1".into())]));
        assert_eq!(
            a.member_rooms(&max).unwrap(),
            Some(vec![RoomId("rm_1".into())])
        );
        a.update_member(&max, None, Some(None)).unwrap();
        assert_eq!(a.member_rooms(&max).unwrap(), None);
        let owner = a.owner().unwrap().unwrap();
        assert!(matches!(
            a.update_member(&owner.id, Some(Role::Member), None),
            Err(CoreError::Conflict { .. })
        ));
        assert!(a.remove_member(&owner.id).is_err());
        a.remove_member(&max).unwrap();
        assert!(a.session(&member_session).unwrap().is_none());
        assert_eq!(a.list_members().unwrap().len(), 1);
        assert!(matches!(a.member(&max), Err(CoreError::NotFound(_))));
    }

    #[test]
    fn invites_list_without_tokens_and_revoke_by_prefix() {
        let (a, _, _, _) = office_with_member();
        let (token, hash) = a.mint_invite(Role::Member, Some(60)).unwrap();
        let list = a.list_invites(None).unwrap();
        assert!(
            list.iter()
                .any(|i| i.prefix == prefix(&hash) && i.status == InviteStatus::Open)
        );
        assert!(!serde_json::to_string(&list).unwrap().contains(&token));
        a.revoke_invite(prefix(&hash), None).unwrap();
        assert_eq!(a.invite_info(&hash).unwrap().status, InviteStatus::Revoked);
        assert!(a.accept(&token, None, None).is_err());
        assert!(a.revoke_invite(prefix(&hash), None).is_err());
    }
}
