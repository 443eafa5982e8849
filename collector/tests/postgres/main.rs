//! The PostgreSQL schema (issue 19, `store/postgres/schema.rs`) on a real, throw-away cluster
//! started by the test (`wasmtrack-pgcluster`): migrations apply once however many collectors
//! start together, a newer database is refused untouched, and events land in their month's
//! partition.

use wasmtrack_collector::store::postgres::schema::{migrate, MIGRATIONS};
use wasmtrack_pgcluster::Cluster;

async fn connect(cluster: &Cluster, database: &str) -> tokio_postgres::Client {
    let (client, connection) =
        tokio_postgres::connect(&cluster.url(database), tokio_postgres::NoTls)
            .await
            .expect("connect");
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_apply_once_refuse_a_newer_database_and_partition_events_by_month() {
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("wasmtrack").unwrap();
    let latest = MIGRATIONS.len();

    // Two collectors starting at once: both end at the latest version, the work done once.
    let (mut a, mut b) = (
        connect(&cluster, "wasmtrack").await,
        connect(&cluster, "wasmtrack").await,
    );
    let (ra, rb) = tokio::join!(migrate(&mut a), migrate(&mut b));
    assert_eq!((ra.unwrap(), rb.unwrap()), (latest, latest));
    assert_eq!(
        cluster
            .psql(
                "wasmtrack",
                "SELECT string_agg(version::text, ',') FROM schema_version"
            )
            .unwrap(),
        latest.to_string()
    );
    for table in [
        "sites",
        "definitions",
        "contacts",
        "visitors",
        "event_ids",
        "events",
        "events_default",
        "rejected",
        "rules",
        "rule_versions",
        "visualizer_tokens",
        "held",
        "quality",
        "api_keys",
        "event_hours",
        "value_hours",
        "value_counts",
        "counters",
        "workflows",
        "enrollments",
        "enrollment_candidates",
        "enrollment_opt_outs",
        "enrollment_history",
    ] {
        assert_eq!(
            cluster
                .psql(
                    "wasmtrack",
                    &format!("SELECT to_regclass('{table}') IS NOT NULL")
                )
                .unwrap(),
            "t",
            "{table}"
        );
    }
    // Again: nothing to do.
    assert_eq!(migrate(&mut a).await.unwrap(), latest);

    // Months are created once each; an event goes to its month, one outside them to the
    // default partition.
    let december_2026 = 1_797_292_800_000_i64; // 2026-12-15T00:00Z
    let made: i32 = a
        .query_one(
            "SELECT wasmtrack_ensure_partitions($1, 3)",
            &[&december_2026],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(made, 3);
    let again: i32 = a
        .query_one(
            "SELECT wasmtrack_ensure_partitions($1, 3)",
            &[&december_2026],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(again, 0);
    let january_2027 = 1_800_489_600_000_i64; // 2027-01-21T00:00Z
    let june_2030 = 1_906_502_400_000_i64; // 2030-06-01T00:00Z, no partition made
    let new_year = 1_798_761_600_000_i64; // 2027-01-01T00:00Z: the boundary is January's
    for (id, at) in [
        ("e1", december_2026),
        ("e2", january_2027),
        ("e3", june_2030),
        ("e4", new_year - 1),
        ("e5", new_year),
    ] {
        a.execute(
            "INSERT INTO events (id, name, occurred_at, received_at, object_type, props) VALUES ($1, 'x', $2, $2, 'CONTACT', '{}')",
            &[&id, &at],
        )
        .await
        .unwrap();
    }
    assert_eq!(
        cluster.psql("wasmtrack", "SELECT string_agg(id || '=' || tableoid::regclass::text, ',' ORDER BY seq) FROM events").unwrap(),
        "e1=events_2026_12,e2=events_2027_01,e3=events_default,e4=events_2026_12,e5=events_2027_01"
    );

    // A database from a newer collector is refused, and left as it was.
    a.execute(
        "UPDATE schema_version SET version = $1",
        &[&(latest as i32 + 1)],
    )
    .await
    .unwrap();
    let refused = migrate(&mut b).await.expect_err("a newer schema");
    let message = format!("{refused:?}");
    assert!(
        message.contains("newer than this collector knows"),
        "{message}"
    );
    assert_eq!(
        cluster
            .psql("wasmtrack", "SELECT version FROM schema_version")
            .unwrap(),
        (latest + 1).to_string()
    );
}
