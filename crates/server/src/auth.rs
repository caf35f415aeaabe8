//! Who is calling and whether they may: the session cookie, bearer tokens (agents' tokens from
//! loopback peers only, personal API tokens from anywhere), the Origin check, and the public
//! invite/accept/logout endpoints.

use crate::error::ApiError;
use crate::{AppState, MAX_BODY_BYTES};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use isomux_core::Caller;
use isomux_protocol::{ErrorCode, Role, op::responses::MeBody};
use serde::Deserialize;

/// Cookie name over plain HTTP.
pub const COOKIE: &str = "isomux_session";
/// Cookie name over HTTPS (`__Host-` prefix).
pub const SECURE_COOKIE: &str = "__Host-isomux_session";

/// How a caller authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    /// A cookie session (browsers, phones).
    Cookie,
    /// `Authorization: Bearer` (agents' curl); Origin does not apply.
    Bearer,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Authed {
    pub caller: Caller,
    pub via: Via,
}

pub(crate) fn cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// The value of cookie `name`, if sent.
pub(crate) fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Prefix of agent bearer tokens.
pub const AGENT_TOKEN_PREFIX: &str = "isx_agent_";

/// Whether a peer may present an agent token: agents run on the office's own machine. On a
/// dual-stack listener (`[::]`) IPv4 peers arrive as mapped addresses (`::ffff:127.0.0.1`),
/// hence the canonical form.
pub(crate) fn agent_peer_allowed(peer: Option<std::net::SocketAddr>) -> bool {
    peer.is_some_and(|p| p.ip().to_canonical().is_loopback())
}

/// Authenticates a request from its headers and peer (401 when there are no valid
/// credentials). Agent tokens count only from loopback peers.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> Result<Authed, ApiError> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    {
        if token.starts_with(AGENT_TOKEN_PREFIX)
            && agent_peer_allowed(peer)
            && let Some(caller) = state.office.agent_by_token(token).await
        {
            return Ok(Authed {
                caller,
                via: Via::Bearer,
            });
        }
        // Personal API tokens work from anywhere; attribution is the token's member, labelled
        // with the token's name.
        if let Some((member, name)) = state.auth.api_token(token)? {
            return Ok(Authed {
                caller: Caller::Human {
                    member_id: member.id,
                    name: member.name,
                    role: member.role,
                    device: Some(name),
                },
                via: Via::Bearer,
            });
        }
        return Err(ApiError::unauthorized());
    }
    if let Some(token) = read_cookie(headers, cookie_name(state))
        && let Some(session) = state.auth.session(token)?
    {
        let caller = Caller::Human {
            member_id: session.member.id,
            name: session.member.name,
            role: session.member.role,
            device: session.device,
        };
        return Ok(Authed {
            caller,
            via: Via::Cookie,
        });
    }
    Err(ApiError::unauthorized())
}

/// Whether the request's `Origin` is one of the office's own.
pub(crate) fn origin_allowed(
    state: &AppState,
    headers: &HeaderMap,
    allow_fetch_site: bool,
) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return state.config.origins.iter().any(|o| o == origin);
    }
    allow_fetch_site
        && headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "same-origin")
}

/// Origin is enforced on cookie-authenticated state-changing requests.
pub(crate) fn check_origin(
    state: &AppState,
    authed: &Authed,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if matches!(authed.via, Via::Bearer)
        || *method == Method::GET
        || *method == Method::HEAD
        || origin_allowed(state, headers, true)
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "cross-origin request refused: state-changing requests must come from the office's own \
         pages (Origin check)",
    ))
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/i/{token}", get(invite_page))
        .route("/auth/accept", post(accept))
        .route("/auth/logout", post(logout))
}

