//! What the writer keeps beside the events equals what the events say, through every change
//! that moves it: the per-option hourly counts (`values.rs`) against a count of the generated
//! completions, and each contact's last activity (`activity.rs`) against a recount from its
//! events, after ingestion, visitor relinks and a definition's deletion.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rusqlite::Connection;

use super::activity::NEWEST_OF_CONTACT;
use super::SqliteStore;
use crate::model::{DefinitionChange, EventDefinition, PrimaryObject, PropertyDef, PropertyType};
use crate::store::{
    CompletionQuery, ContactQuery, EventQuery, EventStore, Ingest, NewEvent, Subject,
};

const HOUR: i64 = 3_600_000;
/// A whole hour, so that reports may use the hourly counts.
const T0: i64 = 1_700_000_000_000 / HOUR * HOUR;

fn property(name: &str, kind: PropertyType, options: &[&str]) -> PropertyDef {
    PropertyDef::plain(name, kind, options, 0)
}

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
        created_at: 0,
        updated_at: 0,
    }
}

/// A completion of `name` at `at`, by contact `who` (by email) or else anonymous visitor
/// `vid`, with custom properties `props`.
fn completion(
    id: usize,
    name: &str,
    at: i64,
    who: Option<u32>,
    vid: &str,
    props: &str,
) -> NewEvent {
    NewEvent {
        id: format!("e{id}"),
        name: name.into(),
        occurred_at: at,
        received_at: at,
        object_type: PrimaryObject::Contact,
        subject: match who {
            Some(c) => Subject::Contact {
                email: Some(format!("c{c}@example.com")),
                external_id: None,
            },
            None => Subject::Anonymous,
        },
        vid: Some(vid.into()),
        sid: None,
        site: Some(Arc::from("shop")),
        props: props.into(),
        defaults: None,
    }
}

/// xorshift: a fixed sequence, so a failure repeats.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const PLANS: [&str; 5] = ["free", "pro", "team", "pro;team", ""];

