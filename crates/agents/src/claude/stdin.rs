//! Builders for the lines we write to Claude Code's stdin (`claude-code.md` §3, §5, §6): user
//! messages, our `control_request`s and our `control_response`s to the CLI's requests. Each
//! builder returns a `serde_json::Value`; [`to_line`] frames it. No IO here.

use serde::Serialize;
use serde_json::{Value, json};

/// Frames one message as a stdin line (compact JSON plus `\n`).
pub fn to_line(message: &Value) -> String {
    let mut line = message.to_string();
    line.push('\n');
    line
}

/// A base64 attachment sent as an ordinary Messages API block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attachment {
    /// `{"type":"image","source":{"type":"base64",…}}`.
    Image { media_type: String, data: String },
    /// `{"type":"document","source":{"type":"base64",…},"title"?}` (PDFs).
    Document {
        media_type: String,
        data: String,
        title: Option<String>,
    },
}

impl Attachment {
    fn to_block(&self) -> Value {
        match self {
            Self::Image { media_type, data } => json!({
                "type": "image",
                "source": {"type": "base64", "media_type": media_type, "data": data},
            }),
            Self::Document {
                media_type,
                data,
                title,
            } => {
                let mut block = json!({
                    "type": "document",
                    "source": {"type": "base64", "media_type": media_type, "data": data},
                });
                if let Some(title) = title {
                    block["title"] = json!(title);
                }
                block
            }
        }
    }
}

/// A user message (§3.1): one text block followed by the attachments. `session_id` is ignored
/// by the CLI; the SDK sends `""`, so do we.
pub fn user_message(text: &str, attachments: &[Attachment]) -> Value {
    let mut content = vec![json!({"type": "text", "text": text})];
    content.extend(attachments.iter().map(Attachment::to_block));
    json!({
        "type": "user",
        "session_id": "",
        "message": {"role": "user", "content": content},
        "parent_tool_use_id": null,
    })
}

/// One matcher of `initialize.hooks.<Event>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookMatcher {
    /// Tool name pattern (`"Bash"`); `None` matches every tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    pub hook_callback_ids: Vec<String>,
    /// Seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// The `initialize` request body (§5.2). Every field is optional and omitted when unset, as the
/// SDK does. The stdio permission tool itself is a CLI flag (`--permission-prompt-tool stdio`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Initialize {
    /// `PreToolUse` matchers (the only hook event the office registers today).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<Hooks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_mcp_servers: Option<Vec<String>>,
    /// `Some(vec![""])` is the SDK default (minimal prompt); `None` keeps Claude Code's prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub append_system_prompt: Option<String>,
}

/// `initialize.hooks`: hook event name → matchers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hooks {
    #[serde(rename = "PreToolUse", skip_serializing_if = "Vec::is_empty")]
    pub pre_tool_use: Vec<HookMatcher>,
}

fn control_request(request_id: &str, request: Value) -> Value {
    let mut message = json!({"type": "control_request", "request_id": request_id});
    message["request"] = request;
    message
}

/// `control_request/initialize`.
pub fn initialize(request_id: &str, init: &Initialize) -> Value {
    let mut request = serde_json::to_value(init).unwrap_or_else(|_| json!({}));
    request["subtype"] = json!("initialize");
    control_request(request_id, request)
}

/// `control_request/interrupt`: stops the running turn; the CLI answers at once.
pub fn interrupt(request_id: &str) -> Value {
    control_request(request_id, json!({"subtype": "interrupt"}))
}

/// `control_request/set_permission_mode` (`default`, `acceptEdits`, `plan`, …).
pub fn set_permission_mode(request_id: &str, mode: &str) -> Value {
    control_request(
        request_id,
        json!({"subtype": "set_permission_mode", "mode": mode}),
    )
}

/// `control_request/set_model`; `None` goes back to the default model.
pub fn set_model(request_id: &str, model: Option<&str>) -> Value {
    let mut request = json!({"subtype": "set_model"});
    if let Some(model) = model {
        request["model"] = json!(model);
    }
    control_request(request_id, request)
}

/// A success `control_response` answering the CLI's request `request_id`.
pub fn control_success(request_id: &str, response: Value) -> Value {
    let mut message = json!({
        "type": "control_response",
        "response": {"subtype": "success", "request_id": request_id},
    });
    message["response"]["response"] = response;
    message
}

/// An error `control_response` (what the SDK sends for unknown subtypes).
pub fn control_error(request_id: &str, error: &str) -> Value {
    json!({
        "type": "control_response",
        "response": {"subtype": "error", "request_id": request_id, "error": error},
    })
}

/// Allows a `can_use_tool` request; the tool runs with `updated_input`.
pub fn allow_tool(request_id: &str, updated_input: Value, tool_use_id: Option<&str>) -> Value {
    let mut body = json!({"behavior": "allow"});
    body["updatedInput"] = updated_input;
    if let Some(id) = tool_use_id {
        body["toolUseID"] = json!(id);
    }
    control_success(request_id, body)
}

/// Denies a `can_use_tool` request; the model gets an error tool_result holding `message`.
pub fn deny_tool(request_id: &str, message: &str, tool_use_id: Option<&str>) -> Value {
    let mut body = json!({"behavior": "deny", "message": message});
    if let Some(id) = tool_use_id {
        body["toolUseID"] = json!(id);
    }
    control_success(request_id, body)
}

/// Answers a PreToolUse `hook_callback` with a deny decision: the tool does not run.
pub fn hook_deny(request_id: &str, reason: &str) -> Value {
    control_success(
        request_id,
        json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }}),
    )
}

