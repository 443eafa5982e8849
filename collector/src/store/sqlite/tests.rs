//! The store's promises about ingestion, tested below the HTTP API: a request is answered only
//! after its events are committed; a request that fails stores nothing and fails no other; a
//! commit that fails fails every request of its group and stores none of them; ids stay unique
//! across merges into `event_ids`, restarts and the version 3 migration.

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::event_ids::{EventIds, Tuning};
use super::id_filter::FilterSizes;
use super::{schema, writer, SqliteStore};
use crate::model::PrimaryObject;
use crate::store::{EventStore, Ingest, IngestOutcome, NewEvent, Retention, StoreError, Subject};

fn event(id: &str, name: &str) -> NewEvent {
    NewEvent {
        id: id.to_owned(),
        name: name.to_owned(),
        occurred_at: 1_700_000_000_000,
        received_at: 1_700_000_000_000,
        object_type: PrimaryObject::Contact,
        subject: Subject::Anonymous,
        vid: Some("v1".into()),
        sid: Some("s1".into()),
        site: Some(Arc::from("shop")),
        props: r#"{"plan":"pro"}"#.into(),
        defaults: Some(Arc::from(r#"{"path":"/"}"#)),
    }
}

fn request(ids: &[String], name: &str) -> Ingest {
    Ingest {
        events: ids.iter().map(|id| event(id, name)).collect(),
        ..Ingest::default()
    }
}

/// `n` distinct ids starting at `from`: canonical UUIDs, with an uppercase UUID and a free
/// text id (HubSpot's `uuid` may be any text) every few.
fn id_list(from: u32, n: u32) -> Vec<String> {
    (from..from + n)
        .map(|i| match i % 7 {
            3 => format!("0000000A-0000-4000-8000-{i:012}"),
            5 => format!("order-{i}"),
            _ => format!("00000000-0000-4000-8000-{i:012}"),
        })
        .collect()
}

/// Merges after 50 ids, filters built 64 ids at a time.
fn small() -> Tuning {
    Tuning {
        merge_at: 50,
        filter: FilterSizes {
            min_ids: 64,
            chunk: 64,
        },
    }
}

fn outcome(stored: usize, duplicates: usize) -> IngestOutcome {
    IngestOutcome { stored, duplicates }
}

/// How many stored events have this id.
fn stored_with_id(path: &Path, id: &str) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM events WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

/// A writer's connection and ids on a fresh file, for driving groups directly.
fn writer_on(path: &Path) -> (Connection, EventIds) {
    let mut conn = schema::open_writer(path).unwrap();
    schema::migrate(&mut conn).unwrap();
    let ids = EventIds::load(&conn).unwrap();
    (conn, ids)
}

type Answer = oneshot::Receiver<Result<IngestOutcome, StoreError>>;

fn job(
    ingest: Ingest,
) -> (
    (Ingest, oneshot::Sender<Result<IngestOutcome, StoreError>>),
    Answer,
) {
    let (tx, rx) = oneshot::channel();
    ((ingest, tx), rx)
}

fn answer(mut rx: Answer) -> Result<IngestOutcome, StoreError> {
    rx.try_recv().expect("answered")
}

#[tokio::test]
async fn every_request_is_answered_after_its_events_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let mut tasks = Vec::new();
    for r in 0..32 {
        let (store, path) = (store.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let batch = id_list(r * 20, 20);
            let done = store.ingest(request(&batch, "signup")).await.unwrap();
            // A connection of its own sees only what is committed.
            for id in &batch {
                assert_eq!(
                    stored_with_id(&path, id),
                    1,
                    "{id} is committed when answered"
                );
            }
            done
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), outcome(20, 0));
    }
    store.close().await;
}

