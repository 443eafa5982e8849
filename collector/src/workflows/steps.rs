//! What running an enrollment's current step does: pure decisions on the enrollment as
//! stored, the workflow as it is now, and the time, turned into a [`StepChange`] the store
//! applies (`workflows::runner` does the I/O).
//!
//! An enrollment is `active` (its step runs when `wake_at` comes), `waiting` (a "delay until
//! event happens" step: until a matching completion, which the enrollment follower turns into
//! the next step, or until `wake_at`, the maximum wait), and at last `completed` or `failed`.
//!
//! * A **delay** begins (its start is stored and `wake_at` set to its end) and, when due, ends.
//!   Its end is computed from its start and the workflow as it is when it is due, so a delay
//!   shortened by an edit ends sooner.
//! * A **delay until event happens** begins waiting; when its maximum wait passes first, the
//!   enrollment goes on with `last_wait` saying so; the next webhook tells the receiver.
//! * A **webhook** is delivered ([`Next::Deliver`]); [`after_attempt`] reads the answer.
//!
//! If the workflow was edited so that the step an enrollment is at is now of another kind,
//! the step begins again as what it now is; past the last action, the enrollment completes.

use super::delivery::Attempt;
use super::retry::{classify, next_delay_ms, parse_retry_after, Outcome, MAX_ATTEMPTS};
use super::{Action, Workflow};
use crate::store::{Enrollment, HistoryEntry, StepChange};

/// What to do for a due enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send the current step's webhook to this URL, then [`after_attempt`].
    Deliver(String),
    /// Store this.
    Change(StepChange),
}

/// What an attempt's answer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAttempt {
    /// The enrollment's change.
    pub change: StepChange,
    /// When set, the workflow is to be switched off, with this reason.
    pub pause: Option<String>,
}

/// A change that leaves `e` where it is, to be edited.
fn stay(e: &Enrollment) -> StepChange {
    StepChange {
        id: e.id,
        from_step: e.step,
        from_attempts: e.attempts,
        from_state: e.state.clone(),
        step: e.step,
        attempts: e.attempts,
        state: e.state.clone(),
        wake_at: e.wake_at,
        step_started_at: e.step_started_at,
        begins_wait: false,
        last_wait: e.last_wait.clone(),
        finished_at: e.finished_at,
        history: Vec::new(),
    }
}

/// `e` goes on to its next step, due now.
fn advance(e: &Enrollment, now: i64) -> StepChange {
    StepChange {
        step: e.step + 1,
        attempts: 0,
        state: "active".into(),
        wake_at: Some(now),
        step_started_at: None,
        ..stay(e)
    }
}

/// `e` ends as `state` (`completed` or `failed`).
fn finish(e: &Enrollment, state: &str, now: i64) -> StepChange {
    StepChange {
        state: state.into(),
        wake_at: None,
        finished_at: Some(now),
        ..stay(e)
    }
}

fn line(step: i64, now: i64, kind: &str, detail: impl Into<Option<String>>) -> HistoryEntry {
    HistoryEntry {
        step,
        at: now,
        kind: kind.into(),
        status: None,
        latency_ms: None,
        detail: detail.into(),
    }
}

