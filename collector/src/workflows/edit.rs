//! What creating, replacing and replaying mean, whoever asks: the JSON API
//! (`api/workflows.rs`) and the analyst app's pages (`app/workflows.rs`) both call these, so
//! the rules about what the collector says rather than the client (the signing secret, the
//! times, why a workflow was paused) and what a replay changes are written once.
//!
//! Pure functions: the secret and the time come in as arguments.

use super::Workflow;
use crate::store::{Enrollment, HistoryEntry, StepChange};

/// `workflow` as a new one: no id yet, the collector's `secret` (the caller makes it, 32
/// random bytes as hex), created and changed `now`, never paused.
pub fn created(mut workflow: Workflow, secret: String, now: i64) -> Workflow {
    workflow.id = 0;
    workflow.secret = secret;
    workflow.created_at = now;
    workflow.updated_at = now;
    workflow.paused_reason = None;
    workflow
}

/// `workflow` replacing `old`: its id, secret and creation time stay, it changed `now`, and a
/// pause the collector made is kept only while the workflow stays off (switching it on again
/// is someone saying the receiver is back).
pub fn replacing(mut workflow: Workflow, old: &Workflow, now: i64) -> Workflow {
    workflow.id = old.id;
    workflow.secret = old.secret.clone();
    workflow.created_at = old.created_at;
    workflow.updated_at = now;
    workflow.paused_reason = if workflow.enabled {
        None
    } else {
        old.paused_reason.clone()
    };
    workflow
}

/// The change that runs a failed enrollment's failed step again from its first attempt, due
/// `now`; `None` when the enrollment has not failed.
pub fn replay(e: &Enrollment, now: i64) -> Option<StepChange> {
    (e.state == "failed").then(|| StepChange {
        id: e.id,
        from_step: e.step,
        from_attempts: e.attempts,
        from_state: e.state.clone(),
        step: e.step,
        attempts: 0,
        state: "active".into(),
        wake_at: Some(now),
        step_started_at: None,
        begins_wait: false,
        last_wait: e.last_wait.clone(),
        finished_at: None,
        history: vec![HistoryEntry {
            step: e.step,
            at: now,
            kind: "replayed".into(),
            status: None,
            latency_ms: None,
            detail: Some("run again by hand".into()),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workflow(enabled: bool) -> Workflow {
        serde_json::from_value(json!({
            "id": 9, "name": "W", "enabled": enabled, "secret": "client-said",
            "createdAt": 5, "updatedAt": 6, "pausedReason": "client-said",
            "triggers": [{"event": "signup"}], "actions": [{"type": "delay", "ms": 1000}]
        }))
        .unwrap()
    }

    #[test]
    fn a_new_workflow_gets_the_collectors_secret_times_and_no_pause() {
        let w = created(workflow(true), "s".repeat(64), 100);
        assert_eq!(
            (w.id, w.secret.len(), w.created_at, w.updated_at),
            (0, 64, 100, 100)
        );
        assert_eq!(w.paused_reason, None);
    }

    #[test]
    fn a_replacement_keeps_identity_and_a_pause_only_while_off() {
        let mut old = created(workflow(false), "k".repeat(64), 10);
        old.id = 3;
        old.paused_reason = Some("410 Gone".into());
        let off = replacing(workflow(false), &old, 20);
        assert_eq!((off.id, off.secret.as_str()), (3, old.secret.as_str()));
        assert_eq!((off.created_at, off.updated_at), (10, 20));
        assert_eq!(off.paused_reason.as_deref(), Some("410 Gone"));
        assert_eq!(replacing(workflow(true), &old, 20).paused_reason, None);
    }

    #[test]
    fn only_a_failed_enrollment_is_replayed_from_its_first_attempt() {
        let mut e = Enrollment {
            id: 1,
            workflow: 2,
            contact: 3,
            event_seq: 4,
            event_name: "signup".into(),
            step: 1,
            state: "completed".into(),
            created_at: 0,
            attempts: 5,
            wake_at: None,
            step_started_at: Some(1),
            last_wait: None,
            finished_at: Some(9),
        };
        assert_eq!(replay(&e, 50), None);
        e.state = "failed".into();
        let change = replay(&e, 50).expect("failed");
        assert_eq!(
            (change.step, change.attempts, change.state.as_str()),
            (1, 0, "active")
        );
        assert_eq!((change.wake_at, change.finished_at), (Some(50), None));
        assert_eq!(change.history[0].kind, "replayed");
    }
}
