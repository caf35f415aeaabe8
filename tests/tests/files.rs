//! Image and PDF input: uploads (multipart, size-limited, SHA-256 deduplicated), the file
//! route's headers and its refusal of anything but stored names, and messages with
//! attachments reaching the demo agent, the real `claude` (as base64 image/document blocks
//! in the model request) and the real `codex` (an `input_image` data URL; other files as a
//! note with their path).

use isomux_tests::claude_office::ClaudeOffice;
use isomux_tests::codex_office::CodexOffice;
use isomux_tests::model_server::{LastInput, Reply as ModelReply, Script};
use isomux_tests::{Client, Reply, TestOffice, is};
use serde_json::{Value, json};

/// A valid 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A minimal one-page PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";

const BOUNDARY: &str = "isomux-test-boundary-7f3a";

fn multipart(file_name: &str, mime: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {mime}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads like a browser's `FormData` would (cookie + Origin of `c`).
async fn upload(
    c: &Client,
    agent: &str,
    origin: Option<&str>,
    file_name: &str,
    mime: &str,
    bytes: &[u8],
) -> anyhow::Result<Reply> {
    let req = c
        .http
        .post(format!("{}/api/agents/{agent}/uploads", c.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(file_name, mime, bytes));
    c.send(req, origin).await
}

async fn raw_get(c: &Client, path: &str) -> anyhow::Result<reqwest::Response> {
    let mut req = c.http.get(format!("{}{path}", c.base));
    if let Some(cookie) = &c.cookie {
        req = req.header("cookie", cookie);
    }
    Ok(req.send().await?)
}

#[tokio::test]
async fn uploads_are_deduplicated_served_safely_and_reach_the_demo() -> anyhow::Result<()> {
    let office = TestOffice::start().await?;
    let owner = office.owner().await?;
    let state = owner.get("/api/state").await?.ok()?;
    let agent = state["agents"][0]["id"].as_str().unwrap().to_owned();

    // Upload, then the same bytes again: the same name.
    let first = upload(&owner, &agent, None, "dot.png", "image/png", PNG)
        .await?
        .ok()?;
    let file = &first["file"];
    let name = file["name"].as_str().unwrap().to_owned();
    assert!(name.ends_with(".png") && name.len() == 68, "{first}");
    assert_eq!(file["original_name"], "dot.png");
    assert_eq!(file["mime"], "image/png");
    assert_eq!(file["size"], PNG.len());
    let second = upload(&owner, &agent, None, "again.png", "image/png", PNG)
        .await?
        .ok()?;
    assert_eq!(second["file"]["name"], name, "same bytes, same name");
    let stored = office
        .running
        .data_dir
        .join("files")
        .join(&agent)
        .join(&name);
    assert_eq!(std::fs::read(&stored)?, PNG);

    // Download: the image inline with its type, nosniff and a sandboxing CSP.
    let res = raw_get(&owner, &format!("/api/agents/{agent}/files/{name}")).await?;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox; default-src 'none'");
    assert!(h["content-disposition"].to_str()?.starts_with("inline"));
    assert_eq!(res.bytes().await?.as_ref(), PNG);

    // Anything that is not an image is a download.
    let txt = upload(
        &owner,
        &agent,
        None,
        "page.html",
        "text/html",
        b"<script>x</script>",
    )
    .await?
    .ok()?;
    let txt_name = txt["file"]["name"].as_str().unwrap().to_owned();
    let res = raw_get(&owner, &format!("/api/agents/{agent}/files/{txt_name}")).await?;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()?
            .starts_with("attachment"),
        "{:?}",
        res.headers()
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        res.headers()["content-security-policy"],
        "sandbox; default-src 'none'"
    );

    // Too large: 413 with a clear message.
    let big = vec![0u8; 21 * 1024 * 1024];
    let r = upload(
        &owner,
        &agent,
        None,
        "big.bin",
        "application/octet-stream",
        &big,
    )
    .await?;
    assert_eq!(
        (r.status, r.code()),
        (413, "payload_too_large"),
        "{}",
        r.body
    );
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("20 MiB")
    );

    // Not a multipart body: 400.
    let r = owner
        .post(&format!("/api/agents/{agent}/uploads"), json!({"x": 1}))
        .await?;
    assert_eq!((r.status, r.code()), (400, "invalid_body"), "{}", r.body);

    // Traversal and unknown names: 404.
    for path in [
        format!("/api/agents/{agent}/files/../../isomux.db"),
        format!("/api/agents/{agent}/files/%2e%2e"),
        format!("/api/agents/{agent}/files/%2e%2e%2fisomux.db"),
        format!("/api/agents/{agent}/files/..%2F..%2Fisomux.db"),
        format!("/api/agents/{agent}/files/{}", name.to_uppercase()),
        format!("/api/agents/{agent}/files/{}.png", "0".repeat(64)),
        format!("/api/agents/ag_nobody/files/{name}"),
        format!("/api/agents/..%2F..%2F/files/{name}"),
    ] {
        let res = raw_get(&owner, &path).await?;
        assert_eq!(res.status(), 404, "{path}");
    }

    // No cookie: 401 (upload and download); a foreign Origin: 403; unknown agent: 404.
    let anon = Client::anonymous(office.url());
    let r = upload(&anon, &agent, None, "dot.png", "image/png", PNG).await?;
    assert_eq!((r.status, r.code()), (401, "unauthorized"));
    let res = raw_get(&anon, &format!("/api/agents/{agent}/files/{name}")).await?;
    assert_eq!(res.status(), 401);
    let r = upload(
        &owner,
        &agent,
        Some("https://evil.example"),
        "dot.png",
        "image/png",
        PNG,
    )
    .await?;
    assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.body);
    let r = upload(&owner, "ag_nobody", None, "dot.png", "image/png", PNG).await?;
    assert_eq!((r.status, r.code()), (404, "not_found"), "{}", r.body);

    // Attachments must be names uploaded to this agent.
    for bad in [
        "../../isomux.db".to_owned(),
        format!("{}.png", "0".repeat(64)),
    ] {
        let r = owner
            .post(
                &format!("/api/agents/{agent}/messages"),
                json!({"text": "look", "attachments": [bad]}),
            )
            .await?;
        assert_eq!((r.status, r.code()), (400, "invalid_body"), "{}", r.body);
    }

    // A message with the attachment: the user entry carries it; the demo mentions it.
    let mut ws = owner.ws().await?;
    owner
        .post(
            &format!("/api/agents/{agent}/messages"),
            json!({"text": "what is in this picture?", "attachments": [name]}),
        )
        .await?
        .ok()?;
    let user = ws
        .until("the user entry", |ev| {
            is(ev, "log_entry", &agent) && ev["entry"]["kind"] == "user"
        })
        .await?;
    assert_eq!(
        user["entry"]["messages"][0]["attachments"],
        json!([name]),
        "{user}"
    );
    let reply = ws
        .until("the demo's reply", |ev| {
            is(ev, "log_entry", &agent)
                && ev["entry"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("attachment"))
        })
        .await?;
    assert!(
        reply["entry"]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("I see 1 attachment: {name}")),
        "{reply}"
    );
    let logs = owner.logs(&agent).await?;
    assert!(
        logs.iter()
            .any(|e| e["messages"][0]["attachments"] == json!([name])),
        "the stored user entry keeps its attachments: {logs:?}"
    );
    office.running.stop().await?;
    Ok(())
}

