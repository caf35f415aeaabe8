//! People and credentials as office ops (invites, device links, cookie sessions, members, API
//! tokens), and room visibility: a member limited to some rooms gets 404 for any room or agent
//! outside them and sees only their rooms in lists and snapshots. Storage is `AuthStore`'s;
//! the decisions of who may do what are here.

use super::Caller;
use super::actor::Office;
use crate::auth::AuthStore;
use crate::error::{CoreError, Result};
use crate::visibility::Visibility;
use isomux_protocol::op::responses::*;
use isomux_protocol::{MemberId, Op, Role, RoomId};
use std::sync::Arc;

/// Longest invite or device link lifetime.
const MAX_INVITE_TTL_SECS: i64 = 365 * 24 * 3600;

fn check_ttl(ttl: Option<i64>) -> Result<()> {
    match ttl {
        Some(t) if !(1..=MAX_INVITE_TTL_SECS).contains(&t) => Err(CoreError::InvalidBody(format!(
            "ttl_secs must be between 1 and {MAX_INVITE_TTL_SECS}"
        ))),
        _ => Ok(()),
    }
}

impl Office {
    /// Applies one op for `caller`, within what the caller may see.
    pub(crate) fn apply(&mut self, caller: &Caller, op: Op) -> Result<OpOutput> {
        let mut view = Visibility::new(self.visible_rooms(caller)?);
        let op = self.check_visible(&view, op)?;
        let out = self.apply_op(caller, op)?;
        Ok(self.filter_output(&mut view, out))
    }

    fn auth(&self) -> Result<Arc<AuthStore>> {
        self.config.auth.clone().ok_or_else(|| {
            CoreError::Forbidden("this office has no member management (no auth store)".into())
        })
    }

    fn invite_url(&self, token: &str) -> String {
        let base = self
            .config
            .public_url
            .as_deref()
            .unwrap_or(&self.config.office_url);
        format!("{}/i/{token}", base.trim_end_matches('/'))
    }

    /// Applies the member/invite/session/token ops.
    pub(crate) fn apply_members(&mut self, caller: &Caller, op: Op) -> Result<OpOutput> {
        let Caller::Human {
            member_id, role, ..
        } = caller
        else {
            return Err(CoreError::Forbidden(
                "agents may not manage members or credentials".into(),
            ));
        };
        let auth = self.auth()?;
        let owner = *role == Role::Owner;
        // A member sees and revokes only their own invites and sessions.
        let mine: Option<&MemberId> = (!owner).then_some(member_id);
        let owner_only = || {
            if owner {
                Ok(())
            } else {
                Err(CoreError::Forbidden(
                    "only the office owner may do this".into(),
                ))
            }
        };
        match op {
            Op::CreateInvite { role, ttl_secs } => {
                owner_only()?;
                check_ttl(ttl_secs)?;
                let (token, hash) = auth.mint_invite(role, ttl_secs)?;
                Ok(OpOutput::InviteCreated(Box::new(InviteCreated {
                    invite: auth.invite_info(&hash)?,
                    url: self.invite_url(&token),
                })))
            }
            Op::CreateDeviceLink { ttl_secs } => {
                check_ttl(ttl_secs)?;
                let (token, invite) = auth.mint_device_link(member_id, ttl_secs)?;
                Ok(OpOutput::InviteCreated(Box::new(InviteCreated {
                    invite,
                    url: self.invite_url(&token),
                })))
            }
            Op::ListInvites => Ok(OpOutput::Invites(InvitesBody {
                invites: auth.list_invites(mine)?,
            })),
            Op::RevokeInvite { prefix } => {
                auth.revoke_invite(&prefix, mine)?;
                Ok(OpOutput::done())
            }
            Op::ListAuthSessions => Ok(OpOutput::AuthSessions(AuthSessionsBody {
                sessions: auth.list_sessions(mine)?,
            })),
            Op::RevokeAuthSession { prefix } => {
                auth.revoke_session_prefix(&prefix, mine)?;
                Ok(OpOutput::done())
            }
            Op::ListMembers => Ok(OpOutput::Members(MembersBody {
                members: auth.list_members()?,
            })),
            Op::UpdateMember {
                member_id: target,
                role,
                rooms,
            } => {
                owner_only()?;
                if let Some(Some(rooms)) = &rooms
                    && let Some(r) = rooms
                        .iter()
                        .find(|r| !self.rooms.iter().any(|x| x.id == **r))
                {
                    return Err(CoreError::not_found(format!("room {}", r.as_str())));
                }
                let member = auth.update_member(&target, role, rooms)?;
                Ok(OpOutput::Member(Box::new(MemberBody { member })))
            }
            Op::RemoveMember { member_id: target } => {
                owner_only()?;
                if &target == member_id {
                    return Err(CoreError::conflict(
                        "you cannot remove yourself; sign out instead",
                    ));
                }
                auth.remove_member(&target)?;
                Ok(OpOutput::done())
            }
            Op::ListApiTokens => {
                owner_only()?;
                Ok(OpOutput::ApiTokens(ApiTokensBody {
                    tokens: auth.list_api_tokens()?,
                }))
            }
            Op::CreateApiToken { name, ttl_secs } => {
                owner_only()?;
                let (secret, token) = auth.mint_api_token(member_id, &name, ttl_secs)?;
                Ok(OpOutput::ApiTokenCreated(Box::new(ApiTokenCreated {
                    token,
                    secret,
                })))
            }
            Op::RevokeApiToken { prefix } => {
                owner_only()?;
                auth.revoke_api_token(&prefix)?;
                Ok(OpOutput::done())
            }
            other => Err(CoreError::InvalidBody(format!(
                "{} is not a member op",
                other.op_id()
            ))),
        }
    }

