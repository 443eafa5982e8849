//! PostgreSQL store tests: event definitions and auto-tracking rules shared by two collectors
//! on one database, with SQLite's answers (`store/sqlite/definitions.rs`, `rules.rs`,
//! `values.rs`): a change made through one is seen by the other; what must be unique or
//! monotonic stays so when both change at once; deleting a definition deletes its completions
//! and what is kept beside them; enumerations are counted per option from the completions.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use wasmtrack_collector::model::{
    DefinitionChange, EventDefinition, PrimaryObject, PropertyDef, PropertyType, Rule,
};
use wasmtrack_collector::store::{EventStore, StoreError};
use wasmtrack_core::rules::{Capture, Rule as SharedRule, Source, Trigger};

const HOUR: i64 = 3_600_000;
/// A whole hour.
const T0: i64 = 1_700_000_000_000 / HOUR * HOUR;
const WAIT: Duration = Duration::from_secs(3);

fn definition(name: &str, properties: Vec<PropertyDef>) -> EventDefinition {
    EventDefinition {
        id: 0,
        name: name.into(),
        label: name.into(),
        description: None,
        primary_object: PrimaryObject::Contact,
        include_default_properties: true,
        properties,
        index: Default::default(),
        created_at: 1,
        updated_at: 1,
    }
}

fn plan() -> PropertyDef {
    PropertyDef::plain(
        "plan",
        PropertyType::Enumeration,
        &["free", "pro", "team"],
        0,
    )
}

fn note() -> PropertyDef {
    PropertyDef::plain("note", PropertyType::String, &[], 0)
}

/// A click rule of `site` firing `event`, capturing `data-plan`.
fn rule(site: &str, event: &str, selector: &str) -> Rule {
    Rule {
        site: site.into(),
        created_at: 1,
        rule: SharedRule {
            id: 0,
            event_name: event.into(),
            label: "Clicked buy".into(),
            trigger: Trigger::Click(selector.into()),
            properties: vec![Capture {
                name: "plan".into(),
                source: Source::Attribute("data-plan".into()),
            }],
        },
    }
}

fn property_names(def: &EventDefinition) -> Vec<&str> {
    def.properties.iter().map(|p| p.name.as_str()).collect()
}

// Definitions are read from memory on every beacon, so each collector keeps them: one made,
// changed or deleted through one collector is so on the other within a notification's delay
// (at once on the one that made the change), and changes are made to what is stored, not to
// a copy that may be a notification behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_definition_made_changed_and_deleted_through_one_collector_is_so_on_the_other() {
    let (_cluster, a, b) = two_collectors("definitions").await; // kept: dropping it stops the server
    let made = a
        .create_definition(definition("order", vec![note()]))
        .await
        .unwrap();
    assert!(made.id > 0, "the database assigns the id");
    assert_eq!(a.definition("order").unwrap().id, made.id, "at once here");
    assert!(
        eventually(WAIT, || b.definition("order").is_some())
            .await
            .is_some(),
        "the other collector sees it"
    );
    assert_eq!(b.definition("order").unwrap().id, made.id);

    // Changed through both at once, each from its own copy: both changes are kept.
    let (ra, rb) = tokio::join!(
        a.change_definition("order".into(), DefinitionChange::AddProperty(plan())),
        b.change_definition(
            "order".into(),
            DefinitionChange::Relabel {
                label: Some("Order".into()),
                description: Some(Some("A paid order".into())),
            }
        )
    );
    ra.unwrap();
    rb.unwrap();
    for store in [&a, &b] {
        assert!(
            eventually(WAIT, || store.definition("order").is_some_and(|d| d.label
                == "Order"
                && property_names(&d) == ["note", "plan"]))
            .await
            .is_some(),
            "both changes, on both collectors: {:?}",
            store.definition("order")
        );
    }

    // SQLite's answers for changes that cannot be made.
    let exists = b
        .change_definition("order".into(), DefinitionChange::AddProperty(note()))
        .await;
    assert!(matches!(exists, Err(StoreError::Conflict(_))), "{exists:?}");
    let missing = b
        .change_definition(
            "order".into(),
            DefinitionChange::RemoveProperty("colour".into()),
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    let unknown = b
        .change_definition(
            "nothing".into(),
            DefinitionChange::RemoveProperty("x".into()),
        )
        .await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
    b.change_definition(
        "order".into(),
        DefinitionChange::RemoveProperty("note".into()),
    )
    .await
    .unwrap();
    assert!(eventually(WAIT, || a
        .definition("order")
        .is_some_and(|d| property_names(&d) == ["plan"]))
    .await
    .is_some());

    // Two collectors creating one name at once: exactly one creates it.
    let (ra, rb) = tokio::join!(
        a.create_definition(definition("signup", vec![])),
        b.create_definition(definition("signup", vec![note()]))
    );
    let won = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{ra:?} {rb:?}");
    let lost = if ra.is_ok() { rb } else { ra };
    assert!(matches!(lost, Err(StoreError::Conflict(_))), "{lost:?}");
    assert!(eventually(WAIT, || a.definition("signup").is_some()
        && b.definition("signup").is_some())
    .await
    .is_some());
    assert_eq!(
        a.definition("signup").unwrap().properties,
        b.definition("signup").unwrap().properties,
        "both hold the winner's"
    );
    assert!(a.definition("signup").unwrap().id > made.id);

    // Deleted through the other one.
    let deleted = b.delete_definition("order".into(), false).await.unwrap();
    assert!(deleted.is_empty());
    assert!(b.definition("order").is_none(), "at once here");
    assert!(eventually(WAIT, || a.definition("order").is_none())
        .await
        .is_some());
    let again = a.delete_definition("order".into(), false).await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
    assert_eq!(a.definitions().len(), 1);
    a.close();
    b.close();
}

