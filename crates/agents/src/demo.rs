//! The built-in `demo` backend: offline and deterministic, so a newcomer sees a living office
//! with no keys and the UI and server tests need no external tool. Each reply streams word by
//! word, includes one simulated tool call and reports usage. Triggers anywhere in a message:
//! `/demo approval`, `/demo slow`, `/demo tool`, `/demo error`, `/demo question`, and
//! `/demo bench N [ms]` (timestamped deltas for the relay benchmark).

use isomux_core::backend::{
    Backend, BackendDescription, NormalizedEvent, SessionCommand, SessionHandle, SessionSpec,
    StartFuture, UserTurn,
};
use isomux_protocol::{BackendKind, Capabilities, Usage};
use std::time::Duration;
use tokio::sync::mpsc;

/// The demo backend. `word_delay` paces the stream (tests may shorten it).
#[derive(Debug, Clone)]
pub struct DemoBackend {
    pub word_delay: Duration,
    pub slow_word_delay: Duration,
}

impl Default for DemoBackend {
    fn default() -> Self {
        Self {
            word_delay: Duration::from_millis(40),
            slow_word_delay: Duration::from_millis(300),
        }
    }
}

impl Backend for DemoBackend {
    fn describe(&self) -> BackendDescription {
        BackendDescription {
            kind: BackendKind::Demo,
            usable: true,
            detail: Some("built in; offline and deterministic".into()),
            capabilities: Capabilities {
                approvals: true,
                interrupt: true,
                resume: true,
                // The demo keeps no history, so a fork anywhere is trivially right.
                fork: true,
                fork_at_message: true,
                ..Capabilities::default()
            },
            models: vec!["demo-1".into()],
            default_model: "demo-1".into(),
            accepts_session_id: false,
        }
    }

    fn start(&self, spec: SessionSpec) -> StartFuture {
        let me = self.clone();
        Box::pin(async move {
            let (cmd_tx, cmd_rx) = mpsc::channel(64);
            let (ev_tx, ev_rx) = mpsc::channel(256);
            let session_id = spec
                .resume
                .clone()
                .unwrap_or_else(|| format!("demo-{}", spec.conversation_id));
            tokio::spawn(run(me, spec, session_id, cmd_rx, ev_tx));
            Ok(SessionHandle {
                commands: cmd_tx,
                events: ev_rx,
            })
        })
    }
}

/// Why a turn stopped early.
enum Stop {
    Interrupted,
    /// The turn already ended with `TurnFailed`.
    Failed,
    Closed,
}

struct Turn<'a> {
    backend: &'a DemoBackend,
    cmds: &'a mut mpsc::Receiver<SessionCommand>,
    events: &'a mpsc::Sender<NormalizedEvent>,
    /// Messages that arrived mid-turn (the office only sends after a turn ends, but be safe).
    pending: Vec<UserTurn>,
}

