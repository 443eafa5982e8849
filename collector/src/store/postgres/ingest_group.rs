//! What one group of requests writes in its transaction, with SQLite's semantics
//! (`store/sqlite/writer.rs` `ingest_one`): which events are new, their contacts and
//! visitors, refused and held events, data-quality counts, hourly counts, and the events.
//!
//! # Commit order is `seq` order
//! The workflows' follower reads `events` after a `seq` cursor, so a reader that sees `seq`
//! N must already see every smaller `seq`. With several collectors writing, a sequence alone
//! does not give that: one transaction may take 11, another 12, and 12 commit first. So every
//! transaction does all its other work first, then takes one advisory lock ([`SEQ_LOCK`],
//! held to the end of the transaction), and only then inserts its events (their `seq` from
//! the sequence's default) and commits. Transactions that store events thus take their `seq`
//! values and commit one at a time, in the same order: PostgreSQL makes a commit visible
//! before it releases the transaction's locks, so the next holder's events come after every
//! event committed before. The lock is held only for the insert and the commit; everything
//! that may wait on other transactions' row locks (ids, contacts, counts) is done before.
//! (Anything else inserting into `events` must take the same lock.)
//!
//! # Ids
//! An event's de-duplication id ([`crate::store::NewEvent::dedupe_id`]) goes into `event_ids`
//! (`ON CONFLICT DO NOTHING RETURNING id`) and only the ids it returns are new. Two
//! collectors inserting one id at once: the second waits for the first's transaction and
//! finds the id taken once it commits (or takes it, if it rolled back). Ids are inserted in
//! sorted order, so two groups never wait for each other in a cycle.

use std::collections::{BTreeMap, HashSet};

use deadpool_postgres::Transaction;

use super::ingest::Failure;
use super::{ingest_contacts, ingest_held, ingest_hours, values, CHANNEL};
use crate::model::PrimaryObject;
use crate::store::{Ingest, IngestOutcome, NewEvent, Retention};

/// The key of the advisory lock that orders commits that store events ("wtseq").
pub(super) const SEQ_LOCK: i64 = 0x0000_0077_7473_6571;

/// A stored event and the object id it was stored with.
pub(super) type Stored<'a> = (&'a NewEvent, Option<i64>);

/// Writes the group's requests in `tx` (not committed here); returns each request's outcome
/// and the newest `seq` stored, if any.
pub(super) async fn write(
    tx: &Transaction<'_>,
    ingests: &[&Ingest],
    retention: &Retention,
) -> Result<(Vec<IngestOutcome>, Option<i64>), Failure> {
    // First, before any write: the event names' locks, which order this against definition
    // changes (`values.rs`), and what to count under them.
    let names: std::collections::BTreeSet<&str> = ingests
        .iter()
        .flat_map(|i| i.events.iter().map(|e| e.name.as_str()))
        .collect();
    let counted = values::lock_for_ingest(tx, &names).await?;
    let (fresh, mut outcomes) = new_events(tx, ingests).await?;
    let mut contacts = ingest_contacts::Resolver::default();
    let mut stored: Vec<Stored<'_>> = Vec::new();
    // Request by request, as SQLite's writer: its contact updates, then its events' subjects.
    for (ingest, fresh) in ingests.iter().zip(&fresh) {
        ingest_contacts::update(tx, &mut contacts, &ingest.contacts).await?;
        for &i in fresh {
            let event = &ingest.events[i];
            let object_id = contacts.subject(tx, event).await?;
            if let (PrimaryObject::Contact, Some(contact), Some(vid)) =
                (event.object_type, object_id, &event.vid)
            {
                contacts.link(tx, vid, contact, event.received_at).await?;
            }
            stored.push((event, object_id));
        }
    }
    ingest_contacts::touch(tx, &stored).await?;
    ingest_held::write(tx, ingests, retention).await?;
    ingest_hours::count(tx, &stored, &counted).await?;
    let newest = insert_events(tx, &stored).await?;
    for (outcome, fresh) in outcomes.iter_mut().zip(&fresh) {
        outcome.stored = fresh.len();
    }
    Ok((outcomes, newest))
}