/// Answers a `hook_callback` with "no opinion": the CLI carries on as if no hook ran.
pub fn hook_continue(request_id: &str) -> Value {
    control_success(request_id, json!({"continue": true}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claude::test_fixtures::{Transcript, send_lines};

    /// The `send` line of `fixture` for which `pick` is true (exactly one must match).
    fn sent(fixture: &str, pick: impl Fn(&Value) -> bool) -> Value {
        let lines: Vec<Value> = send_lines(&Transcript::load(fixture))
            .into_iter()
            .filter(|v| pick(v))
            .collect();
        assert_eq!(lines.len(), 1, "{fixture}: expected one matching send line");
        lines.into_iter().next().unwrap_or_default()
    }

    fn subtype(v: &Value) -> &str {
        v["request"]["subtype"].as_str().unwrap_or("")
    }

    fn answer_id(v: &Value) -> &str {
        v["response"]["request_id"].as_str().unwrap_or("")
    }

    #[test]
    fn initialize_matches_the_fixtures() {
        let with_hooks = Initialize {
            hooks: Some(Hooks {
                pre_tool_use: vec![HookMatcher {
                    matcher: Some("Bash".into()),
                    hook_callback_ids: vec!["hook_0".into()],
                    timeout: None,
                }],
            }),
            ..Initialize::default()
        };
        let cases = [
            ("claude-tool-denied-by-hook", with_hooks),
            (
                "claude-basic-turn",
                Initialize {
                    append_system_prompt: Some("You are running inside Agent Office.".into()),
                    ..Initialize::default()
                },
            ),
            (
                "claude-default-tools",
                Initialize {
                    system_prompt: Some(vec![String::new()]),
                    ..Initialize::default()
                },
            ),
            (
                "claude-sdk-mcp",
                Initialize {
                    sdk_mcp_servers: Some(vec!["office".into()]),
                    ..Initialize::default()
                },
            ),
            ("claude-permission", Initialize::default()),
        ];
        for (fixture, init) in cases {
            let want = sent(fixture, |v| subtype(v) == "initialize");
            let id = want["request_id"].as_str().unwrap_or_default();
            assert_eq!(initialize(id, &init), want, "{fixture}");
        }
    }

    #[test]
    fn control_requests_match_the_fixtures() {
        let want = sent("claude-interrupt", |v| subtype(v) == "interrupt");
        assert_eq!(interrupt("req_5_fc882e24"), want);
        let want = sent("claude-control-misc", |v| {
            subtype(v) == "set_permission_mode" && v["request"]["mode"] == "acceptEdits"
        });
        assert_eq!(set_permission_mode("req_11_8cb8a891", "acceptEdits"), want);
        let want = sent("claude-control-misc", |v| {
            subtype(v) == "set_model" && v["request"]["model"].is_string()
        });
        assert_eq!(
            set_model("req_10_a2f64ea3", Some("claude-sonnet-4-5")),
            want
        );
        let want = sent("claude-control-misc", |v| {
            subtype(v) == "set_model" && v["request"].get("model").is_none()
        });
        assert_eq!(set_model("req_15_28ce9c82", None), want);
    }

    #[test]
    fn user_messages_match_the_fixtures() {
        let want = sent("claude-basic-turn", |v| {
            v["message"]["content"][0]["text"] == "Hi there, first turn"
        });
        assert_eq!(user_message("Hi there, first turn", &[]), want);

        let want = sent("claude-attachments", |v| {
            v["type"] == "user" && v["message"]["content"].is_array()
        });
        let block = |i: usize, key: &str| {
            want["message"]["content"][i]["source"][key]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        let attachments = [
            Attachment::Image {
                media_type: block(1, "media_type"),
                data: block(1, "data"),
            },
            Attachment::Document {
                media_type: block(2, "media_type"),
                data: block(2, "data"),
                title: Some("tiny.pdf".into()),
            },
        ];
        assert_eq!(block(1, "media_type"), "image/png");
        assert_eq!(block(2, "media_type"), "application/pdf");
        assert_eq!(
            user_message("Describe this image and this PDF", &attachments),
            want
        );
    }

    #[test]
    fn permission_answers_match_the_fixtures() {
        let allow = sent("claude-permission", |v| {
            v["response"]["response"]["behavior"] == "allow"
        });
        let got = allow_tool(
            answer_id(&allow),
            json!({"command": "touch bash-was-here.txt && echo hello-from-bash",
                   "description": "Create a marker file and print a greeting"}),
            Some("toolu_mock_bash_002"),
        );
        assert_eq!(got, allow);

        let deny = sent("claude-permission", |v| {
            v["response"]["response"]["behavior"] == "deny"
        });
        let got = deny_tool(
            answer_id(&deny),
            "User declined this write",
            Some("toolu_mock_write_004"),
        );
        assert_eq!(got, deny);

        // The MCP run answered without `toolUseID`: the field is optional.
        let allow = sent("claude-sdk-mcp", |v| {
            v["response"]["response"]["behavior"] == "allow"
        });
        assert_eq!(
            allow_tool(answer_id(&allow), json!({"msg": "hi"}), None),
            allow
        );
    }

    #[test]
    fn hook_answers_match_the_fixtures() {
        let want = sent("claude-tool-denied-by-hook", |v| {
            v["type"] == "control_response"
        });
        assert_eq!(
            hook_deny(answer_id(&want), "Bash is disabled by Agent Office policy"),
            want
        );
        assert_eq!(
            hook_continue("r1"),
            json!({"type": "control_response", "response": {"subtype": "success",
                   "request_id": "r1", "response": {"continue": true}}})
        );
    }

    #[test]
    fn lines_are_single_json_lines() {
        let line = to_line(&user_message("two\nlines", &[]));
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
    }
}
