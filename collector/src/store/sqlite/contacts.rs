//! Contacts as the analyst app reads them: a list ordered by last activity, searchable by
//! email, and one contact's identity, visitors and the event names of its timeline. Queries
//! only, on the read pool (see [`super::reads`]); the timeline itself is the events query
//! with [`crate::store::ObjectFilter::Id`].
//!
//! # What a contact's events are
//! As in the events query: the `CONTACT` events stored with its id, and the anonymous
//! (`object_id IS NULL`) `CONTACT` events of every visitor linked to it in `visitors`, whenever
//! they happened. A company's or deal's event with the same number is not the contact's.
//!
//! # Cost, and the indexes used
//! The list is read in order from `contacts_by_activity (last_activity, id)`, backwards: the
//! last activity is kept by the writer (see [`super::activity`]), so a page costs its 50 rows,
//! the index entries before its cursor (skipped in order, not sorted), for a search the
//! contacts whose email does not match, and counting the events of the contacts shown. A contact without events has `NULL`, which
//! sorts after every time when read backwards.

use rusqlite::{params, Connection, OptionalExtension};

use super::SqliteStore;
use crate::store::{
    ContactCursor, ContactDetail, ContactPage, ContactQuery, ContactSummary, EventCount,
    LinkedVisitor, StoreError,
};

impl SqliteStore {
    pub(super) async fn contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        self.read(move |conn| list(conn, &query)).await
    }

    pub(super) async fn contact(&self, id: i64) -> Result<Option<ContactDetail>, StoreError> {
        self.read(move |conn| detail(conn, id)).await
    }
}

/// Matching contacts by last activity, newest first, then id, highest first (those without
/// activity last); `?1` the text the email contains (or NULL), `?2`/`?3` the cursor's last
/// activity and id (or NULL: the first page), `?4` the limit, `?5` whether the cursor's
/// contact had no activity.
const LIST: &str = "
SELECT id, email, external_id, created_at, last_activity FROM contacts
WHERE (?1 IS NULL OR instr(email, ?1) > 0)
  AND (?3 IS NULL
       OR (?5 AND last_activity IS NULL AND id < ?3)
       OR (NOT ?5 AND (last_activity < ?2 OR (last_activity = ?2 AND id < ?3) OR last_activity IS NULL)))
ORDER BY last_activity DESC, id DESC
LIMIT ?4";

/// How many events a contact's timeline holds (`?1` its id): its own, and its visitors'
/// anonymous ones (disjoint: one has an id, the other none).
const COUNT: &str = "
SELECT (SELECT COUNT(*) FROM events e WHERE e.object_id = ?1 AND e.object_type = 'CONTACT')
     + (SELECT COUNT(*) FROM visitors v JOIN events e ON e.vid = v.vid
         WHERE v.contact_id = ?1 AND e.object_id IS NULL AND e.object_type = 'CONTACT')";

/// The event names of a contact's timeline (`?1` its id), with their count and newest time.
const NAMES: &str = "
SELECT name, COUNT(*), MAX(occurred_at) FROM (
    SELECT e.name, e.occurred_at FROM events e
     WHERE e.object_id = ?1 AND e.object_type = 'CONTACT'
    UNION ALL
    SELECT e.name, e.occurred_at FROM visitors v JOIN events e ON e.vid = v.vid
     WHERE v.contact_id = ?1 AND e.object_id IS NULL AND e.object_type = 'CONTACT'
)
GROUP BY name ORDER BY name";

/// A page of contacts.
pub(super) fn list(conn: &Connection, q: &ContactQuery) -> Result<ContactPage, StoreError> {
    let needle = q
        .email_contains
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase);
    let (after_last, after_id, after_none) = match q.after {
        Some(c) => (c.last_activity, Some(c.id), c.last_activity.is_none()),
        None => (None, None, false),
    };
    let limit = i64::try_from(q.limit.saturating_add(1)).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(LIST)?;
    let mut rows = stmt.query(params![needle, after_last, after_id, limit, after_none])?;
    let mut contacts = Vec::with_capacity(q.limit.min(1000));
    let mut more = false;
    while let Some(row) = rows.next()? {
        if contacts.len() == q.limit {
            more = true;
            break;
        }
        contacts.push(ContactSummary {
            id: row.get(0)?,
            email: row.get(1)?,
            external_id: row.get(2)?,
            created_at: row.get(3)?,
            events: 0,
            last_activity: row.get(4)?,
        });
    }
    drop(rows);
    let mut count = conn.prepare_cached(COUNT)?;
    for contact in &mut contacts {
        let n: i64 = count.query_row([contact.id], |r| r.get(0))?;
        contact.events = u64::try_from(n).unwrap_or(0);
    }
    let next = if more {
        contacts.last().map(|c| ContactCursor {
            last_activity: c.last_activity,
            id: c.id,
        })
    } else {
        None
    };
    Ok(ContactPage { contacts, next })
}