// A site's rule list is fetched on every page view and answered 304 while its version is
// unchanged, so a version must name one list: rules made through two collectors at once all
// land, each change takes a version above every earlier one, and both collectors end with
// every rule under the newest version. Versions never repeat, even once the site is deleted
// and made again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_made_at_once_through_two_collectors_all_land_under_increasing_versions() {
    let (cluster, a, b) = two_collectors("rules").await;
    a.put_site("shop".into(), vec![], true).await.unwrap();
    // A site's rules are answered only once its collector knows the site.
    assert!(eventually(WAIT, || b.site("shop").is_some())
        .await
        .is_some());

    /// Makes `n` rules one after the other, each collector for an event of its own (so that
    /// only the site orders them); the list this collector held after each, as (version,
    /// how many rules).
    async fn make(store: &PgStore, tag: &str, n: usize) -> Vec<(i64, usize)> {
        let mut seen = Vec::new();
        for i in 0..n {
            let saved = store
                .create_rule(rule(
                    "shop",
                    &format!("clicked_{tag}"),
                    &format!("#{tag}{i}"),
                ))
                .await
                .unwrap();
            assert!(saved.rule.id > 0);
            assert!(
                property_names(&saved.definition).contains(&"plan"),
                "the rule's definition has its capture"
            );
            let set = store.rules("shop").unwrap();
            assert!(
                set.rules.iter().any(|r| r.id == saved.rule.id),
                "the rule is in this collector's list at once"
            );
            seen.push((set.version, set.rules.len()));
        }
        seen
    }
    let (seen_a, seen_b) = tokio::join!(make(&a, "a", 25), make(&b, "b", 25));
    for seen in [&seen_a, &seen_b] {
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0),
            "versions only go up: {seen:?}"
        );
    }
    // A version names one list: rules were only added, so a later version holds more.
    let mut all: Vec<(i64, usize)> = seen_a.iter().chain(&seen_b).copied().collect();
    all.sort();
    all.dedup();
    assert!(
        all.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
        "each version with its own list: {all:?}"
    );
    let newest: i64 = cluster
        .psql(
            "rules",
            "SELECT version FROM rule_versions WHERE site = 'shop'",
        )
        .unwrap()
        .parse()
        .unwrap();
    let taken: i64 = cluster
        .psql("rules", "SELECT last_value FROM rules_version")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        newest, taken,
        "the last change committed took the newest version"
    );
    for store in [&a, &b] {
        assert!(
            eventually(WAIT, || store
                .rules("shop")
                .is_some_and(|s| s.rules.len() == 50 && s.version == newest))
            .await
            .is_some(),
            "every rule under the newest version: {:?}",
            store.rules("shop").map(|s| (s.version, s.rules.len()))
        );
    }
    let ids: Vec<u64> = a
        .rules("shop")
        .unwrap()
        .rules
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");

    // Deleting: NotFound for a rule the site lacks or an unknown site, a new version otherwise.
    assert!(matches!(
        b.delete_rule("shop".into(), 999_999).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        b.delete_rule("nowhere".into(), ids[0]).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        b.create_rule(rule("nowhere", "clicked_buy", "#x")).await,
        Err(StoreError::NotFound(_))
    ));
    b.delete_rule("shop".into(), ids[0]).await.unwrap();
    let after = b.rules("shop").unwrap();
    assert!(after.version > newest && after.rules.len() == 49);
    assert!(
        eventually(WAIT, || a.rules("shop").unwrap().version == after.version)
            .await
            .is_some()
    );

    // A site deleted and made again starts with no rules, and a version it never had.
    a.delete_site("shop".into()).await.unwrap();
    a.put_site("shop".into(), vec![], true).await.unwrap();
    assert!(
        eventually(WAIT, || a.rules("shop").is_some_and(|s| s.rules.is_empty())
            && b.rules("shop").is_some_and(|s| s.rules.is_empty()))
        .await
        .is_some()
    );
    b.create_rule(rule("shop", "clicked_buy", "#again"))
        .await
        .unwrap();
    assert!(b.rules("shop").unwrap().version > after.version);
    a.close();
    b.close();
}

