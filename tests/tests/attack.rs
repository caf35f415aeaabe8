//! The attack suite (design §8, §11): every route of `isomux_protocol::ROUTES`, plus the routes
//! outside the table (`/ws`, `/auth/accept`, `/auth/logout`, `/i/:token`, uploads and file
//! downloads, the UI fallback), attacked with every class of bad request: no credentials, a
//! garbage cookie, a revoked session, consumed and expired invites used as credentials, a
//! revoked API token, an agent token from a non-loopback peer, an agent token on human routes,
//! a member on owner-only routes, a member limited to one room reaching into another,
//! cross-origin and origin-less state changes and WebSockets, path traversal in every path
//! parameter, oversized and malformed bodies, and invite guessing until rate-limited. Each
//! attempt must be refused with the exact status and error code of design §10, and a logical
//! dump of every table must be identical before and after.
//!
//! Generated from the route table: a new route is attacked automatically, and the suite fails
//! until the route has a sample body below (the valid body each refused attempt carries, so a
//! refusal is the credential's doing, not the body's).
//!
//! Runs in a private network namespace (`isomux_tests::netns`, root or CAP_SYS_ADMIN) so that
//! 10.213.0.1 is a real non-loopback peer.

use isomux_core::backend::{Backend, BackendDescription, SessionSpec, StartFuture};
use isomux_protocol::{Access, ROUTES, Route, routes::path_params};
use isomux_tests::db_dump::logical_dump;
use isomux_tests::netns::{self, OUTSIDE};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The demo backend, recording the agent token the office gives each session it starts.
struct TokenSpy {
    inner: isomux_agents::demo::DemoBackend,
    tokens: Arc<Mutex<Vec<String>>>,
}

impl Backend for TokenSpy {
    fn describe(&self) -> BackendDescription {
        self.inner.describe()
    }

    fn start(&self, spec: SessionSpec) -> StartFuture {
        if let Some((_, t)) = spec.env.iter().find(|(k, _)| k == "ISOMUX_AGENT_TOKEN") {
            self.tokens.lock().unwrap().push(t.clone());
        }
        self.inner.start(spec)
    }
}

/// The body each route's refused attempts carry: valid for the op, so only the credential,
/// Origin or target makes the difference. `None` for routes that take no body.
fn sample_body(op_id: &str, cwd: &str, lobby: &str) -> Option<Option<Value>> {
    Some(match op_id {
        "get_state"
        | "get_me"
        | "list_agents"
        | "get_logs"
        | "list_sessions"
        | "list_rooms"
        | "get_room_settings"
        | "get_office_settings"
        | "list_invites"
        | "list_auth_sessions"
        | "list_members"
        | "list_api_tokens"
        | "list_tasks"
        | "get_task"
        | "list_skills" => None,
        "create_task" => Some(json!({"title": "t"})),
        "read_file" => Some(json!({"path": "a.png"})),
        "edit_file" => Some(json!({"path": "a.rs"})),
        "show_diff" => Some(json!({"dir": "."})),
        "terminal_command" => Some(json!({"command": "ls"})),
        "update_task" => Some(json!({"title": "x"})),
        "spawn_agent" => Some(json!({"name": "Intruder", "backend": "demo", "cwd": cwd})),
        "update_agent" => Some(json!({"topic": "pwned"})),
        "move_agent" => Some(json!({"room_id": lobby})),
        "send_message" => Some(json!({"text": "hi"})),
        "answer_approval" => Some(json!({"allow": true})),
        "edit_message" => Some(json!({"text": "edited"})),
        "resume_session" => Some(json!({"session_id": "cv_unknown"})),
        "create_room" => Some(json!({"name": "Intruders"})),
        "update_room" => Some(json!({"name": "Renamed"})),
        "put_room_settings" => Some(json!({"prompt": "p", "env": {}})),
        "put_office_settings" => Some(json!({"prompt": "p"})),
        "create_invite" => Some(json!({"role": "owner"})),
        "create_device_link" => Some(json!({})),
        "update_member" => Some(json!({"role": "owner"})),
        "create_api_token" => Some(json!({"name": "x"})),
        "delete_agent"
        | "send_now"
        | "cancel_queued"
        | "abort"
        | "new_conversation"
        | "delete_room"
        | "revoke_invite"
        | "revoke_auth_session"
        | "remove_member"
        | "revoke_api_token"
        | "delete_task"
        | "claim_task"
        | "complete_task" => Some(json!({})),
        _ => return None,
    })
}

