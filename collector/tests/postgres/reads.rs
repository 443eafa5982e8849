//! PostgreSQL store tests: reads (`store/postgres/reads.rs`, `reports.rs`, `contacts.rs`).
//!
//! The main test holds both backends to one answer: a generated history is stored through
//! SQLite's real writer, its rows (events, contacts, visitors, hourly counts and sketches,
//! held, refused, quality) are copied into PostgreSQL as the ingest writes them, and every
//! read is asked of both. The contacts tests of `store/sqlite/contacts.rs` are ported with
//! rows inserted directly; a last test EXPLAINs the main queries on 200,000 events.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use wasmtrack_collector::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyType};
use wasmtrack_collector::store::{
    CompletionQuery, ContactCursor, ContactKey, ContactPage, ContactQuery, ContactRecordQuery,
    EventPage, EventQuery, EventStore, HeldEvent, Ingest, NewEvent, ObjectFilter, QualityCount,
    RejectedEvent, SqliteStore, Subject,
};

#[allow(unused_imports)]
use super::*;

mod contacts;
mod copy;
mod history;
mod plans;

use copy::copy;
use history::*;

/// A page as compared across the backends: properties as the objects they are (PostgreSQL
/// keeps them as `jsonb`, whose text orders and spaces keys its own way).
fn comparable(page: EventPage) -> Vec<String> {
    let mut out: Vec<String> = page
        .events
        .into_iter()
        .map(|e| {
            let props: Value = serde_json::from_str(&e.props).unwrap();
            let defaults: Option<Value> = e.defaults.map(|d| serde_json::from_str(&d).unwrap());
            format!(
                "{} {} {} {:?} {:?} {props} {defaults:?}",
                e.id, e.name, e.occurred_at, e.object_type, e.object_id
            )
        })
        .collect();
    out.push(format!("next {:?}", page.next));
    out
}

/// Walks every page of `q` on both stores; returns how many events there were.
async fn same_events(sqlite: &SqliteStore, pg: &impl EventStore, q: EventQuery) -> usize {
    let mut q = q;
    let mut n = 0;
    loop {
        let want = sqlite.events(q.clone()).await.unwrap();
        let got = pg.events(q.clone()).await.unwrap();
        let next = want.next;
        n += want.events.len();
        assert_eq!(comparable(got), comparable(want), "{q:?}");
        match next {
            Some(c) => q.after = Some(c),
            None => return n,
        }
    }
}

fn events_query(object: Option<ObjectFilter>, name: Option<&str>) -> EventQuery {
    EventQuery {
        object,
        name: name.map(str::to_owned),
        occurred_after: None,
        occurred_before: None,
        property: None,
        descending: true,
        after: None,
        limit: 9,
    }
}

