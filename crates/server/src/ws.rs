//! `GET /ws`: the push channel. Auth and an exact `Origin` match before the upgrade; then
//! `full_state`, then every office event. A lagging connection gets a fresh `full_state`
//! instead of a silent gap. Clients send only `ping` and `presence_update`.

use crate::AppState;
use crate::auth::{authenticate, origin_allowed};
use crate::error::ApiError;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use isomux_core::Caller;
use isomux_core::office::PresenceUpdate;
use isomux_core::visibility::Visibility;
use isomux_protocol::{ClientMessage, ErrorCode, ServerMessage};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often a connection re-checks that its auth session is still valid.
const SESSION_CHECK: Duration = Duration::from_secs(1);

pub(crate) async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    // Agents have no business on the push channel: cookie sessions only (no peer passed).
    let authed = match authenticate(&state, &headers, None).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if !origin_allowed(&state, &headers, false) {
        return ApiError::new(
            ErrorCode::Forbidden,
            "WebSocket refused: its Origin is not this office's",
        )
        .into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => return ApiError::new(ErrorCode::InvalidBody, e.body_text()).into_response(),
    };
    let session_token =
        crate::auth::read_cookie(&headers, crate::auth::cookie_name(&state)).map(str::to_owned);
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| connection(state, authed.caller, session_token, socket))
}

/// The rooms a caller may see (`None`: all). An unreadable store fails closed: no rooms.
fn rooms_of(state: &AppState, caller: &Caller) -> Option<Vec<isomux_protocol::RoomId>> {
    match caller {
        Caller::Human {
            member_id,
            role: isomux_protocol::Role::Member,
            ..
        } => state
            .auth
            .member_rooms(member_id)
            .unwrap_or(Some(Vec::new())),
        _ => None,
    }
}

fn frame(msg: &ServerMessage) -> Message {
    Message::Text(
        serde_json::to_string(msg)
            .unwrap_or_else(|_| r#"{"type":"unknown"}"#.into())
            .into(),
    )
}

async fn connection(
    state: AppState,
    caller: Caller,
    session_token: Option<String>,
    socket: WebSocket,
) {
    let Ok((conn_id, snapshot, mut events)) = state.office.connect(caller.clone()).await else {
        return;
    };
    // A member limited to some rooms sees only those (re-read with the session check).
    let mut view = Visibility::new(rooms_of(&state, &caller));
    let snapshot = view.filter_state(snapshot);
    let (mut tx, mut rx) = socket.split();
    let mut shutdown = state.shutdown.clone();
    let mut check = tokio::time::interval(SESSION_CHECK);
    check.tick().await;
    if tx
        .send(frame(&ServerMessage::FullState(Box::new(snapshot))))
        .await
        .is_err()
    {
        state.office.disconnect(conn_id).await;
        return;
    }
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) => {
                    if let Some(ev) = view.filter_event(&ev)
                        && tx.send(frame(&ev)).await.is_err()
                    {
                        break;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "slow WebSocket client resynced with full_state");
                    let Ok(snap) = state.office.snapshot(caller.clone()).await else { break };
                    let snap = view.filter_state(snap);
                    if tx.send(frame(&ServerMessage::FullState(Box::new(snap)))).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            msg = rx.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<ClientMessage>(&text) {
                        Ok(ClientMessage::Ping) => {
                            if tx.send(frame(&ServerMessage::Pong)).await.is_err() {
                                break;
                            }
                        }
                        Ok(ClientMessage::PresenceUpdate { room_id, agent_id, view, device }) => {
                            state.office.presence(conn_id.clone(), PresenceUpdate {
                                room_id, agent_id, view, device,
                            }).await;
                        }
                        Err(e) => tracing::debug!(error = %e, "ignored a malformed socket frame"),
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = check.tick() => {
                if let Some(token) = &session_token
                    && !matches!(state.auth.session(token), Ok(Some(_)))
                {
                    let _ = tx.send(frame(&ServerMessage::SessionExpired)).await;
                    break;
                }
                let rooms = rooms_of(&state, &caller);
                if !view.same_rooms(&rooms) {
                    // The owner changed this member's rooms: resync with what they may see now.
                    view = Visibility::new(rooms);
                    let Ok(snap) = state.office.snapshot(caller.clone()).await else { break };
                    let snap = view.filter_state(snap);
                    if tx.send(frame(&ServerMessage::FullState(Box::new(snap)))).await.is_err() {
                        break;
                    }
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    let _ = tx.send(Message::Close(None)).await;
    state.office.disconnect(conn_id).await;
}