/// Completions of `order` over 30 hours: a plan (one option, two, or none), a free-text note,
/// by 40 contacts and their visitors, a third anonymous.
fn orders(n: usize, first_id: usize, rng: &mut Rng) -> Vec<NewEvent> {
    (0..n)
        .map(|i| {
            let plan = PLANS[rng.below(PLANS.len() as u64) as usize];
            let props = if plan.is_empty() {
                r#"{"note":"x"}"#.to_owned()
            } else {
                format!(r#"{{"plan":"{plan}","note":"n{}"}}"#, rng.below(3))
            };
            let contact = rng.below(40) as u32;
            let who = (rng.below(3) != 0).then_some(contact);
            let at = T0 + rng.below(30 * HOUR as u64) as i64;
            completion(
                first_id + i,
                "order",
                at,
                who,
                &format!("v{contact}"),
                &props,
            )
        })
        .collect()
}

/// What a report must say for `order` filtered by plan `option` (all when `None`), counted
/// from the completions themselves: (per-hour counts, completions per option).
fn expected(events: &[NewEvent], option: Option<&str>) -> BTreeMap<i64, u64> {
    let mut hours = BTreeMap::new();
    for e in events {
        let v: serde_json::Value = serde_json::from_str(&e.props).unwrap();
        let plan = v.get("plan").and_then(|p| p.as_str()).unwrap_or("");
        if option.is_none_or(|o| plan.split(';').any(|p| p == o)) {
            *hours.entry((e.occurred_at - T0) / HOUR).or_insert(0) += 1;
        }
    }
    hours
}

/// Stores `events` as one request, and keeps them in `all`.
async fn send(store: &SqliteStore, events: Vec<NewEvent>, all: &mut Vec<NewEvent>) {
    store
        .ingest(Ingest {
            events: events.clone(),
            ..Ingest::default()
        })
        .await
        .unwrap();
    all.extend(events);
}

fn query(property: Option<&str>) -> CompletionQuery {
    CompletionQuery {
        name: "order".into(),
        from: T0,
        to: T0 + 30 * HOUR,
        width: HOUR,
        property: property.map(|v| ("plan".into(), v.into())),
    }
}

/// Whether the store answers `plan` reports from its counts (`value_counts` lists it).
fn counted(path: &std::path::Path) -> bool {
    Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM value_counts WHERE name = 'order' AND property = 'plan'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

/// Every report on `plan`, from whichever path the store takes, against the completions.
async fn reports_match(store: &SqliteStore, events: &[NewEvent]) {
    for option in [None, Some("free"), Some("pro"), Some("team"), Some("gold")] {
        let got: BTreeMap<i64, u64> = store
            .completions(query(option))
            .await
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(got, expected(events, option), "plan = {option:?}");
    }
    // The breakdown: each option's series, and the completions without a plan as `None`.
    let rows = store.breakdown(query(None), "plan".into()).await.unwrap();
    let mut by_option: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for (value, _, count) in rows {
        *by_option.entry(value).or_default() += count;
    }
    for option in ["free", "pro", "team"] {
        let want: u64 = expected(events, Some(option)).values().sum();
        assert_eq!(
            by_option.get(&Some(option.into())).copied().unwrap_or(0),
            want,
            "{option}"
        );
    }
    let none = events.iter().filter(|e| !e.props.contains("plan")).count() as u64;
    assert_eq!(by_option.get(&None).copied().unwrap_or(0), none);
    // Reach, for a filter: distinct contacts and anonymous visitors (40 at most: exact).
    for option in ["pro", "team"] {
        let (contacts, anonymous) = store.reach(query(Some(option))).await.unwrap();
        let matching: Vec<&NewEvent> = events.iter().filter(|e| e.props.contains(option)).collect();
        let who: BTreeSet<&str> = matching
            .iter()
            .filter_map(|e| match &e.subject {
                Subject::Contact { email, .. } => email.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(contacts, who.len() as u64, "{option}: contacts");
        assert!(anonymous > 0 && anonymous <= 40, "{option}: {anonymous}");
    }
    // The latest completions, filtered in SQL: a full page when there are enough.
    let page = store
        .events(EventQuery {
            object: None,
            name: Some("order".into()),
            occurred_after: None,
            occurred_before: None,
            property: Some(("plan".into(), "team".into())),
            descending: true,
            after: None,
            limit: 20,
        })
        .await
        .unwrap();
    assert_eq!(page.events.len(), 20);
    assert!(page.events.iter().all(|e| e.props.contains("team")));
}

#[tokio::test]
async fn option_counts_answer_as_the_completions_would_through_definition_changes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = SqliteStore::open(&path).unwrap();
    let plan = property("plan", PropertyType::Enumeration, &["free", "pro", "team"]);
    let note = property("note", PropertyType::String, &[]);
    store
        .create_definition(definition("order", vec![plan.clone(), note]))
        .await
        .unwrap();
    assert!(
        counted(&path),
        "an enumeration is counted from its creation"
    );
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut events = Vec::new();
    for batch in 0..6 {
        send(&store, orders(100, batch * 100, &mut rng), &mut events).await;
    }
    reports_match(&store, &events).await;

    // Removed: the counts go, and reports read the completions (which keep their values).
    store
        .change_definition(
            "order".into(),
            DefinitionChange::RemoveProperty("plan".into()),
        )
        .await
        .unwrap();
    assert!(!counted(&path));
    reports_match(&store, &events).await;

    // Added again, with completions stored meanwhile: counted from the stored completions.
    send(&store, orders(200, 10_000, &mut rng), &mut events).await;
    store
        .change_definition("order".into(), DefinitionChange::AddProperty(plan))
        .await
        .unwrap();
    assert!(counted(&path));
    reports_match(&store, &events).await;

    // And kept as more arrive, also after a restart.
    store.close().await;
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    send(&store, orders(150, 20_000, &mut rng), &mut events).await;
    reports_match(&store, &events).await;
    store.close().await;
}

/// Every contact's kept last activity against a recount from its events.
fn last_activity_is_recounted(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    let wrong: Vec<(i64, Option<i64>, Option<i64>)> = conn
        .prepare(&format!(
            "SELECT id, last_activity, newest FROM (
                 SELECT c.id, c.last_activity,
                        {} AS newest FROM contacts c)
             WHERE last_activity IS NOT newest",
            NEWEST_OF_CONTACT.replace("?1", "c.id")
        ))
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(wrong.is_empty(), "(contact, kept, recounted): {wrong:?}");
}

#[tokio::test]
async fn a_contacts_last_activity_follows_its_events_relinks_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let store = SqliteStore::open(&path).unwrap();
    for name in ["order", "visit"] {
        store
            .create_definition(definition(name, vec![]))
            .await
            .unwrap();
    }
    let mut all = Vec::new();
    // Anonymous visits of v1 and v2, then v1 identifies as contact 1: its visits, earlier
    // and later than its order, are contact 1's.
    send(
        &store,
        vec![
            completion(1, "visit", T0 + 500, None, "v1", "{}"),
            completion(2, "visit", T0 + 100, None, "v2", "{}"),
        ],
        &mut all,
    )
    .await;
    send(
        &store,
        vec![completion(3, "order", T0 + 200, Some(1), "v1", "{}")],
        &mut all,
    )
    .await;
    last_activity_is_recounted(&path);
    send(
        &store,
        vec![completion(4, "visit", T0 + 900, None, "v1", "{}")],
        &mut all,
    )
    .await;
    send(
        &store,
        vec![completion(5, "order", T0 + 50, Some(2), "v2", "{}")],
        &mut all,
    )
    .await;
    last_activity_is_recounted(&path);
    let first = store
        .contacts(ContactQuery {
            email_contains: None,
            after: None,
            limit: 10,
        })
        .await
        .unwrap();
    let order: Vec<(Option<String>, Option<i64>)> = first
        .contacts
        .iter()
        .map(|c| (c.email.clone(), c.last_activity.map(|t| t - T0)))
        .collect();
    assert_eq!(
        order,
        [
            (Some("c1@example.com".into()), Some(900)),
            (Some("c2@example.com".into()), Some(100)),
        ]
    );
    // v1 becomes contact 2's: contact 1 keeps only its own order, contact 2 gains v1's visits.
    send(
        &store,
        vec![completion(6, "order", T0 + 10, Some(2), "v1", "{}")],
        &mut all,
    )
    .await;
    last_activity_is_recounted(&path);
    // Deleting the visits takes them out of both contacts' last activity.
    store
        .delete_definition("visit".into(), false)
        .await
        .unwrap();
    last_activity_is_recounted(&path);
    let after: Vec<Option<i64>> = store
        .contacts(ContactQuery {
            email_contains: None,
            after: None,
            limit: 10,
        })
        .await
        .unwrap()
        .contacts
        .iter()
        .map(|c| c.last_activity.map(|t| t - T0))
        .collect();
    assert_eq!(after, [Some(200), Some(50)]);

    // Many contacts and relinks at random, then the kept times against a recount.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for batch in 0..20 {
        let events = (0..50)
            .map(|i| {
                let who = (rng.below(2) == 0).then(|| rng.below(30) as u32);
                let vid = format!("w{}", rng.below(45));
                let at = T0 + rng.below(1_000_000) as i64;
                completion(1000 + batch * 50 + i, "order", at, who, &vid, "{}")
            })
            .collect();
        send(&store, events, &mut all).await;
    }
    last_activity_is_recounted(&path);
    store.close().await;
}