#[tokio::test]
async fn claude_receives_image_and_document_blocks() -> anyhow::Result<()> {
    let office = ClaudeOffice::new(Script::new().otherwise(ModelReply::text("A dot and a page.")))?;
    let server = &office.server;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = c.hire("Ada", "claude", &work).await?;
    let png = upload(&c, &id, None, "dot.png", "image/png", PNG)
        .await?
        .ok()?;
    let pdf = upload(&c, &id, None, "page.pdf", "application/pdf", PDF)
        .await?
        .ok()?;
    assert_eq!(pdf["file"]["mime"], "application/pdf");
    let mut ws = c.ws().await?;
    c.post(
        &format!("/api/agents/{id}/messages"),
        json!({"text": "describe these", "attachments": [png["file"]["name"], pdf["file"]["name"]]}),
    )
    .await?
    .ok()?;
    ws.until("the reply", |ev| {
        is(ev, "log_entry", &id) && ev["entry"]["text"] == "A dot and a page."
    })
    .await?;
    let requests = server.model_requests();
    let req = requests
        .iter()
        .find(|r| r.contains("describe these"))
        .unwrap_or_else(|| panic!("no model request with the message: {}", server.summary()));
    let blocks: Vec<&Value> = req.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .collect();
    let image = blocks
        .iter()
        .find(|b| b["type"] == "image")
        .unwrap_or_else(|| panic!("no image block in {}", req.body));
    assert_eq!(image["source"]["type"], "base64");
    assert_eq!(image["source"]["media_type"], "image/png");
    let doc = blocks
        .iter()
        .find(|b| b["type"] == "document")
        .unwrap_or_else(|| panic!("no document block in {}", req.body));
    assert_eq!(doc["source"]["media_type"], "application/pdf");
    running.stop().await?;
    Ok(())
}