impl Turn<'_> {
    async fn emit(&self, ev: NormalizedEvent) -> Result<(), Stop> {
        self.events.send(ev).await.map_err(|_| Stop::Closed)
    }

    /// Waits `d`, watching for an interrupt or close.
    async fn pause(&mut self, d: Duration) -> Result<(), Stop> {
        let sleep = tokio::time::sleep(d);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return Ok(()),
                cmd = self.cmds.recv() => match cmd {
                    None | Some(SessionCommand::Close) => return Err(Stop::Closed),
                    Some(SessionCommand::Interrupt) => return Err(Stop::Interrupted),
                    Some(SessionCommand::Send(t)) => self.pending.push(t),
                    Some(SessionCommand::AnswerApproval { .. }) => {}
                },
            }
        }
    }

    async fn stream(&mut self, text: &str, delay: Duration) -> Result<(), Stop> {
        for (i, word) in text.split(' ').enumerate() {
            let piece = if i == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            };
            self.pause(delay).await?;
            self.emit(NormalizedEvent::TextDelta(piece)).await?;
        }
        self.emit(NormalizedEvent::AssistantText(text.to_owned()))
            .await
    }

    async fn wait_approval(&mut self, request_id: &str) -> Result<(bool, Option<String>), Stop> {
        loop {
            match self.cmds.recv().await {
                None | Some(SessionCommand::Close) => return Err(Stop::Closed),
                Some(SessionCommand::Interrupt) => return Err(Stop::Interrupted),
                Some(SessionCommand::Send(t)) => self.pending.push(t),
                Some(SessionCommand::AnswerApproval {
                    request_id: r,
                    allow,
                    reason,
                }) if r == request_id => return Ok((allow, reason)),
                Some(SessionCommand::AnswerApproval { .. }) => {}
            }
        }
    }

    async fn tool(&mut self, n: u64, cwd: &str) -> Result<(), Stop> {
        let call_id = format!("demo-call-{n}");
        self.emit(NormalizedEvent::ToolStarted {
            call_id: call_id.clone(),
            tool: "list_files".into(),
            input: serde_json::json!({ "path": cwd }),
        })
        .await?;
        self.pause(self.backend.word_delay * 3).await?;
        self.emit(NormalizedEvent::ToolFinished {
            call_id,
            output: "notes.md\nplan.txt\nsrc/".into(),
            ok: true,
        })
        .await
    }

    async fn run(&mut self, turn: &UserTurn, n: u64, cwd: &str) -> Result<Usage, Stop> {
        let text = &turn.text;
        let who = turn
            .lines
            .last()
            .map_or_else(|| "there".to_owned(), |l| l.sender.name.clone());
        let said = quote(turn.lines.last().map_or("", |l| l.text.as_str()));
        self.emit(NormalizedEvent::TurnStarted).await?;
        let delay = self.backend.word_delay;
        if let Some((n, every)) = bench_args(text) {
            // `/demo bench N [ms]`: N deltas, each carrying the wall-clock time it was emitted
            // (`⏱<unix nanos>;`), so `cargo xtask bench relay` can time the office's relay.
            for _ in 0..n {
                self.pause(every).await?;
                self.emit(NormalizedEvent::TextDelta(format!("⏱{};", unix_nanos())))
                    .await?;
            }
            self.emit(NormalizedEvent::AssistantText(format!("bench: {n} stamps")))
                .await?;
            return Ok(usage(text, n));
        }
        if text.contains("/demo error") {
            self.pause(delay).await?;
            self.emit(NormalizedEvent::TurnFailed {
                message: "The demo model returned an error (simulated by /demo error).".into(),
                hint: Some("Send another message to continue; the agent is fine.".into()),
            })
            .await?;
            return Err(Stop::Failed);
        }
        if text.contains("/demo question") {
            self.stream("Before I go on: which colour should the button be?", delay)
                .await?;
            self.emit(NormalizedEvent::Question(
                "Which colour should the button be? (reply in the chat)".into(),
            ))
            .await?;
            return Ok(usage(text, 12));
        }
        if text.contains("/demo approval") {
            self.stream("I need to clean the build folder first.", delay)
                .await?;
            let request_id = format!("demo-approval-{n}");
            self.emit(NormalizedEvent::ApprovalRequest {
                request_id: request_id.clone(),
                tool: "Bash".into(),
                input: serde_json::json!({ "command": "rm -rf ./build" }),
                summary: "Run `rm -rf ./build` in the working directory".into(),
                unanalysable: None,
            })
            .await?;
            let (allow, reason) = self.wait_approval(&request_id).await?;
            let call_id = format!("demo-call-{n}");
            self.emit(NormalizedEvent::ToolStarted {
                call_id: call_id.clone(),
                tool: "Bash".into(),
                input: serde_json::json!({ "command": "rm -rf ./build" }),
            })
            .await?;
            let (output, reply) = if allow {
                (
                    "(simulated) removed ./build".to_owned(),
                    "Done: the build folder is clean.",
                )
            } else {
                (
                    format!(
                        "denied{}",
                        reason.map(|r| format!(": {r}")).unwrap_or_default()
                    ),
                    "Understood, I left the build folder alone.",
                )
            };
            self.emit(NormalizedEvent::ToolFinished {
                call_id,
                output,
                ok: allow,
            })
            .await?;
            self.stream(reply, delay).await?;
            return Ok(usage(text, 20));
        }
        let slow = text.contains("/demo slow");
        let delay = if slow {
            self.backend.slow_word_delay
        } else {
            delay
        };
        self.stream("Let me take a look around first.", delay)
            .await?;
        self.tool(n, cwd).await?;
        if text.contains("/demo tool") {
            self.tool(n + 1000, cwd).await?;
        }
        let mut reply = format!(
            "Hi {who}! You said: \"{said}\". I am the built-in demo agent: I answer the same way \
             every time, so you can try the office without any API keys."
        );
        if !turn.attachments.is_empty() {
            let n = turn.attachments.len();
            let names: Vec<&str> = turn.attachments.iter().map(|a| a.name.as_str()).collect();
            reply.push_str(&format!(
                " I see {n} attachment{}: {}.",
                if n == 1 { "" } else { "s" },
                names.join(", ")
            ));
        }
        if slow {
            reply.push_str(
                " This reply is deliberately slow so you can watch it stream, interrupt it, \
                 or queue more messages while I am still typing.",
            );
        }
        self.stream(&reply, delay).await?;
        Ok(usage(text, reply.split(' ').count() as u64 + 7))
    }
}

