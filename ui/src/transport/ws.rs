//! The browser's push channel: `GET /ws` on the page's origin. Each (re)connect first loads the
//! snapshot over REST (which is also how a 401 is noticed: a refused upgrade has no status),
//! then opens the socket, whose first frame is a fresh `full_state`. Backoff on loss; ping every 25 s.

use super::rest::js_message;
use super::{ApiError, load_snapshot};
use crate::store::{Auth, Conn, Store};
use isomux_protocol::{ClientMessage, ServerMessage};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// The open socket and the callbacks it holds (dropped together when replaced).
struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

thread_local! {
    static SOCKET: RefCell<Option<Socket>> = const { RefCell::new(None) };
    static ATTEMPT: Cell<u32> = const { Cell::new(0) };
    /// Re-sent on every reconnect so our ghost reappears where we look.
    static LAST_PRESENCE: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub(super) fn start(store: Store) {
    set_interval(|| send_raw(r#"{"type":"ping"}"#), Duration::from_secs(25));
    connect(store);
}

pub(super) fn send(msg: &ClientMessage) {
    let Ok(text) = serde_json::to_string(msg) else {
        return;
    };
    if matches!(msg, ClientMessage::PresenceUpdate { .. }) {
        LAST_PRESENCE.with(|p| *p.borrow_mut() = Some(text.clone()));
    }
    send_raw(&text);
}

fn send_raw(text: &str) {
    SOCKET.with(|s| {
        if let Some(s) = s.borrow().as_ref()
            && s.ws.ready_state() == WebSocket::OPEN
        {
            // A failed send shows up as a close event, which reconnects.
            let _ = s.ws.send_with_str(text);
        }
    });
}

fn connect(store: Store) {
    leptos::task::spawn_local(async move {
        match load_snapshot(store).await {
            Ok(()) => open(store),
            Err(ApiError::Unauthorized) => {}
            Err(_) => retry_later(store),
        }
    });
}

fn retry_later(store: Store) {
    let n = ATTEMPT.with(|a| {
        let n = a.get();
        a.set(n.saturating_add(1));
        n
    });
    let delay = Duration::from_millis((500u64 << n.min(5)).min(15_000));
    set_timeout(move || connect(store), delay);
}

fn url() -> String {
    let loc = window().location();
    let scheme = match loc.protocol().as_deref() {
        Ok("https:") => "wss:",
        _ => "ws:",
    };
    format!("{scheme}//{}/ws", loc.host().unwrap_or_default())
}

fn open(store: Store) {
    let ws = match WebSocket::new(&url()) {
        Ok(ws) => ws,
        Err(e) => {
            store.conn.set(Conn::Offline(js_message(&e)));
            retry_later(store);
            return;
        }
    };
    let on_open = Closure::<dyn FnMut()>::new(move || {
        store.conn.set(Conn::Online);
        if let Some(p) = LAST_PRESENCE.with(|p| p.borrow().clone()) {
            send_raw(&p);
        }
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else {
            return;
        };
        match serde_json::from_str::<ServerMessage>(&text) {
            Ok(msg) => {
                if matches!(msg, ServerMessage::FullState(_)) {
                    ATTEMPT.with(|a| a.set(0));
                }
                store.dispatch(msg);
            }
            Err(e) => leptos::logging::warn!("ignoring a malformed event: {e}"),
        }
    });
    // The old socket is replaced (and its callbacks dropped) by the next `open`, never from
    // inside its own callback.
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_ev: CloseEvent| {
        if store.state.with_untracked(|s| s.auth == Auth::SignedOut) {
            return;
        }
        store
            .conn
            .set(Conn::Offline("connection lost; reconnecting".into()));
        retry_later(store);
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let new = Socket {
        ws,
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    };
    if let Some(old) = SOCKET.with(|s| s.borrow_mut().replace(new)) {
        old.ws.set_onopen(None);
        old.ws.set_onmessage(None);
        old.ws.set_onclose(None);
        let _ = old.ws.close();
    }
}