#[test]
fn a_failing_request_stores_nothing_and_fails_no_other_of_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (mut conn, mut ids) = writer_on(&path);
    conn.execute_batch(
        "CREATE TRIGGER no_bad AFTER INSERT ON events WHEN NEW.name = 'bad'
         BEGIN SELECT RAISE(ABORT, 'bad event'); END;",
    )
    .unwrap();
    let good = id_list(0, 3);
    let mixed = id_list(10, 3);
    let (a, a_answer) = job(request(&good, "signup"));
    let mut failing = request(&mixed, "signup");
    failing
        .events
        .push(event("00000000-0000-4000-8000-000000000099", "bad"));
    let (b, b_answer) = job(failing);
    writer::write_group(&mut conn, &mut ids, vec![a, b], &writer::Context::default());

    assert_eq!(answer(a_answer).unwrap(), outcome(3, 0));
    assert!(matches!(answer(b_answer), Err(StoreError::Internal(_))));
    assert_eq!(
        stored_with_id(&path, &mixed[0]),
        0,
        "nothing of the failed request"
    );
    // Its ids were not remembered: sent again without the bad event, they are stored.
    let (again, again_answer) = job(request(&mixed, "signup"));
    writer::write_group(
        &mut conn,
        &mut ids,
        vec![again],
        &writer::Context::default(),
    );
    assert_eq!(answer(again_answer).unwrap(), outcome(3, 0));
    assert_eq!(stored_with_id(&path, &mixed[0]), 1);
}

#[test]
fn a_failed_commit_fails_every_request_of_its_group_and_stores_none_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (mut conn, mut ids) = writer_on(&path);
    // A deferred foreign key is checked at COMMIT: an event named `boom` makes the commit fail.
    conn.execute_batch(
        "CREATE TABLE boom_parent (id INTEGER PRIMARY KEY);
         CREATE TABLE boom_child (parent INTEGER REFERENCES boom_parent (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TRIGGER boom AFTER INSERT ON events WHEN NEW.name = 'boom'
         BEGIN INSERT INTO boom_child (parent) VALUES (1); END;",
    )
    .unwrap();
    let first = id_list(0, 5);
    let second = id_list(10, 5);
    let (a, a_answer) = job(request(&first, "signup"));
    let (b, b_answer) = job(request(&second, "boom"));
    writer::write_group(&mut conn, &mut ids, vec![a, b], &writer::Context::default());
    for failed in [answer(a_answer), answer(b_answer)] {
        assert!(
            matches!(&failed, Err(StoreError::Internal(m)) if m.starts_with("sqlite commit")),
            "{failed:?}"
        );
    }
    for id in first.iter().chain(&second) {
        assert_eq!(stored_with_id(&path, id), 0, "{id}");
    }

    // The clients retry; the failed group left no id behind, so each is stored once.
    let (a, a_answer) = job(request(&first, "signup"));
    let (a2, a2_answer) = job(request(&first, "signup"));
    writer::write_group(
        &mut conn,
        &mut ids,
        vec![a, a2],
        &writer::Context::default(),
    );
    assert_eq!(answer(a_answer).unwrap(), outcome(5, 0));
    assert_eq!(answer(a2_answer).unwrap(), outcome(0, 5));
    for id in &first {
        assert_eq!(stored_with_id(&path, id), 1, "{id}");
    }
}

#[tokio::test]
async fn ids_stay_unique_through_merges_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = SqliteStore::open_tuned(&path, small(), Retention::default()).unwrap();
    let all = id_list(0, 400);
    for chunk in all.chunks(40) {
        assert_eq!(
            store.ingest(request(chunk, "signup")).await.unwrap(),
            outcome(40, 0)
        );
    }
    for chunk in all.chunks(100) {
        assert_eq!(
            store.ingest(request(chunk, "signup")).await.unwrap(),
            outcome(0, 100)
        );
    }
    store.close().await;
    drop(store);
    let (merged, through): (i64, i64) = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT (SELECT COUNT(*) FROM event_ids),
                    (SELECT value FROM counters WHERE name = 'event_ids_through')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        merged >= 200 && through >= 200,
        "ids were merged: {merged}, through {through}"
    );

    // After a restart, the ids in the table and those reloaded from `events` both count.
    let store = SqliteStore::open_tuned(&path, small(), Retention::default()).unwrap();
    let mut again = all.clone();
    again.extend(id_list(1000, 10));
    assert_eq!(
        store.ingest(request(&again, "signup")).await.unwrap(),
        outcome(10, 400)
    );
    store.close().await;
}

