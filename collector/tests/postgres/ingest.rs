//! Ingesting on PostgreSQL (`store/postgres/ingest*.rs`), with two collectors on one
//! throw-away cluster: an id sent to both at once is stored once, `seq` order is commit
//! order, what is answered is committed (also when the database is killed under load), the
//! counts, contacts and visitors come out exactly as SQLite's writer makes them, a replay
//! releases its held event atomically, and one bad request fails alone.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtrack_collector::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyType};
use wasmtrack_collector::store::{
    ContactUpdate, EventStore, HeldEvent, Ingest, IngestOutcome, NewEvent, QualityCount,
    RejectedEvent, Retention, SqliteStore, StoreError, Subject,
};

use super::*;

/// 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

/// An anonymous beacon completion of `name` at `at`.
fn event(id: &str, name: &str, at: i64) -> NewEvent {
    NewEvent {
        id: id.to_owned(),
        name: name.to_owned(),
        occurred_at: at,
        received_at: at + 500,
        object_type: PrimaryObject::Contact,
        subject: Subject::Anonymous,
        vid: None,
        sid: Some("s1".into()),
        site: Some(Arc::from("shop")),
        props: "{}".into(),
        defaults: Some(Arc::from(r#"{"hs_page_path":"/"}"#)),
    }
}

/// `n` new completions whose ids start with `prefix`.
fn request(prefix: &str, n: usize) -> Ingest {
    Ingest {
        events: (0..n)
            .map(|i| NewEvent {
                vid: Some(prefix.to_owned()),
                ..event(&format!("{prefix}-{i}"), "pageview", T0 + i as i64)
            })
            .collect(),
        ..Ingest::default()
    }
}

fn outcome(stored: usize, duplicates: usize) -> IngestOutcome {
    IngestOutcome { stored, duplicates }
}

/// Ingests as the tracker does: again after a 503 (a full queue, the database away).
async fn send(store: &PgStore, ingest: Ingest) -> IngestOutcome {
    let start = Instant::now();
    loop {
        match store.ingest(ingest.clone()).await {
            Ok(outcome) => return outcome,
            Err(StoreError::Busy) if start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("ingest failed: {e:?}"),
        }
    }
}

async fn one_number(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

// Issue 19, point 2: a beacon retried to another collector while the first still stores it
// (a load balancer's retry) is stored once; each collector counts it stored or duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_sent_to_two_collectors_at_once_is_stored_once() {
    let (cluster, a, b) = two_collectors("dedupe").await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut tasks = Vec::new();
    for r in 0..40 {
        // Each request goes to both collectors at once, and to `a` a second time.
        for store in [&a, &b, &a] {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                send(&store, request(&format!("r{r}"), 25)).await
            }));
        }
    }
    let (mut stored, mut duplicates) = (0, 0);
    for task in tasks {
        let o = task.await.unwrap();
        assert_eq!(o.stored + o.duplicates, 25);
        stored += o.stored;
        duplicates += o.duplicates;
    }
    assert_eq!((stored, duplicates), (1000, 2000));
    let client = connect(&cluster, "dedupe").await;
    assert_eq!(
        one_number(&client, "SELECT count(*) FROM events").await,
        1000
    );
    assert_eq!(
        one_number(&client, "SELECT count(DISTINCT id) FROM events").await,
        1000
    );
    assert_eq!(
        one_number(&client, "SELECT count(*) FROM event_ids").await,
        1000
    );
    assert_eq!(
        one_number(&client, "SELECT sum(count)::bigint FROM event_hours").await,
        1000
    );

    // Within one request the first of two equal ids is stored; a back end's event (no site)
    // is not a duplicate of a beacon's with the same id, as on SQLite.
    let mut api = event("r0-0", "pageview", T0);
    api.site = None;
    let mut twice = request("twice", 2);
    twice.events.push(event("twice-0", "pageview", T0));
    twice.events.push(api.clone());
    assert_eq!(b.ingest(twice).await.unwrap(), outcome(3, 1));
    assert_eq!(
        a.ingest(Ingest {
            events: vec![api],
            ..Ingest::default()
        })
        .await
        .unwrap(),
        outcome(0, 1)
    );
    assert_eq!(
        one_number(
            &client,
            "SELECT count(*) FROM event_ids WHERE id = 'api:r0-0'"
        )
        .await,
        1
    );
    a.close();
    b.close();
}

