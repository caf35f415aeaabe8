//! Wire shapes of the office's people and credentials: members with their room access,
//! invites, cookie sessions (`AuthSessionInfo`, not conversations) and personal API tokens.
//! Secrets never appear here except in the one answer that mints them (shown once).

use crate::ids::{MemberId, RoomId};
use crate::model::Role;
use serde::{Deserialize, Serialize};

/// A member of the office as the owner's settings list them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub id: MemberId,
    pub name: String,
    pub role: Role,
    /// The rooms this member may see; `None`: every room (always `None` for owners).
    #[serde(default)]
    pub rooms: Option<Vec<RoomId>>,
    pub created_at: i64,
}

/// Where an invite stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    Open,
    Consumed,
    Expired,
    Revoked,
}

/// An invite or device link (never its token: that is shown once, as `url`, when minted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteInfo {
    /// First 8 hex chars of the token's SHA-256 (the handle for `DELETE /api/invites/:prefix`).
    pub prefix: String,
    pub role: Role,
    /// A device link signs in as this member; a consumed invite names the member it created.
    #[serde(default)]
    pub member_id: Option<MemberId>,
    pub status: InviteStatus,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A cookie session (one signed-in device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthSessionInfo {
    /// First 8 hex chars of the session token's SHA-256.
    pub prefix: String,
    pub member_id: MemberId,
    pub member_name: String,
    #[serde(default)]
    pub device: Option<String>,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
    /// The session this request came with.
    #[serde(default)]
    pub current: bool,
}

/// A personal API token (`isx_pat_…`) as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub prefix: String,
    pub name: String,
    /// Whose token it is: requests made with it are attributed to this member.
    pub member_id: MemberId,
    pub created_at: i64,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub last_used: Option<i64>,
}