#[tokio::test]
async fn a_version_5_file_gains_last_activities_and_option_counts_from_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    SqliteStore::create_at_version(&path, 5).unwrap();
    let plan = property("plan", PropertyType::Enumeration, &["free", "pro", "team"]);
    let events = orders(300, 0, &mut Rng(7));
    {
        // Rows as a version 5 collector wrote them: contacts, links, events, a definition.
        let conn = Connection::open(&path).unwrap();
        let body = serde_json::to_string(&definition("order", vec![plan])).unwrap();
        conn.execute(
            "INSERT INTO definitions (name, body) VALUES ('order', ?1)",
            [body],
        )
        .unwrap();
        for c in 0..40 {
            conn.execute(
                "INSERT INTO contacts (id, email, created_at) VALUES (?1, ?2, 0)",
                (c + 1, format!("c{c}@example.com")),
            )
            .unwrap();
            if c % 2 == 0 {
                conn.execute(
                    "INSERT INTO visitors (vid, contact_id, linked_at) VALUES (?1, ?2, 0)",
                    (format!("v{c}"), c + 1),
                )
                .unwrap();
            }
        }
        for e in &events {
            let object_id = match &e.subject {
                Subject::Contact { email, .. } => {
                    let email = email.as_deref().unwrap_or_default();
                    Some(email[1..email.find('@').unwrap()].parse::<i64>().unwrap() + 1)
                }
                _ => None,
            };
            conn.execute(
                "INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, props)
                 VALUES (?1, 'order', ?2, ?2, 'CONTACT', ?3, ?4, ?5)",
                (&e.id, e.occurred_at, object_id, &e.vid, &e.props),
            )
            .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO event_hours (name, hour, count)
             SELECT name, occurred_at / 3600000, COUNT(*) FROM events GROUP BY 1, 2",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert!(counted(&path));
    last_activity_is_recounted(&path);
    let with_activity: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM contacts WHERE last_activity IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(with_activity >= 30, "{with_activity}");
    for option in [None, Some("pro"), Some("team")] {
        let got: BTreeMap<i64, u64> = store
            .completions(query(option))
            .await
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(got, expected(&events, option), "plan = {option:?}");
    }
    store.close().await;
}
