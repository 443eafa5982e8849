//! The main reads' plans on 200,000 generated events.

#[allow(unused_imports)]
use super::*;

/// The plan of `sql` on `client`, as text.
async fn plan(client: &tokio_postgres::Client, sql: &str) -> String {
    client
        .query(&format!("EXPLAIN {sql}"), &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

// The main reads' plans on 200,000 events over four monthly partitions: each is served by an
// index (no partition with events is read whole), and a contacts page is one index range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_reads_are_served_by_indexes_on_200k_events() {
    let (cluster, a, b) = two_collectors("plans").await;
    let db = connect(&cluster, "plans").await;
    db.batch_execute(
        "SELECT wasmtrack_ensure_partitions(1700000000000, 4);
         INSERT INTO contacts (id, email, created_at, last_activity)
         SELECT i, 'c' || i || '@example.com', 1,
                CASE WHEN i % 10 <> 0 THEN 1700000000000 + i * 1000 END
         FROM generate_series(1, 20000) i;
         INSERT INTO visitors (vid, contact_id, linked_at)
         SELECT 'v' || i, i % 20000 + 1, 1 FROM generate_series(1, 30000) i;
         INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, props, defaults)
         SELECT 'e' || i, (ARRAY['pageview', 'signup', 'order', 'click'])[1 + i % 4],
                1700000000000 + i::bigint * 39000, 1700000000000 + i::bigint * 39000, 'CONTACT',
                CASE WHEN i % 3 <> 0 THEN i % 20000 + 1 END, 'v' || (i % 30000 + 1),
                jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[1 + i % 3]),
                '{\"hs_page_path\": \"/x\"}'
         FROM generate_series(1, 200000) i;
         INSERT INTO events (id, name, occurred_at, received_at, object_type, props)
         SELECT 'r' || i, 'rare', 1700000000000 + i * 1000, 1, 'CONTACT', '{}'
         FROM generate_series(1, 50) i;
         ANALYZE;",
    )
    .await
    .unwrap();
    let contact_timeline = "SELECT e.seq FROM events e WHERE e.object_type = 'CONTACT'
        AND (e.object_id = 42 OR (e.object_id IS NULL AND e.vid IS NOT NULL
             AND e.vid = ANY (ARRAY(SELECT vid FROM visitors WHERE contact_id = 42))))
        ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 51";
    let latest = |name: &str| {
        format!(
            "SELECT e.seq FROM events e WHERE e.name = '{name}'
               AND e.occurred_at >= 1700000000000 AND e.occurred_at < 1708000000000
             ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 21"
        )
    };
    let next_page = "SELECT e.seq FROM events e WHERE e.name = 'order'
        AND e.occurred_at >= 1703000000000 AND (e.occurred_at, e.seq) > (1703000000000, 5)
        ORDER BY e.occurred_at, e.seq LIMIT 1001";
    let everything = "SELECT e.seq FROM events e ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 21";
    let report = "SELECT (occurred_at - 1700000000001) / 3600000 AS bucket, COUNT(*) FROM events
        WHERE name = 'rare' AND occurred_at >= 1700000000001 AND occurred_at < 1708000000000
        GROUP BY bucket";
    for sql in [
        contact_timeline.to_owned(),
        latest("order"),
        latest("rare"),
        next_page.to_owned(),
        everything.to_owned(),
        report.to_owned(),
    ] {
        let plan = plan(&db, &sql).await;
        // Only the months holding the events count: the store also made the months around
        // today, empty, which a plan may read whole at no cost.
        assert!(
            !plan.contains("Seq Scan on events_2023") && !plan.contains("Seq Scan on events_2024"),
            "{sql}\n{plan}"
        );
    }
    let contacts = plan(
        &db,
        "SELECT id FROM contacts
         WHERE (COALESCE(last_activity, '-9223372036854775808'::bigint), id) < (1700000005000::bigint, 5000::bigint)
         ORDER BY COALESCE(last_activity, '-9223372036854775808'::bigint) DESC, id DESC LIMIT 51",
    )
    .await;
    assert!(
        contacts.contains("Index Scan Backward using contacts_by_activity")
            && contacts.contains("Index Cond")
            && !contacts.contains("Sort"),
        "{contacts}"
    );
    // And the store's own answers on it: a deep contacts page, a timeline.
    let deep = a
        .contacts(ContactQuery {
            email_contains: None,
            after: Some(ContactCursor {
                last_activity: Some(1_700_004_999_000),
                id: 4999,
            }),
            limit: 50,
        })
        .await
        .unwrap();
    assert_eq!(deep.contacts.first().map(|c| c.id), Some(4998));
    let timeline = b
        .events(events_query(
            Some(ObjectFilter::Id(PrimaryObject::Contact, 42)),
            None,
        ))
        .await
        .unwrap();
    assert!(!timeline.events.is_empty());
    a.close();
    b.close();
}
