//! Ops over REST: the route table gives method and path; the op's fields fill the `{params}`
//! and the rest go as the query (GET, `null`s left out) or the JSON body (as the desktop's IPC
//! sends it: a `null` can mean something, e.g. `assignee: null` unassigns a task). Same-origin
//! cookies authenticate.

use super::ApiError;
use isomux_protocol::routes::route;
use isomux_protocol::{HttpMethod, Op};
use serde_json::{Map, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

/// One HTTP request, before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HttpRequest {
    pub method: HttpMethod,
    /// Path and query, relative to the page's origin.
    pub url: String,
    pub body: Option<String>,
}

/// Turn an op into its HTTP request using the route table.
pub(super) fn build(op: &Op) -> Result<HttpRequest, String> {
    let row = route(op.op_id()).ok_or_else(|| format!("no route for {}", op.op_id()))?;
    let mut fields = match serde_json::to_value(op) {
        Ok(Value::Object(m)) => m,
        Ok(_) => Map::new(),
        Err(e) => return Err(e.to_string()),
    };
    fields.remove("op");
    let mut url = String::new();
    for seg in row.path.split('/').filter(|s| !s.is_empty()) {
        url.push('/');
        match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let v = fields
                    .remove(name)
                    .ok_or_else(|| format!("{} needs {name}", op.op_id()))?;
                url.push_str(&encode(&scalar(&v)));
            }
            None => url.push_str(seg),
        }
    }
    if row.method == HttpMethod::Get {
        let query: Vec<String> = fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}={}", encode(k), encode(&scalar(v))))
            .collect();
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        return Ok(HttpRequest {
            method: row.method,
            url,
            body: None,
        });
    }
    Ok(HttpRequest {
        method: row.method,
        url,
        body: Some(Value::Object(fields).to_string()),
    })
}

/// A JSON value as it appears in a path segment or query string.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Send an op with `fetch`.
pub(super) async fn call(op: &Op) -> Result<Value, ApiError> {
    let req = build(op).map_err(ApiError::Network)?;
    let (status, text) = fetch(&req)
        .await
        .map_err(|e| ApiError::Network(js_message(&e)))?;
    if (200..300).contains(&status) {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).map_err(|e| ApiError::Network(e.to_string()));
    }
    Err(ApiError::from_body(Some(status), &text))
}

async fn fetch(req: &HttpRequest) -> Result<(u16, String), JsValue> {
    let init = RequestInit::new();
    init.set_method(req.method.as_str());
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(body) = &req.body {
        init.set_body(&JsValue::from_str(body));
    }
    let request = Request::new_with_str_and_init(&req.url, &init)?;
    request.headers().set("Accept", "application/json")?;
    if req.body.is_some() {
        request.headers().set("Content-Type", "application/json")?;
    }
    let window = leptos::prelude::window();
    let resp: Response = JsFuture::from(window.fetch_with_request(&request))
        .await?
        .dyn_into()?;
    let text = JsFuture::from(resp.text()?).await?;
    Ok((resp.status(), text.as_string().unwrap_or_default()))
}

/// A readable message from a thrown JS value.
pub(super) fn js_message(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::op::SendMessage;

    #[test]
    fn path_params_come_from_fields_and_the_rest_is_the_body() {
        let op = Op::SendMessage(SendMessage {
            agent_id: "ag 1/x".into(),
            text: "hi".into(),
            client_message_id: None,
            steer: false,
            attachments: vec![],
        });
        let r = build(&op).unwrap();
        assert_eq!(r.method, HttpMethod::Post);
        assert_eq!(r.url, "/api/agents/ag%201%2Fx/messages");
        let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"text": "hi", "client_message_id": null, "steer": false, "attachments": []})
        );
    }

    #[test]
    fn an_explicit_null_reaches_the_body() {
        let op = Op::UpdateTask(isomux_protocol::op::UpdateTask {
            task_id: "tk_1".into(),
            title: None,
            description: None,
            assignee: Some(None),
            status: None,
        });
        let r = build(&op).unwrap();
        assert_eq!(r.url, "/api/tasks/tk_1");
        let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(body, serde_json::json!({"assignee": null}));
    }

    #[test]
    fn get_fields_go_to_the_query() {
        let op = Op::GetLogs {
            agent_id: "ag_1".into(),
            conversation_id: None,
            before: None,
            limit: Some(100),
        };
        let r = build(&op).unwrap();
        assert_eq!(r.url, "/api/agents/ag_1/logs?limit=100");
        assert_eq!(r.body, None);
        assert_eq!(build(&Op::GetState).unwrap().url, "/api/state");
    }

    #[test]
    fn two_params_and_delete() {
        let op = Op::CancelQueued {
            agent_id: "ag_1".into(),
            message_id: "ms_2".into(),
        };
        let r = build(&op).unwrap();
        assert_eq!(r.method, HttpMethod::Delete);
        assert_eq!(r.url, "/api/agents/ag_1/queue/ms_2");
        assert_eq!(r.body.as_deref(), Some("{}"));
    }
}
