//! `/api/*`: the router is generated from `isomux_protocol::ROUTES`. One generic handler does,
//! in order: authentication (401) → Origin (403) → role (403) → body (413/400) → the op on the
//! office → the op's JSON body. Unknown `/api` paths are 401 without credentials, 404 with.

use crate::auth::{authenticate, check_origin};
use crate::error::ApiError;
use crate::{AppState, MAX_BODY_BYTES};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use isomux_core::Caller;
use isomux_protocol::{Access, ErrorCode, HttpMethod, Op, ROUTES, Route};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn filter(m: HttpMethod) -> MethodFilter {
    match m {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Delete => MethodFilter::DELETE,
    }
}

/// The `/api` router, one entry per route-table row.
pub(crate) fn router() -> Router<AppState> {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for route in ROUTES {
        let entry = by_path
            .remove(route.path)
            .unwrap_or_else(|| MethodRouter::new().fallback(unknown));
        let entry = entry.on(
            filter(route.method),
            move |state: State<AppState>, req: Request| handle(state, route, req),
        );
        by_path.insert(route.path, entry);
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(path, mr);
    }
    router
        .route("/api", axum::routing::any(unknown))
        .route("/api/{*rest}", axum::routing::any(unknown))
}

/// Unknown `/api` path or method: 401 without credentials, 404/405 with.
async fn unknown(State(state): State<AppState>, req: Request) -> Response {
    if let Err(e) = authenticate(&state, req.headers(), peer(&req)).await {
        return e.into_response();
    }
    ApiError::new(
        ErrorCode::NotFound,
        format!("no such API route: {} {}", req.method(), req.uri().path()),
    )
    .into_response()
}

/// May this caller use a route with this access level?
pub(crate) fn allowed(access: Access, caller: &Caller) -> bool {
    match access {
        Access::Any => true,
        Access::Human => caller.is_human(),
        Access::Owner => caller.is_owner(),
    }
}

async fn handle(State(state): State<AppState>, route: &'static Route, req: Request) -> Response {
    match run(&state, route, req).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The TCP peer, when the server was started with connect info.
pub(crate) fn peer(req: &Request) -> Option<std::net::SocketAddr> {
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0)
}

async fn run(state: &AppState, route: &'static Route, req: Request) -> Result<Value, ApiError> {
    let peer = peer(&req);
    let (mut parts, body) = req.into_parts();
    let authed = authenticate(state, &parts.headers, peer).await?;
    check_origin(state, &authed, &parts.method, &parts.headers)?;
    if !allowed(route.access, &authed.caller) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            match route.access {
                Access::Owner => "only the office owner may do this",
                _ => "agents may not call this route",
            },
        ));
    }
    let params = <axum::extract::Path<BTreeMap<String, String>> as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| ApiError::new(ErrorCode::NotFound, e.body_text()))?;
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body is larger than {MAX_BODY_BYTES} bytes"),
            )
        })?;
    let op = build_op(route, &parts.method, parts.uri.query(), &params.0, &bytes)?;
    let out = state.office.call(authed.caller, op).await?;
    let mut v = serde_json::to_value(out)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("could not encode reply: {e}")))?;
    if route.op_id == "list_auth_sessions" {
        mark_current_session(state, &parts.headers, &mut v);
    }
    Ok(v)
}

/// Marks the session the request came with (`current: true`) in a session list.
fn mark_current_session(state: &AppState, headers: &axum::http::HeaderMap, v: &mut Value) {
    let Some(token) = crate::auth::read_cookie(headers, crate::auth::cookie_name(state)) else {
        return;
    };
    let hash = isomux_core::auth::hash_token(token);
    let mine = isomux_core::auth::prefix(&hash);
    if let Some(list) = v.get_mut("sessions").and_then(Value::as_array_mut) {
        for s in list {
            if s["prefix"] == mine {
                s["current"] = Value::Bool(true);
            }
        }
    }
}

/// Merges the JSON body, the query string and the path parameters into one `Op`.
/// Path parameters win; the `op` tag comes from the route, never from the client.
pub(crate) fn build_op(
    route: &Route,
    method: &Method,
    query: Option<&str>,
    params: &BTreeMap<String, String>,
    body: &[u8],
) -> Result<Op, ApiError> {
    let invalid = |m: String| ApiError::new(ErrorCode::InvalidBody, m);
    let mut obj: Map<String, Value> = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) if *method != Method::GET => m,
            Ok(Value::Object(_)) => return Err(invalid("GET requests take no body".into())),
            Ok(_) => return Err(invalid("the body must be a JSON object".into())),
            Err(e) => return Err(invalid(format!("malformed JSON: {e}"))),
        }
    };
    obj.remove("op");
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q)
            .map_err(|e| invalid(format!("malformed query string: {e}")))?;
        for (k, v) in pairs {
            obj.entry(k).or_insert(Value::String(v));
        }
    }
    for (k, v) in params {
        obj.insert(k.clone(), Value::String(v.clone()));
    }
    obj.insert("op".into(), Value::String(route.op_id.into()));
    serde_json::from_value(Value::Object(obj)).map_err(|e| invalid(format!("invalid request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(id: &str) -> &'static Route {
        isomux_protocol::routes::route(id).unwrap()
    }

    #[test]
    fn path_params_win_over_the_body() {
        let mut params = BTreeMap::new();
        params.insert("agent_id".to_string(), "ag_real".to_string());
        let op = build_op(
            route("send_message"),
            &Method::POST,
            None,
            &params,
            br#"{"text":"hi","agent_id":"ag_spoofed","op":"delete_agent"}"#,
        )
        .unwrap();
        match op {
            Op::SendMessage(m) => assert_eq!(m.agent_id.as_str(), "ag_real"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_bodies_are_invalid_body() {
        let params = BTreeMap::new();
        for body in [&b"{"[..], b"[1,2]", b"\"x\"", br#"{"name":5}"#] {
            let err =
                build_op(route("create_room"), &Method::POST, None, &params, body).unwrap_err();
            assert_eq!(err.0.error.code, ErrorCode::InvalidBody, "{body:?}");
        }
    }

    #[test]
    fn query_strings_fill_get_ops() {
        let mut params = BTreeMap::new();
        params.insert("agent_id".to_string(), "ag_1".to_string());
        let op = build_op(
            route("get_logs"),
            &Method::GET,
            Some("before=10&limit=5"),
            &params,
            b"",
        )
        .unwrap();
        assert_eq!(
            op,
            Op::GetLogs {
                agent_id: "ag_1".into(),
                conversation_id: None,
                before: Some(10),
                limit: Some(5)
            }
        );
    }
}
