//! `wasmtrack-collector migrate` (issue 19, point 6): a SQLite database made through the real
//! store moves to a throw-away cluster whole, table by table; a migration stopped anywhere
//! (after a few batches, or the process killed) resumes with no row twice and none missing;
//! and a target holding events from elsewhere is refused untouched.

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use serde_json::Value as Json;
use wasmtrack_collector::migrate::{self, Options};
use wasmtrack_collector::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyType, Rule};
use wasmtrack_collector::store::{
    ApiKey, ContactUpdate, EnrollmentBatch, EventStore, HeldEvent, HistoryEntry, Ingest, NewEvent,
    QualityCount, RejectedEvent, SqliteStore, StepChange, Subject,
};
use wasmtrack_collector::workflows::Workflow;

#[allow(unused_imports)]
use super::*;

/// Every table both schemas hold, as the migration must copy them.
const TABLES: &[&str] = &[
    "sites",
    "definitions",
    "api_keys",
    "visualizer_tokens",
    "rules",
    "rule_versions",
    "workflows",
    "contacts",
    "visitors",
    "rejected",
    "held",
    "quality",
    "event_hours",
    "value_hours",
    "value_counts",
    "enrollments",
    "enrollment_candidates",
    "enrollment_opt_outs",
    "enrollment_history",
    "events",
];

/// 2025-11-15T00:00:00Z: events span this month and the four after it.
const FIRST_EVENT: i64 = 1_763_164_800_000;
const DAY: i64 = 86_400_000;

fn definition(name: &str) -> EventDefinition {
    EventDefinition {
        id: 0,
        name: name.into(),
        label: name.into(),
        description: None,
        primary_object: PrimaryObject::Contact,
        include_default_properties: true,
        properties: vec![PropertyDef::plain(
            "plan",
            PropertyType::Enumeration,
            &["free", "pro"],
            0,
        )],
        index: Default::default(),
        created_at: 1,
        updated_at: 1,
    }
}