/// The contact `id`, or `None`.
pub(super) fn detail(conn: &Connection, id: i64) -> Result<Option<ContactDetail>, StoreError> {
    let found = conn
        .prepare_cached(
            "SELECT id, email, external_id, created_at, properties FROM contacts WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                ContactSummary {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    external_id: r.get(2)?,
                    created_at: r.get(3)?,
                    events: 0,
                    last_activity: None,
                },
                r.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;
    let Some((mut summary, properties)) = found else {
        return Ok(None);
    };
    let properties = properties
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    let visitors = conn
        .prepare_cached(
            "SELECT vid, linked_at FROM visitors WHERE contact_id = ?1 ORDER BY linked_at DESC, vid",
        )?
        .query_map([id], |r| {
            Ok(LinkedVisitor {
                vid: r.get(0)?,
                linked_at: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let event_names = conn
        .prepare_cached(NAMES)?
        .query_map([id], |r| {
            Ok(EventCount {
                name: r.get(0)?,
                count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                last: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    summary.events = event_names.iter().map(|n| n.count).sum();
    summary.last_activity = event_names.iter().map(|n| n.last).max();
    Ok(Some(ContactDetail {
        summary,
        visitors,
        event_names,
        properties,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::schema;

    /// A migrated database in memory, and a way to add contacts, visitors and events.
    struct Db(Connection);

    impl Db {
        fn new() -> Db {
            let mut conn = Connection::open_in_memory().unwrap();
            schema::migrate(&mut conn).unwrap();
            Db(conn)
        }

        fn contact(&self, id: i64, email: &str) {
            self.0
                .execute(
                    "INSERT INTO contacts (id, email, created_at) VALUES (?1, ?2, 1)",
                    params![id, email],
                )
                .unwrap();
        }

        fn visitor(&self, vid: &str, contact: i64) {
            self.0
                .execute(
                    "INSERT INTO visitors (vid, contact_id, linked_at) VALUES (?1, ?2, 1)",
                    params![vid, contact],
                )
                .unwrap();
            self.recount_all();
        }

        fn event(&self, name: &str, at: i64, kind: &str, object: Option<i64>, vid: Option<&str>) {
            self.0
                .execute(
                    "INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id, vid, props)
                     VALUES (hex(randomblob(8)), ?1, ?2, ?2, ?3, ?4, ?5, '{}')",
                    params![name, at, kind, object, vid],
                )
                .unwrap();
            self.recount_all();
        }

        /// What the writer keeps as events are stored (tested in `activity`), done here
        /// from scratch: these tests write rows directly.
        fn recount_all(&self) {
            let ids: Vec<i64> = self
                .0
                .prepare("SELECT id FROM contacts")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for id in ids {
                super::super::activity::recount(&self.0, id).unwrap();
            }
        }

        fn page(
            &self,
            email: Option<&str>,
            after: Option<ContactCursor>,
            limit: usize,
        ) -> ContactPage {
            list(
                &self.0,
                &ContactQuery {
                    email_contains: email.map(str::to_owned),
                    after,
                    limit,
                },
            )
            .unwrap()
        }
    }

    fn ids(page: &ContactPage) -> Vec<i64> {
        page.contacts.iter().map(|c| c.id).collect()
    }

    #[test]
    fn contacts_are_ordered_by_their_newest_own_or_visitor_event() {
        let db = Db::new();
        for (id, email) in [
            (1, "ada@a.example"),
            (2, "grace@b.example"),
            (3, "alan@c.example"),
            (4, "quiet@d.example"),
        ] {
            db.contact(id, email);
        }
        db.visitor("v1", 1);
        db.visitor("v2", 2);
        db.event("signup", 100, "CONTACT", Some(1), Some("v1"));
        // Anonymous, before and after the contact's own event: the later one counts.
        db.event("pageview", 50, "CONTACT", None, Some("v1"));
        db.event("pageview", 400, "CONTACT", None, Some("v1"));
        db.event("signup", 300, "CONTACT", Some(2), None);
        db.event("signup", 200, "CONTACT", Some(3), None);
        // Not the contacts' events: a company with the number 3, a visitor not linked, a
        // visitor's event stored with another contact's id.
        db.event("deal", 900, "COMPANY", Some(3), None);
        db.event("pageview", 800, "CONTACT", None, Some("stranger"));
        db.event("signup", 700, "CONTACT", Some(3), Some("v2"));

        let page = db.page(None, None, 10);
        assert_eq!(ids(&page), [3, 1, 2, 4], "{page:?}");
        let events: Vec<(u64, Option<i64>)> = page
            .contacts
            .iter()
            .map(|c| (c.events, c.last_activity))
            .collect();
        assert_eq!(
            events,
            [(2, Some(700)), (3, Some(400)), (1, Some(300)), (0, None)]
        );
        assert_eq!(page.next, None);

        let ada = detail(&db.0, 1).unwrap().unwrap();
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
        assert!(detail(&db.0, 99).unwrap().is_none());
    }

    #[test]
    fn pages_follow_each_other_and_the_search_is_a_substring_of_the_email() {
        let db = Db::new();
        for id in 1..=7 {
            db.contact(
                id,
                &format!(
                    "user{id}@{}.example",
                    if id % 2 == 0 { "even" } else { "odd" }
                ),
            );
            if id != 7 {
                db.event("signup", 1000 - id * (id % 3), "CONTACT", Some(id), None);
            }
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = db.page(None, after, 2);
            assert!(page.contacts.len() <= 2);
            seen.extend(ids(&page));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let whole = ids(&db.page(None, None, 100));
        assert_eq!(
            seen, whole,
            "paging walks the same order, each contact once"
        );
        assert_eq!(whole.len(), 7);
        assert_eq!(*whole.last().unwrap(), 7, "no activity: last");
        assert_eq!(ids(&db.page(Some("EVEN"), None, 100)).len(), 3);
        assert_eq!(ids(&db.page(Some("user5@"), None, 100)), [5]);
        assert!(
            db.page(Some("%"), None, 100).contacts.is_empty(),
            "no wildcard"
        );
    }
}
