//! The analyst app's sessions on PostgreSQL: shared by every collector.

use super::*;
use wasmtrack_collector::store::{EventStore, SessionRecord};

const IDLE: i64 = 3_600_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opened_through_one_collector_is_found_and_ended_through_the_other() {
    let (_cluster, a, b) = two_collectors("sessions").await;
    let record = SessionRecord {
        holder: "admin".into(),
        csrf: "c".repeat(32),
        last_seen: 1_000_000,
    };
    a.open_session("h1".into(), record.clone(), IDLE)
        .await
        .unwrap();
    let found = b.find_session("h1".into(), 1_000_500, IDLE).await.unwrap();
    assert_eq!(
        found,
        Some(record.clone()),
        "seen through the other at once"
    );
    // Used later through B: its last use moves, so A keeps it alive too.
    let later = 1_000_000 + IDLE - 1;
    assert!(b
        .find_session("h1".into(), later, IDLE)
        .await
        .unwrap()
        .is_some());
    let touched = a
        .find_session("h1".into(), later + 10, IDLE)
        .await
        .unwrap()
        .expect("kept alive by its use through B");
    assert_eq!(touched.last_seen, later);
    // Idle too long: gone for both.
    assert!(a
        .find_session("h1".into(), later + IDLE, IDLE)
        .await
        .unwrap()
        .is_none());
    assert!(b
        .find_session("h1".into(), later, IDLE)
        .await
        .unwrap()
        .is_none());
    // Signing out through one ends it on both.
    a.open_session("h2".into(), record, IDLE).await.unwrap();
    b.close_session("h2".into()).await.unwrap();
    assert!(a
        .find_session("h2".into(), 1_000_001, IDLE)
        .await
        .unwrap()
        .is_none());
}