/// The `i`th of `n` events: beacons of anonymous visitors, beacons that identify them (linking
/// the visitor to its contact), API events by email and by objectId, and beacons reusing an
/// API event's id (stored apart: the namespaces differ). Ids are canonical UUIDs (kept as
/// blobs in SQLite's `event_ids`), uppercase UUIDs and free text.
fn event(i: usize, n: usize) -> NewEvent {
    let occurred_at = FIRST_EVENT + (i as i64) * (120 * DAY) / (n as i64);
    let plan = if i.is_multiple_of(3) { "pro" } else { "free" };
    let beacon = |id: String, subject: Subject| NewEvent {
        id,
        name: "signup".into(),
        occurred_at,
        received_at: occurred_at + 5,
        object_type: PrimaryObject::Contact,
        subject,
        vid: Some(format!("v{}", i % 50)),
        sid: Some(format!("s{}", i % 70)),
        site: Some(Arc::from("shop")),
        props: format!(r#"{{"plan":"{plan}"}}"#),
        defaults: Some(Arc::from(r#"{"path":"/pricing","title":"Prices"}"#)),
    };
    let api = |id: String, subject: Subject| NewEvent {
        vid: None,
        sid: None,
        site: None,
        defaults: None,
        name: "purchase".into(),
        ..beacon(id, subject)
    };
    let email = || Subject::Contact {
        email: Some(format!("c{}@example.com", i % 40)),
        external_id: None,
    };
    match i % 6 {
        0 => beacon(
            format!("0b8e6c7e-1f0a-4c4e-9a52-{i:012}"),
            Subject::Anonymous,
        ),
        1 => beacon(format!("1b8e6c7e-1f0a-4c4e-9a52-{i:012}"), email()),
        2 => api(
            format!("order-{i}"),
            Subject::ObjectId(5_000 + (i % 30) as i64),
        ),
        3 => api(format!("2B8E6C7E-1F0A-4C4E-9A52-{i:012}"), email()),
        4 => beacon(format!("order-{}", i - 2), Subject::Anonymous),
        _ if i == 5 => NewEvent {
            // A NUL in a property: PostgreSQL's jsonb cannot hold it.
            props: r#"{"plan":"pro","note":"a\u0000b"}"#.into(),
            ..beacon(
                format!("3b8e6c7e-1f0a-4c4e-9a52-{i:012}"),
                Subject::Anonymous,
            )
        },
        _ => beacon(
            format!("3b8e6c7e-1f0a-4c4e-9a52-{i:012}"),
            Subject::Anonymous,
        ),
    }
}

/// A data directory whose database holds a bit of everything, with `n` events, made
/// through the store as a collector makes it. Returns its path.
async fn sqlite_data_dir(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(wasmtrack_collector::DB_FILE);
    let store = SqliteStore::open(&path).unwrap();
    store
        .put_site("shop".into(), vec!["https://shop.example".into()], true)
        .await
        .unwrap();
    store
        .put_site("blog".into(), vec!["*".into()], true)
        .await
        .unwrap();
    for name in ["signup", "purchase"] {
        store.create_definition(definition(name)).await.unwrap();
    }
    // Rules, the newest deleted: its id must never be given again.
    let rule = |selector: &str| Rule {
        site: "shop".into(),
        created_at: 7,
        rule: wasmtrack_core::rules::Rule {
            id: 0,
            event_name: "signup".into(),
            label: "Signed up".into(),
            trigger: wasmtrack_core::rules::Trigger::Click(selector.into()),
            properties: vec![],
        },
    };
    store.create_rule(rule("#buy")).await.unwrap();
    let gone = store.create_rule(rule("#gone")).await.unwrap();
    store
        .delete_rule("shop".into(), gone.rule.id)
        .await
        .unwrap();
    // Keys, the newest revoked.
    let key = |name: &str| ApiKey {
        id: 0,
        name: name.into(),
        scopes: vec![wasmtrack_collector::scopes::Scope::Read],
        hint: "wxyz".into(),
        created_at: 3,
    };
    store.create_key(key("ci"), "hash-ci".into()).await.unwrap();
    let revoked = store
        .create_key(key("old"), "hash-old".into())
        .await
        .unwrap();
    store.revoke_key(revoked.id).await.unwrap();
    store
        .issue_visualizer_token("shop".into(), i64::MAX / 2)
        .await
        .unwrap();

    // The first request: contacts with properties, refused, held and counted events.
    let first = Ingest {
        contacts: vec![ContactUpdate {
            email: "c1@example.com".into(),
            properties: [("firstname".to_owned(), "Ada".to_owned())].into(),
            at: 9,
        }],
        rejected: vec![RejectedEvent {
            event_id: Some("bad-1".into()),
            name: Some("signup".into()),
            site: Some("shop".into()),
            reason: "INVALID_PROPERTY".into(),
            body: r#"{"id":"bad-1"}"#.into(),
            received_at: FIRST_EVENT,
        }],
        held: vec![HeldEvent {
            id: "held-1".into(),
            name: "not_yet_defined".into(),
            site: Arc::from("shop"),
            occurred_at: FIRST_EVENT,
            received_at: FIRST_EVENT,
            email: None,
            uid: None,
            vid: Some("v1".into()),
            sid: None,
            props: vec![("size".into(), "xl".into())],
            defaults: Arc::from("{}"),
        }],
        quality: vec![QualityCount {
            event: "signup".into(),
            property: "colour".into(),
            code: "PROPERTY_NOT_DEFINED".into(),
            site: "shop".into(),
            count: 2,
            at: FIRST_EVENT,
            example: "e1: colour is not a property of signup".into(),
        }],
        ..Ingest::default()
    };
    store.ingest(first).await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(250) {
        let ingest = Ingest {
            events: chunk.iter().map(|&i| event(i, n)).collect(),
            ..Ingest::default()
        };
        let outcome = store.ingest(ingest).await.unwrap();
        assert_eq!(outcome.duplicates, 0);
    }

    // A workflow, an enrollment with a step run, a visitor remembered, an import opted out.
    let workflow: Workflow = serde_json::from_value(serde_json::json!({
        "name": "Pro sign-ups", "enabled": true,
        "triggers": [{"event": "signup", "filters": []}],
        "actions": [{"type": "delay", "ms": 1000}],
        "secret": "s".repeat(64)
    }))
    .unwrap();
    let workflow = store.save_workflow(workflow).await.unwrap();
    let db = Connection::open(&path).unwrap();
    let (contact, seq): (i64, i64) = db
        .query_row(
            "SELECT object_id, seq FROM events WHERE object_id IS NOT NULL ORDER BY seq LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let max_seq: i64 = db
        .query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))
        .unwrap();
    store
        .enroll(EnrollmentBatch {
            through: max_seq,
            enroll: vec![(workflow.id, contact, seq, "signup".into())],
            remember: vec![(workflow.id, "v-anonymous".into(), seq, "signup".into())],
            now: FIRST_EVENT,
            ..EnrollmentBatch::default()
        })
        .await
        .unwrap();
    let enrollment = store.enrollments(workflow.id, 1).await.unwrap()[0].id;
    let changed = store
        .change_steps(vec![StepChange {
            id: enrollment,
            from_step: 0,
            from_attempts: 0,
            from_state: "active".into(),
            step: 1,
            attempts: 0,
            state: "active".into(),
            wake_at: Some(FIRST_EVENT + 1_000),
            step_started_at: Some(FIRST_EVENT),
            begins_wait: false,
            last_wait: Some(r#"{"ended":"timedOut","at":5}"#.into()),
            finished_at: None,
            history: vec![HistoryEntry {
                step: 0,
                at: FIRST_EVENT,
                kind: "delayed".into(),
                status: Some(200),
                latency_ms: Some(12),
                detail: Some("waited".into()),
            }],
        }])
        .await
        .unwrap();
    assert_eq!(changed, vec![true]);
    store
        .opt_out_of_enrollment("imp-abc-".into())
        .await
        .unwrap();
    store.close().await;
    dir
}

/// Each row of `table` as a JSON object, sorted: PostgreSQL's `to_jsonb` of the row, and
/// SQLite's row built the same way (JSON columns as JSON, blobs as `\x` and hex), NUL
/// characters as the migration writes them.
async fn pg_rows(client: &tokio_postgres::Client, table: &str) -> Vec<Json> {
    let mut rows: Vec<Json> = client
        .query(&format!("SELECT to_jsonb(t)::text FROM {table} t"), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(r.get(0)).unwrap())
        .collect();
    rows.sort_by_key(|r| r.to_string());
    rows
}

async fn sqlite_rows(db: &Connection, client: &tokio_postgres::Client, table: &str) -> Vec<Json> {
    let columns = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_name = $1 AND table_schema = 'public'",
            &[&table],
        )
        .await
        .unwrap();
    let fields: Vec<String> = columns
        .iter()
        .map(|c| {
            let (name, ty): (String, String) = (c.get(0), c.get(1));
            let value = match ty.as_str() {
                "jsonb" => format!("json({name})"),
                "bytea" => {
                    format!("CASE WHEN {name} IS NOT NULL THEN '\\x' || lower(hex({name})) END")
                }
                _ => name.clone(),
            };
            format!("'{name}', {value}")
        })
        .collect();
    let mut stmt = db
        .prepare(&format!(
            "SELECT json_object({}) FROM {table}",
            fields.join(", ")
        ))
        .unwrap();
    let mut rows: Vec<Json> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| without_nul(serde_json::from_str(&r.unwrap()).unwrap()))
        .collect();
    rows.sort_by_key(|r| r.to_string());
    rows
}

fn without_nul(value: Json) -> Json {
    match value {
        Json::String(s) => Json::String(s.replace('\0', "\u{fffd}")),
        Json::Array(items) => Json::Array(items.into_iter().map(without_nul).collect()),
        Json::Object(map) => Json::Object(
            map.into_iter()
                .map(|(k, v)| (k.replace('\0', "\u{fffd}"), without_nul(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Asserts the target holds exactly the source's rows, table by table, `event_ids` holding
/// each event's de-duplication id, and the counters and sequences carried over.
async fn assert_same(data_dir: &Path, client: &tokio_postgres::Client) {
    let db = Connection::open(data_dir.join(wasmtrack_collector::DB_FILE)).unwrap();
    for table in TABLES {
        let (source, target) = (
            sqlite_rows(&db, client, table).await,
            pg_rows(client, table).await,
        );
        assert!(!source.is_empty(), "the test fills {table}");
        assert_eq!(source.len(), target.len(), "{table}: rows");
        for (s, t) in source.iter().zip(&target) {
            assert_eq!(s, t, "{table}");
        }
    }
    let mut ids: Vec<(String, i64)> = db
        .prepare(
            "SELECT CASE WHEN site IS NULL THEN 'api:' || id ELSE id END, occurred_at FROM events",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut copied: Vec<(String, i64)> = client
        .query("SELECT id, occurred_at FROM event_ids", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    ids.sort();
    copied.sort();
    assert_eq!(
        ids, copied,
        "event_ids: one per event, API ids in their namespace"
    );
    let counter = |name: &str| -> i64 {
        db.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let number = |sql: &'static str| async move {
        client.query_one(sql, &[]).await.unwrap().get::<_, i64>(0)
    };
    assert_eq!(
        number("SELECT value FROM counters WHERE name = 'enrolled_through'").await,
        counter("enrolled_through")
    );
    assert_eq!(
        number("SELECT last_value FROM rules_version").await,
        counter("rules_version")
    );
    let highest_seq: i64 = db
        .query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        number("SELECT last_value FROM events_seq").await,
        highest_seq
    );
    // AUTOINCREMENT ids are never given twice, not even those of deleted rows.
    for table in ["rules", "api_keys"] {
        let given: i64 = db
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        let left: i64 = db
            .query_row(&format!("SELECT MAX(id) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert!(given > left, "the test deletes the newest of {table}");
        let last: i64 = client
            .query_one(
                &format!(
                    "SELECT pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')::regclass)"
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(
            last, given,
            "{table}: the next id is after every id SQLite gave"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_moves_to_postgresql_whole_and_the_store_reads_it_back() {
    let data = sqlite_data_dir(600).await;
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("moved").unwrap();
    let url = cluster.url("moved");
    let quiet = Options {
        progress: false,
        ..Options::default()
    };
    let report = migrate::run(data.path(), &url, &quiet).await.unwrap();
    assert!(report.complete);
    assert_eq!(report.repaired, 1, "the NUL in one event's properties");
    let events = report.tables.iter().find(|t| t.name == "events").unwrap();
    assert_eq!(
        (events.copied_now, events.copied, events.total),
        (600, 600, 600)
    );

    // Each month of events in its own partition, none in the default one.
    assert_eq!(
        cluster
            .psql(
                "moved",
                "SELECT string_agg(DISTINCT tableoid::regclass::text, ',') FROM events"
            )
            .unwrap(),
        "events_2025_11,events_2025_12,events_2026_01,events_2026_02,events_2026_03"
    );
    let client = connect(&cluster, "moved").await;
    // A second run finds everything copied and changes nothing.
    let again = migrate::run(data.path(), &url, &quiet).await.unwrap();
    assert!(again.complete);
    assert!(again.tables.iter().all(|t| t.copied_now == 0), "{again:?}");
    assert_same(data.path(), &client).await;

    // A collector on the target reads the same sites and keys as the SQLite one did.
    let sqlite = SqliteStore::open(&data.path().join(wasmtrack_collector::DB_FILE)).unwrap();
    let pg = PgStore::open(&url).await.unwrap();
    let sites = |s: Vec<Arc<wasmtrack_collector::model::Site>>| {
        let mut s: Vec<_> = s.iter().map(|x| (**x).clone()).collect();
        s.sort_by(|a, b| a.id.cmp(&b.id));
        s
    };
    assert_eq!(sites(pg.sites()), sites(sqlite.sites()));
    let keys = |k: Vec<Arc<ApiKey>>| {
        let mut k: Vec<_> = k.iter().map(|x| (**x).clone()).collect();
        k.sort_by_key(|x| x.id);
        k
    };
    assert_eq!(keys(pg.keys()), keys(sqlite.keys()));
    assert!(pg.key("hash-ci").is_some());
    // A new key is numbered after every key SQLite ever gave, the revoked one included.
    let made = pg
        .create_key(
            ApiKey {
                id: 0,
                name: "new".into(),
                scopes: vec![],
                hint: "abcd".into(),
                created_at: 1,
            },
            "hash-new".into(),
        )
        .await
        .unwrap();
    assert_eq!(made.id, 3);
    pg.close();
    sqlite.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_stopped_anywhere_resumes_with_no_row_twice_and_none_missing() {
    let data = sqlite_data_dir(300).await;
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("resumed").unwrap();
    let url = cluster.url("resumed");
    // Batches of 7 rows, and each run stops after 3 batches: every table of more than 7 rows
    // is resumed from the middle of its key, composite keys included.
    let stopping = Options {
        batch_rows: 7,
        stop_after_batches: Some(3),
        progress: false,
    };
    let mut runs = 0;
    loop {
        runs += 1;
        let report = migrate::run(data.path(), &url, &stopping).await.unwrap();
        let now: u64 = report.tables.iter().map(|t| t.copied_now).sum();
        if report.complete {
            break;
        }
        assert!(
            now > 0 && now <= 21,
            "at most three batches of seven: {now}"
        );
        assert!(runs < 200, "no progress");
    }
    assert!(runs > 10, "{runs} runs");
    let client = connect(&cluster, "resumed").await;
    assert_same(data.path(), &client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_migration_command_resumes_where_it_stopped() {
    let data = sqlite_data_dir(6_000).await;
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("killed").unwrap();
    let url = cluster.url("killed");
    let command = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wasmtrack-collector"));
        c.args(["migrate", "--batch-rows", "20", "--to", &url, "--from"])
            .arg(data.path())
            .env_remove("WASMTRACK_DATABASE_URL")
            .stdout(std::process::Stdio::null());
        c
    };
    let mut child = command().spawn().unwrap();
    let client = connect(&cluster, "killed").await;
    let copied = || async {
        client
            .query_opt(
                "SELECT copied FROM migration_progress WHERE table_name = 'events'",
                &[],
            )
            .await
            .ok()
            .flatten()
            .map_or(0, |r| r.get::<_, i64>(0))
    };
    let start = Instant::now();
    while copied().await < 200 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no events copied"
        );
        assert!(child.try_wait().unwrap().is_none(), "ended before the kill");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL: no cleanup of any kind
    child.wait().unwrap();
    let at_kill = copied().await;
    assert!(at_kill < 6_000, "killed before the end ({at_kill})");
    let stored: i64 = client
        .query_one("SELECT COUNT(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, at_kill, "the progress row commits with its batch");

    let finished = command().output().unwrap();
    assert!(finished.status.success(), "{finished:?}");
    assert_same(data.path(), &client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_holding_events_from_elsewhere_is_refused_untouched() {
    let data = sqlite_data_dir(60).await;
    let cluster = Cluster::start().expect("a throw-away cluster");
    let quiet = Options {
        progress: false,
        ..Options::default()
    };

    // A database a collector already wrote to.
    cluster.create_database("used").unwrap();
    let mut used = connect(&cluster, "used").await;
    migrate(&mut used).await.unwrap();
    used.execute(
        "INSERT INTO events (id, name, occurred_at, received_at, object_type, props)
         VALUES ('elsewhere', 'x', 1, 1, 'CONTACT', '{}')",
        &[],
    )
    .await
    .unwrap();
    let refused = migrate::run(data.path(), &cluster.url("used"), &quiet)
        .await
        .expect_err("events from elsewhere");
    assert!(
        refused.to_string().contains("already holds events"),
        "{refused}"
    );
    assert_eq!(
        cluster
            .psql(
                "used",
                "SELECT to_regclass('migration_progress') IS NULL, (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM sites)"
            )
            .unwrap(),
        "t|1|0",
        "nothing changed"
    );

    // A migration half done, then a collector started on the target too early.
    cluster.create_database("early").unwrap();
    let url = cluster.url("early");
    let half = Options {
        batch_rows: 10,
        stop_after_batches: Some(15),
        progress: false,
    };
    assert!(
        !migrate::run(data.path(), &url, &half)
            .await
            .unwrap()
            .complete
    );
    let early = connect(&cluster, "early").await;
    let before = cluster
        .psql("early", "SELECT COUNT(*) FROM events")
        .unwrap();
    early
        .execute(
            "INSERT INTO events (seq, id, name, occurred_at, received_at, object_type, props)
             VALUES (1000000, 'too-early', 'x', 1, 1, 'CONTACT', '{}')",
            &[],
        )
        .await
        .unwrap();
    let refused = migrate::run(data.path(), &url, &quiet)
        .await
        .expect_err("an event the migration did not copy");
    assert!(refused.to_string().contains("did not copy"), "{refused}");
    early
        .execute("DELETE FROM events WHERE id = 'too-early'", &[])
        .await
        .unwrap();
    assert_eq!(
        cluster
            .psql("early", "SELECT COUNT(*) FROM events")
            .unwrap(),
        before,
        "nothing was copied by the refused run"
    );
    // Once the stray event is gone, the migration completes.
    assert!(
        migrate::run(data.path(), &url, &quiet)
            .await
            .unwrap()
            .complete
    );
    assert_same(data.path(), &early).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    SqliteStore::create_at_version(&dir.path().join(wasmtrack_collector::DB_FILE), 11).unwrap();
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("target").unwrap();
    let refused = migrate::run(dir.path(), &cluster.url("target"), &Options::default())
        .await
        .expect_err("version 11");
    assert!(
        refused.to_string().contains("schema version 11"),
        "{refused}"
    );
    let missing = migrate::run(
        Path::new("/nonexistent"),
        &cluster.url("target"),
        &Options::default(),
    )
    .await
    .expect_err("no database");
    assert!(
        missing.to_string().contains("no database there"),
        "{missing}"
    );
}
