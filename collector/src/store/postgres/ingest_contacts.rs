//! Who a group's events are about, on PostgreSQL, with SQLite's rules
//! (`store/sqlite/writer.rs` `resolve_subject`, `contact_for`, `link_visitor`;
//! `activity.rs`; `crm.rs` `update`): contacts found or created by id, email or external id,
//! visitors linked to them, contacts' last activity, and an import's contact updates.
//!
//! Unlike SQLite's single writer, another collector may create the same contact at the same
//! moment: a contact is created with `ON CONFLICT DO NOTHING` and looked up again when that
//! did nothing (PostgreSQL makes the insert wait for the other transaction, then the lookup
//! sees its contact). A group resolves each identity once and links each visitor once.

use std::collections::{BTreeMap, HashMap, HashSet};

use deadpool_postgres::Transaction;

use super::ingest::Failure;
use super::ingest_group::Stored;
use crate::model::PrimaryObject;
use crate::store::{ContactUpdate, NewEvent, Subject};

/// How many times a contact is looked up again after its creation found a conflict (each
/// time, another transaction created it or took the id first).
const CREATE_TRIES: usize = 100;

/// What a group's transaction resolved so far.
#[derive(Default)]
pub(super) struct Resolver {
    /// Contact by (email, external id).
    identities: HashMap<(Option<String>, Option<String>), i64>,
    /// Contact ids made sure of.
    objects: HashSet<i64>,
    /// The contact each visitor was linked to in this transaction.
    linked: HashMap<String, i64>,
}

impl Resolver {
    /// The object id an event is stored with; contacts named by id, email or external id
    /// are found or created here.
    pub(super) async fn subject(
        &mut self,
        tx: &Transaction<'_>,
        event: &NewEvent,
    ) -> Result<Option<i64>, Failure> {
        match (&event.subject, event.object_type) {
            (Subject::Anonymous, _) => Ok(None),
            (Subject::ObjectId(id), PrimaryObject::Contact) => {
                if self.objects.insert(*id) {
                    ensure_contact(tx, *id, event.received_at).await?;
                }
                Ok(Some(*id))
            }
            (Subject::ObjectId(id), _) => Ok(Some(*id)),
            (Subject::Contact { email, external_id }, PrimaryObject::Contact) => self
                .contact(
                    tx,
                    email.as_deref(),
                    external_id.as_deref(),
                    event.received_at,
                )
                .await
                .map(Some),
            (Subject::Contact { .. }, _) => Ok(None),
        }
    }

    /// [`contact_for`], once per identity in a group (asking again changes nothing).
    async fn contact(
        &mut self,
        tx: &Transaction<'_>,
        email: Option<&str>,
        external: Option<&str>,
        now: i64,
    ) -> Result<i64, Failure> {
        let key = (email.map(str::to_owned), external.map(str::to_owned));
        if let Some(id) = self.identities.get(&key) {
            return Ok(*id);
        }
        let id = contact_for(tx, email, external, now).await?;
        self.identities.insert(key, id);
        Ok(id)
    }

    /// Links a visitor to a contact: from now on its anonymous events, earlier ones included,
    /// are part of the contact's timeline (resolved when queried).
    pub(super) async fn link(
        &mut self,
        tx: &Transaction<'_>,
        vid: &str,
        contact: i64,
        now: i64,
    ) -> Result<(), Failure> {
        if self.linked.get(vid) == Some(&contact) {
            return Ok(());
        }
        let read = tx
            .prepare_cached("SELECT contact_id FROM visitors WHERE vid = $1 FOR UPDATE")
            .await?;
        let before: Option<i64> = tx.query_opt(&read, &[&vid]).await?.map(|r| r.get(0));
        self.linked.insert(vid.to_owned(), contact);
        if before == Some(contact) {
            return Ok(());
        }
        let upsert = tx
            .prepare_cached(
                "INSERT INTO visitors (vid, contact_id, linked_at) VALUES ($1, $2, $3)
                 ON CONFLICT (vid) DO UPDATE SET contact_id = excluded.contact_id,
                                                 linked_at = excluded.linked_at",
            )
            .await?;
        tx.execute(&upsert, &[&vid, &contact, &now]).await?;
        relinked(tx, vid, contact, before).await
    }
}

