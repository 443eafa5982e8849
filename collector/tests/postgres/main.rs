//! The PostgreSQL schema (issue 19, `store/postgres/schema.rs`) on a real, throw-away cluster
//! started by the test (`wasmtrack-pgcluster`): migrations apply once however many collectors
//! start together, a newer database is refused untouched, and events land in their month's
//! partition.

mod definitions;
mod faults;
mod ingest;
mod migrate;
mod reads;
mod sessions;
mod workflows;

use std::time::{Duration, Instant};

use wasmtrack_collector::store::postgres::schema::{migrate, MIGRATIONS};
use wasmtrack_collector::store::postgres::PgStore;
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

/// A throw-away cluster with a database `name`, and two collectors' stores on it.
async fn two_collectors(name: &str) -> (Cluster, PgStore, PgStore) {
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database(name).unwrap();
    let url = cluster.url(name);
    let (a, b) = (
        PgStore::open(&url).await.unwrap(),
        PgStore::open(&url).await.unwrap(),
    );
    (cluster, a, b)
}

/// Waits up to `within` for `check` to hold; returns how long it took.
async fn eventually(within: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if check() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    check().then(|| start.elapsed())
}

// Issue 19, point 2: two collectors on one database. A site made or changed through one is
// seen by the other within a notification's delay (the one that made it sees it at once);
// two creating the same site at once cannot both create it; and a collector whose listening
// connection broke (the database restarted) catches up on what changed meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_made_through_one_collector_is_seen_by_the_other_even_across_a_database_restart() {
    let (cluster, a, b) = two_collectors("shared").await;

    let (site, created) = a
        .put_site("shop".into(), vec!["https://shop.example".into()], true)
        .await
        .unwrap();
    assert!(created);
    assert!(
        a.site("shop").is_some(),
        "the collector that made it sees it at once"
    );
    let seen = eventually(Duration::from_secs(2), || b.site("shop").is_some()).await;
    assert!(seen.is_some(), "the other collector sees the new site");
    assert_eq!(b.site("shop").unwrap().public_key, site.public_key);

    // Changed through the other one.
    b.put_site(
        "shop".into(),
        vec![
            "https://shop.example".into(),
            "https://www.shop.example".into(),
        ],
        false,
    )
    .await
    .unwrap();
    assert!(eventually(Duration::from_secs(2), || a
        .site("shop")
        .is_some_and(|s| s.origins.len() == 2))
    .await
    .is_some());

    // Both create one site at once: exactly one creates it, the other is told it exists.
    let (ra, rb) = tokio::join!(
        a.put_site("blog".into(), vec![], true),
        b.put_site("blog".into(), vec![], true)
    );
    let outcomes = [ra.is_ok(), rb.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "one creation wins"
    );

    // The database restarts, and before the collectors listen again a site is deleted by
    // another tool (no notification): each catches up when its listening connection is made
    // again, and their pools work again without a restart of theirs.
    cluster.kill().unwrap();
    cluster.restart().unwrap();
    cluster
        .psql("shared", "DELETE FROM sites WHERE id = 'shop'")
        .unwrap();
    for store in [&a, &b] {
        let caught_up = eventually(Duration::from_secs(5), || store.site("shop").is_none()).await;
        assert!(
            caught_up.is_some(),
            "a collector caught up after its connection broke"
        );
    }
    let mut tries = 0;
    while let Err(e) = a.put_site("docs".into(), vec![], true).await {
        tries += 1;
        assert!(tries < 50, "the pool never recovered: {e:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        eventually(Duration::from_secs(2), || b.site("docs").is_some())
            .await
            .is_some()
    );
    b.delete_site("docs".into()).await.unwrap();
    assert!(
        eventually(Duration::from_secs(2), || a.site("docs").is_none())
            .await
            .is_some()
    );
    assert_eq!(b.sites().len(), 1, "only blog is left");
    a.close();
    b.close();
}

// A key revoked through one collector stops authenticating on every collector (a leaked key
// is revoked once, wherever the admin happens to be connected).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_made_or_revoked_through_one_collector_is_so_on_the_other() {
    use wasmtrack_collector::scopes::Scope;
    use wasmtrack_collector::store::ApiKey;
    let (_cluster, a, b) = two_collectors("keys").await; // kept: dropping it stops the server
    let key = ApiKey {
        id: 0,
        name: "ci".into(),
        scopes: vec![Scope::Read, Scope::Send],
        hint: "abcd".into(),
        created_at: 1,
    };
    let made = a
        .create_key(key, "hash-of-the-secret".into())
        .await
        .unwrap();
    assert!(made.id > 0);
    assert!(eventually(Duration::from_secs(2), || b
        .key("hash-of-the-secret")
        .is_some())
    .await
    .is_some());
    assert_eq!(
        b.key("hash-of-the-secret").unwrap().scopes,
        vec![Scope::Read, Scope::Send]
    );
    b.revoke_key(made.id).await.unwrap();
    assert!(
        b.key("hash-of-the-secret").is_none(),
        "revoked at once where it was revoked"
    );
    assert!(
        eventually(Duration::from_secs(2), || a
            .key("hash-of-the-secret")
            .is_none())
        .await
        .is_some(),
        "and on the other collector"
    );
    assert!(matches!(
        a.revoke_key(made.id).await,
        Err(wasmtrack_collector::store::StoreError::NotFound(_))
    ));
    // A second key gets a new id: ids are never reused.
    let again = ApiKey {
        id: 0,
        name: "ci".into(),
        scopes: vec![Scope::Read],
        hint: "efgh".into(),
        created_at: 2,
    };
    assert!(b.create_key(again, "another-hash".into()).await.unwrap().id > made.id);
    a.close();
    b.close();
}

// A visualizer token issued through one collector opens the visualizer through any other at
// once, even for a site made a moment ago elsewhere; revoked through one, it is revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visualizer_tokens_are_shared_at_once_by_every_collector() {
    let (_cluster, a, b) = two_collectors("tokens").await; // kept: dropping it stops the server
    a.put_site("shop".into(), vec![], true).await.unwrap();
    // No waiting for the site to reach b's memory: the database is asked.
    let far = i64::MAX / 2;
    let issued = b.issue_visualizer_token("shop".into(), far).await.unwrap();
    assert!(issued.token.starts_with("vt_"));
    let seen = a
        .visualizer_token(issued.token.clone())
        .await
        .unwrap()
        .expect("seen by a");
    assert_eq!((seen.site.as_str(), seen.expires_at), ("shop", far));
    assert!(matches!(
        b.issue_visualizer_token("nowhere".into(), far).await,
        Err(wasmtrack_collector::store::StoreError::NotFound(_))
    ));
    // Expired tokens are forgotten when the next one is issued.
    let stale = a.issue_visualizer_token("shop".into(), 1).await.unwrap();
    let second = a.issue_visualizer_token("shop".into(), far).await.unwrap();
    assert!(b.visualizer_token(stale.token).await.unwrap().is_none());
    assert_eq!(
        a.revoke_visualizer_tokens(Some(issued.token.clone()), None)
            .await
            .unwrap(),
        1
    );
    assert!(
        b.visualizer_token(issued.token).await.unwrap().is_none(),
        "revoked everywhere at once"
    );
    assert_eq!(
        b.revoke_visualizer_tokens(None, Some("shop".into()))
            .await
            .unwrap(),
        1
    );
    assert!(a.visualizer_token(second.token).await.unwrap().is_none());
    a.close();
    b.close();
}