/// What the demo quotes back: the message, at most 300 characters (a skill's long body is not
/// streamed back word by word; a short message with a code block is echoed whole).
fn quote(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `/demo bench N [ms]` → (N, interval), N capped at 100 000.
fn bench_args(text: &str) -> Option<(u64, Duration)> {
    let rest = &text[text.find("/demo bench")? + "/demo bench".len()..];
    let mut words = rest.split_whitespace();
    let n = words.next()?.parse::<u64>().ok()?.min(100_000);
    let ms = words
        .next()
        .and_then(|w| w.parse::<u64>().ok())
        .unwrap_or(10);
    Some((n, Duration::from_millis(ms)))
}

fn unix_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn usage(input: &str, output_words: u64) -> Usage {
    Usage {
        input_tokens: 100 + input.len() as u64 / 4,
        output_tokens: output_words * 4 / 3 + 1,
        cache_read_tokens: 50,
        cache_write_tokens: 0,
        cost_usd: 0.0,
        turns: 0,
    }
}

async fn run(
    backend: DemoBackend,
    spec: SessionSpec,
    session_id: String,
    mut cmds: mpsc::Receiver<SessionCommand>,
    events: mpsc::Sender<NormalizedEvent>,
) {
    if events
        .send(NormalizedEvent::SessionId(session_id.clone()))
        .await
        .is_err()
    {
        return;
    }
    let cwd = spec.cwd.to_string_lossy().into_owned();
    let mut n = 0u64;
    let mut backlog: Vec<UserTurn> = Vec::new();
    loop {
        let turn = if backlog.is_empty() {
            match cmds.recv().await {
                Some(SessionCommand::Send(t)) => t,
                Some(SessionCommand::Close) | None => return,
                Some(_) => continue,
            }
        } else {
            backlog.remove(0)
        };
        n += 1;
        let mut t = Turn {
            backend: &backend,
            cmds: &mut cmds,
            events: &events,
            pending: Vec::new(),
        };
        let result = t.run(&turn, n, &cwd).await;
        backlog.append(&mut t.pending);
        if matches!(result, Ok(_) | Err(Stop::Interrupted))
            && events
                .send(NormalizedEvent::Position(format!("{session_id}#{n}")))
                .await
                .is_err()
        {
            return;
        }
        let done = match result {
            Ok(usage) => NormalizedEvent::TurnCompleted {
                usage,
                interrupted: false,
            },
            Err(Stop::Interrupted) => NormalizedEvent::TurnCompleted {
                usage: usage(&turn.text, 0),
                interrupted: true,
            },
            Err(Stop::Failed) => continue,
            Err(Stop::Closed) => return,
        };
        if events.send(done).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isomux_protocol::{Sender, SenderKind, UserLine};

    fn spec() -> SessionSpec {
        SessionSpec {
            cwd: "/tmp".into(),
            effort: Default::default(),
            ..crate::test_support::spec("Demo", "demo-1")
        }
    }

    fn turn(text: &str) -> UserTurn {
        UserTurn {
            lines: vec![UserLine {
                sender: Sender {
                    kind: SenderKind::Human,
                    id: "mb".into(),
                    name: "Nil".into(),
                    device: None,
                },
                text: text.into(),
                attachments: vec![],
            }],
            text: format!("[Nil] {text}"),
            attachments: vec![],
        }
    }

    async fn collect_turn(h: &mut SessionHandle) -> Vec<NormalizedEvent> {
        let mut out = Vec::new();
        while let Some(ev) = h.events.recv().await {
            let end = matches!(
                ev,
                NormalizedEvent::TurnCompleted { .. } | NormalizedEvent::TurnFailed { .. }
            );
            out.push(ev);
            if end {
                break;
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_streams_words_calls_a_tool_and_reports_usage() {
        let mut h = DemoBackend::default().start(spec()).await.unwrap();
        h.commands
            .send(SessionCommand::Send(turn("hello")))
            .await
            .unwrap();
        let evs = collect_turn(&mut h).await;
        assert_eq!(evs[0], NormalizedEvent::SessionId("demo-cv_1".into()));
        let deltas = evs
            .iter()
            .filter(|e| matches!(e, NormalizedEvent::TextDelta(_)))
            .count();
        assert!(deltas > 10, "streams word by word: {deltas}");
        assert!(
            evs.iter()
                .any(|e| matches!(e, NormalizedEvent::ToolStarted { .. }))
        );
        assert!(
            evs.iter()
                .any(|e| matches!(e, NormalizedEvent::ToolFinished { ok: true, .. }))
        );
        let reply = evs
            .iter()
            .filter_map(|e| match e {
                NormalizedEvent::AssistantText(t) => Some(t.clone()),
                _ => None,
            })
            .collect::<Vec<_>>();
        assert!(reply[1].contains("You said: \"hello\""), "{reply:?}");
        match evs.last().unwrap() {
            NormalizedEvent::TurnCompleted { usage, interrupted } => {
                assert!(!interrupted);
                assert!(usage.input_tokens > 0 && usage.output_tokens > 0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deterministic() {
        let mut a = DemoBackend::default().start(spec()).await.unwrap();
        let mut b = DemoBackend::default().start(spec()).await.unwrap();
        a.commands
            .send(SessionCommand::Send(turn("same")))
            .await
            .unwrap();
        b.commands
            .send(SessionCommand::Send(turn("same")))
            .await
            .unwrap();
        assert_eq!(collect_turn(&mut a).await, collect_turn(&mut b).await);
    }

    #[tokio::test(start_paused = true)]
    async fn interrupt_ends_the_turn_and_the_session_goes_on() {
        let mut h = DemoBackend::default().start(spec()).await.unwrap();
        h.commands
            .send(SessionCommand::Send(turn("/demo slow")))
            .await
            .unwrap();
        // Wait for the first delta, then interrupt.
        loop {
            if let Some(NormalizedEvent::TextDelta(_)) = h.events.recv().await {
                break;
            }
        }
        h.commands.send(SessionCommand::Interrupt).await.unwrap();
        let evs = collect_turn(&mut h).await;
        assert!(matches!(
            evs.last(),
            Some(NormalizedEvent::TurnCompleted {
                interrupted: true,
                ..
            })
        ));
        h.commands
            .send(SessionCommand::Send(turn("again")))
            .await
            .unwrap();
        let evs = collect_turn(&mut h).await;
        assert!(matches!(
            evs.last(),
            Some(NormalizedEvent::TurnCompleted {
                interrupted: false,
                ..
            })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn approval_waits_for_the_answer() {
        let mut h = DemoBackend::default().start(spec()).await.unwrap();
        h.commands
            .send(SessionCommand::Send(turn("/demo approval")))
            .await
            .unwrap();
        let request_id = loop {
            if let Some(NormalizedEvent::ApprovalRequest { request_id, .. }) = h.events.recv().await
            {
                break request_id;
            }
        };
        h.commands
            .send(SessionCommand::AnswerApproval {
                request_id,
                allow: false,
                reason: Some("not now".into()),
            })
            .await
            .unwrap();
        let evs = collect_turn(&mut h).await;
        assert!(evs.iter().any(|e| matches!(
            e,
            NormalizedEvent::ToolFinished { ok: false, output, .. } if output.contains("not now")
        )));
    }

    #[test]
    fn quotes_at_most_300_characters() {
        assert_eq!(quote("  hi there "), "hi there");
        let code = "Explain:\n\n```rust\nfn main() {}\n```";
        assert_eq!(quote(code), code);
        let long = "a".repeat(350);
        assert_eq!(quote(&long), format!("{}…", "a".repeat(300)));
        assert_eq!(quote(&"é".repeat(300)), "é".repeat(300));
    }

    #[test]
    fn bench_trigger_parses_count_and_interval() {
        assert_eq!(bench_args("hi"), None);
        assert_eq!(bench_args("/demo bench x"), None);
        assert_eq!(
            bench_args("go /demo bench 5"),
            Some((5, Duration::from_millis(10)))
        );
        assert_eq!(
            bench_args("/demo bench 7 2"),
            Some((7, Duration::from_millis(2)))
        );
        assert_eq!(
            bench_args("/demo bench 999999999").map(|b| b.0),
            Some(100_000)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn bench_trigger_streams_stamped_deltas() {
        let mut h = DemoBackend::default().start(spec()).await.unwrap();
        h.commands
            .send(SessionCommand::Send(turn("/demo bench 3 1")))
            .await
            .unwrap();
        let evs = collect_turn(&mut h).await;
        let stamps: Vec<u128> = evs
            .iter()
            .filter_map(|e| match e {
                NormalizedEvent::TextDelta(t) => t
                    .strip_prefix('⏱')
                    .and_then(|t| t.strip_suffix(';'))
                    .and_then(|t| t.parse().ok()),
                _ => None,
            })
            .collect();
        assert_eq!(stamps.len(), 3, "{evs:?}");
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    }

    #[tokio::test(start_paused = true)]
    async fn error_and_question_triggers() {
        let mut h = DemoBackend::default().start(spec()).await.unwrap();
        h.commands
            .send(SessionCommand::Send(turn("/demo error")))
            .await
            .unwrap();
        let evs = collect_turn(&mut h).await;
        assert!(matches!(
            evs.last(),
            Some(NormalizedEvent::TurnFailed { .. })
        ));
        h.commands
            .send(SessionCommand::Send(turn("/demo question")))
            .await
            .unwrap();
        let evs = collect_turn(&mut h).await;
        assert!(
            evs.iter()
                .any(|e| matches!(e, NormalizedEvent::Question(_)))
        );
    }
}