    /// The rooms `caller` may see (`None`: every room). Read from SQLite each time, so the
    /// owner's change applies to the next request.
    pub(crate) fn visible_rooms(&self, caller: &Caller) -> Result<Option<Vec<RoomId>>> {
        match (caller, &self.config.auth) {
            (
                Caller::Human {
                    member_id,
                    role: Role::Member,
                    ..
                },
                Some(auth),
            ) => auth.member_rooms(member_id),
            _ => Ok(None),
        }
    }

    /// Refuses (404, as if it did not exist) an op naming a room or agent the caller may not
    /// see; a spawn without a room goes to the caller's first room with a free desk. Generic
    /// over ops: any `agent_id`/`room_id` field of the op is checked, so new ops are covered.
    pub(crate) fn check_visible(&self, view: &Visibility, op: Op) -> Result<Op> {
        if view.is_unrestricted() {
            return Ok(op);
        }
        let fields = serde_json::to_value(&op).unwrap_or_default();
        if let Some(id) = fields.get("agent_id").and_then(|v| v.as_str())
            && let Some(a) = self.agents.get(&isomux_protocol::AgentId(id.to_owned()))
            && !view.room_visible(&a.rec.room_id)
        {
            return Err(CoreError::not_found(format!("agent {id}")));
        }
        if let Some(id) = fields.get("assignee").and_then(|v| v.as_str())
            && let Some(a) = self.agents.get(&isomux_protocol::AgentId(id.to_owned()))
            && !view.room_visible(&a.rec.room_id)
        {
            return Err(CoreError::not_found(format!("agent {id}")));
        }
        if let Some(id) = fields.get("room_id").and_then(|v| v.as_str())
            && !view.room_visible(&RoomId(id.to_owned()))
        {
            return Err(CoreError::not_found(format!("room {id}")));
        }
        match op {
            Op::SpawnAgent(mut s) if s.room_id.is_none() => {
                let room = self
                    .rooms
                    .iter()
                    .filter(|r| view.room_visible(&r.id))
                    .find(|r| {
                        self.agents
                            .values()
                            .filter(|a| a.rec.room_id == r.id)
                            .count()
                            < usize::from(super::ops::DESKS_PER_ROOM)
                    })
                    .ok_or_else(|| CoreError::conflict("every room you may use is full"))?;
                s.room_id = Some(room.id.clone());
                Ok(Op::SpawnAgent(s))
            }
            op => Ok(op),
        }
    }

    /// An op's answer as the caller may see it.
    pub(crate) fn filter_output(&self, view: &mut Visibility, out: OpOutput) -> OpOutput {
        if view.is_unrestricted() {
            return out;
        }
        for a in self.agents.values() {
            view.learn(&a.rec.id, &a.rec.room_id);
        }
        match out {
            OpOutput::State(s) => OpOutput::State(Box::new(view.filter_state(*s))),
            OpOutput::Agents(mut a) => {
                a.agents.retain(|a| view.room_visible(&a.room_id));
                OpOutput::Agents(a)
            }
            OpOutput::Rooms(mut r) => {
                r.rooms.retain(|r| view.room_visible(&r.id));
                OpOutput::Rooms(r)
            }
            OpOutput::Tasks(mut t) => {
                t.tasks.retain(|t| view.task_visible(t));
                OpOutput::Tasks(t)
            }
            other => other,
        }
    }
}