// Two collectors adding to one hourly row at once (different events, one hour): every
// completion is counted, and the row's reach sketch holds every visitor (a sketch is merged
// in Rust, so one collector must not overwrite the other's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_counting_one_hour_at_once_count_every_completion_and_visitor() {
    let (cluster, a, b) = two_collectors("hours").await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = if t % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            for r in 0..15 {
                // Each request's events are one visitor's.
                send(&store, request(&format!("t{t}-r{r}"), 10)).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let client = connect(&cluster, "hours").await;
    let row = client
        .query_one("SELECT count, visitors FROM event_hours", &[])
        .await
        .unwrap();
    let (count, visitors): (i64, Vec<u8>) = (row.get(0), row.get(1));
    assert_eq!(count, 8 * 15 * 10);
    // Exact while few: a tag byte, then 8 bytes a visitor's hash.
    assert_eq!((visitors[0], (visitors.len() - 1) / 8), (0, 120));
    a.close();
    b.close();
}

// The workflows' follower reads events after a `seq` cursor: with two collectors writing at
// once, a reader that has seen `seq` N must never later find a smaller one it skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_following_seq_never_skips_an_event_committed_late() {
    let (cluster, a, b) = two_collectors("order").await;
    // Four collectors, so that transactions overlap often even on a small machine.
    let url = cluster.url("order");
    let stores = [
        Arc::new(a),
        Arc::new(b),
        Arc::new(PgStore::open(&url).await.unwrap()),
        Arc::new(PgStore::open(&url).await.unwrap()),
    ];
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let client = connect(&cluster, "order").await;
        let done = done.clone();
        tokio::spawn(async move {
            let (mut cursor, mut seen) = (0_i64, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                for row in client
                    .query(
                        "SELECT seq FROM events WHERE seq > $1 ORDER BY seq",
                        &[&cursor],
                    )
                    .await
                    .unwrap()
                {
                    cursor = row.get(0);
                    seen.push(cursor);
                }
                if finished {
                    return seen;
                }
            }
        })
    };
    let mut tasks = Vec::new();
    for t in 0..ORDER_TASKS {
        let store = stores[t % stores.len()].clone();
        tasks.push(tokio::spawn(async move {
            for r in 0..ORDER_REQUESTS {
                // A name per task: one hourly row would make the transactions wait in turn.
                let mut ingest = request(&format!("t{t}-r{r}"), ORDER_EVENTS);
                for e in &mut ingest.events {
                    e.name = format!("task{t}");
                }
                send(&store, ingest).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let client = connect(&cluster, "order").await;
    let all: Vec<i64> = client
        .query("SELECT seq FROM events ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(all.len(), ORDER_TASKS * ORDER_REQUESTS * ORDER_EVENTS);
    let skipped: Vec<&i64> = all
        .iter()
        .filter(|s| seen.binary_search(s).is_err())
        .collect();
    assert!(
        skipped.is_empty(),
        "{} events were committed after a larger seq was read: {:?}…",
        skipped.len(),
        &skipped[..skipped.len().min(10)]
    );
    // Every collector's followers hear of the newest commit, the others' by notification.
    let newest = *all.last().unwrap();
    for store in &stores {
        let watch = store.commits();
        assert!(
            eventually(Duration::from_secs(5), || *watch.borrow() == newest)
                .await
                .is_some(),
            "the commits watch reaches {newest}"
        );
        store.close();
    }
}

/// The load of the `seq` order test: tasks (spread over the collectors), requests each,
/// events a request. Without the lock that orders commits it fails nearly every run.
const ORDER_TASKS: usize = 8;
const ORDER_REQUESTS: usize = 15;
const ORDER_EVENTS: usize = 200;

// Answered means committed: once `ingest` returns, any other connection (another collector's
// pool) reads the events, and this collector's followers already know of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_request_is_committed_and_closing_finishes_queued_writes() {
    let (cluster, a, b) = two_collectors("answered").await;
    let client = connect(&cluster, "answered").await;
    for r in 0..20 {
        assert_eq!(
            a.ingest(request(&format!("r{r}"), 10)).await.unwrap(),
            outcome(10, 0)
        );
        let n = one_number(
            &client,
            &format!("SELECT count(*) FROM events WHERE id LIKE 'r{r}-%'"),
        )
        .await;
        assert_eq!(n, 10, "request {r} is readable once answered");
        let newest = one_number(&client, "SELECT max(seq) FROM events").await;
        assert_eq!(*a.commits().borrow(), newest);
    }
    // Closing writes what was queued before it, then refuses.
    let a = Arc::new(a);
    let queued: Vec<_> = (0..10)
        .map(|r| {
            let a = a.clone();
            tokio::spawn(async move { a.ingest(request(&format!("q{r}"), 5)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1)).await;
    EventStore::close(&*a).await;
    let mut answered = 0;
    for task in queued {
        if let Ok(o) = task.await.unwrap() {
            assert_eq!(o, outcome(5, 0));
            answered += 5;
        }
    }
    assert_eq!(
        one_number(&client, "SELECT count(*) FROM events WHERE id LIKE 'q%'").await,
        answered
    );
    assert!(matches!(
        a.ingest(request("late", 1)).await,
        Err(StoreError::Closed)
    ));
    b.close();
}

/// A beacon event held for want of a definition.
fn held(id: &str, at: i64) -> HeldEvent {
    HeldEvent {
        id: id.into(),
        name: "later".into(),
        site: Arc::from("shop"),
        occurred_at: at,
        received_at: at,
        email: None,
        uid: None,
        vid: Some("v9".into()),
        sid: None,
        props: vec![("plan".into(), "pro".into())],
        defaults: Arc::from("{}"),
    }
}

// A replay stores a held event and releases it in one transaction: when the storing fails
// the event stays held, and two collectors replaying it at once store it once and release it.
// A request the database refuses (properties that are not JSON, which no caller sends but
// `jsonb` refuses)
// fails alone: the requests written with it are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_releases_its_held_event_atomically_and_a_bad_request_fails_alone() {
    let (cluster, a, b) = two_collectors("held").await;
    let client = connect(&cluster, "held").await;
    a.ingest(Ingest {
        held: vec![held("h1", T0)],
        ..Ingest::default()
    })
    .await
    .unwrap();
    let seq = one_number(&client, "SELECT seq FROM held WHERE event_id = 'h1'").await;
    let replay = |props: &str| Ingest {
        events: vec![NewEvent {
            props: props.into(),
            ..event("h1", "later", T0)
        }],
        released: vec![seq],
        ..Ingest::default()
    };
    let refused = a.ingest(replay(r#"{"plan":"a"#)).await;
    assert!(
        matches!(refused, Err(StoreError::Internal(_))),
        "{refused:?}"
    );
    assert_eq!(one_number(&client, "SELECT count(*) FROM held").await, 1);
    assert_eq!(one_number(&client, "SELECT count(*) FROM events").await, 0);
    assert_eq!(
        one_number(&client, "SELECT count(*) FROM event_ids").await,
        0
    );

    let (ra, rb) = tokio::join!(
        a.ingest(replay(r#"{"plan":"pro"}"#)),
        b.ingest(replay(r#"{"plan":"pro"}"#))
    );
    let mut outcomes = [ra.unwrap(), rb.unwrap()];
    outcomes.sort_by_key(|o| o.stored);
    assert_eq!(outcomes, [outcome(0, 1), outcome(1, 0)]);
    assert_eq!(one_number(&client, "SELECT count(*) FROM held").await, 0);
    assert_eq!(one_number(&client, "SELECT count(*) FROM events").await, 1);

    // Requests queued together: the bad one fails, the others are stored.
    let a = Arc::new(a);
    let tasks: Vec<_> = (0..12)
        .map(|r| {
            let a = a.clone();
            tokio::spawn(async move {
                let mut ingest = request(&format!("g{r}"), 30);
                if r == 5 {
                    ingest.events[7].props = r#"{"x":"#.into();
                }
                a.ingest(ingest).await
            })
        })
        .collect();
    for (r, task) in tasks.into_iter().enumerate() {
        let answer = task.await.unwrap();
        if r == 5 {
            assert!(matches!(answer, Err(StoreError::Internal(_))), "{answer:?}");
        } else {
            assert_eq!(answer.unwrap(), outcome(30, 0), "request {r}");
        }
    }
    assert_eq!(
        one_number(&client, "SELECT count(*) FROM events WHERE id LIKE 'g%'").await,
        11 * 30
    );
    assert_eq!(
        one_number(
            &client,
            "SELECT count(*) FROM event_ids WHERE id LIKE 'g5-%'"
        )
        .await,
        0
    );
    a.close();
    b.close();
}

/// The requests both backends are given, in order: identities found, created and filled in,
/// a visitor linked then relinked, duplicates, refusals, held and released events, quality
/// counts and contact updates, over a few hours.
fn script() -> Vec<Ingest> {
    let signup =
        |id: &str, at: i64, plan: Option<&str>, subject: Subject, vid: Option<&str>| NewEvent {
            subject,
            vid: vid.map(str::to_owned),
            props: match plan {
                Some(p) => format!(r#"{{"plan":"{p}"}}"#),
                None => "{}".into(),
            },
            ..event(id, "signup", at)
        };
    let email = |e: &str| Subject::Contact {
        email: Some(e.into()),
        external_id: None,
    };
    let quality = |event: &str, count: u64, at: i64, example: &str| QualityCount {
        event: event.into(),
        property: "plan".into(),
        code: "INVALID_OPTION".into(),
        site: "shop".into(),
        count,
        at,
        example: example.into(),
    };
    let rejected = |id: Option<&str>, at: i64| RejectedEvent {
        event_id: id.map(str::to_owned),
        name: Some("signup".into()),
        site: Some("shop".into()),
        reason: "bad".into(),
        body: format!("{{\"id\":{id:?}}}"),
        received_at: at,
    };
    let contact = |e: &str, key: &str, value: &str, at: i64| ContactUpdate {
        email: e.into(),
        properties: [(key.to_owned(), value.to_owned())].into(),
        at,
    };
    let mut pageview = event("e3", "pageview", T0 + 2 * HOUR);
    pageview.subject = Subject::ObjectId(42);
    let mut company = event("e7", "deal_won", T0 + 5 * MINUTE);
    company.object_type = PrimaryObject::Company;
    company.subject = Subject::ObjectId(5);
    vec![
        Ingest {
            contacts: vec![contact("ada@example.com", "firstname", "Ada", T0)],
            events: vec![
                signup("e1", T0, Some("pro"), Subject::Anonymous, Some("v1")),
                signup(
                    "e2",
                    T0 + 10 * MINUTE,
                    Some("pro;team"),
                    Subject::Anonymous,
                    Some("v1"),
                ),
                pageview,
            ],
            ..Ingest::default()
        },
        Ingest {
            events: vec![
                signup(
                    "e4",
                    T0 + 3 * MINUTE,
                    None,
                    email("ada@example.com"),
                    Some("v1"),
                ),
                signup(
                    "e5",
                    T0 + 2 * HOUR,
                    Some("team"),
                    Subject::Contact {
                        email: Some("bob@example.com".into()),
                        external_id: Some("u-7".into()),
                    },
                    Some("v2"),
                ),
                signup("e1", T0, Some("pro"), Subject::Anonymous, Some("v1")),
            ],
            rejected: vec![rejected(Some("bad1"), T0), rejected(None, T0)],
            held: vec![held("h1", T0)],
            quality: vec![
                quality("signup", 2, T0, "first"),
                quality("signup", 1, T0 - MINUTE, "second"),
            ],
            ..Ingest::default()
        },
        Ingest {
            contacts: vec![contact("bob@example.com", "company", "Acme", T0 + HOUR)],
            events: vec![
                signup(
                    "e6",
                    T0 + 4 * MINUTE,
                    Some("pro"),
                    Subject::Contact {
                        email: None,
                        external_id: Some("u-7".into()),
                    },
                    Some("v1"),
                ),
                company,
                signup(
                    "e8",
                    T0 + 6 * MINUTE,
                    Some("pro"),
                    Subject::Anonymous,
                    Some("v1"),
                ),
            ],
            held: vec![held("h2", T0 + MINUTE), held("h1", T0)],
            quality: vec![quality("signup", 4, T0 + HOUR, "third")],
            rejected: vec![rejected(Some("bad2"), T0 + MINUTE)],
            ..Ingest::default()
        },
        Ingest {
            contacts: vec![
                contact("carl@example.com", "firstname", "Carl", T0 + HOUR),
                contact("ada@example.com", "company", "Babbage & Co", T0 + HOUR),
            ],
            events: vec![NewEvent {
                vid: Some("v9".into()),
                ..event("h1", "later", T0)
            }],
            released: vec![1],
            held: vec![held("h3", T0 + HOUR), held("h4", T0 + HOUR)],
            rejected: vec![rejected(Some("bad1"), T0 + HOUR), rejected(None, T0 + HOUR)],
            ..Ingest::default()
        },
    ]
}

/// Bounds small enough for the script to reach: the oldest held and refused rows go.
const SCRIPT_RETENTION: Retention = Retention {
    held_ms: 30 * 86_400_000,
    held_rows: 2,
    rejected_ms: 30 * 86_400_000,
    rejected_rows: 3,
};

/// What the comparison reads of each table: one text line per row, ordered.
const TABLES: &[(&str, &str)] = &[
    (
        "events",
        "SELECT id, name, occurred_at, received_at, object_type, object_id, vid, site, CAST(props AS TEXT) FROM events",
    ),
    (
        "contacts",
        "SELECT id, email, external_id, created_at, last_activity, CAST(properties AS TEXT), updated_at FROM contacts",
    ),
    ("visitors", "SELECT vid, contact_id, linked_at FROM visitors"),
    (
        "event_hours",
        "SELECT name, hour, count, contacts, visitors FROM event_hours",
    ),
    (
        "value_hours",
        "SELECT name, property, value, hour, count, contacts, visitors FROM value_hours",
    ),
    (
        "quality",
        "SELECT event, property, code, site, count, first_seen, last_seen, example FROM quality",
    ),
    ("held", "SELECT event_id, name, site, received_at, body FROM held"),
    (
        "rejected",
        "SELECT event_id, name, site, reason, body, received_at FROM rejected",
    ),
];

/// A JSON text as serde orders it (SQLite keeps the text, PostgreSQL's jsonb its own order).
fn json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_owned())
}

fn sqlite_tables(path: &std::path::Path) -> Vec<(String, Vec<String>)> {
    use rusqlite::types::ValueRef;
    let conn = rusqlite::Connection::open(path).unwrap();
    TABLES
        .iter()
        .map(|(table, sql)| {
            let mut stmt = conn.prepare(sql).unwrap();
            let columns = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..columns)
                        .map(|i| match r.get_ref(i).unwrap() {
                            ValueRef::Null => "NULL".to_owned(),
                            ValueRef::Integer(n) => n.to_string(),
                            ValueRef::Real(f) => f.to_string(),
                            ValueRef::Text(t) => json(std::str::from_utf8(t).unwrap()),
                            ValueRef::Blob(b) => format!("{b:02x?}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" | "))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            ((*table).to_owned(), rows)
        })
        .collect()
}

async fn postgres_tables(client: &tokio_postgres::Client) -> Vec<(String, Vec<String>)> {
    use tokio_postgres::types::Type;
    let mut out = Vec::new();
    for (table, sql) in TABLES {
        let mut rows: Vec<String> = Vec::new();
        for row in client.query(*sql, &[]).await.unwrap() {
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    let kind = row.columns()[i].type_().clone();
                    let text = if kind == Type::INT8 {
                        row.get::<_, Option<i64>>(i).map(|n| n.to_string())
                    } else if kind == Type::BYTEA {
                        row.get::<_, Option<Vec<u8>>>(i)
                            .map(|b| format!("{b:02x?}"))
                    } else {
                        row.get::<_, Option<String>>(i).map(|t| json(&t))
                    };
                    text.unwrap_or_else(|| "NULL".into())
                })
                .collect();
            rows.push(cells.join(" | "));
        }
        rows.sort();
        out.push(((*table).to_owned(), rows));
    }
    out
}

// Exactly SQLite's semantics: the same requests through SQLite's writer and through two
// PostgreSQL collectors (alternating) leave the same rows in every table the writer touches:
// events and their contacts, visitor links and last activity, hourly counts with their reach
// sketches and enumeration options, quality counts, held and refused events and their bounds;
// and every request gets the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_requests_leave_the_same_rows_as_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wasmtrack.db");
    let sqlite = SqliteStore::open_with(&path, SCRIPT_RETENTION).unwrap();
    let mut signup = EventDefinition {
        id: 0,
        name: "signup".into(),
        label: "Signup".into(),
        description: None,
        primary_object: PrimaryObject::Contact,
        include_default_properties: true,
        properties: vec![PropertyDef::plain(
            "plan",
            PropertyType::Enumeration,
            &["pro", "team"],
            T0,
        )],
        index: Default::default(),
        created_at: T0,
        updated_at: T0,
    };
    EventStore::create_definition(&sqlite, signup.clone())
        .await
        .unwrap();
    signup.name = "pageview".into();
    signup.properties.clear();
    EventStore::create_definition(&sqlite, signup)
        .await
        .unwrap();

    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("same").unwrap();
    let url = cluster.url("same");
    let a = PgStore::open_with(&url, SCRIPT_RETENTION).await.unwrap();
    let b = PgStore::open_with(&url, SCRIPT_RETENTION).await.unwrap();
    // What the definitions make SQLite count (on PostgreSQL kept by the definitions' code).
    cluster
        .psql(
            "same",
            "INSERT INTO value_counts (name, property) VALUES ('signup', 'plan')",
        )
        .unwrap();

    for (i, ingest) in script().into_iter().enumerate() {
        let expected = EventStore::ingest(&sqlite, ingest.clone()).await.unwrap();
        let store = if i % 2 == 0 { &a } else { &b };
        assert_eq!(store.ingest(ingest).await.unwrap(), expected, "request {i}");
    }
    EventStore::close(&sqlite).await;
    let client = connect(&cluster, "same").await;
    let (want, got) = (sqlite_tables(&path), postgres_tables(&client).await);
    for ((table, want), (_, got)) in want.iter().zip(&got) {
        assert_eq!(got, want, "table {table}");
    }
    // The script reaches what it is meant to.
    let rows = |table: &str| got.iter().find(|(t, _)| t == table).unwrap().1.clone();
    assert_eq!(rows("visitors").len(), 2, "v1 relinked, v2 linked");
    assert!(rows("value_hours").iter().any(|r| r.contains("| team |")));
    assert_eq!(rows("rejected").len(), 3, "bounded to the newest 3");
    let held = rows("held");
    assert!(
        held.len() == 2 && held[0].starts_with("h3") && held[1].starts_with("h4"),
        "h1 released, h2 past the bound: {held:?}"
    );
    a.close();
    b.close();
}

// Issue 19, point 5: the database is killed under load from two collectors and restarted.
// Meanwhile requests are answered `Busy` (503, retried by the tracker), never anything else;
// every request answered as stored is in the table afterwards; and both collectors store
// again without being reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_database_under_load_loses_no_answered_event_and_the_collectors_recover() {
    let (cluster, a, b) = two_collectors("killed").await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for t in 0..6 {
        let store = if t % 2 == 0 { a.clone() } else { b.clone() };
        let stop = stop.clone();
        load.push(tokio::spawn(async move {
            let (mut answered, mut busy, mut r) = (Vec::new(), 0, 0);
            while !stop.load(Ordering::SeqCst) {
                let prefix = format!("t{t}-r{r}");
                r += 1;
                match store.ingest(request(&prefix, 20)).await {
                    Ok(o) => {
                        assert_eq!(o, outcome(20, 0));
                        answered.push(prefix);
                    }
                    Err(StoreError::Busy) => {
                        busy += 1;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    Err(e) => panic!("only Busy is answered while the database is away: {e:?}"),
                }
            }
            (answered, busy)
        }));
    }
    let cluster = Arc::new(cluster);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.kill().unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.restart().unwrap())
        .await
        .unwrap();
    // Both collectors store again, without being reopened.
    for (name, store) in [("a", &a), ("b", &b)] {
        let start = Instant::now();
        let mut n = 0;
        loop {
            n += 1;
            match store.ingest(request(&format!("after-{name}-{n}"), 1)).await {
                Ok(_) => break,
                Err(StoreError::Busy) if start.elapsed() < Duration::from_secs(20) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("collector {name} did not recover: {e:?}"),
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let (mut answered, mut busy) = (Vec::new(), 0);
    for task in load {
        let (a, b) = task.await.unwrap();
        answered.extend(a);
        busy += b;
    }
    assert!(busy > 0, "the load met the database away");
    let client = connect(&cluster, "killed").await;
    let stored: BTreeSet<String> = client
        .query("SELECT id FROM events", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let lost: Vec<&String> = answered
        .iter()
        .filter(|p| (0..20).any(|i| !stored.contains(&format!("{p}-{i}"))))
        .collect();
    assert!(lost.is_empty(), "answered but not stored: {lost:?}");
    assert!(answered.len() > 10, "the load was stored before and after");
    a.close();
    b.close();
}

// Events go to their month's partition, made before the batch when it is near now (a month
// last year too), and to the default partition when far off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_written_to_their_months_partition() {
    let (cluster, a, b) = two_collectors("months").await;
    let now = wasmtrack_collector::timestamp::now_ms();
    let year_ago = now - 365 * 86_400_000;
    let far = 7_258_118_400_000; // 2200-01-01
    let ingest = Ingest {
        events: vec![
            event("now", "pageview", now),
            event("year-ago", "pageview", year_ago),
            event("far", "pageview", far),
        ],
        ..Ingest::default()
    };
    assert_eq!(a.ingest(ingest).await.unwrap(), outcome(3, 0));
    let client = connect(&cluster, "months").await;
    let partition = |id: &'static str| {
        let client = &client;
        async move {
            let row = client
                .query_one(
                    "SELECT tableoid::regclass::text FROM events WHERE id = $1",
                    &[&id],
                )
                .await
                .unwrap();
            row.get::<_, String>(0)
        }
    };
    let month = |ms: i64| {
        let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap();
        format!("events_{}_{:02}", t.year(), u8::from(t.month()))
    };
    assert_eq!(partition("now").await, month(now));
    assert_eq!(partition("year-ago").await, month(year_ago));
    assert_eq!(partition("far").await, "events_default");
    // The months around now were made at open: next month's already exists.
    let next = month(now + 31 * 86_400_000);
    assert_eq!(
        cluster
            .psql(
                "months",
                &format!("SELECT to_regclass('{next}') IS NOT NULL")
            )
            .unwrap(),
        "t"
    );
    a.close();
    b.close();
}

// Not a check: how many events a second one collector stores in requests of 100, one at a
// time (`cargo test -p wasmtrack-collector --test postgres throughput -- --ignored
// --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput_of_100_event_requests_one_at_a_time() {
    let (_cluster, a, b) = two_collectors("throughput").await;
    let requests = 300;
    let start = Instant::now();
    for r in 0..requests {
        a.ingest(request(&format!("r{r}"), 100)).await.unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{} events in {elapsed:?}: {:.0} events/s",
        requests * 100,
        (requests * 100) as f64 / elapsed.as_secs_f64()
    );
    a.close();
    b.close();
}
