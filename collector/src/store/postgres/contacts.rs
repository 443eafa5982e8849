//! Contacts on PostgreSQL: the analyst app's list and page, and the CRM API's records, with
//! SQLite's answers (`store/sqlite/contacts.rs`, `store/sqlite/crm.rs`).
//!
//! # What a contact's events are
//! As in the events listing: the `CONTACT` events stored with its id, and the anonymous
//! (`object_id IS NULL`) `CONTACT` events of every visitor linked to it.
//!
//! # The list's order, and its index
//! Last activity newest first, contacts without any event last, then id highest first. The
//! key `(COALESCE(last_activity, NO_ACTIVITY), id)` is that order exactly, and is the index
//! `contacts_by_activity`: a page is one index range after its cursor, read in order, 50
//! rows whatever the page's depth (no activity is ever `i64::MIN`, an instant 292 million
//! years ago). Emails are searched as text contained (`strpos`): no character is a wildcard.

use std::collections::BTreeMap;

use tokio_postgres::Row;

use super::reads::limit;
use super::PgStore;
use crate::store::{
    ContactCursor, ContactDetail, ContactKey, ContactPage, ContactQuery, ContactRecord,
    ContactRecordQuery, ContactSummary, EventCount, LinkedVisitor, StoreError,
};

/// The list's sort key of a contact without events: below every time. The index
/// `contacts_by_activity` is on this expression, spelled the same.
const NO_ACTIVITY: i64 = i64::MIN;

/// Matching contacts in the list's order; `$1` the text the email contains (or NULL), `$2`
/// and `$3` the cursor's key and id (or NULL: the first page), `$4` the limit.
const LIST: &str = "
SELECT id, email, external_id, created_at, last_activity FROM contacts
WHERE ($1::text IS NULL OR strpos(email, $1) > 0)
  AND ($3::bigint IS NULL
       OR (COALESCE(last_activity, '-9223372036854775808'::bigint), id) < ($2::bigint, $3::bigint))
ORDER BY COALESCE(last_activity, '-9223372036854775808'::bigint) DESC, id DESC
LIMIT $4";

/// How many events a contact's timeline holds (`$1` its id): its own, and its visitors'
/// anonymous ones (disjoint: one has an id, the other none).
const COUNT: &str = "
SELECT (SELECT COUNT(*) FROM events e WHERE e.object_id = $1 AND e.object_type = 'CONTACT')
     + (SELECT COUNT(*) FROM visitors v JOIN events e ON e.vid = v.vid
         WHERE v.contact_id = $1 AND e.object_id IS NULL AND e.object_type = 'CONTACT')";

/// The event names of a contact's timeline (`$1` its id), with their count and newest time,
/// by name in byte order (as SQLite's).
const NAMES: &str = "
SELECT name, COUNT(*), MAX(occurred_at) FROM (
    SELECT e.name, e.occurred_at FROM events e
     WHERE e.object_id = $1 AND e.object_type = 'CONTACT'
    UNION ALL
    SELECT e.name, e.occurred_at FROM visitors v JOIN events e ON e.vid = v.vid
     WHERE v.contact_id = $1 AND e.object_id IS NULL AND e.object_type = 'CONTACT'
) timeline
GROUP BY name ORDER BY name COLLATE \"C\"";

/// The CRM API's columns of a contact.
const COLUMNS: &str =
    "SELECT id, email, external_id, properties::text, created_at, updated_at FROM contacts";

/// A CRM search's match: `$1` the email (or NULL), `$2` text it contains (or NULL).
const MATCH: &str =
    "($1::text IS NULL OR email = $1) AND ($2::text IS NULL OR strpos(email, $2) > 0)";

/// Properties stored as a JSON object of strings; anything else reads as none (as SQLite's).
fn properties(json: Option<&str>) -> BTreeMap<String, String> {
    json.and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default()
}

fn record(r: &Row) -> ContactRecord {
    let created_at: i64 = r.get(4);
    ContactRecord {
        id: r.get(0),
        email: r.get(1),
        external_id: r.get(2),
        properties: properties(r.get(3)),
        created_at,
        updated_at: r.get::<_, Option<i64>>(5).unwrap_or(created_at),
    }
}