/// Makes sure contact `id` exists (an `objectId` not seen before creates it). A contact
/// created with an id of its own moves the id sequence past it, as SQLite's rowids do, so
/// that contacts created later by email get higher ids (best effort: `contact_for` also
/// steps over an id taken meanwhile).
async fn ensure_contact(tx: &Transaction<'_>, id: i64, now: i64) -> Result<(), Failure> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO contacts (id, created_at) VALUES ($1, $2)
             ON CONFLICT (id) DO NOTHING RETURNING id",
        )
        .await?;
    if tx.query_opt(&insert, &[&id, &now]).await?.is_some() && id >= 1 {
        let past = tx
            .prepare_cached(
                "SELECT setval('contacts_id_seq', $1) FROM contacts_id_seq
                 WHERE last_value < $1 OR NOT is_called",
            )
            .await?;
        tx.query(&past, &[&id]).await?;
    }
    Ok(())
}

/// Finds the contact with this external id or email (the external id wins when they name two
/// different contacts), fills in whichever of the two it lacks (unless another contact has
/// it), or creates it.
pub(super) async fn contact_for(
    tx: &Transaction<'_>,
    email: Option<&str>,
    external: Option<&str>,
    now: i64,
) -> Result<i64, Failure> {
    for _ in 0..CREATE_TRIES {
        let by_external: Option<i64> = match external {
            Some(x) => {
                let read = tx
                    .prepare_cached("SELECT id FROM contacts WHERE external_id = $1")
                    .await?;
                tx.query_opt(&read, &[&x]).await?.map(|r| r.get(0))
            }
            None => None,
        };
        let by_email: Option<i64> = match (by_external, email) {
            (None, Some(e)) => {
                let read = tx
                    .prepare_cached("SELECT id FROM contacts WHERE email = $1")
                    .await?;
                tx.query_opt(&read, &[&e]).await?.map(|r| r.get(0))
            }
            _ => None,
        };
        if let Some(id) = by_external.or(by_email) {
            if let (Some(e), Some(_)) = (email, by_external) {
                let fill = tx
                    .prepare_cached(
                        "UPDATE contacts SET email = $1 WHERE id = $2 AND email IS NULL
                         AND NOT EXISTS (SELECT 1 FROM contacts WHERE email = $1)",
                    )
                    .await?;
                tx.execute(&fill, &[&e, &id]).await?;
            }
            if let (Some(x), Some(_)) = (external, by_email) {
                let fill = tx
                    .prepare_cached(
                        "UPDATE contacts SET external_id = $1 WHERE id = $2 AND external_id IS NULL
                         AND NOT EXISTS (SELECT 1 FROM contacts WHERE external_id = $1)",
                    )
                    .await?;
                tx.execute(&fill, &[&x, &id]).await?;
            }
            return Ok(id);
        }
        let create = tx
            .prepare_cached(
                "INSERT INTO contacts (email, external_id, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .await?;
        if let Some(row) = tx.query_opt(&create, &[&email, &external, &now]).await? {
            return Ok(row.get(0));
        }
    }
    Err(Failure::Request(format!(
        "no contact could be created for {email:?} / {external:?}"
    )))
}

/// After visitor `vid` was linked to contact `to` (from contact `from`, when it was linked
/// before): `to` gains the visitor's anonymous events, `from` is counted again without them.
/// (The group's own events are not inserted yet: [`touch`] adds them after.)
async fn relinked(
    tx: &Transaction<'_>,
    vid: &str,
    to: i64,
    from: Option<i64>,
) -> Result<(), Failure> {
    let gain = tx
        .prepare_cached(
            "UPDATE contacts SET last_activity = GREATEST(last_activity, newest)
             FROM (SELECT max(occurred_at) AS newest FROM events
                    WHERE vid = $1 AND object_id IS NULL AND object_type = 'CONTACT') AS n
             WHERE id = $2 AND newest IS NOT NULL",
        )
        .await?;
    tx.execute(&gain, &[&vid, &to]).await?;
    if let Some(from) = from {
        recount(tx, from).await?;
    }
    Ok(())
}

/// Counts a contact's last activity again from its events: the newest of its own `CONTACT`
/// events and of its visitors' anonymous ones (SQLite's `activity::NEWEST_OF_CONTACT`).
pub(super) async fn recount(tx: &Transaction<'_>, contact: i64) -> Result<(), Failure> {
    let update = tx
        .prepare_cached(
            "UPDATE contacts SET last_activity = (SELECT max(at) FROM (
                 SELECT max(e.occurred_at) AS at FROM events e
                  WHERE e.object_id = $1 AND e.object_type = 'CONTACT'
                 UNION ALL
                 SELECT max(e.occurred_at) FROM visitors v JOIN events e ON e.vid = v.vid
                  WHERE v.contact_id = $1 AND e.object_id IS NULL AND e.object_type = 'CONTACT'
             ) AS t)
             WHERE id = $1",
        )
        .await?;
    tx.execute(&update, &[&contact]).await?;
    Ok(())
}

