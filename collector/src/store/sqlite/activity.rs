//! Each contact's last activity (`contacts.last_activity`, schema 6): the time of the newest
//! event of its timeline, which orders the contacts list. Kept by the writer so that a page of
//! the list is an index range (`contacts_by_activity`), not a search of every contact's
//! newest event (2.2 s on 100,000 contacts and 10 million events before).
//!
//! A contact's timeline is its own `CONTACT` events and the anonymous ones of every visitor
//! linked to it (see [`super::contacts`]), so the time moves:
//! * forward when such an event is stored ([`touch`], per request);
//! * both ways when a visitor is linked to another contact: the new contact gains the
//!   visitor's anonymous events, the old one loses them and is counted again ([`relinked`]);
//! * back when a definition's events are deleted: the contacts they belonged to are counted
//!   again ([`affected_by_deleting`], then [`recount`]).

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::model::PrimaryObject;
use crate::store::Ingest;

/// The newest event of contact `?1`'s timeline, or NULL. Also the backfill of schema 6 (a
/// test checks that the migration uses this text).
pub(super) const NEWEST_OF_CONTACT: &str = "(SELECT MAX(at) FROM (
    SELECT MAX(e.occurred_at) AS at FROM events e
     WHERE e.object_id = ?1 AND e.object_type = 'CONTACT'
    UNION ALL
    SELECT MAX(e.occurred_at) FROM visitors v JOIN events e ON e.vid = v.vid
     WHERE v.contact_id = ?1 AND e.object_id IS NULL AND e.object_type = 'CONTACT'))";

/// Moves the last activity of the contacts a request's stored events belong to forward.
/// `stored` is each stored event's index in `ingest.events` and the object id it was stored
/// with; an anonymous event belongs to the contact its visitor is linked to, if any.
pub(super) fn touch(
    tx: &Connection,
    ingest: &Ingest,
    stored: &[(usize, Option<i64>)],
) -> rusqlite::Result<()> {
    let mut contacts: BTreeMap<i64, i64> = BTreeMap::new();
    let mut visitors: BTreeMap<&str, i64> = BTreeMap::new();
    for &(i, object_id) in stored {
        let Some(event) = ingest.events.get(i) else {
            continue;
        };
        if event.object_type != PrimaryObject::Contact {
            continue;
        }
        let newest = match (object_id, event.vid.as_deref()) {
            (Some(id), _) => contacts.entry(id).or_insert(i64::MIN),
            (None, Some(vid)) => visitors.entry(vid).or_insert(i64::MIN),
            (None, None) => continue,
        };
        *newest = (*newest).max(event.occurred_at);
    }
    if !contacts.is_empty() {
        let mut update = tx.prepare_cached(
            "UPDATE contacts SET last_activity = ?2
             WHERE id = ?1 AND (last_activity IS NULL OR last_activity < ?2)",
        )?;
        for (id, at) in contacts {
            update.execute((id, at))?;
        }
    }
    if !visitors.is_empty() {
        let mut update = tx.prepare_cached(
            "UPDATE contacts SET last_activity = ?2
             WHERE id = (SELECT contact_id FROM visitors WHERE vid = ?1)
               AND (last_activity IS NULL OR last_activity < ?2)",
        )?;
        for (vid, at) in visitors {
            update.execute((vid, at))?;
        }
    }
    Ok(())
}

/// After visitor `vid` was linked to contact `to` (from contact `from`, when it was linked
/// before): `to` gains the visitor's anonymous events, `from` is counted again without them.
pub(super) fn relinked(
    tx: &Connection,
    vid: &str,
    to: i64,
    from: Option<i64>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE contacts SET last_activity = MAX(COALESCE(last_activity, newest), newest)
         FROM (SELECT MAX(occurred_at) AS newest FROM events
                WHERE vid = ?1 AND object_id IS NULL AND object_type = 'CONTACT')
         WHERE id = ?2 AND newest IS NOT NULL",
    )?
    .execute((vid, to))?;
    if let Some(from) = from {
        recount(tx, from)?;
    }
    Ok(())
}

/// Counts a contact's last activity again from its events.
pub(super) fn recount(tx: &Connection, contact: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "UPDATE contacts SET last_activity = {NEWEST_OF_CONTACT} WHERE id = ?1"
    ))?
    .execute([contact])?;
    Ok(())
}

/// The contacts whose timelines hold events named `name`: to [`recount`] once they are
/// deleted.
pub(super) fn affected_by_deleting(tx: &Connection, name: &str) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare(
        "SELECT object_id FROM events
          WHERE name = ?1 AND object_type = 'CONTACT' AND object_id IS NOT NULL
         UNION
         SELECT v.contact_id FROM events e JOIN visitors v ON v.vid = e.vid
          WHERE e.name = ?1 AND e.object_type = 'CONTACT' AND e.object_id IS NULL",
    )?;
    let ids = stmt.query_map([name], |r| r.get(0))?;
    ids.collect()
}