/// One HTTP exchange.
#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn from(addr: Ipv4Addr, port: u16) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .local_address(IpAddr::V4(addr))
                .no_proxy()
                .build()?,
            base: format!("http://{addr}:{port}"),
        })
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> anyhow::Result<(u16, Value, String)> {
        let mut req = self.client.request(
            reqwest::Method::from_bytes(method.as_bytes())?,
            format!("{}{path}", self.base),
        );
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        ))
    }
}

/// Who attacks, and how.
struct Cred {
    label: &'static str,
    headers: Vec<(&'static str, String)>,
}

fn cookie(label: &'static str, value: &str, origin: &str) -> Cred {
    Cred {
        label,
        headers: vec![
            ("cookie", format!("isomux_session={value}")),
            ("origin", origin.to_owned()),
        ],
    }
}

fn bearer(label: &'static str, token: &str) -> Cred {
    Cred {
        label,
        headers: vec![("authorization", format!("Bearer {token}"))],
    }
}

/// Every attempt and the ones that were not refused as expected.
#[derive(Default)]
struct Tally {
    attempts: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, got: (u16, &Value), want: (u16, &str)) {
        self.attempts += 1;
        let code = got.1["error"]["code"].as_str().unwrap_or("");
        if (got.0, code) != want {
            self.failures
                .push(format!("{what}: want {want:?}, got {} {}", got.0, got.1));
        }
    }
}

#[test]
fn every_route_refuses_every_attack_and_changes_nothing() -> anyhow::Result<()> {
    netns::block_on(attack)
}