#[tokio::test]
async fn api_and_beacon_ids_are_unique_each_in_their_own_namespace_through_merges_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let api = |ids: &[String]| Ingest {
        events: ids
            .iter()
            .map(|id| NewEvent {
                site: None,
                ..event(id, "signup")
            })
            .collect(),
        ..Ingest::default()
    };
    let store = SqliteStore::open_tuned(&path, small(), Retention::default()).unwrap();
    let all = id_list(0, 300);
    for chunk in all.chunks(50) {
        assert_eq!(
            store.ingest(request(chunk, "signup")).await.unwrap(),
            outcome(50, 0)
        );
    }
    // The same ids from the API are other events; sent twice, they are stored once.
    assert_eq!(store.ingest(api(&all)).await.unwrap(), outcome(300, 0));
    assert_eq!(store.ingest(api(&all[..10])).await.unwrap(), outcome(0, 10));
    store.close().await;
    drop(store);
    let store = SqliteStore::open_tuned(&path, small(), Retention::default()).unwrap();
    assert_eq!(store.ingest(api(&all)).await.unwrap(), outcome(0, 300));
    assert_eq!(
        store.ingest(request(&all, "signup")).await.unwrap(),
        outcome(0, 300)
    );
    store.close().await;
}

#[tokio::test]
async fn a_version_2_file_keeps_its_events_and_their_ids_stay_unique() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    SqliteStore::create_at_version(&path, 2).unwrap();
    let old = id_list(0, 30);
    let conn = Connection::open(&path).unwrap();
    for (i, id) in old.iter().enumerate() {
        conn.execute(
            "INSERT INTO events (id, name, occurred_at, received_at, object_type, props)
             VALUES (?1, 'signup', ?2, ?2, 'CONTACT', '{}')",
            (id, 1_700_000_000_000_i64 + i as i64),
        )
        .unwrap();
    }
    drop(conn);

    let store = SqliteStore::open(&path).unwrap();
    let mut sent = old.clone();
    sent.extend(id_list(100, 5));
    assert_eq!(
        store.ingest(request(&sent, "signup")).await.unwrap(),
        outcome(5, 30)
    );
    // Its hour was counted by the migration, without sketches: its reach is counted exactly
    // (the new events' visitor), never from a sketch of the new events alone.
    let hour = 1_700_000_000_000 / 3_600_000 * 3_600_000;
    let reach = store
        .reach(crate::store::CompletionQuery {
            name: "signup".into(),
            from: hour,
            to: hour + 3_600_000,
            width: 3_600_000,
            property: None,
        })
        .await
        .unwrap();
    assert_eq!(reach, (0, 1));
    store.close().await;
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, schema::latest());
    let count: i64 = conn
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 35);
    let hourly: i64 = conn
        .query_row(
            "SELECT SUM(count) FROM event_hours WHERE name = 'signup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        hourly, 35,
        "the old events counted by the migration, the new by the writer"
    );
    let first: String = conn
        .query_row("SELECT id FROM events WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(first, old[0], "events keep their seq and id");
    let unique_indexes: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_index_list('events') WHERE \"unique\"",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unique_indexes, 0, "no unique index left on events");
}