// Issue 19: the same reads answer the same on PostgreSQL as on SQLite, over one generated
// history stored by SQLite's writer and copied row by row: listings (every object, name,
// range, property filter, order and page), reports from the hourly counts and sketches or from
// the completions, held and refused events, quality counts, contacts and CRM records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_answers_on_postgres_as_on_sqlite_for_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let sqlite = SqliteStore::open(&path).unwrap();
    let plan = PropertyDef::plain(
        "plan",
        PropertyType::Enumeration,
        &["free", "pro", "team"],
        0,
    );
    let note = PropertyDef::plain("note", PropertyType::String, &[], 0);
    for def in [
        definition("order", PrimaryObject::Contact, vec![plan, note.clone()]),
        definition("pageview", PrimaryObject::Contact, vec![]),
        definition("deal_won", PrimaryObject::Deal, vec![note]),
    ] {
        sqlite.create_definition(def).await.unwrap();
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for b in 0..8 {
        let mut ingest = leftovers(&mut rng, b * 100);
        ingest.events = batch(&mut rng, b * 100, 100);
        sqlite.ingest(ingest).await.unwrap();
    }

    let (cluster, a, b) = two_collectors("reads").await;
    copy(&path, &connect(&cluster, "reads").await).await;

    // Listings: by object (a contact with visitors, by id and by email; one without; a deal;
    // nobody), by name, both orders, walked page by page.
    let contact_ids: Vec<i64> = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut stmt = conn.prepare("SELECT id FROM contacts ORDER BY id").unwrap();
        let ids = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<i64>, _>>()
            .unwrap();
        ids
    };
    assert!(contact_ids.len() >= 20, "{contact_ids:?}");
    let mut objects = vec![
        None,
        Some(ObjectFilter::Email(email(3))),
        Some(ObjectFilter::Email(email(0))),
        Some(ObjectFilter::Email("nobody@example.com".into())),
        Some(ObjectFilter::Id(PrimaryObject::Deal, 2)),
        Some(ObjectFilter::Id(PrimaryObject::Contact, 2)),
        Some(ObjectFilter::Id(PrimaryObject::Contact, 999)),
    ];
    objects.extend(
        contact_ids
            .iter()
            .step_by(4)
            .map(|id| Some(ObjectFilter::Id(PrimaryObject::Contact, *id))),
    );
    let mut listed = 0;
    for (i, object) in objects.iter().enumerate() {
        for name in [None, Some("order"), Some("pageview")] {
            for descending in [true, false] {
                let store = if i % 2 == 0 { &a } else { &b };
                listed += same_events(
                    &sqlite,
                    store,
                    EventQuery {
                        descending,
                        ..events_query(object.clone(), name)
                    },
                )
                .await;
            }
        }
    }
    assert!(listed > 1000, "{listed}");
    // A time range, and the report's property filter: custom else default, one option of a
    // multi-value, and hostile text matched literally.
    let mut filters: Vec<(&str, &str)> = vec![
        ("plan", "pro"),
        ("plan", "team"),
        ("plan", "pro;team"),
        ("plan", "from-page"),
        ("hs_page_path", "/p1"),
        ("hs_page_path", "/custom"),
        ("missing", "x"),
        ("plan", ""),
    ];
    filters.extend(HOSTILE.iter().map(|h| ("note", *h)));
    for (property, value) in &filters {
        for name in [None, Some("order"), Some("pageview"), Some("deal_won")] {
            let q = EventQuery {
                occurred_after: Some(T0 + 7 * HOUR),
                occurred_before: Some(T0 + 50 * HOUR + 1),
                property: Some(((*property).into(), (*value).into())),
                descending: name.is_some(),
                ..events_query(None, name)
            };
            same_events(&sqlite, &a, q).await;
        }
    }
    // Literally: `a_c` is not `abc`, `%` is only `%`, a backslash is a backslash.
    let notes = |value: &str| EventQuery {
        property: Some(("note".into(), value.into())),
        limit: 10_000,
        ..events_query(None, Some("order"))
    };
    for value in HOSTILE {
        let page = b.events(notes(value)).await.unwrap();
        assert!(!page.events.is_empty(), "{value}");
        for e in &page.events {
            let props: Value = serde_json::from_str(&e.props).unwrap();
            assert_eq!(props["note"], value, "{value}");
        }
    }

    // Reports: whole hours (hourly counts, sketches) and not, filtered on a counted
    // enumeration, on a string, on a default property, or not at all.
    let ranges = [
        (T0, HOUR, T0 + 72 * HOUR),
        (T0, 24 * HOUR, T0 + 96 * HOUR),
        (T0 - 24 * HOUR, 6 * HOUR, T0 + 30 * HOUR),
        (T0 + 1, HOUR, T0 + 72 * HOUR + 1),
        (T0 + HOUR / 2, 24 * HOUR, T0 + 72 * HOUR),
    ];
    for (from, width, to) in ranges {
        for name in ["order", "pageview", "deal_won"] {
            for property in [None].into_iter().chain(
                filters
                    .iter()
                    .map(|(p, v)| Some((p.to_string(), v.to_string()))),
            ) {
                let q = CompletionQuery {
                    name: name.into(),
                    from,
                    to,
                    width,
                    property,
                };
                assert_eq!(
                    a.completions(q.clone())
                        .await
                        .unwrap_or_else(|e| panic!("{q:?} {e:?}")),
                    sqlite.completions(q.clone()).await.unwrap(),
                    "{q:?}"
                );
                assert_eq!(
                    b.reach(q.clone()).await.unwrap(),
                    sqlite.reach(q.clone()).await.unwrap(),
                    "{q:?}"
                );
                if q.property.is_none() || name == "order" {
                    for split in ["plan", "note", "hs_page_path", "missing"] {
                        assert_eq!(
                            a.breakdown(q.clone(), split.into()).await.unwrap(),
                            sqlite.breakdown(q.clone(), split.into()).await.unwrap(),
                            "{q:?} by {split}"
                        );
                    }
                }
            }
        }
    }
    let whole = CompletionQuery {
        name: "order".into(),
        from: T0,
        to: T0 + 72 * HOUR,
        width: HOUR,
        property: None,
    };
    let (contacts, visitors) = a.reach(whole.clone()).await.unwrap();
    assert!(contacts >= 20 && visitors > 0, "{contacts} {visitors}");
    let total: u64 = a
        .completions(whole.clone())
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert!(total > 300, "{total}");
    // The source is chosen as SQLite chooses it: whole hours read the hourly counts (here
    // made to disagree with the completions on purpose), anything else the completions.
    let sql = connect(&cluster, "reads").await;
    let hours = sql
        .execute(
            "UPDATE event_hours SET count = count + 1000 WHERE name = 'order'",
            &[],
        )
        .await
        .unwrap();
    let options = sql
        .execute(
            "UPDATE value_hours SET count = count + 1000
              WHERE name = 'order' AND property = 'plan' AND value = 'pro'",
            &[],
        )
        .await
        .unwrap();
    assert!(hours > 0 && options > 0, "{hours} {options}");
    let sum = |rows: Vec<(i64, u64)>| rows.iter().map(|(_, n)| n).sum::<u64>();
    for (q, from_hours) in [
        (whole.clone(), hours),
        (
            CompletionQuery {
                property: Some(("plan".into(), "pro".into())),
                ..whole.clone()
            },
            options,
        ),
        (
            CompletionQuery {
                from: T0 + 1,
                ..whole.clone()
            },
            0,
        ),
        (
            CompletionQuery {
                property: Some(("note".into(), "abc".into())),
                ..whole.clone()
            },
            0,
        ),
    ] {
        assert_eq!(
            sum(a.completions(q.clone()).await.unwrap()),
            sum(sqlite.completions(q.clone()).await.unwrap()) + 1000 * from_hours,
            "{q:?}"
        );
    }

    // Refused and held events, quality counts, paged as the API pages them.
    for before in [None, Some(20), Some(5), Some(1)] {
        for limit in [3, 100] {
            assert_eq!(
                a.rejected(before, limit).await.unwrap(),
                sqlite.rejected(before, limit).await.unwrap()
            );
        }
    }
    let summary = b.held_summary().await.unwrap();
    assert_eq!(summary, sqlite.held_summary().await.unwrap());
    assert_eq!(
        summary.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["Later", "later", "zeta"],
        "names in byte order"
    );
    for name in ["later", "Later", "zeta", "none"] {
        for after in [0, 4, 13] {
            assert_eq!(
                a.held(name.into(), after, 3).await.unwrap(),
                sqlite.held(name.into(), after, 3).await.unwrap()
            );
        }
    }
    for (site, event, since) in [
        (None, None, 0),
        (Some("shop"), None, 0),
        (None, Some("Order"), 0),
        (Some("blog"), Some("Order"), 0),
        (None, None, T0 + 400_000),
        (Some("%"), None, 0),
    ] {
        let (site, event) = (site.map(str::to_owned), event.map(str::to_owned));
        assert_eq!(
            b.quality(site.clone(), event.clone(), since).await.unwrap(),
            sqlite.quality(site, event, since).await.unwrap()
        );
    }

    // Contacts: the list walked page by page, searched (wildcards and quotes literally), each
    // contact's page, and the CRM records.
    for needle in [
        None,
        Some("EXAMPLE"),
        Some("c1"),
        Some("%"),
        Some("_"),
        Some("'"),
        Some("\\"),
        Some("a_b%c"),
        Some("  X.Example "),
        Some(""),
    ] {
        let mut after = None;
        let mut seen = 0;
        loop {
            let q = ContactQuery {
                email_contains: needle.map(str::to_owned),
                after,
                limit: 4,
            };
            let want = sqlite.contacts(q.clone()).await.unwrap();
            assert_eq!(
                a.contacts(q).await.unwrap(),
                want,
                "{needle:?} after {after:?}"
            );
            seen += want.contacts.len();
            match want.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        match needle {
            None => assert_eq!(seen, contact_ids.len()),
            Some("%") => assert_eq!(seen, 2, "the two emails with a %"),
            Some("_") => assert_eq!(seen, 2, "the two emails with a _"),
            _ => {}
        }
    }
    for id in contact_ids.iter().copied().chain([0, 999]) {
        assert_eq!(
            b.contact(id).await.unwrap(),
            sqlite.contact(id).await.unwrap()
        );
        assert_eq!(
            a.contact_record(ContactKey::Id(id)).await.unwrap(),
            sqlite.contact_record(ContactKey::Id(id)).await.unwrap()
        );
    }
    for e in [email(0), email(5), "nobody@example.com".into()] {
        assert_eq!(
            a.contact_record(ContactKey::Email(e.clone()))
                .await
                .unwrap(),
            sqlite.contact_record(ContactKey::Email(e)).await.unwrap()
        );
    }
    for (is, contains, after, limit) in [
        (None, None, 0, 5),
        (None, None, 7, 100),
        (Some(email(4)), None, 0, 10),
        (None, Some("example.com"), 3, 4),
        (None, Some("%"), 0, 10),
        (None, Some("_"), 0, 10),
        (None, Some("'d\\"), 0, 10),
        (Some(email(4)), Some("zzz"), 0, 10),
    ] {
        let q = ContactRecordQuery {
            email_is: is,
            email_contains: contains.map(str::to_owned),
            after,
            limit,
        };
        assert_eq!(
            b.contact_records(q.clone()).await.unwrap(),
            sqlite.contact_records(q.clone()).await.unwrap(),
            "{q:?}"
        );
    }
    sqlite.close().await;
    a.close();
    b.close();
}
