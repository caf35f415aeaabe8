//! Agent tokens are accepted only from loopback peers (design §10, §12), proved over real TCP
//! against the real `isomux serve` listening on 0.0.0.0 with `--allow-plain-http`.
//!
//! Everything runs in a private network namespace of the test's own (`isomux_tests::netns`):
//! the server, the scripted Anthropic server, the real `claude` agent that prints its
//! `ISOMUX_AGENT_TOKEN`, and the clients. The namespace's `lo` also carries 10.213.0.1, so a
//! client bound to that address is a non-loopback peer while no packet leaves the namespace.
//! The same bearer request succeeds from 127.0.0.1 and is refused (401) from 10.213.0.1, and the
//! refused requests leave every table of the database as it was.

use isomux_tests::claude_office::office_env;
use isomux_tests::db_dump::logical_dump;
use isomux_tests::model_server::{AnthropicServer, Reply, Script};
use isomux_tests::netns::{self, OUTSIDE};
use isomux_tests::process::{ServerProcess, cli_bin};
use isomux_tests::{Client, is};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};

/// One request with `Authorization: Bearer token` (as an agent's curl sends it, no Origin).
async fn bearer(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut req = match &body {
        Some(b) => http.post(url).json(b),
        None => http.get(url),
    };
    req = req.header("authorization", format!("Bearer {token}"));
    let res = req.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A client whose connections come from `addr`.
fn client_from(addr: Ipv4Addr) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(addr))
        .no_proxy()
        .build()?)
}

#[test]
fn agent_tokens_are_refused_from_a_non_loopback_peer() -> anyhow::Result<()> {
    netns::block_on(test_body)
}

async fn test_body() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (home, cli_home, work) = (
        dir.path().join("office"),
        dir.path().join("cli-home"),
        dir.path().join("work"),
    );
    std::fs::create_dir_all(&cli_home)?;
    std::fs::create_dir_all(&work)?;
    let model = AnthropicServer::start(
        Script::new()
            .on("TOKEN", Reply::shell("printenv ISOMUX_AGENT_TOKEN"))
            .on_tool_result(Reply::text("Printed."))
            .otherwise(Reply::text("ok")),
    );
    let claude = cli_bin("claude")?.to_string_lossy().into_owned();
    let server = ServerProcess::start_with(
        &["--listen", "0.0.0.0:0", "--allow-plain-http"],
        &home,
        &[("ISOMUX_CLAUDE_BIN", claude.as_str())],
    )?;
    let port = server
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| anyhow::anyhow!("no port in {}", server.url))?;
    let loopback = format!("http://127.0.0.1:{port}");
    let outside = format!("http://{OUTSIDE}:{port}");

    // The owner signs in over loopback; the office's own origin is its listener's.
    let link = server
        .owner_link
        .clone()
        .expect("a fresh office prints its owner link");
    let mut c = Client::accept(&loopback, &link, "Nil").await?;
    c.origin = Some(server.url.clone());
    office_env(&c, &model, &cli_home).await?;
    let demo = c.agent_id("Demo").await?;
    let ada = c
        .hire_with(
            json!({"name": "Ada", "backend": "claude", "cwd": work.to_string_lossy(),
                   "permission_mode": "auto"}),
        )
        .await?;

    // A real agent token: the agent's shell prints it and the tool result reaches the model.
    let mut ws = c.ws().await?;
    c.say(&ada, "TOKEN please").await?;
    ws.until("Ada's answer", |ev| {
        is(ev, "log_entry", &ada) && ev["entry"]["text"] == "Printed."
    })
    .await?;
    ws.until("Ada idle", |ev| {
        is(ev, "agent_state", &ada) && ev["state"] == "idle"
    })
    .await?;
    let token = model
        .model_requests()
        .iter()
        .find_map(|r| r.last_tool_result())
        .unwrap_or_else(|| panic!("no tool result: {}", model.summary()))
        .trim()
        .to_owned();
    assert!(
        token.starts_with("isx_agent_") && token.len() == "isx_agent_".len() + 43,
        "an agent token: {token:?}"
    );
    drop(ws);

    let from_loopback = client_from(Ipv4Addr::LOCALHOST)?;
    let from_outside = client_from(OUTSIDE)?;
    let message = |text: &str| Some(json!({ "text": text }));
    let demo_messages = format!("/api/agents/{demo}/messages");

    // 10.213.0.1 reaches the same listener: a cookie request from there is served.
    let mut from_outside_cookie = c.clone();
    from_outside_cookie.http = from_outside.clone();
    from_outside_cookie.base = outside.clone();
    from_outside_cookie.get("/api/agents").await?.ok()?;

    // The agent token from 10.213.0.1: 401, and nothing in the database changes.
    let db = home.join("isomux.db");
    let before = logical_dump(&db)?;
    let (status, body) =
        bearer(&from_outside, format!("{outside}/api/agents"), &token, None).await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let (status, body) = bearer(
        &from_outside,
        format!("{outside}{demo_messages}"),
        &token,
        message("from outside OX-5170"),
    )
    .await?;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    assert_eq!(
        logical_dump(&db)?,
        before,
        "a refused request changes no table"
    );

    // The same requests from 127.0.0.1 succeed, and the message is delivered as Ada's.
    let mut ws = c.ws().await?;
    let (status, body) = bearer(
        &from_loopback,
        format!("{loopback}/api/agents"),
        &token,
        None,
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let (status, body) = bearer(
        &from_loopback,
        format!("{loopback}{demo_messages}"),
        &token,
        message("from loopback LB-3318"),
    )
    .await?;
    assert_eq!(status, 200, "{body}");
    let delivered = ws
        .until("the message in Demo's chat", |ev| {
            is(ev, "log_entry", &demo) && ev["entry"]["kind"] == "user"
        })
        .await?;
    let line = &delivered["entry"]["messages"][0];
    assert_eq!(line["sender"]["name"], "Ada", "{delivered}");
    assert_eq!(line["text"], "from loopback LB-3318");
    assert_ne!(
        logical_dump(&db)?,
        before,
        "the dump sees an accepted message (so the equality above means something)"
    );

    // Still valid, still refused from outside; the refused text is nowhere.
    let (status, _) = bearer(
        &from_outside,
        format!("{outside}{demo_messages}"),
        &token,
        message("from outside OX-5170"),
    )
    .await?;
    assert_eq!(status, 401);
    let logs = c.logs(&demo).await?;
    assert!(
        !serde_json::to_string(&logs)?.contains("OX-5170"),
        "a refused message never reaches the log: {logs:#?}"
    );
    Ok(())
}
