//! Workflows on PostgreSQL with two collectors on one database: a workflow saved through one
//! is seen by the other, enrollments and their steps are one set of rows, and exactly one
//! collector runs the workflows at a time, another taking over when it stops.

use super::*;
use wasmtrack_collector::store::{EnrollmentBatch, EventStore, HistoryEntry, StepChange};
use wasmtrack_collector::workflows::Workflow;

fn workflow(name: &str) -> Workflow {
    serde_json::from_value(serde_json::json!({
        "name": name,
        "triggers": [{"event": "signup"}],
        "actions": [{"type": "delay", "ms": 1000}],
        "secret": "s".repeat(64)
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflows_and_enrollments_made_through_one_collector_are_the_others() {
    let (_cluster, a, b) = two_collectors("workflows").await;
    let saved = a.save_workflow(workflow("welcome")).await.unwrap();
    let seen = eventually(Duration::from_secs(5), || {
        b.workflow(saved.id).is_some_and(|w| w.name == "welcome")
    })
    .await;
    assert!(seen.is_some(), "B sees the workflow saved through A");
    // Enrolled through A's follower, read and stepped through B.
    let made = a
        .enroll(EnrollmentBatch {
            through: 7,
            enroll: vec![(saved.id, 42, 7, "signup".into())],
            now: 1_000,
            ..EnrollmentBatch::default()
        })
        .await
        .unwrap();
    assert_eq!(made, 1);
    assert_eq!(b.enrollment_cursor().await.unwrap(), 7);
    let again = b
        .enroll(EnrollmentBatch {
            through: 5,
            enroll: vec![(saved.id, 42, 8, "signup".into())],
            now: 2_000,
            ..EnrollmentBatch::default()
        })
        .await
        .unwrap();
    assert_eq!(
        again, 0,
        "a contact is enrolled once unless the workflow re-enrolls"
    );
    assert_eq!(
        a.enrollment_cursor().await.unwrap(),
        7,
        "the cursor never goes back"
    );
    // A collector that still believes it leads sends a batch decided from an old cursor:
    // what the cursor has passed is not decided again, even for a workflow that re-enrolls.
    let stale = b
        .enroll(EnrollmentBatch {
            through: 7,
            enroll: vec![(saved.id, 43, 6, "signup".into())],
            reenroll: vec![saved.id],
            now: 2_000,
            ..EnrollmentBatch::default()
        })
        .await
        .unwrap();
    assert_eq!(
        stale, 0,
        "a completion the cursor passed enrolls nobody again"
    );
    let e = b.enrollments(saved.id, 10).await.unwrap().remove(0);
    assert_eq!(
        (e.contact, e.state.as_str(), e.wake_at),
        (42, "active", Some(1_000))
    );
    let change = |from_step: i64| StepChange {
        id: e.id,
        from_step,
        from_attempts: 0,
        from_state: "active".into(),
        step: from_step + 1,
        attempts: 0,
        state: "active".into(),
        wake_at: Some(5_000),
        step_started_at: None,
        begins_wait: false,
        last_wait: Some(r#"{"step":0,"outcome":"timedOut"}"#.into()),
        finished_at: None,
        history: vec![HistoryEntry {
            step: from_step,
            at: 3_000,
            kind: "delayed".into(),
            status: Some(204),
            latency_ms: Some(12),
            detail: None,
        }],
    };
    // Both collectors decide from the same read: only the first change applies.
    assert_eq!(a.change_steps(vec![change(0)]).await.unwrap(), [true]);
    assert_eq!(b.change_steps(vec![change(0)]).await.unwrap(), [false]);
    let moved = a.enrollment(e.id).await.unwrap().unwrap();
    assert_eq!(moved.step, 1);
    assert_eq!(
        moved.last_wait.as_deref(),
        Some(r#"{"step":0,"outcome":"timedOut"}"#),
        "kept as written"
    );
    let history = b.enrollment_history(e.id).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(kinds, ["enrolled", "delayed"]);
    assert_eq!(history[1].status, Some(204));
    assert_eq!(
        b.due_enrollments(vec![saved.id], 5_000, vec![], 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(a.next_wake(vec![saved.id]).await.unwrap(), Some(5_000));
    b.delete_workflow(saved.id).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || a.workflow(saved.id).is_none())
            .await
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_collector_runs_the_workflows_and_another_takes_over_when_it_stops() {
    let (cluster, a, b) = two_collectors("leader").await;
    let (la, lb) = (a.leading(), b.leading());
    let one = eventually(Duration::from_secs(10), || *la.borrow() || *lb.borrow()).await;
    assert!(one.is_some(), "a collector leads");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        *la.borrow() != *lb.borrow(),
        "exactly one leads (A {}, B {})",
        *la.borrow(),
        *lb.borrow()
    );
    let (leader, follower, follows) = if *la.borrow() { (a, b, lb) } else { (b, a, la) };
    EventStore::close(&leader).await;
    drop(leader);
    let took_over = eventually(Duration::from_secs(10), || *follows.borrow()).await;
    assert!(
        took_over.is_some(),
        "the other takes over once the leader stops"
    );
    // The database restarting ends every session: the lock is taken again afterwards.
    cluster.kill().unwrap();
    let lost = eventually(Duration::from_secs(10), || !*follows.borrow()).await;
    assert!(
        lost.is_some(),
        "a leader whose connection broke stops leading"
    );
    cluster.restart().unwrap();
    let again = eventually(Duration::from_secs(15), || *follows.borrow()).await;
    assert!(again.is_some(), "and leads again once the database is back");
    drop(follower);
}