#[expect(
    clippy::too_many_lines,
    reason = "one scenario: setup, the dump, every attack class, the dump again"
)]
async fn attack() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    let cwd = dir.path().to_string_lossy().into_owned();
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let running = isomux::app::start(isomux::app::ServeOptions {
        listen: "0.0.0.0:0".parse()?,
        allow_plain_http: true,
        data_dir: Some(home.clone()),
        ui: Some(isomux_server::UiSource::Placeholder),
        backends: Some(vec![Arc::new(TokenSpy {
            inner: isomux_agents::demo::DemoBackend {
                word_delay: Duration::from_millis(1),
                slow_word_delay: Duration::from_millis(1),
            },
            tokens: tokens.clone(),
        })]),
        ..Default::default()
    })
    .await?;
    let port: u16 = running.url.rsplit(':').next().unwrap().parse()?;
    let origin = running.url.clone();
    let inside = Http::from(Ipv4Addr::LOCALHOST, port)?;
    let outside = Http::from(OUTSIDE, port)?;
    let link = running.owner_link.clone().unwrap();
    let consumed_invite = link.rsplit('/').next().unwrap().to_owned();

    // --- Setup: an owner, a member limited to the lobby, a hidden room with an agent, a
    // revoked session, a revoked API token, an expired invite, a spare valid invite, and a
    // real agent token.
    let mut owner = isomux_tests::Client::accept(&inside.base, &link, "Olive").await?;
    owner.origin = Some(origin.clone());
    let state = owner.get("/api/state").await?.ok()?;
    let lobby = state["rooms"][0]["id"].as_str().unwrap().to_owned();
    let demo = state["agents"][0]["id"].as_str().unwrap().to_owned();
    let vault = owner
        .post("/api/rooms", json!({"name": "Vault"}))
        .await?
        .ok()?["room"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hidden = owner
        .post(
            "/api/agents",
            json!({"name": "Hidden", "backend": "demo", "cwd": cwd, "room_id": vault}),
        )
        .await?
        .ok()?["agent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let invite = |role: &'static str, ttl: u64| {
        let owner = owner.clone();
        async move {
            let made = owner
                .post("/api/invites", json!({"role": role, "ttl_secs": ttl}))
                .await?
                .ok()?;
            anyhow::Ok(made["url"].as_str().unwrap().to_owned())
        }
    };
    let mut member =
        isomux_tests::Client::accept(&inside.base, &invite("member", 600).await?, "Max").await?;
    member.origin = Some(origin.clone());
    let member_id = member.get("/api/me").await?.ok()?["me"]["member_id"]
        .as_str()
        .unwrap()
        .to_owned();
    owner
        .patch(
            &format!("/api/members/{member_id}"),
            json!({"rooms": [lobby]}),
        )
        .await?
        .ok()?;
    let leaver =
        isomux_tests::Client::accept(&inside.base, &invite("member", 600).await?, "Lea").await?;
    let leaver_cookie = leaver.cookie.clone().unwrap();
    let leaver_session = leaver.get("/api/sessions").await?.ok()?["sessions"][0]["prefix"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut leaver_clone = leaver.clone();
    leaver_clone.origin = Some(origin.clone());
    leaver_clone
        .delete(&format!("/api/sessions/{leaver_session}"))
        .await?
        .ok()?;
    let pat = owner
        .post("/api/tokens", json!({"name": "old"}))
        .await?
        .ok()?;
    let revoked_pat = pat["secret"].as_str().unwrap().to_owned();
    owner
        .delete(&format!(
            "/api/tokens/{}",
            pat["token"]["prefix"].as_str().unwrap()
        ))
        .await?
        .ok()?;
    // A live API token works from anywhere (not only loopback), as its member.
    let live_pat = owner
        .post("/api/tokens", json!({"name": "remote-office"}))
        .await?
        .ok()?;
    let (s, me, _) = outside
        .send(
            "GET",
            "/api/me",
            &bearer("", live_pat["secret"].as_str().unwrap()).headers,
            None,
        )
        .await?;
    assert_eq!(s, 200, "an API token from a non-loopback peer: {me}");
    assert_eq!(me["me"]["device"], "remote-office");
    let expired_invite = invite("owner", 1)
        .await?
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let spare_invite = invite("owner", 600)
        .await?
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    owner
        .post(
            &format!("/api/agents/{demo}/messages"),
            json!({"text": "hello"}),
        )
        .await?
        .ok()?;
    let deadline = std::time::Instant::now() + isomux_tests::WAIT;
    let agent_token = loop {
        let agents = owner.get("/api/agents").await?.ok()?;
        let idle = agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["state"] == "idle" || a["state"] == "sleeping");
        let token = tokens.lock().unwrap().first().cloned();
        if let (true, Some(t)) = (idle, token)
            && owner.logs(&demo).await?.len() >= 2
        {
            break t;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the demo agent never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(1200)).await; // the expired invite expires
    let db = isomux_core::datadir::db_path(&running.data_dir);
    let before = logical_dump(&db)?;

    // --- The route table.
    let traversal = "..%2F..%2F..%2Fetc%2Fpasswd";
    let fill = |route: &Route, agent: &str, room: &str| {
        let mut p = route.path.to_owned();
        for name in path_params(route.path) {
            let v = match name {
                "agent_id" => agent.to_owned(),
                "room_id" => room.to_owned(),
                "message_id" => "mg_unknown".to_owned(),
                "approval_id" => "ap_unknown".to_owned(),
                "entry_id" => "en_unknown".to_owned(),
                "prefix" => "0123abcd".to_owned(),
                "member_id" => member_id.clone(),
                "task_id" => "tk_unknown".to_owned(),
                other => panic!("attack suite: no filler for path parameter {{{other}}}: add one"),
            };
            p = p.replace(&format!("{{{name}}}"), &v);
        }
        p
    };
    let anonymous = Cred {
        label: "no credentials",
        headers: vec![("origin", origin.clone())],
    };
    let unauthenticated = [
        anonymous,
        cookie("garbage cookie", "garbage", &origin),
        cookie(
            "revoked session",
            leaver_cookie.trim_start_matches("isomux_session="),
            &origin,
        ),
        cookie("consumed invite as cookie", &consumed_invite, &origin),
        cookie("expired invite as cookie", &expired_invite, &origin),
        bearer("consumed invite as bearer", &consumed_invite),
        bearer("revoked API token", &revoked_pat),
        bearer(
            "garbage API token",
            "isx_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        bearer(
            "garbage agent token",
            "isx_agent_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
    ];
    let owner_cookie = owner.cookie.clone().unwrap();
    let member_cookie = member.cookie.clone().unwrap();
    let with = |cookie: &str, origin: Option<&str>| {
        let mut h = vec![("cookie", cookie.to_owned())];
        if let Some(o) = origin {
            h.push(("origin", o.to_owned()));
        }
        h
    };
    let mut tally = Tally::default();
    let mut expect =
        |what: String, got: (u16, &Value), want: (u16, &str)| tally.check(&what, got, want);
    for route in ROUTES {
        let m = route.method.as_str();
        let Some(sample) = sample_body(route.op_id, &cwd, &lobby) else {
            panic!(
                "attack suite: route {} ({m} {}) has no sample body: add one to sample_body",
                route.op_id, route.path
            );
        };
        let sample = sample.map(|v| v.to_string().into_bytes());
        let path = fill(route, &demo, &lobby);
        let what = |class: &str| format!("{m} {path} [{}] {class}", route.op_id);

        for cred in &unauthenticated {
            let (s, b, _) = inside.send(m, &path, &cred.headers, sample.clone()).await?;
            expect(what(cred.label), (s, &b), (401, "unauthorized"));
        }
        let (s, b, _) = outside
            .send(m, &path, &bearer("", &agent_token).headers, sample.clone())
            .await?;
        expect(
            what("agent token from a non-loopback peer"),
            (s, &b),
            (401, "unauthorized"),
        );

        if route.access != Access::Any {
            let (s, b, _) = inside
                .send(m, &path, &bearer("", &agent_token).headers, sample.clone())
                .await?;
            expect(
                what("agent token on a human route"),
                (s, &b),
                (403, "forbidden"),
            );
        }
        if route.access == Access::Owner {
            let (s, b, _) = inside
                .send(
                    m,
                    &path,
                    &with(&member_cookie, Some(&origin)),
                    sample.clone(),
                )
                .await?;
            expect(
                what("member on an owner route"),
                (s, &b),
                (403, "forbidden"),
            );
        } else {
            let params = path_params(route.path);
            let body_room = route.op_id == "spawn_agent" || route.op_id == "move_agent";
            if params.contains(&"agent_id") || params.contains(&"room_id") || body_room {
                let hidden_path = fill(route, &hidden, &vault);
                let body = if body_room && !params.contains(&"agent_id") {
                    Some(
                        json!({"name": "Sneak", "backend": "demo", "cwd": cwd, "room_id": vault})
                            .to_string()
                            .into_bytes(),
                    )
                } else {
                    sample.clone()
                };
                let (s, b, _) = inside
                    .send(m, &hidden_path, &with(&member_cookie, Some(&origin)), body)
                    .await?;
                expect(
                    format!(
                        "{m} {hidden_path} [{}] member outside their rooms",
                        route.op_id
                    ),
                    (s, &b),
                    (404, "not_found"),
                );
            }
        }
        if route.method.is_state_changing() {
            for (class, o) in [
                ("cross-origin", Some("http://evil.example")),
                ("origin-less", None),
                ("lookalike origin", Some(&*format!("{origin}.evil.example"))),
            ] {
                let (s, b, _) = inside
                    .send(m, &path, &with(&owner_cookie, o), sample.clone())
                    .await?;
                expect(
                    what(&format!("{class} state change")),
                    (s, &b),
                    (403, "forbidden"),
                );
            }
            let big = format!("{{\"text\": \"{}\"}}", "x".repeat(1024 * 1024 + 1));
            let (s, b, _) = inside
                .send(
                    m,
                    &path,
                    &with(&owner_cookie, Some(&origin)),
                    Some(big.into_bytes()),
                )
                .await?;
            expect(what("oversized body"), (s, &b), (413, "payload_too_large"));
            for bad in [
                &b"{\"name\": "[..],
                b"[1,2]",
                b"\"x\"",
                b"{\"op\": 5, \"x\": }",
            ] {
                let (s, b, _) = inside
                    .send(
                        m,
                        &path,
                        &with(&owner_cookie, Some(&origin)),
                        Some(bad.to_vec()),
                    )
                    .await?;
                expect(
                    what(&format!("malformed body {}", String::from_utf8_lossy(bad))),
                    (s, &b),
                    (400, "invalid_body"),
                );
            }
        }
        // Paths taken in the body (file affordances): outside the agent's roots, refused.
        if let Some(Value::Object(fields)) = sample_body(route.op_id, &cwd, &lobby).flatten() {
            for key in fields
                .keys()
                .filter(|k| *k == "path" || *k == "dir" || k.ends_with("_path"))
            {
                for evil in [
                    "../../../../../../etc/passwd",
                    "/etc/passwd",
                    "/root/.ssh/id_rsa",
                ] {
                    let mut body = fields.clone();
                    body.insert(key.clone(), json!(evil));
                    let (s, b, _) = inside
                        .send(
                            m,
                            &path,
                            &with(&owner_cookie, Some(&origin)),
                            Some(Value::Object(body).to_string().into_bytes()),
                        )
                        .await?;
                    let code = b["error"]["code"].as_str().unwrap_or("").to_owned();
                    let refused = matches!(s, 400 | 403 | 404) && !code.is_empty();
                    // Refused with any of these statuses is right; anything else is reported.
                    let shown = if refused { Value::Null } else { b.clone() };
                    expect(
                        what(&format!("{key} = {evil} in the body")),
                        (if refused { 0 } else { s }, &shown),
                        (0, ""),
                    );
                }
            }
        }
        for name in path_params(route.path) {
            let p = fill(route, &demo, &lobby).replacen(
                &match name {
                    "agent_id" => demo.clone(),
                    "room_id" => lobby.clone(),
                    "message_id" => "mg_unknown".into(),
                    "approval_id" => "ap_unknown".into(),
                    "entry_id" => "en_unknown".into(),
                    "prefix" => "0123abcd".into(),
                    "task_id" => "tk_unknown".into(),
                    _ => member_id.clone(),
                },
                traversal,
                1,
            );
            let (s, b, _) = inside
                .send(m, &p, &with(&owner_cookie, Some(&origin)), sample.clone())
                .await?;
            expect(
                format!("{m} {p} [{}] traversal in {{{name}}}", route.op_id),
                (s, &b),
                (404, "not_found"),
            );
        }
    }
    // Unknown API paths: 401 without credentials, 404 with.
    let (s, b, _) = inside.send("GET", "/api/nope", &[], None).await?;
    expect(
        "GET /api/nope anonymous".into(),
        (s, &b),
        (401, "unauthorized"),
    );
    let (s, b, _) = inside
        .send(
            "GET",
            &format!("/api/{traversal}"),
            &with(&owner_cookie, None),
            None,
        )
        .await?;
    expect(
        "GET /api/<traversal> as owner".into(),
        (s, &b),
        (404, "not_found"),
    );

    // --- The WebSocket upgrade.
    let ws_headers = |extra: Vec<(&'static str, String)>| {
        let mut h = vec![
            ("connection", "Upgrade".to_owned()),
            ("upgrade", "websocket".to_owned()),
            ("sec-websocket-version", "13".to_owned()),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==".to_owned()),
        ];
        h.extend(extra);
        h
    };
    for cred in &unauthenticated {
        let (s, b, _) = inside
            .send("GET", "/ws", &ws_headers(cred.headers.clone()), None)
            .await?;
        expect(
            format!("/ws {}", cred.label),
            (s, &b),
            (401, "unauthorized"),
        );
    }
    for (label, h) in [
        ("agent token on /ws", bearer("", &agent_token).headers),
        (
            "agent token from outside on /ws",
            bearer("", &agent_token).headers,
        ),
    ] {
        let http = if label.contains("outside") {
            &outside
        } else {
            &inside
        };
        let (s, b, _) = http.send("GET", "/ws", &ws_headers(h), None).await?;
        expect(label.into(), (s, &b), (401, "unauthorized"));
    }
    for (label, o) in [
        ("cross-origin /ws", Some("http://evil.example")),
        ("origin-less /ws", None),
    ] {
        let (s, b, _) = inside
            .send("GET", "/ws", &ws_headers(with(&owner_cookie, o)), None)
            .await?;
        expect(label.into(), (s, &b), (403, "forbidden"));
    }

    // --- Logout, uploads, downloads.
    for cred in &unauthenticated {
        let (s, b, _) = inside
            .send("POST", "/auth/logout", &cred.headers, None)
            .await?;
        expect(
            format!("/auth/logout {}", cred.label),
            (s, &b),
            (401, "unauthorized"),
        );
    }
    let (s, b, _) = inside
        .send(
            "POST",
            "/auth/logout",
            &with(&owner_cookie, Some("http://evil.example")),
            None,
        )
        .await?;
    expect(
        "cross-origin /auth/logout".into(),
        (s, &b),
        (403, "forbidden"),
    );
    let upload = format!("/api/agents/{demo}/uploads");
    for cred in &unauthenticated {
        let (s, b, _) = inside
            .send("POST", &upload, &cred.headers, Some(b"x".to_vec()))
            .await?;
        expect(
            format!("upload {}", cred.label),
            (s, &b),
            (401, "unauthorized"),
        );
    }
    let (s, b, _) = outside
        .send(
            "POST",
            &upload,
            &bearer("", &agent_token).headers,
            Some(b"x".to_vec()),
        )
        .await?;
    expect(
        "upload with an agent token from outside".into(),
        (s, &b),
        (401, "unauthorized"),
    );
    let (s, b, _) = inside
        .send(
            "POST",
            &upload,
            &with(&owner_cookie, Some("http://evil.example")),
            Some(b"x".to_vec()),
        )
        .await?;
    expect("cross-origin upload".into(), (s, &b), (403, "forbidden"));
    let (s, b, _) = inside
        .send(
            "POST",
            &format!("/api/agents/{hidden}/uploads"),
            &with(&member_cookie, Some(&origin)),
            Some(b"x".to_vec()),
        )
        .await?;
    expect(
        "upload to a hidden agent".into(),
        (s, &b),
        (404, "not_found"),
    );
    let download = format!("/api/agents/{demo}/files/{traversal}");
    let (s, b, _) = inside.send("GET", &download, &[], None).await?;
    expect("download anonymous".into(), (s, &b), (401, "unauthorized"));
    for name in [traversal, "..", "%2E%2E", "..%2Fdata.db", "a%00.png"] {
        let (s, b, _) = inside
            .send(
                "GET",
                &format!("/api/agents/{demo}/files/{name}"),
                &with(&owner_cookie, None),
                None,
            )
            .await?;
        expect(
            format!("download traversal {name}"),
            (s, &b),
            (404, "not_found"),
        );
    }
    let (s, _, text) = inside
        .send(
            "GET",
            &format!("/{traversal}"),
            &with(&owner_cookie, None),
            None,
        )
        .await?;
    assert!(
        !text.contains("root:"),
        "the UI fallback served a file outside its root ({s})"
    );

    // --- Invites: never consumed by the confirm page; consumed, expired and garbage ones
    // refused by accept (JSON and form), malformed and oversized accept bodies.
    for (label, t, want) in [
        ("spare", spare_invite.as_str(), 200),
        ("spare again", spare_invite.as_str(), 200),
        ("consumed", consumed_invite.as_str(), 400),
        ("expired", expired_invite.as_str(), 400),
        ("garbage", "garbage", 400),
        ("traversal", traversal, 400),
    ] {
        let (s, _, _) = inside.send("GET", &format!("/i/{t}"), &[], None).await?;
        expect(format!("GET /i/<{label}>"), (s, &Value::Null), (want, ""));
    }
    for (label, t) in [("consumed", &consumed_invite), ("expired", &expired_invite)] {
        let (s, b, _) = inside
            .send(
                "POST",
                "/auth/accept",
                &[],
                Some(
                    json!({"token": t, "name": "Mallory"})
                        .to_string()
                        .into_bytes(),
                ),
            )
            .await?;
        expect(
            format!("accept a {label} invite"),
            (s, &b),
            (400, "invite_invalid"),
        );
    }
    let (s, b, _) = inside
        .send("POST", "/auth/accept", &[], Some(b"{\"token\": ".to_vec()))
        .await?;
    expect(
        "accept a malformed body".into(),
        (s, &b),
        (400, "invalid_body"),
    );
    let big = json!({"token": "x".repeat(2 * 1024 * 1024)}).to_string();
    let (s, b, _) = inside
        .send("POST", "/auth/accept", &[], Some(big.into_bytes()))
        .await?;
    expect(
        "accept an oversized body".into(),
        (s, &b),
        (413, "payload_too_large"),
    );
    let form = outside
        .client
        .post(format!("{}/auth/accept", outside.base))
        .form(&[("token", consumed_invite.as_str())])
        .send()
        .await?;
    expect(
        "form accept of a consumed invite".into(),
        (form.status().as_u16(), &Value::Null),
        (400, ""),
    );

    // --- Guessing invites from one address ends in 429, even for a valid invite, while
    // other addresses are unaffected.
    let mut limited_after = None;
    for i in 0..30 {
        let (s, b, _) = outside
            .send(
                "POST",
                "/auth/accept",
                &[],
                Some(
                    json!({"token": format!("guess-{i}")})
                        .to_string()
                        .into_bytes(),
                ),
            )
            .await?;
        if s == 429 {
            assert_eq!(b["error"]["code"], "rate_limited");
            limited_after = Some(i);
            break;
        }
        assert_eq!(s, 400, "guess {i}: {b}");
    }
    let limited_after = limited_after.expect("invite guessing is rate-limited");
    println!("rate-limited after {limited_after} failed guesses");
    let (s, b, _) = outside
        .send(
            "POST",
            "/auth/accept",
            &[],
            Some(json!({"token": spare_invite}).to_string().into_bytes()),
        )
        .await?;
    expect(
        "a valid invite from a rate-limited peer".into(),
        (s, &b),
        (429, "rate_limited"),
    );
    let (s, b, _) = outside
        .send("GET", &format!("/i/{spare_invite}"), &[], None)
        .await?;
    expect(
        "the invite page for a rate-limited peer".into(),
        (s, &b),
        (429, "rate_limited"),
    );
    let (s, _, _) = inside
        .send("GET", &format!("/i/{spare_invite}"), &[], None)
        .await?;
    assert_eq!(s, 200, "the spare invite is still unconsumed");

    println!(
        "{} attacks, {} not refused as expected",
        tally.attempts,
        tally.failures.len()
    );
    assert!(
        tally.failures.is_empty(),
        "attacks not refused as expected:\n{}",
        tally.failures.join("\n")
    );

    // --- Nothing changed.
    let after = logical_dump(&db)?;
    if before != after {
        let diff: Vec<String> = after
            .lines()
            .filter(|l| !before.contains(*l))
            .map(|l| format!("+ {l}"))
            .chain(
                before
                    .lines()
                    .filter(|l| !after.contains(*l))
                    .map(|l| format!("- {l}")),
            )
            .collect();
        panic!(
            "refused requests changed the database:\n{}",
            diff.join("\n")
        );
    }
    running.stop().await?;
    Ok(())
}

/// HTML carries the security headers: the app shell and the invite page (a token page, so
/// also `no-referrer` and `no-store`), and every answer `nosniff`.
#[tokio::test]
async fn html_and_token_pages_carry_security_headers() -> anyhow::Result<()> {
    let office = isomux_tests::TestOffice::start().await?;
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    for path in ["/", "/some/deep/link"] {
        let shell = reqwest::get(format!("{}{path}", office.url())).await?;
        assert_eq!(shell.status(), 200);
        let csp = header(&shell, "content-security-policy");
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing in {csp:?}"
            );
        }
        assert_eq!(header(&shell, "x-content-type-options"), "nosniff");
    }
    let page = reqwest::get(office.running.owner_link.clone().unwrap()).await?;
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");
    assert_eq!(header(&page, "cache-control"), "no-store");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    let csp = header(&page, "content-security-policy");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let api = reqwest::get(format!("{}/api/me", office.url())).await?;
    assert_eq!(api.status(), 401);
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    office.running.stop().await?;
    Ok(())
}