fn token_page(status: StatusCode, body: String) -> Response {
    let mut res = (status, Html(body)).into_response();
    let h = res.headers_mut();
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    res
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4efe6;color:#2d2a26;\
display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}\
main{background:#fff;padding:2rem;border-radius:16px;box-shadow:0 6px 30px #0002;max-width:26rem;width:90%}\
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}\
button{margin-top:1.2rem;width:100%;padding:.7rem;font-size:1rem;background:#4f7cff;color:#fff;border:0;border-radius:8px;cursor:pointer}";

/// The confirm page of an invite link. Shows; never consumes.
/// Peeking is rate-limited like accepting (a valid/invalid answer is a token oracle).
async fn invite_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    extensions: axum::http::Extensions,
) -> Response {
    let ip = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let now = std::time::Instant::now();
    if let Some(ip) = ip
        && !state.accept_limiter.allowed(ip, now)
    {
        return rate_limited();
    }
    let role = match state.auth.peek_invite(&token) {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(role) = role else {
        if let Some(ip) = ip {
            state.accept_limiter.failed(ip, now);
        }
        return token_page(
            StatusCode::BAD_REQUEST,
            format!(
                "<!doctype html><html><head><meta charset=utf-8><meta name=viewport \
                 content='width=device-width,initial-scale=1'><title>Isomux invite</title>\
                 <style>{PAGE_STYLE}</style></head><body><main id=invite-invalid><h1>Invite not valid</h1>\
                 <p>This invite link is invalid, expired or already used. Ask the office owner \
                 for a new one (the owner can run <code>isomux invite --owner</code>).</p>\
                 </main></body></html>"
            ),
        );
    };
    let what = match role {
        Role::Owner => "You are signing in as the <b>owner</b> of this office.",
        Role::Member => "You have been invited to join this office as a member.",
    };
    token_page(
        StatusCode::OK,
        format!(
            "<!doctype html><html><head><meta charset=utf-8><meta name=viewport \
             content='width=device-width,initial-scale=1'><title>Join the Isomux office</title>\
             <style>{PAGE_STYLE}</style></head><body><main><h1>Join the office</h1><p>{what}</p>\
             <form id=accept-form method=post action=/auth/accept>\
             <input type=hidden name=token value=\"{token}\">\
             <label for=name>Your name</label><input id=name name=name maxlength=40 \
             placeholder=\"{placeholder}\">\
             <label for=device>This device (optional)</label><input id=device name=device \
             maxlength=40 placeholder=\"Laptop, Phone…\">\
             <button id=accept type=submit>Enter the office</button></form></main></body></html>",
            token = escape(&token),
            placeholder = if role == Role::Owner {
                "Owner"
            } else {
                "Guest"
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    device: Option<String>,
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub(crate) fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=31536000{secure}",
        cookie_name(state)
    ))
    .expect("token is base64url")
}

/// Consumes an invite and opens a cookie session. Failed attempts drain the peer's bucket;
/// an empty bucket is 429 before the token is looked at.
async fn accept(State(state): State<AppState>, req: Request) -> Response {
    let ip = crate::api::peer(&req).map(|p| p.ip().to_canonical());
    let now = std::time::Instant::now();
    if let Some(ip) = ip
        && !state.accept_limiter.allowed(ip, now)
    {
        return rate_limited();
    }
    let res = accept_inner(&state, req).await;
    if let Some(ip) = ip
        && (res.status().is_client_error() && res.status() != StatusCode::PAYLOAD_TOO_LARGE)
    {
        state.accept_limiter.failed(ip, now);
    }
    res
}

fn rate_limited() -> Response {
    let mut res = ApiError::new(
        ErrorCode::RateLimited,
        "too many failed sign-in attempts from your address; wait a minute",
    )
    .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    res
}

async fn accept_inner(state: &AppState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let form = is_form(&headers);
    let body: Bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .into_response();
        }
    };
    let parsed: Result<AcceptBody, String> = if form {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    };
    let b = match parsed {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                ErrorCode::InvalidBody,
                format!("expected {{\"token\": \"...\"}}: {e}"),
            )
            .into_response();
        }
    };
    let result = state
        .auth
        .accept(&b.token, b.name.as_deref(), b.device.as_deref());
    let (token, session) = match result {
        Ok(ok) => ok,
        Err(e) => {
            let err = ApiError::from(e);
            if form {
                return token_page(
                    err.status(),
                    format!(
                        "<!doctype html><html><head><meta charset=utf-8><title>Isomux</title>\
                         <style>{PAGE_STYLE}</style></head><body><main id=invite-invalid>\
                         <h1>Could not sign in</h1><p>{}</p></main></body></html>",
                        escape(&err.0.error.message)
                    ),
                );
            }
            return err.into_response();
        }
    };
    let cookie = session_cookie(state, &token);
    let mut res = if form {
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response()
    } else {
        let me = isomux_core::to_proto::me(&Caller::Human {
            member_id: session.member.id,
            name: session.member.name,
            role: session.member.role,
            device: session.device,
        });
        axum::Json(MeBody { me }).into_response()
    };
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Ends the caller's cookie session.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let authed = match authenticate(&state, &headers, None).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = check_origin(&state, &authed, &Method::POST, &headers) {
        return e.into_response();
    }
    if let Some(token) = read_cookie(&headers, cookie_name(&state))
        && let Err(e) = state.auth.revoke_session(token)
    {
        return ApiError::from(e).into_response();
    }
    let mut res = axum::Json(serde_json::json!({"ok": true})).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
            cookie_name(&state)
        ))
        .expect("static"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_tokens_count_only_from_loopback_peers() {
        for ok in [
            "127.0.0.1:5000",
            "127.9.9.9:1",
            "[::1]:80",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(agent_peer_allowed(Some(ok.parse().unwrap())), "{ok}");
        }
        for bad in [
            "10.0.0.5:5000",
            "192.168.1.2:80",
            "[2001:db8::1]:80",
            "[::ffff:10.0.0.5]:80",
            "0.0.0.0:1",
        ] {
            assert!(!agent_peer_allowed(Some(bad.parse().unwrap())), "{bad}");
        }
        assert!(!agent_peer_allowed(None), "unknown peer");
    }

    #[test]
    fn cookies_are_read_exactly() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; isomux_session=tok; isomux_session_x=no"),
        );
        assert_eq!(read_cookie(&h, COOKIE), Some("tok"));
        assert_eq!(read_cookie(&h, SECURE_COOKIE), None);
    }
}