// A definition that rules fire is not deleted behind their backs: the deletion is refused
// with the rules named, unless asked to delete them too, which it does in the same
// transaction (each site's list under a new version, on both collectors).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_definition_that_rules_fire_is_refused_unless_the_rules_go_too() {
    let (_cluster, a, b) = two_collectors("firing").await; // kept: dropping it stops the server
    a.put_site("shop".into(), vec![], true).await.unwrap();
    a.put_site("blog".into(), vec![], true).await.unwrap();
    assert!(eventually(WAIT, || b.site("blog").is_some()
        && b.site("shop").is_some())
    .await
    .is_some());
    let first = a
        .create_rule(rule("shop", "clicked_buy", "#buy"))
        .await
        .unwrap();
    let second = b
        .create_rule(rule("blog", "clicked_buy", "#buy"))
        .await
        .unwrap();
    let other = b
        .create_rule(rule("blog", "clicked_help", "#help"))
        .await
        .unwrap();
    assert_eq!(first.definition.id, second.definition.id, "one definition");
    assert!(eventually(WAIT, || b.definition("clicked_buy").is_some())
        .await
        .is_some());
    let blog_before = b.rules("blog").unwrap().version;

    match b.delete_definition("clicked_buy".into(), false).await {
        Err(StoreError::RulesFire(rules)) => {
            let ids: Vec<u64> = rules.iter().map(|r| r.id).collect();
            // By site, as SQLite lists them: blog's, then shop's.
            assert_eq!(ids, [second.rule.id, first.rule.id]);
        }
        other => panic!("expected RulesFire, got {other:?}"),
    }
    assert!(a.definition("clicked_buy").is_some(), "nothing deleted");
    assert_eq!(b.rules("blog").unwrap().rules.len(), 2);

    let deleted = b
        .delete_definition("clicked_buy".into(), true)
        .await
        .unwrap();
    let ids: Vec<u64> = deleted.iter().map(|r| r.id).collect();
    assert_eq!(ids, [second.rule.id, first.rule.id]);
    let blog = b.rules("blog").unwrap();
    assert!(blog.version > blog_before, "a new version");
    assert_eq!(
        blog.rules.iter().map(|r| r.id).collect::<Vec<_>>(),
        [other.rule.id],
        "at once here"
    );
    assert!(b.rules("shop").unwrap().rules.is_empty());
    assert!(
        eventually(WAIT, || a.definition("clicked_buy").is_none()
            && a.rules("shop").is_some_and(|s| s.rules.is_empty())
            && a.rules("blog").is_some_and(|s| s.version == blog.version))
        .await
        .is_some(),
        "and on the other collector"
    );
    assert!(a.definition("clicked_help").is_some());
    a.close();
    b.close();
}

/// One SQL statement's single value, as text.
async fn one(client: &tokio_postgres::Client, sql: &str) -> String {
    client
        .query_one(&format!("SELECT ({sql})::text"), &[])
        .await
        .unwrap()
        .get::<_, Option<String>>(0)
        .unwrap_or_else(|| "NULL".into())
}

