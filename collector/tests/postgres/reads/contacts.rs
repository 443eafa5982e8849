//! The contacts tests of `store/sqlite/contacts.rs`, ported with rows inserted directly.

#[allow(unused_imports)]
use super::*;

/// Rows written straight into PostgreSQL, as the ingest writes them.
struct Rows(tokio_postgres::Client);

impl Rows {
    async fn contact(&self, id: i64, email: &str) {
        self.0
            .execute(
                "INSERT INTO contacts (id, email, created_at) VALUES ($1, $2, 1)",
                &[&id, &email],
            )
            .await
            .unwrap();
    }

    async fn visitor(&self, vid: &str, contact: i64) {
        self.0
            .execute(
                "INSERT INTO visitors (vid, contact_id, linked_at) VALUES ($1, $2, 1)",
                &[&vid, &contact],
            )
            .await
            .unwrap();
        self.recount_all().await;
    }

    async fn event(&self, name: &str, at: i64, kind: &str, object: Option<i64>, vid: Option<&str>) {
        self.0
            .execute(
                "INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, props)
                 VALUES (md5(random()::text), $1, $2, $2, $3, $4, $5, '{}')",
                &[&name, &at, &kind, &object, &vid],
            )
            .await
            .unwrap();
        self.recount_all().await;
    }

    /// Each contact's last activity, which the ingest keeps: recounted here from scratch
    /// (its own `CONTACT` events and its visitors' anonymous ones).
    async fn recount_all(&self) {
        self.0
            .execute(
                "UPDATE contacts c SET last_activity = (SELECT MAX(at) FROM (
                     SELECT MAX(e.occurred_at) AS at FROM events e
                      WHERE e.object_id = c.id AND e.object_type = 'CONTACT'
                     UNION ALL
                     SELECT MAX(e.occurred_at) FROM visitors v JOIN events e ON e.vid = v.vid
                      WHERE v.contact_id = c.id AND e.object_id IS NULL AND e.object_type = 'CONTACT') t)",
                &[],
            )
            .await
            .unwrap();
    }
}

async fn page(
    store: &impl EventStore,
    email: Option<&str>,
    after: Option<ContactCursor>,
    limit: usize,
) -> ContactPage {
    store
        .contacts(ContactQuery {
            email_contains: email.map(str::to_owned),
            after,
            limit,
        })
        .await
        .unwrap()
}

fn ids(page: &ContactPage) -> Vec<i64> {
    page.contacts.iter().map(|c| c.id).collect()
}

// Ported from `store/sqlite/contacts.rs`: a contact's last activity is its newest own or
// visitor's anonymous event, never a company's of the same number or an unlinked visitor's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_are_ordered_by_their_newest_own_or_visitor_event() {
    let (cluster, a, b) = two_collectors("contacts").await;
    let db = Rows(connect(&cluster, "contacts").await);
    for (id, email) in [
        (1, "ada@a.example"),
        (2, "grace@b.example"),
        (3, "alan@c.example"),
        (4, "quiet@d.example"),
    ] {
        db.contact(id, email).await;
    }
    db.visitor("v1", 1).await;
    db.visitor("v2", 2).await;
    db.event("signup", 100, "CONTACT", Some(1), Some("v1"))
        .await;
    // Anonymous, before and after the contact's own event: the later one counts.
    db.event("pageview", 50, "CONTACT", None, Some("v1")).await;
    db.event("pageview", 400, "CONTACT", None, Some("v1")).await;
    db.event("signup", 300, "CONTACT", Some(2), None).await;
    db.event("signup", 200, "CONTACT", Some(3), None).await;
    // Not the contacts' events: a company with the number 3, a visitor not linked, a
    // visitor's event stored with another contact's id.
    db.event("deal", 900, "COMPANY", Some(3), None).await;
    db.event("pageview", 800, "CONTACT", None, Some("stranger"))
        .await;
    db.event("signup", 700, "CONTACT", Some(3), Some("v2"))
        .await;

    let first = page(&a, None, None, 10).await;
    assert_eq!(ids(&first), [3, 1, 2, 4], "{first:?}");
    let events: Vec<(u64, Option<i64>)> = first
        .contacts
        .iter()
        .map(|c| (c.events, c.last_activity))
        .collect();
    assert_eq!(
        events,
        [(2, Some(700)), (3, Some(400)), (1, Some(300)), (0, None)]
    );
    assert_eq!(first.next, None);

    let ada = b.contact(1).await.unwrap().unwrap();
    assert_eq!(
        (ada.summary.events, ada.summary.last_activity),
        (3, Some(400))
    );
    let names: Vec<(&str, u64)> = ada
        .event_names
        .iter()
        .map(|n| (n.name.as_str(), n.count))
        .collect();
    assert_eq!(names, [("pageview", 2), ("signup", 1)]);
    assert_eq!(ada.visitors.len(), 1);
    assert!(b.contact(99).await.unwrap().is_none());

    // Ada's timeline: her own and v1's anonymous events, newest first, each with her id.
    let timeline = a
        .events(events_query(
            Some(ObjectFilter::Id(PrimaryObject::Contact, 1)),
            None,
        ))
        .await
        .unwrap();
    let seen: Vec<(i64, Option<i64>)> = timeline
        .events
        .iter()
        .map(|e| (e.occurred_at, e.object_id))
        .collect();
    assert_eq!(seen, [(400, Some(1)), (100, Some(1)), (50, Some(1))]);
    a.close();
    b.close();
}

// Ported from `store/sqlite/contacts.rs`: pages follow each other in one order, each contact
// once (those without activity last), and the search is a substring of the email, no wildcard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_pages_follow_each_other_and_the_search_is_a_substring_of_the_email() {
    let (cluster, a, b) = two_collectors("pages").await;
    let db = Rows(connect(&cluster, "pages").await);
    for id in 1..=7 {
        let parity = if id % 2 == 0 { "even" } else { "odd" };
        db.contact(id, &format!("user{id}@{parity}.example")).await;
        if id != 7 {
            db.event("signup", 1000 - id * (id % 3), "CONTACT", Some(id), None)
                .await;
        }
    }
    db.contact(8, "user8@none.example").await;
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let next = page(&a, None, after, 2).await;
        assert!(next.contacts.len() <= 2);
        seen.extend(ids(&next));
        match next.next {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    let whole = ids(&page(&b, None, None, 100).await);
    assert_eq!(
        seen, whole,
        "paging walks the same order, each contact once"
    );
    assert_eq!(whole.len(), 8);
    assert_eq!(whole[6..], [8, 7], "no activity: last, highest id first");
    assert_eq!(ids(&page(&a, Some("EVEN"), None, 100).await).len(), 3);
    assert_eq!(ids(&page(&a, Some("user5@"), None, 100).await), [5]);
    assert!(
        page(&a, Some("%"), None, 100).await.contacts.is_empty(),
        "no wildcard"
    );
    assert!(page(&a, Some("user_@"), None, 100)
        .await
        .contacts
        .is_empty());
    a.close();
    b.close();
}