/// Moves the last activity of the contacts the stored events belong to forward, in one
/// statement: an event stored with a contact id belongs to it, an anonymous one to the
/// contact its visitor is linked to (after the group's links), if any.
pub(super) async fn touch(tx: &Transaction<'_>, stored: &[Stored<'_>]) -> Result<(), Failure> {
    let mut contacts: BTreeMap<i64, i64> = BTreeMap::new();
    let mut visitors: BTreeMap<&str, i64> = BTreeMap::new();
    for (event, object_id) in stored {
        if event.object_type != PrimaryObject::Contact {
            continue;
        }
        let newest = match (object_id, event.vid.as_deref()) {
            (Some(id), _) => contacts.entry(*id).or_insert(i64::MIN),
            (None, Some(vid)) => visitors.entry(vid).or_insert(i64::MIN),
            (None, None) => continue,
        };
        *newest = (*newest).max(event.occurred_at);
    }
    if contacts.is_empty() && visitors.is_empty() {
        return Ok(());
    }
    let (ids, id_times): (Vec<i64>, Vec<i64>) = contacts.into_iter().unzip();
    let (vids, vid_times): (Vec<&str>, Vec<i64>) = visitors.into_iter().unzip();
    let update = tx
        .prepare_cached(
            "UPDATE contacts c SET last_activity = s.at
             FROM (SELECT id, max(at) AS at FROM (
                       SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS d(id, at)
                       UNION ALL
                       SELECT v.contact_id, u.at
                         FROM unnest($3::text[], $4::bigint[]) AS u(vid, at)
                         JOIN visitors v ON v.vid = u.vid
                   ) AS t GROUP BY id ORDER BY id) AS s
             WHERE c.id = s.id AND (c.last_activity IS NULL OR c.last_activity < s.at)",
        )
        .await?;
    tx.execute(&update, &[&ids, &id_times, &vids, &vid_times])
        .await?;
    Ok(())
}

/// Creates or updates the contacts of a request by email, setting its properties over those
/// the contact has (SQLite's `json_patch` of string values is jsonb's `||`).
pub(super) async fn update(
    tx: &Transaction<'_>,
    resolver: &mut Resolver,
    updates: &[ContactUpdate],
) -> Result<(), Failure> {
    for u in updates {
        let id = resolver.contact(tx, Some(&u.email), None, u.at).await?;
        if u.properties.is_empty() {
            continue;
        }
        let patch = serde_json::to_string(&u.properties)
            .map_err(|e| Failure::Request(format!("contact properties: {e}")))?;
        let set = tx
            .prepare_cached(
                "UPDATE contacts SET properties = COALESCE(properties, '{}'::jsonb) || $2::text::jsonb,
                                     updated_at = $3
                 WHERE id = $1",
            )
            .await?;
        tx.execute(&set, &[&id, &patch, &u.at]).await?;
    }
    Ok(())
}
