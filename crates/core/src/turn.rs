//! The turn state machine of one agent: when to start a backend session, when to deliver the
//! queue, when to interrupt, and the watchdog's restart-and-replay when the CLI dies mid-turn.
//! Pure (`handle(input) -> effects`, no IO); the Office actor runs the effects. Messages always
//! go through the queue; the queue flows whenever no turn runs.

/// Whether a live backend session exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionPhase {
    /// No live CLI (sleeping).
    #[default]
    None,
    /// The session is being started.
    Starting,
    /// Ready to take turns.
    Live,
}

/// Whether a turn is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TurnPhase {
    #[default]
    Idle,
    Running,
    /// An interrupt was sent; waiting for the backend to end the turn.
    Interrupting,
    /// The CLI died mid-turn; a new session is starting to replay the turn's message.
    Replaying,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A message was added to the queue.
    MessageQueued,
    /// The backend session is ready.
    SessionStarted,
    /// Starting the session failed.
    SessionFailed,
    /// The backend finished (or aborted) the running turn.
    TurnFinished,
    /// Abort / send-now / steer: stop the running turn.
    InterruptRequested,
    /// The backend process went away. `replay`: the watchdog may restart it and send the
    /// interrupted turn's message again (not yet replayed, within the crash budget).
    SessionExited { replay: bool },
    /// Close the session (new conversation, delete, shutdown).
    Close,
    /// Settings baked into the CLI at spawn changed (model, effort, cwd, prompt): restart the
    /// session at the next idle point; the next turn resumes it with the new settings.
    Restart,
}

/// What the actor must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    StartSession,
    /// Coalesce the queue and send it as one turn.
    DeliverQueue,
    SendInterrupt,
    /// The running turn was lost with the process: mark it in the log.
    MarkTurnLost,
    /// Say in the log that the CLI died and the turn's message is being replayed.
    MarkReplay,
    /// Send the interrupted turn's message again on the new session.
    Replay,
    CloseSession,
}

/// Session and turn phases of one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TurnFlow {
    pub session: SessionPhase,
    pub turn: TurnPhase,
    /// A restart waits for the running turn to end.
    pub restart_pending: bool,
}

impl TurnFlow {
    /// A turn is in progress (messages queue).
    pub fn is_busy(&self) -> bool {
        self.turn != TurnPhase::Idle
    }

    /// Applies `input`; `queue_nonempty` is the queue's state after the input's own change.
    pub fn handle(&mut self, input: Input, queue_nonempty: bool) -> Vec<Effect> {
        use Effect::*;
        let mut fx = Vec::new();
        match input {
            Input::MessageQueued => self.flow(queue_nonempty, &mut fx),
            Input::SessionStarted => {
                self.session = SessionPhase::Live;
                if self.turn == TurnPhase::Replaying {
                    self.turn = TurnPhase::Running;
                    fx.push(Replay);
                } else {
                    self.flow(queue_nonempty, &mut fx);
                }
            }
            Input::SessionFailed => {
                self.session = SessionPhase::None;
                if self.turn == TurnPhase::Replaying {
                    fx.push(MarkTurnLost);
                }
                self.turn = TurnPhase::Idle;
            }
            Input::TurnFinished => {
                if self.turn != TurnPhase::Idle {
                    self.turn = TurnPhase::Idle;
                    self.restart_if_pending(&mut fx);
                    self.flow(queue_nonempty, &mut fx);
                }
            }
            Input::Restart => {
                if self.session == SessionPhase::None {
                    return fx;
                }
                self.restart_pending = true;
                if self.turn == TurnPhase::Idle {
                    self.restart_if_pending(&mut fx);
                    self.flow(queue_nonempty, &mut fx);
                }
            }
            Input::InterruptRequested => {
                if self.turn == TurnPhase::Running {
                    self.turn = TurnPhase::Interrupting;
                    fx.push(SendInterrupt);
                }
            }
            Input::SessionExited { replay } => {
                self.session = SessionPhase::None;
                match self.turn {
                    TurnPhase::Running if replay => {
                        self.turn = TurnPhase::Replaying;
                        self.session = SessionPhase::Starting;
                        fx.extend([MarkReplay, StartSession]);
                        return fx;
                    }
                    TurnPhase::Idle => {}
                    _ => {
                        self.turn = TurnPhase::Idle;
                        fx.push(MarkTurnLost);
                    }
                }
                self.flow(queue_nonempty, &mut fx);
            }
            Input::Close => {
                if self.session != SessionPhase::None {
                    fx.push(CloseSession);
                }
                if self.turn != TurnPhase::Idle {
                    fx.push(MarkTurnLost);
                }
                *self = Self::default();
            }
        }
        fx
    }

    /// Closes the session for a pending restart (only called when no turn runs).
    fn restart_if_pending(&mut self, fx: &mut Vec<Effect>) {
        if self.restart_pending {
            self.restart_pending = false;
            if self.session != SessionPhase::None {
                self.session = SessionPhase::None;
                fx.push(Effect::CloseSession);
            }
        }
    }

