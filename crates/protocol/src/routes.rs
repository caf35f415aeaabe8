//! The route table: each [`Op`](crate::Op) once, with its HTTP method, path and who may call it.
//! The server's router is built from this table, the attack suite iterates it, and the Tauri
//! bridge uses the same op ids, so a new route is one row here plus one `Op` variant.

/// HTTP methods used by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// Changes state (Origin is enforced for cookie callers).
    pub fn is_state_changing(self) -> bool {
        !matches!(self, Self::Get)
    }
}

/// Who may call a route. Every route requires authentication; there is no "public" access
/// here (the few public endpoints — `/readyz`, the invite page, `/auth/accept` — are not ops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any authenticated caller: owner, member, agent token.
    Any,
    /// Humans only (owner or member), not agent tokens.
    Human,
    /// The owner only.
    Owner,
}

/// One row of the table. Path parameters use axum's `{name}` syntax and are named like the
/// op's fields, so they merge into the op's JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub op_id: &'static str,
    pub method: HttpMethod,
    pub path: &'static str,
    pub access: Access,
}

const fn r(op_id: &'static str, method: HttpMethod, path: &'static str, access: Access) -> Route {
    Route {
        op_id,
        method,
        path,
        access,
    }
}

use Access::*;
use HttpMethod::*;

/// Every API route.
pub const ROUTES: &[Route] = &[
    r("get_state", Get, "/api/state", Any),
    r("get_me", Get, "/api/me", Any),
    r("list_agents", Get, "/api/agents", Any),
    r("spawn_agent", Post, "/api/agents", Human),
    r("update_agent", Patch, "/api/agents/{agent_id}", Any),
    r("delete_agent", Delete, "/api/agents/{agent_id}", Human),
    r("move_agent", Post, "/api/agents/{agent_id}/move", Human),
    r("send_message", Post, "/api/agents/{agent_id}/messages", Any),
    r("send_now", Post, "/api/agents/{agent_id}/send-now", Human),
    r(
        "cancel_queued",
        Delete,
        "/api/agents/{agent_id}/queue/{message_id}",
        Human,
    ),
    r("abort", Post, "/api/agents/{agent_id}/abort", Any),
    r("get_logs", Get, "/api/agents/{agent_id}/logs", Any),
    r(
        "answer_approval",
        Post,
        "/api/agents/{agent_id}/approvals/{approval_id}",
        Human,
    ),
    r(
        "new_conversation",
        Post,
        "/api/agents/{agent_id}/new-conversation",
        Any,
    ),
    r("list_sessions", Get, "/api/agents/{agent_id}/sessions", Any),
    r(
        "edit_message",
        Patch,
        "/api/agents/{agent_id}/messages/{entry_id}",
        Human,
    ),
    r(
        "resume_session",
        Post,
        "/api/agents/{agent_id}/resume",
        Human,
    ),
    r("list_rooms", Get, "/api/rooms", Any),
    r("create_room", Post, "/api/rooms", Human),
    r("update_room", Patch, "/api/rooms/{room_id}", Human),
    r("delete_room", Delete, "/api/rooms/{room_id}", Human),
    r(
        "get_room_settings",
        Get,
        "/api/rooms/{room_id}/settings",
        Any,
    ),
    r(
        "put_room_settings",
        Put,
        "/api/rooms/{room_id}/settings",
        Human,
    ),
    r("get_office_settings", Get, "/api/office/settings", Any),
    r("put_office_settings", Put, "/api/office/settings", Owner),
    r("create_invite", Post, "/api/invites", Owner),
    r("create_device_link", Post, "/api/invites/self", Human),
    r("list_invites", Get, "/api/invites", Human),
    r("revoke_invite", Delete, "/api/invites/{prefix}", Human),
    r("list_auth_sessions", Get, "/api/sessions", Human),
    r(
        "revoke_auth_session",
        Delete,
        "/api/sessions/{prefix}",
        Human,
    ),
    r("list_members", Get, "/api/members", Human),
    r("update_member", Patch, "/api/members/{member_id}", Owner),
    r("remove_member", Delete, "/api/members/{member_id}", Owner),
    r("list_api_tokens", Get, "/api/tokens", Owner),
    r("create_api_token", Post, "/api/tokens", Owner),
    r("revoke_api_token", Delete, "/api/tokens/{prefix}", Owner),
    r("list_tasks", Get, "/api/tasks", Any),
    r("create_task", Post, "/api/tasks", Any),
    r("get_task", Get, "/api/tasks/{task_id}", Any),
    r("update_task", Patch, "/api/tasks/{task_id}", Any),
    r("delete_task", Delete, "/api/tasks/{task_id}", Any),
    r("claim_task", Post, "/api/tasks/{task_id}/claim", Any),
    r("complete_task", Post, "/api/tasks/{task_id}/done", Any),
    r("read_file", Post, "/api/agents/{agent_id}/read-file", Any),
    r("show_diff", Post, "/api/agents/{agent_id}/diff", Any),
    r("edit_file", Post, "/api/agents/{agent_id}/edit-file", Any),
    r(
        "terminal_command",
        Post,
        "/api/agents/{agent_id}/terminal-command",
        Any,
    ),
    r("list_skills", Get, "/api/agents/{agent_id}/skills", Any),
];

/// The row for an op id.
pub fn route(op_id: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.op_id == op_id)
}

/// The names of a path's `{params}`.
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn op_ids_are_unique() {
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(seen.insert(r.op_id), "duplicate op id {}", r.op_id);
        }
    }

    #[test]
    fn method_and_path_pairs_are_unique() {
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "duplicate route {} {}",
                r.method.as_str(),
                r.path
            );
        }
    }

    #[test]
    fn every_route_is_under_api() {
        for r in ROUTES {
            assert!(r.path.starts_with("/api/"), "{}", r.path);
        }
    }

    /// Every op variant has a row, and every row names an op that deserializes: build each op
    /// from its path params filled with dummy ids plus the minimal body and check the tag.
    #[test]
    fn every_route_names_a_deserializable_op() {
        use serde_json::{Value, json};
        let minimal_bodies: &[(&str, Value)] = &[
            (
                "spawn_agent",
                json!({"name":"a","backend":"demo","cwd":"/tmp"}),
            ),
            ("move_agent", json!({"room_id":"rm_1"})),
            ("send_message", json!({"text":"hi"})),
            ("answer_approval", json!({"allow":true})),
            ("update_room", json!({"name":"x"})),
            ("edit_message", json!({"text":"hi"})),
            ("resume_session", json!({"session_id":"cv_1"})),
            ("create_invite", json!({"role":"member"})),
            ("create_api_token", json!({"name":"ci"})),
            ("create_task", json!({"title":"t"})),
            ("read_file", json!({"path":"a.png"})),
            ("edit_file", json!({"path":"a.rs"})),
            ("terminal_command", json!({"command":"ls"})),
        ];
        for r in ROUTES {
            let mut obj = serde_json::Map::new();
            if let Some((_, Value::Object(b))) =
                minimal_bodies.iter().find(|(id, _)| *id == r.op_id)
            {
                obj.extend(b.clone());
            }
            for p in path_params(r.path) {
                obj.insert(p.to_owned(), json!("x_1"));
            }
            obj.insert("op".into(), json!(r.op_id));
            let op: crate::Op = serde_json::from_value(Value::Object(obj))
                .unwrap_or_else(|e| panic!("{}: {e}", r.op_id));
            assert_eq!(op.op_id(), r.op_id);
        }
    }
}