/// Per request, the indexes of its events that are new (their ids taken in `event_ids` in
/// this transaction), and outcomes counting the others as duplicates: ids already stored,
/// and repeats within the group (the first one is stored).
async fn new_events(
    tx: &Transaction<'_>,
    ingests: &[&Ingest],
) -> Result<(Vec<Vec<usize>>, Vec<IngestOutcome>), Failure> {
    let mut candidates: BTreeMap<String, i64> = BTreeMap::new();
    let mut ids: Vec<Vec<(usize, String)>> = Vec::with_capacity(ingests.len());
    for ingest in ingests {
        let mut mine = Vec::with_capacity(ingest.events.len());
        for (i, event) in ingest.events.iter().enumerate() {
            let id = event.dedupe_id().into_owned();
            candidates.entry(id.clone()).or_insert(event.occurred_at);
            mine.push((i, id));
        }
        ids.push(mine);
    }
    let taken: HashSet<String> = if candidates.is_empty() {
        HashSet::new()
    } else {
        let (keys, times): (Vec<String>, Vec<i64>) = candidates.into_iter().unzip();
        let insert = tx
            .prepare_cached(
                "INSERT INTO event_ids (id, occurred_at)
                 SELECT * FROM unnest($1::text[], $2::bigint[])
                 ON CONFLICT (id) DO NOTHING RETURNING id",
            )
            .await?;
        tx.query(&insert, &[&keys, &times])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    let mut fresh = Vec::with_capacity(ingests.len());
    let mut outcomes = Vec::with_capacity(ingests.len());
    let mut first: HashSet<&str> = HashSet::new();
    for mine in &ids {
        let mut new = Vec::with_capacity(mine.len());
        let mut outcome = IngestOutcome::default();
        for (i, id) in mine {
            if taken.contains(id) && first.insert(id) {
                new.push(*i);
            } else {
                outcome.duplicates += 1;
            }
        }
        fresh.push(new);
        outcomes.push(outcome);
    }
    Ok((fresh, outcomes))
}

/// Inserts the stored events in one statement, in the group's order, under [`SEQ_LOCK`], and
/// tells every collector (on commit) how far the events go. Returns the newest `seq`.
async fn insert_events(
    tx: &Transaction<'_>,
    stored: &[Stored<'_>],
) -> Result<Option<i64>, Failure> {
    if stored.is_empty() {
        return Ok(None);
    }
    let n = stored.len();
    let mut id = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut occurred_at = Vec::with_capacity(n);
    let mut received_at = Vec::with_capacity(n);
    let mut object_type = Vec::with_capacity(n);
    let mut object_id = Vec::with_capacity(n);
    let mut vid = Vec::with_capacity(n);
    let mut sid = Vec::with_capacity(n);
    let mut site = Vec::with_capacity(n);
    let mut props = Vec::with_capacity(n);
    let mut defaults = Vec::with_capacity(n);
    for (event, object) in stored {
        id.push(event.id.as_str());
        name.push(event.name.as_str());
        occurred_at.push(event.occurred_at);
        received_at.push(event.received_at);
        object_type.push(event.object_type.as_str());
        object_id.push(*object);
        vid.push(event.vid.as_deref());
        sid.push(event.sid.as_deref());
        site.push(event.site.as_deref());
        props.push(event.props.as_str());
        defaults.push(event.defaults.as_deref());
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO events
                 (id, name, occurred_at, received_at, object_type, object_id, vid, sid, site,
                  props, defaults)
             SELECT id, name, occurred_at, received_at, object_type, object_id, vid, sid, site,
                    props::jsonb, defaults::jsonb
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[],
                         $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::text[])
                  WITH ORDINALITY AS e(id, name, occurred_at, received_at, object_type,
                                       object_id, vid, sid, site, props, defaults, n)
             ORDER BY n
             RETURNING seq",
        )
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SEQ_LOCK])
        .await?;
    let rows = tx
        .query(
            &insert,
            &[
                &id,
                &name,
                &occurred_at,
                &received_at,
                &object_type,
                &object_id,
                &vid,
                &sid,
                &site,
                &props,
                &defaults,
            ],
        )
        .await?;
    let newest = rows.iter().map(|row| row.get::<_, i64>(0)).max();
    if let Some(seq) = newest {
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &format!("events:{seq}")],
        )
        .await?;
    }
    Ok(newest)
}