// Deleting a definition deletes its completions and everything kept beside them: their ids
// (one sent again is stored again), the hourly and per-option counts, and the last activity
// of the contacts whose timelines held them, counted again from what is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_definition_deletes_its_completions_their_ids_and_their_counts() {
    let (cluster, a, b) = two_collectors("deleting").await;
    a.create_definition(definition("order", vec![plan()]))
        .await
        .unwrap();
    a.create_definition(definition("visit", vec![]))
        .await
        .unwrap();
    let db = connect(&cluster, "deleting").await;
    db.batch_execute(&format!(
        "INSERT INTO contacts (id, email, created_at, last_activity) VALUES
             (1, 'one@example.com', 0, {t3}), (2, 'two@example.com', 0, {t2}), (3, 'three@example.com', 0, {t1});
         INSERT INTO visitors (vid, contact_id, linked_at) VALUES ('v2', 2, 0);
         INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, site, props) VALUES
             ('o1', 'order', {t3}, {t3}, 'CONTACT', 1, 'v1', 'shop', '{{\"plan\":\"pro\"}}'),
             ('o2', 'order', {t2}, {t2}, 'CONTACT', NULL, 'v2', 'shop', '{{}}'),
             ('o3', 'order', {t1}, {t1}, 'CONTACT', 3, NULL, NULL, '{{}}'),
             ('x1', 'visit', {t1}, {t1}, 'CONTACT', 1, 'v1', 'shop', '{{}}'),
             ('x2', 'visit', {t1}, {t1}, 'CONTACT', NULL, NULL, NULL, '{{}}');
         INSERT INTO event_ids (id, occurred_at) VALUES
             ('o1', {t3}), ('o2', {t2}), ('api:o3', {t1}), ('x1', {t1}), ('api:x2', {t1});
         INSERT INTO event_hours (name, hour, count) VALUES ('order', 1, 3), ('visit', 1, 2);
         INSERT INTO value_hours (name, property, value, hour, count) VALUES ('order', 'plan', 'pro', 1, 1);",
        t1 = T0,
        t2 = T0 + HOUR,
        t3 = T0 + 2 * HOUR,
    ))
    .await
    .unwrap();

    b.delete_definition("order".into(), false).await.unwrap();
    assert_eq!(
        one(&db, "SELECT string_agg(id, ',' ORDER BY id) FROM events").await,
        "x1,x2"
    );
    assert_eq!(
        one(&db, "SELECT string_agg(id, ',' ORDER BY id) FROM event_ids").await,
        "api:x2,x1",
        "the deleted completions' ids are forgotten, an API event's by its 'api:' id"
    );
    assert_eq!(
        one(&db, "SELECT string_agg(name, ',') FROM event_hours").await,
        "visit"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM value_hours").await, "0");
    assert_eq!(one(&db, "SELECT count(*) FROM value_counts").await, "0");
    // Contact 1 keeps its visit; contact 2 (by its visitor) and 3 had only orders.
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(id || '=' || coalesce(last_activity::text, 'none'), ',' ORDER BY id) FROM contacts"
        )
        .await,
        format!("1={T0},2=none,3=none")
    );
    assert!(eventually(WAIT, || a.definition("order").is_none())
        .await
        .is_some());
    a.close();
    b.close();
}

/// The `value_hours` rows of `order`'s `plan`: (option, hour from T0) → count, and whether
/// every row has both sketches.
async fn plan_rows(db: &tokio_postgres::Client) -> (BTreeMap<(String, i64), i64>, bool) {
    let rows = db
        .query(
            "SELECT value, hour, count, contacts IS NOT NULL AND visitors IS NOT NULL
               FROM value_hours WHERE name = 'order' AND property = 'plan'",
            &[],
        )
        .await
        .unwrap();
    let sketched = rows.iter().all(|r| r.get::<_, bool>(3));
    let counts = rows
        .iter()
        .map(|r| {
            (
                (r.get::<_, String>(0), r.get::<_, i64>(1) - T0 / HOUR),
                r.get::<_, i64>(2),
            )
        })
        .collect();
    (counts, sketched)
}

async fn plan_counted(db: &tokio_postgres::Client) -> bool {
    one(
        db,
        "SELECT count(*) FROM value_counts WHERE name = 'order' AND property = 'plan'",
    )
    .await
        == "1"
}