/// The hourly counts answer whole-hour reports exactly as counting the completions would,
/// follow new events, and leave with their event's definition.
#[tokio::test]
async fn reports_from_the_hourly_counts_equal_counting_every_completion() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = SqliteStore::open(&path).unwrap();
    const HOUR: i64 = 3_600_000;
    let start = 1_700_000_000_000 / (24 * HOUR) * (24 * HOUR);
    // 200 completions spread unevenly over three days, a few exactly on hour boundaries.
    let events: Vec<NewEvent> = (0..200u32)
        .map(|i| NewEvent {
            occurred_at: start + i64::from(i * i % 71) * HOUR + i64::from(i % 3) * (HOUR / 2),
            // 37 contacts, and every fifth completion anonymous from one of 7 visitors.
            subject: if i % 5 == 0 {
                Subject::Anonymous
            } else {
                Subject::ObjectId(i64::from(i % 37) + 1)
            },
            vid: Some(format!("v{}", i % 7)),
            ..event(&format!("00000000-0000-4000-8000-{i:012}"), "signup")
        })
        .collect();
    let expected_by_day = |day: i64| {
        events
            .iter()
            .filter(|e| (e.occurred_at - start) / (24 * HOUR) == day)
            .count() as u64
    };
    store
        .ingest(Ingest {
            events: events.clone(),
            ..Ingest::default()
        })
        .await
        .unwrap();
    let query = |from: i64, width: i64, to: i64| crate::store::CompletionQuery {
        name: "signup".into(),
        from,
        to,
        width,
        property: None,
    };
    let daily = store
        .completions(query(start, 24 * HOUR, start + 4 * 24 * HOUR))
        .await
        .unwrap();
    let expected: Vec<(i64, u64)> = (0..4)
        .map(|d| (d, expected_by_day(d)))
        .filter(|(_, c)| *c > 0)
        .collect();
    assert_eq!(daily, expected, "hourly counts, summed per day");
    // The same range a millisecond off the hour is counted from the completions themselves.
    let scanned = store
        .completions(query(start + 1, 24 * HOUR, start + 1 + 4 * 24 * HOUR))
        .await
        .unwrap();
    assert_eq!(
        scanned.iter().map(|(_, c)| c).sum::<u64>(),
        200 - events.iter().filter(|e| e.occurred_at == start).count() as u64
    );
    // Distinct contacts and anonymous visitors: the sketches agree with counting.
    let range = query(start, HOUR, start + 4 * 24 * HOUR);
    let sketched = store.reach(range.clone()).await.unwrap();
    let exact = store
        .reach(crate::store::CompletionQuery {
            property: Some(("plan".into(), "pro".into())),
            ..range
        })
        .await
        .unwrap();
    assert_eq!(
        exact,
        (37, 7),
        "every completion has plan=pro: the exact count"
    );
    assert_eq!(
        sketched, exact,
        "small counts are exact from the sketches too"
    );
    store.close().await;
}

#[tokio::test]
async fn a_follower_reads_every_stored_event_once_in_order_up_to_the_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let mut commits = store.commits();
    assert_eq!(*commits.borrow_and_update(), 0, "an empty file");
    let mut tasks = Vec::new();
    for r in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .ingest(request(&id_list(r * 30, 30), "signup"))
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Told after the commits, so everything up to the value is readable.
    assert!(commits.has_changed().unwrap());
    let last = *commits.borrow_and_update();
    let (mut seen, mut after) = (Vec::new(), 0);
    loop {
        let page = store.events_since(after, 47).await.unwrap();
        let Some(tail) = page.last() else { break };
        after = tail.seq;
        assert!(page.windows(2).all(|w| w[0].seq < w[1].seq));
        seen.extend(page.into_iter().map(|e| e.event.id));
    }
    assert_eq!(after, last);
    let mut ids = seen.clone();
    ids.sort();
    ids.dedup();
    assert_eq!((seen.len(), ids.len()), (300, 300));
    // A duplicate stores nothing and tells nothing.
    store
        .ingest(request(&id_list(0, 5), "signup"))
        .await
        .unwrap();
    assert!(!commits.has_changed().unwrap());
    store.close().await;
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(
        *again.commits().borrow(),
        last,
        "a restart starts from the newest"
    );
    again.close().await;
}