    /// Lets the queue flow when nothing runs.
    fn flow(&mut self, queue_nonempty: bool, fx: &mut Vec<Effect>) {
        if self.turn != TurnPhase::Idle || !queue_nonempty {
            return;
        }
        match self.session {
            SessionPhase::None => {
                self.session = SessionPhase::Starting;
                fx.push(Effect::StartSession);
            }
            SessionPhase::Starting => {}
            SessionPhase::Live => {
                self.turn = TurnPhase::Running;
                fx.push(Effect::DeliverQueue);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Effect::*;
    use super::*;

    #[test]
    fn first_message_starts_the_session_then_delivers() {
        let mut f = TurnFlow::default();
        assert_eq!(f.handle(Input::MessageQueued, true), vec![StartSession]);
        // More messages while starting just wait.
        assert_eq!(f.handle(Input::MessageQueued, true), vec![]);
        assert_eq!(f.handle(Input::SessionStarted, true), vec![DeliverQueue]);
        assert!(f.is_busy());
    }

    #[test]
    fn messages_to_a_busy_agent_wait_until_the_turn_ends() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Running,
            ..TurnFlow::default()
        };
        assert_eq!(f.handle(Input::MessageQueued, true), vec![]);
        assert_eq!(f.handle(Input::TurnFinished, true), vec![DeliverQueue]);
        assert_eq!(f.turn, TurnPhase::Running);
        assert_eq!(f.handle(Input::TurnFinished, false), vec![]);
        assert_eq!(f.turn, TurnPhase::Idle);
    }

    #[test]
    fn interrupt_only_while_running_and_only_once() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Idle,
            ..TurnFlow::default()
        };
        assert_eq!(f.handle(Input::InterruptRequested, false), vec![]);
        f.turn = TurnPhase::Running;
        assert_eq!(
            f.handle(Input::InterruptRequested, true),
            vec![SendInterrupt]
        );
        assert_eq!(f.handle(Input::InterruptRequested, true), vec![]);
        // Send-now: the queue flows as soon as the interrupted turn ends.
        assert_eq!(f.handle(Input::TurnFinished, true), vec![DeliverQueue]);
    }

    #[test]
    fn a_dead_process_marks_the_turn_and_restarts_for_waiting_messages() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Running,
            ..TurnFlow::default()
        };
        assert_eq!(
            f.handle(Input::SessionExited { replay: false }, true),
            vec![MarkTurnLost, StartSession]
        );
        let mut g = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Idle,
            ..TurnFlow::default()
        };
        assert_eq!(
            g.handle(Input::SessionExited { replay: true }, false),
            vec![]
        );
        assert_eq!(g.session, SessionPhase::None);
    }

    #[test]
    fn the_watchdog_restarts_and_replays_once() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Running,
            ..TurnFlow::default()
        };
        assert_eq!(
            f.handle(Input::SessionExited { replay: true }, true),
            vec![MarkReplay, StartSession]
        );
        assert!(f.is_busy(), "messages keep queueing during the restart");
        assert_eq!(f.handle(Input::MessageQueued, true), vec![]);
        assert_eq!(f.handle(Input::SessionStarted, true), vec![Replay]);
        assert_eq!(f.turn, TurnPhase::Running);
        // It dies again: this time the turn is lost (the actor passes replay: false).
        assert_eq!(
            f.handle(Input::SessionExited { replay: false }, true),
            vec![MarkTurnLost, StartSession]
        );
        // A restart that fails loses the turn too.
        let mut g = TurnFlow {
            session: SessionPhase::Starting,
            turn: TurnPhase::Replaying,
            ..TurnFlow::default()
        };
        assert_eq!(g.handle(Input::SessionFailed, true), vec![MarkTurnLost]);
        assert_eq!(g, TurnFlow::default());
        // An interrupting turn that dies is simply over.
        let mut h = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Interrupting,
            ..TurnFlow::default()
        };
        assert_eq!(
            h.handle(Input::SessionExited { replay: true }, false),
            vec![MarkTurnLost]
        );
    }

    #[test]
    fn failed_start_leaves_messages_queued_and_sleeps() {
        let mut f = TurnFlow::default();
        f.handle(Input::MessageQueued, true);
        assert_eq!(f.handle(Input::SessionFailed, true), vec![]);
        assert_eq!(f, TurnFlow::default());
        // The next message tries again.
        assert_eq!(f.handle(Input::MessageQueued, true), vec![StartSession]);
    }

    #[test]
    fn close_resets_everything() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Running,
            ..TurnFlow::default()
        };
        assert_eq!(
            f.handle(Input::Close, true),
            vec![CloseSession, MarkTurnLost]
        );
        assert_eq!(f, TurnFlow::default());
        let mut g = TurnFlow::default();
        assert_eq!(g.handle(Input::Close, false), vec![]);
    }

    #[test]
    fn a_restart_waits_for_the_running_turn() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Running,
            restart_pending: false,
        };
        assert_eq!(f.handle(Input::Restart, false), vec![]);
        // The turn ends with a message waiting: close, then start afresh for it.
        assert_eq!(
            f.handle(Input::TurnFinished, true),
            vec![CloseSession, StartSession]
        );
        assert!(!f.restart_pending);
        let mut idle = TurnFlow {
            session: SessionPhase::Live,
            ..TurnFlow::default()
        };
        assert_eq!(idle.handle(Input::Restart, false), vec![CloseSession]);
        assert_eq!(idle.session, SessionPhase::None);
        // Nothing to restart when no CLI runs.
        let mut asleep = TurnFlow::default();
        assert_eq!(asleep.handle(Input::Restart, true), vec![]);
    }

    #[test]
    fn stale_turn_finished_is_ignored() {
        let mut f = TurnFlow {
            session: SessionPhase::Live,
            turn: TurnPhase::Idle,
            ..TurnFlow::default()
        };
        assert_eq!(f.handle(Input::TurnFinished, true), vec![]);
    }
}