/// The real `codex`: an image attachment reaches the model as an `input_image` holding a data
/// URL of exactly the uploaded bytes (between codex's `<image name=[Image #1] path=…>` text
/// parts); a PDF (codex has no document input) becomes a note with its path in the message
/// text, and the agent's shell reads the file there (the human approves the command).
#[tokio::test]
async fn codex_receives_the_image_and_a_note_for_the_pdf() -> anyhow::Result<()> {
    let office = CodexOffice::new(
        Script::new()
            .on_tool_result(ModelReply::text("A dot and a page."))
            .otherwise(ModelReply::text("unexpected")),
    )?;
    let work = office.work("work")?;
    let running = office.start().await?;
    let c = office.owner(&running).await?;
    let id = office.hire(&c, "Ada", &work).await?;
    let png = upload(&c, &id, None, "dot.png", "image/png", PNG)
        .await?
        .ok()?;
    let png_name = png["file"]["name"].as_str().unwrap().to_owned();
    let pdf = upload(&c, &id, None, "page.pdf", "application/pdf", PDF)
        .await?
        .ok()?;
    let pdf_name = pdf["file"]["name"].as_str().unwrap().to_owned();
    let files = running.data_dir.join("files").join(&id);
    let (png_path, pdf_path) = (files.join(&png_name), files.join(&pdf_name));
    // The model reads the PDF where the note says it is.
    office.server.push_reply(ModelReply::shell(format!(
        "head -c 8 '{}'",
        pdf_path.display()
    )));
    let mut ws = c.ws().await?;
    c.post(
        &format!("/api/agents/{id}/messages"),
        json!({"text": "describe these", "attachments": [png_name, pdf_name]}),
    )
    .await?
    .ok()?;
    let r = ws.approval(&id).await;
    let approval = office.explain(&c, &id, r).await?;
    c.answer(&id, &approval, json!({"allow": true})).await?;
    let r = ws
        .until("the reply", |ev| {
            is(ev, "log_entry", &id) && ev["entry"]["text"] == "A dot and a page."
        })
        .await;
    office.explain(&c, &id, r).await?;

    let requests = office.server.model_requests();
    let first = &requests[0];
    let user = first.body["input"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|i| i["role"] == "user" && i.to_string().contains("describe these"))
        .unwrap_or_else(|| panic!("no user message in {}", first.body));
    let parts = user["content"].as_array().unwrap();
    let kinds: Vec<&str> = parts.iter().filter_map(|p| p["type"].as_str()).collect();
    assert_eq!(
        kinds,
        ["input_text", "input_text", "input_image", "input_text"],
        "the text, then the image wrapped in codex's <image> tags: {user}"
    );
    assert_eq!(
        parts[1]["text"],
        format!("<image name=[Image #1] path=\"{}\">", png_path.display()),
        "{user}"
    );
    assert_eq!(parts[3]["text"], "</image>");
    let url = parts[2]["image_url"].as_str().unwrap_or_default();
    let data = url
        .strip_prefix("data:image/png;base64,")
        .unwrap_or_else(|| panic!("a PNG data URL: {url}"));
    assert_eq!(base64_decode(data), PNG, "the same bytes as the upload");
    let text = parts[0]["text"].as_str().unwrap();
    assert!(text.starts_with("[Nil] describe these"), "{text}");
    assert!(
        text.contains(&format!(
            "[Attached file {pdf_name} (application/pdf) is at {}; read it with your tools.]",
            pdf_path.display()
        )),
        "the PDF is named with its path: {text}"
    );
    assert!(
        !first.contains("JVBERi0"),
        "the PDF's bytes are not inlined (codex has no document input): {}",
        first.body
    );
    let read = requests
        .iter()
        .find_map(|r| match r.last_input() {
            LastInput::ToolResult { content, .. } => Some(content),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no tool result: {}", office.server.summary()));
    assert!(read.contains("%PDF-1.4"), "the agent read the PDF: {read}");
    running.stop().await?;
    Ok(())
}

/// Standard base64 (padding optional), enough for the data URLs codex sends.
fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64: {c}"));
        acc = (acc << 6) | u32::try_from(v).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).unwrap());
        }
    }
    out
}