impl PgStore {
    pub(super) async fn contacts(&self, q: ContactQuery) -> Result<ContactPage, StoreError> {
        let client = self.pool.get().await?;
        let needle = q
            .email_contains
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let (after_key, after_id) = match q.after {
            Some(c) => (Some(c.last_activity.unwrap_or(NO_ACTIVITY)), Some(c.id)),
            None => (None, None),
        };
        let rows = client
            .query(
                LIST,
                &[
                    &needle,
                    &after_key,
                    &after_id,
                    &limit(q.limit.saturating_add(1)),
                ],
            )
            .await?;
        let more = rows.len() > q.limit;
        let count = client.prepare_cached(COUNT).await?;
        let mut contacts = Vec::with_capacity(rows.len().min(q.limit));
        for row in rows.iter().take(q.limit) {
            let id: i64 = row.get(0);
            let events: i64 = client.query_one(&count, &[&id]).await?.get(0);
            contacts.push(ContactSummary {
                id,
                email: row.get(1),
                external_id: row.get(2),
                created_at: row.get(3),
                events: u64::try_from(events).unwrap_or(0),
                last_activity: row.get(4),
            });
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

    pub(super) async fn contact(&self, id: i64) -> Result<Option<ContactDetail>, StoreError> {
        let client = self.pool.get().await?;
        let Some(row) = client
            .query_opt(
                "SELECT id, email, external_id, created_at, properties::text FROM contacts
                 WHERE id = $1",
                &[&id],
            )
            .await?
        else {
            return Ok(None);
        };
        let mut summary = ContactSummary {
            id: row.get(0),
            email: row.get(1),
            external_id: row.get(2),
            created_at: row.get(3),
            events: 0,
            last_activity: None,
        };
        let properties = properties(row.get(4));
        let visitors = client
            .query(
                "SELECT vid, linked_at FROM visitors WHERE contact_id = $1
                 ORDER BY linked_at DESC, vid COLLATE \"C\"",
                &[&id],
            )
            .await?
            .iter()
            .map(|r| LinkedVisitor {
                vid: r.get(0),
                linked_at: r.get(1),
            })
            .collect();
        let event_names: Vec<EventCount> = client
            .query(NAMES, &[&id])
            .await?
            .iter()
            .map(|r| EventCount {
                name: r.get(0),
                count: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                last: r.get(2),
            })
            .collect();
        summary.events = event_names.iter().map(|n| n.count).sum();
        summary.last_activity = event_names.iter().map(|n| n.last).max();
        Ok(Some(ContactDetail {
            summary,
            visitors,
            event_names,
            properties,
        }))
    }

    pub(super) async fn contact_record(
        &self,
        key: ContactKey,
    ) -> Result<Option<ContactRecord>, StoreError> {
        let client = self.pool.get().await?;
        let row = match key {
            ContactKey::Id(id) => {
                client
                    .query_opt(&format!("{COLUMNS} WHERE id = $1"), &[&id])
                    .await?
            }
            ContactKey::Email(email) => {
                client
                    .query_opt(&format!("{COLUMNS} WHERE email = $1"), &[&email])
                    .await?
            }
        };
        Ok(row.as_ref().map(record))
    }

    pub(super) async fn contact_records(
        &self,
        q: ContactRecordQuery,
    ) -> Result<(Vec<ContactRecord>, u64), StoreError> {
        let client = self.pool.get().await?;
        let records = client
            .query(
                &format!("{COLUMNS} WHERE {MATCH} AND id > $3 ORDER BY id LIMIT $4"),
                &[&q.email_is, &q.email_contains, &q.after, &limit(q.limit)],
            )
            .await?
            .iter()
            .map(record)
            .collect();
        let total: i64 = client
            .query_one(
                &format!("SELECT COUNT(*) FROM contacts WHERE {MATCH}"),
                &[&q.email_is, &q.email_contains],
            )
            .await?
            .get(0);
        Ok((records, u64::try_from(total).unwrap_or(0)))
    }
}