/// A duration for people: `3 d 4 h`, `90 s`, `250 ms`.
pub fn duration_text(ms: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
    ];
    let mut parts = Vec::new();
    let mut rest = ms;
    for (size, unit) in UNITS {
        if rest >= size {
            parts.push(format!("{} {unit}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if parts.is_empty() {
        format!("{ms} ms")
    } else {
        parts.join(" ")
    }
}

fn end_of(start: i64, ms: u64) -> i64 {
    start.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// What running `e`'s current step of `workflow` at `now` does.
pub fn next(workflow: &Workflow, e: &Enrollment, now: i64) -> Next {
    let Some(action) = usize::try_from(e.step)
        .ok()
        .and_then(|i| workflow.actions.get(i))
    else {
        let mut change = finish(e, "completed", now);
        change
            .history
            .push(line(e.step, now, "completed", None::<String>));
        return Next::Change(change);
    };
    match (action, e.state.as_str(), e.step_started_at) {
        (Action::Webhook { url }, "active", _) => Next::Deliver(url.clone()),
        (Action::Delay { ms }, "active", Some(start)) => {
            let end = end_of(start, *ms);
            Next::Change(if end <= now {
                advance(e, now)
            } else {
                StepChange {
                    wake_at: Some(end),
                    ..stay(e)
                }
            })
        }
        (Action::Delay { ms }, "active", None) => {
            let mut change = StepChange {
                step_started_at: Some(now),
                wake_at: Some(end_of(now, *ms)),
                ..stay(e)
            };
            change.history.push(line(
                e.step,
                now,
                "delayed",
                format!("for {}", duration_text(*ms)),
            ));
            Next::Change(change)
        }
        (
            Action::DelayUntil {
                event, max_wait_ms, ..
            },
            "active",
            _,
        ) => {
            let mut change = StepChange {
                state: "waiting".into(),
                step_started_at: Some(now),
                wake_at: max_wait_ms.map(|ms| end_of(now, ms)),
                begins_wait: true,
                ..stay(e)
            };
            let most = max_wait_ms.map_or_else(
                || "as long as it takes".to_owned(),
                |ms| format!("at most {}", duration_text(ms)),
            );
            change
                .history
                .push(line(e.step, now, "waiting", format!("for {event}, {most}")));
            Next::Change(change)
        }
        (
            Action::DelayUntil {
                event, max_wait_ms, ..
            },
            "waiting",
            start,
        ) => {
            let end = max_wait_ms.map(|ms| end_of(start.unwrap_or(now), ms));
            Next::Change(match end {
                Some(end) if end <= now => {
                    let mut change = advance(e, now);
                    change.last_wait = Some(
                        serde_json::json!({
                            "step": e.step,
                            "event": event,
                            "outcome": "maxWaitPassed",
                            "at": now,
                        })
                        .to_string(),
                    );
                    change.history.push(line(
                        e.step,
                        now,
                        "timedOut",
                        format!("{event} did not happen within the maximum wait"),
                    ));
                    change
                }
                // The wait was lengthened (or made endless) by an edit.
                end => StepChange {
                    wake_at: end,
                    ..stay(e)
                },
            })
        }
        // The step is no longer what the enrollment was doing there: it begins again.
        _ => Next::Change(StepChange {
            state: "active".into(),
            step_started_at: None,
            wake_at: Some(now),
            ..stay(e)
        }),
    }
}

/// What `attempt` (the `e.attempts + 1`th of the current webhook) does; `jitter` in `0..1`.
pub fn after_attempt(e: &Enrollment, attempt: &Attempt, now: i64, jitter: f64) -> AfterAttempt {
    let number = e.attempts + 1;
    let mut entry = HistoryEntry {
        step: e.step,
        at: now,
        kind: String::new(),
        status: attempt.status,
        latency_ms: Some(attempt.latency_ms),
        detail: attempt.detail.clone(),
    };
    let outcome = if attempt.refused {
        Outcome::Fail
    } else {
        classify(attempt.status)
    };
    // The receiver's words (or why none came), after a sentence of ours.
    let tail = attempt
        .detail
        .as_deref()
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let mut pause = None;
    let mut change = match outcome {
        Outcome::Delivered => {
            entry.kind = "delivered".into();
            advance(e, now)
        }
        Outcome::Retry => {
            let asked = attempt
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now));
            match next_delay_ms(u32::try_from(number).unwrap_or(u32::MAX), jitter, asked) {
                Some(wait) => {
                    entry.kind = "retrying".into();
                    let next = duration_text(wait);
                    entry.detail = Some(format!(
                        "attempt {number} of {MAX_ATTEMPTS}; next in {next}{tail}"
                    ));
                    StepChange {
                        attempts: number,
                        wake_at: Some(end_of(now, wait)),
                        ..stay(e)
                    }
                }
                None => {
                    entry.kind = "failed".into();
                    entry.detail = Some(format!("gave up after {MAX_ATTEMPTS} attempts{tail}"));
                    finish(e, "failed", now)
                }
            }
        }
        Outcome::Pause => {
            entry.kind = "paused".into();
            let why = "the receiver answered 410 Gone: it no longer accepts these webhooks. \
                       Fix the URL, then switch the workflow on again; this step is tried again then."
                .to_owned();
            pause = Some(format!("Step {} (webhook): {why}", e.step + 1));
            entry.detail = Some(why);
            // The step stays where it is, its attempts uncounted, due again when the
            // workflow is switched back on.
            StepChange {
                wake_at: Some(now),
                ..stay(e)
            }
        }
        Outcome::Fail => {
            entry.kind = "failed".into();
            if !attempt.refused {
                entry.detail = Some(format!(
                    "the receiver refused the request (not retried){tail}"
                ));
            }
            finish(e, "failed", now)
        }
    };
    change.history.push(entry);
    AfterAttempt { change, pause }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::Trigger;

    const NOW: i64 = 1_800_000_000_000;
    const DAY: u64 = 86_400_000;

    fn workflow(actions: Vec<Action>) -> Workflow {
        Workflow {
            id: 1,
            name: "w".into(),
            enabled: true,
            reenroll: false,
            triggers: vec![Trigger {
                event: "signup".into(),
                filters: vec![],
            }],
            actions,
            secret: "s".repeat(64),
            created_at: 0,
            updated_at: 0,
            paused_reason: None,
        }
    }

    fn enrollment(step: i64, state: &str) -> Enrollment {
        Enrollment {
            id: 7,
            workflow: 1,
            contact: 3,
            event_seq: 10,
            event_name: "signup".into(),
            step,
            state: state.into(),
            created_at: NOW,
            attempts: 0,
            wake_at: Some(NOW),
            step_started_at: None,
            last_wait: None,
            finished_at: None,
        }
    }

    /// `e` as the store leaves it after `change`.
    fn applied(e: &Enrollment, change: &StepChange) -> Enrollment {
        Enrollment {
            step: change.step,
            attempts: change.attempts,
            state: change.state.clone(),
            wake_at: change.wake_at,
            step_started_at: change.step_started_at,
            last_wait: change.last_wait.clone(),
            finished_at: change.finished_at,
            ..e.clone()
        }
    }

    fn change(next: Next) -> StepChange {
        match next {
            Next::Change(c) => c,
            Next::Deliver(url) => panic!("delivers to {url}"),
        }
    }

    fn answered(status: Option<u16>) -> Attempt {
        Attempt {
            status,
            latency_ms: 12,
            retry_after: None,
            detail: None,
            refused: false,
        }
    }

    #[test]
    fn a_delay_begins_then_ends_when_its_time_comes() {
        let w = workflow(vec![Action::Delay { ms: 3 * DAY }]);
        let e = enrollment(0, "active");
        let begun = change(next(&w, &e, NOW));
        assert_eq!(begun.step_started_at, Some(NOW));
        assert_eq!(begun.wake_at, Some(NOW + 3 * 86_400_000));
        assert_eq!(begun.history[0].kind, "delayed");
        assert_eq!(begun.history[0].detail.as_deref(), Some("for 3 d"));
        let e = applied(&e, &begun);
        // Woken early (a restart, a clock set back): it sleeps on.
        let early = change(next(&w, &e, NOW + 1_000));
        assert_eq!((early.step, early.wake_at), (0, Some(NOW + 3 * 86_400_000)));
        let later = NOW + 3 * 86_400_000;
        let ended = change(next(&w, &e, later));
        assert_eq!((ended.step, ended.state.as_str()), (1, "active"));
        assert_eq!(ended.wake_at, Some(later));
        assert_eq!(ended.step_started_at, None);
        let done = change(next(&w, &applied(&e, &ended), later));
        assert_eq!(done.state, "completed");
        assert_eq!(done.finished_at, Some(later));
    }

    #[test]
    fn a_wait_for_an_event_times_out_and_says_so() {
        let w = workflow(vec![Action::DelayUntil {
            event: "first_login".into(),
            filters: vec![],
            max_wait_ms: Some(DAY),
        }]);
        let e = enrollment(0, "active");
        let waiting = change(next(&w, &e, NOW));
        assert_eq!(waiting.state, "waiting");
        assert!(waiting.begins_wait);
        assert_eq!(waiting.wake_at, Some(NOW + 86_400_000));
        assert_eq!(
            waiting.history[0].detail.as_deref(),
            Some("for first_login, at most 1 d")
        );
        let e = applied(&e, &waiting);
        let out = change(next(&w, &e, NOW + 86_400_000));
        assert_eq!((out.step, out.state.as_str()), (1, "active"));
        let told: serde_json::Value =
            serde_json::from_str(out.last_wait.as_deref().unwrap()).unwrap();
        assert_eq!(told["outcome"], "maxWaitPassed");
        assert_eq!(told["event"], "first_login");
        assert_eq!(out.history[0].kind, "timedOut");
    }

    #[test]
    fn an_endless_wait_is_never_due() {
        let w = workflow(vec![Action::DelayUntil {
            event: "first_login".into(),
            filters: vec![],
            max_wait_ms: None,
        }]);
        let waiting = change(next(&w, &enrollment(0, "active"), NOW));
        assert_eq!(waiting.wake_at, None);
        assert_eq!(
            waiting.history[0].detail.as_deref(),
            Some("for first_login, as long as it takes")
        );
    }

    #[test]
    fn webhooks_are_delivered_and_their_answers_move_the_enrollment() {
        let w = workflow(vec![Action::Webhook {
            url: "https://hooks.example/a".into(),
        }]);
        let e = enrollment(0, "active");
        assert_eq!(
            next(&w, &e, NOW),
            Next::Deliver("https://hooks.example/a".into())
        );

        let ok = after_attempt(&e, &answered(Some(204)), NOW, 0.0);
        assert_eq!((ok.change.step, ok.change.attempts), (1, 0));
        assert_eq!(ok.change.history[0].kind, "delivered");
        assert_eq!(ok.change.history[0].status, Some(204));
        assert_eq!(ok.change.history[0].latency_ms, Some(12));
        assert_eq!(ok.pause, None);

        let busy = after_attempt(&e, &answered(Some(503)), NOW, 0.0);
        assert_eq!((busy.change.step, busy.change.attempts), (0, 1));
        assert_eq!(busy.change.wake_at, Some(NOW + 30_000));
        assert_eq!(busy.change.history[0].kind, "retrying");

        let mut asked = answered(Some(429));
        asked.retry_after = Some("120".into());
        let later = after_attempt(&e, &asked, NOW, 0.0);
        assert_eq!(later.change.wake_at, Some(NOW + 120_000));

        let mut last = e.clone();
        last.attempts = i64::from(MAX_ATTEMPTS) - 1;
        let gave_up = after_attempt(&last, &answered(None), NOW, 0.0);
        assert_eq!(gave_up.change.state, "failed");
        assert!(gave_up.change.history[0]
            .detail
            .as_deref()
            .unwrap()
            .starts_with("gave up after 31 attempts"));

        let bad = after_attempt(&e, &answered(Some(404)), NOW, 0.0);
        assert_eq!(bad.change.state, "failed");
        assert_eq!(bad.change.finished_at, Some(NOW));

        let gone = after_attempt(&e, &answered(Some(410)), NOW, 0.0);
        assert_eq!((gone.change.step, gone.change.attempts), (0, 0));
        assert_eq!(gone.change.state, "active");
        assert!(gone.pause.unwrap().contains("410 Gone"));

        let mut refused = answered(None);
        refused.refused = true;
        refused.detail = Some("127.0.0.1 is loopback".into());
        let no = after_attempt(&e, &refused, NOW, 0.0);
        assert_eq!(no.change.state, "failed");
        assert_eq!(
            no.change.history[0].detail.as_deref(),
            Some("127.0.0.1 is loopback")
        );
    }

    #[test]
    fn an_edited_step_begins_again_and_past_the_end_completes() {
        let w = workflow(vec![Action::Delay { ms: 1_000 }]);
        let mut e = enrollment(0, "waiting");
        e.step_started_at = Some(NOW - 5);
        let again = change(next(&w, &e, NOW));
        assert_eq!(
            (again.state.as_str(), again.step_started_at),
            ("active", None)
        );
        let gone = change(next(&w, &enrollment(4, "active"), NOW));
        assert_eq!(gone.state, "completed");
        assert_eq!(gone.history[0].kind, "completed");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration_text(250), "250 ms");
        assert_eq!(duration_text(90_000), "1 min 30 s");
        assert_eq!(duration_text(3 * DAY + 4 * 3_600_000 + 5), "3 d 4 h");
        assert_eq!(duration_text(604_800_000), "7 d");
    }
}