// An enumeration is counted per option and hour from the moment it is one: when a property
// becomes an enumeration, the completions already stored are counted (each option of
// `a;b` once, a completion without the value under ''), and when it stops being one its
// counts go. A change waits for a transaction storing completions of its event (which holds
// the name's lock shared, as ingestion does), so the backfill counts them too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enumeration_counts_are_backfilled_from_the_stored_completions() {
    let (cluster, a, b) = two_collectors("values").await;
    let db = connect(&cluster, "values").await;
    a.create_definition(definition("order", vec![note()]))
        .await
        .unwrap();
    db.batch_execute(&format!(
        "INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, site, props) VALUES
             ('o1', 'order', {t0}, {t0}, 'CONTACT', 1, 'v1', 'shop', '{{\"plan\":\"pro\"}}'),
             ('o2', 'order', {t0} + 5, {t0}, 'CONTACT', NULL, 'v2', 'shop', '{{\"plan\":\"team;pro\"}}'),
             ('o3', 'order', {t1}, {t1}, 'CONTACT', 2, 'v3', 'shop', '{{\"plan\":\"pro\"}}'),
             ('o4', 'order', {t1}, {t1}, 'CONTACT', NULL, 'v4', 'shop', '{{\"note\":\"x\"}}'),
             ('o5', 'order', {t1}, {t1}, 'CONTACT', 3, NULL, NULL, '{{\"plan\":\"\"}}'),
             ('s1', 'other', {t0}, {t0}, 'CONTACT', 1, 'v1', 'shop', '{{\"plan\":\"pro\"}}');",
        t0 = T0,
        t1 = T0 + HOUR,
    ))
    .await
    .unwrap();
    assert!(!plan_counted(&db).await);

    // Through b, whose copy may not have the definition yet: it reads the stored one.
    b.change_definition("order".into(), DefinitionChange::AddProperty(plan()))
        .await
        .unwrap();
    assert!(plan_counted(&db).await, "listed as counted");
    let expected: BTreeMap<(String, i64), i64> = [
        (("pro".to_owned(), 0), 2),
        (("team".to_owned(), 0), 1),
        (("pro".to_owned(), 1), 1),
        (("".to_owned(), 1), 2),
    ]
    .into_iter()
    .collect();
    let (counts, sketched) = plan_rows(&db).await;
    assert_eq!(counts, expected);
    assert!(sketched, "with reach sketches, as the writer keeps them");

    // No longer an enumeration: its counts go (the completions keep their values).
    a.change_definition(
        "order".into(),
        DefinitionChange::RemoveProperty("plan".into()),
    )
    .await
    .unwrap();
    assert!(!plan_counted(&db).await);
    assert!(plan_rows(&db).await.0.is_empty());
    assert_eq!(one(&db, "SELECT count(*) FROM events").await, "6");

    // A transaction storing a completion of `order` holds the name's lock shared, as
    // ingestion does; the change that makes `plan` an enumeration again waits for it, then
    // counts its completion too.
    let mut storing = connect(&cluster, "values").await;
    let tx = storing.transaction().await.unwrap();
    tx.execute(
        "SELECT pg_advisory_xact_lock_shared(x'77746576'::int, hashtext('order'))",
        &[],
    )
    .await
    .unwrap();
    tx.execute(
        &format!(
            "INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, site, props)
             VALUES ('o6', 'order', {t}, {t}, 'CONTACT', 4, 'v6', 'shop', '{{\"plan\":\"free\"}}')",
            t = T0 + 3 * HOUR
        ),
        &[],
    )
    .await
    .unwrap();
    let a = Arc::new(a);
    let changing = tokio::spawn({
        let a = a.clone();
        async move {
            a.change_definition("order".into(), DefinitionChange::AddProperty(plan()))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!changing.is_finished(), "the change waits for the batch");
    tx.commit().await.unwrap();
    changing.await.unwrap().unwrap();
    let mut expected = expected;
    expected.insert(("free".to_owned(), 3), 1);
    assert_eq!(plan_rows(&db).await.0, expected);

    // A definition created with an enumeration counts what is stored already.
    b.create_definition(definition("other", vec![plan()]))
        .await
        .unwrap();
    assert_eq!(
        one(
            &db,
            "SELECT string_agg(value || ':' || count, ',') FROM value_hours WHERE name = 'other'"
        )
        .await,
        "pro:1"
    );
    a.close();
    b.close();
}
