//! Exact de-duplication of event ids, without a unique index that every insert rewrites.
//!
//! # Design
//! Event ids are random (UUID v4), so a unique index on `events.id` receives each new id on a
//! random page: every committed event rewrote about one 4 KiB index page into the WAL (and
//! again at the checkpoint), which cost more than storing the event itself (measured: 31k
//! against 107k inserts/s in 640-event transactions). Instead, the ids of the events up to
//! seq `event_ids_through` (a row of `counters`) are in the table `event_ids`, and the ids of
//! every later event are in the writer's memory ([`EventIds`]), loaded from `events` at
//! start. Once [`MERGE_AT`] ids are in memory, the writer copies them into `event_ids` sorted,
//! a chunk per transaction between groups of requests, so that neighbouring ids share the
//! pages they rewrite; the last chunk moves `event_ids_through` in the same transaction.
//!
//! A crash loses nothing: `events` holds every stored id, and the next start reloads those
//! after `event_ids_through` (some may already be in `event_ids` too, which is harmless:
//! merging uses `INSERT OR IGNORE`). The writer thread is the only one that inserts events,
//! so memory and `event_ids` together always hold exactly the ids in `events`.
//!
//! Nearly every id the writer checks is new; a Bloom filter of `event_ids`
//! ([`super::id_filter`]) says so for most of them without looking the id up in the table.
//!
//! An id in canonical form (a UUID in lowercase hex) is kept as its 16 bytes, in memory and as
//! a BLOB in `event_ids`; any other id as its text. The mapping is one-to-one, so two ids are
//! the same exactly when their texts are (as with the unique index before).
//!
//! Public so that the raw-SQLite reference of the benchmark (`bench/loadgen`) keeps ids
//! unique exactly as the collector does.

use std::collections::HashSet;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, ToSql, TransactionBehavior};

use super::id_filter::{FilterSizes, IdFilter};

/// Ids kept in memory before they are merged into `event_ids` (about 20 bytes each when
/// canonical UUIDs).
pub const MERGE_AT: usize = 200_000;
/// Fewest ids merged per transaction; more when groups are larger, so merging keeps up.
const MIN_MERGE_CHUNK: usize = 4_096;

/// `event_ids.id` of an event id (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Key<'a> {
    /// The UUID's 16 bytes, most significant first (so they sort as the text does).
    Uuid([u8; 16]),
    Text(&'a str),
}

impl<'a> Key<'a> {
    fn of(id: &'a str) -> Self {
        canonical_uuid(id).map_or(Key::Text(id), Key::Uuid)
    }
}

impl ToSql for Key<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Key::Uuid(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
            Key::Text(s) => ToSqlOutput::from(*s),
        })
    }
}

/// The 128 bits of a UUID written as 8-4-4-4-12 lowercase hex digits; `None` for any other
/// text (uppercase included, so that the text can be given back exactly).
fn canonical_uuid(id: &str) -> Option<[u8; 16]> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut n: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let digit = match (i, b) {
            (8 | 13 | 18 | 23, b'-') => continue,
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => b - b'0',
            (_, b'a'..=b'f') => b - b'a' + 10,
            _ => return None,
        };
        n = (n << 4) | u128::from(digit);
    }
    Some(n.to_be_bytes())
}

/// What an event is de-duplicated by: its id, in the namespace of where it came from. Events
/// sent through the authenticated API (no site) are unique among themselves, beacon events
/// among themselves, so that a public beacon can never claim first the `uuid` a back end will
/// send, and have that back end's event silently taken for a duplicate.
pub fn dedupe_id(id: &str, from_api: bool) -> std::borrow::Cow<'_, str> {
    if from_api {
        std::borrow::Cow::Owned(format!("{API_NAMESPACE}{id}"))
    } else {
        std::borrow::Cow::Borrowed(id)
    }
}

/// Prefix of the de-duplication id of events sent through the API (never a UUID's start).
pub const API_NAMESPACE: &str = "api:";

/// The SQL of [`dedupe_id`] on a row of `events`.
pub(crate) const DEDUPE_ID_SQL: &str = "CASE WHEN site IS NULL THEN 'api:' || id ELSE id END";

/// The SQL of [`Key::of`], for ids already stored (`id` is the column).
pub(super) const KEY_OF_ID_SQL: &str = "CASE WHEN id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(replace(id, '-', '')) ELSE id END";

/// The ids of every stored event: those in memory, and those in `event_ids`.
pub struct EventIds {
    /// Ids of events after seq `event_ids_through` that no merge has taken yet.
    recent: Ids,
    /// The merge in progress, if any.
    merging: Option<Merge>,
    /// Which ids are certainly not in `event_ids`.
    filter: IdFilter,
    tuning: Tuning,
}

/// Sizes, smaller in tests.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tuning {
    /// Ids in memory that start a merge.
    pub merge_at: usize,
    /// Of the filter of `event_ids`.
    pub filter: FilterSizes,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            merge_at: MERGE_AT,
            filter: FilterSizes::default(),
        }
    }
}

/// A set of ids, canonical UUIDs apart.
#[derive(Default)]
struct Ids {
    uuids: HashSet<[u8; 16]>,
    texts: HashSet<Box<str>>,
}

impl Ids {
    fn len(&self) -> usize {
        self.uuids.len() + self.texts.len()
    }

    fn contains(&self, key: &Key<'_>) -> bool {
        match key {
            Key::Uuid(n) => self.uuids.contains(n),
            Key::Text(s) => self.texts.contains(*s),
        }
    }

    fn insert(&mut self, key: &Key<'_>) {
        match key {
            Key::Uuid(n) => self.uuids.insert(*n),
            Key::Text(s) => self.texts.insert((*s).into()),
        };
    }

    fn remove(&mut self, key: &Key<'_>) {
        match key {
            Key::Uuid(n) => self.uuids.remove(n),
            Key::Text(s) => self.texts.remove(*s),
        };
    }
}

/// Ids being copied into `event_ids`, each kind sorted; the first `next` are there already
/// (UUIDs first, then texts).
struct Merge {
    uuids: Vec<[u8; 16]>,
    texts: Vec<Box<str>>,
    next: usize,
    /// The last event seq the ids cover: `event_ids_through` once they are all copied.
    through: i64,
}

impl Merge {
    fn len(&self) -> usize {
        self.uuids.len() + self.texts.len()
    }

    fn contains(&self, key: &Key<'_>) -> bool {
        match key {
            Key::Uuid(n) => self.uuids.binary_search(n).is_ok(),
            Key::Text(s) => self.texts.binary_search_by(|x| (**x).cmp(*s)).is_ok(),
        }
    }

    /// The `i`th key to copy.
    fn key(&self, i: usize) -> Key<'_> {
        match self.uuids.get(i) {
            Some(n) => Key::Uuid(*n),
            None => Key::Text(&self.texts[i - self.uuids.len()]),
        }
    }
}

impl EventIds {
    /// Loads the ids of the events after `event_ids_through` (schema version 3 or later).
    pub fn load(conn: &Connection) -> rusqlite::Result<Self> {
        Self::load_tuned(conn, Tuning::default())
    }

    /// [`load`](Self::load) with other sizes.
    pub(super) fn load_tuned(conn: &Connection, tuning: Tuning) -> rusqlite::Result<Self> {
        let through = through(conn)?;
        // The table holds at most as many ids as events were stored up to `through`.
        let in_table = usize::try_from(through).unwrap_or(0);
        let mut ids = EventIds {
            recent: Ids::default(),
            merging: None,
            filter: IdFilter::new(in_table, tuning.filter),
            tuning,
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT {DEDUPE_ID_SQL} FROM events WHERE seq > ?1"
        ))?;
        let mut rows = stmt.query([through])?;
        while let Some(row) = rows.next()? {
            ids.recent.insert(&Key::of(row.get_ref(0)?.as_str()?));
        }
        Ok(ids)
    }

    /// Whether an event with this id is stored (or inserted in the open transaction).
    pub fn contains(&self, conn: &Connection, id: &str) -> rusqlite::Result<bool> {
        let key = Key::of(id);
        if self.recent.contains(&key) || self.merging.as_ref().is_some_and(|m| m.contains(&key)) {
            return Ok(true);
        }
        if !self.filter.may_contain(&key) {
            return Ok(false);
        }
        conn.prepare_cached("SELECT 1 FROM event_ids WHERE id = ?1")?
            .query_row([key], |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
    }

    /// Records the id of an event just inserted.
    pub fn insert(&mut self, id: &str) {
        self.recent.insert(&Key::of(id));
    }

    /// Forgets an id recorded by [`insert`](Self::insert) whose insert was rolled back.
    pub fn remove(&mut self, id: &str) {
        self.recent.remove(&Key::of(id));
    }

    /// Whether there is work to do between jobs: merging ids into `event_ids`, or building
    /// its filter.
    pub fn background_due(&self) -> bool {
        self.merge_due() || self.filter.build_due()
    }

    /// Does the next step of that work: merges a chunk of ids when a merge is due, else reads
    /// a chunk of `event_ids` into the filter being built. `group` is the size of the last
    /// group of events, so that merging stays ahead of ingestion whatever the load.
    pub fn background_step(&mut self, conn: &mut Connection, group: usize) -> rusqlite::Result<()> {
        if self.merge_due() {
            self.merge_step(conn, group)
        } else {
            self.filter.build_step(conn)
        }
    }

    fn merge_due(&self) -> bool {
        self.merging.is_some() || self.recent.len() >= self.tuning.merge_at.max(1)
    }

    /// Copies the next chunk of ids into `event_ids`, in its own transaction; starts a merge
    /// when enough ids are in memory.
    fn merge_step(&mut self, conn: &mut Connection, group: usize) -> rusqlite::Result<()> {
        if self.merging.is_none() {
            if !self.merge_due() {
                return Ok(());
            }
            let through: i64 =
                conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?;
            let recent = std::mem::take(&mut self.recent);
            let mut uuids: Vec<[u8; 16]> = recent.uuids.into_iter().collect();
            let mut texts: Vec<Box<str>> = recent.texts.into_iter().collect();
            uuids.sort_unstable();
            texts.sort_unstable();
            self.merging = Some(Merge {
                uuids,
                texts,
                next: 0,
                through,
            });
        }
        let Some(m) = self.merging.as_mut() else {
            return Ok(());
        };
        let end = m.len().min(m.next + MIN_MERGE_CHUNK.max(group * 2));
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO event_ids (id) VALUES (?1)")?;
            for i in m.next..end {
                let key = m.key(i);
                self.filter.insert(&key);
                insert.execute([key])?;
            }
        }
        let done = end == m.len();
        if done {
            tx.execute(
                "UPDATE counters SET value = ?1 WHERE name = 'event_ids_through'",
                [m.through],
            )?;
        }
        tx.commit()?;
        m.next = end;
        if done {
            self.merging = None;
        }
        Ok(())
    }

    /// Inside `tx`, before the events named `name` are deleted: removes their ids from
    /// `event_ids`, and returns those the memory holds, to [`forget`](Self::forget) after the
    /// commit (a deleted event's id may then be stored again).
    pub fn delete_named(&self, tx: &Connection, name: &str) -> rusqlite::Result<Vec<String>> {
        tx.execute(
            &format!("DELETE FROM event_ids WHERE id IN (SELECT {KEY_OF_ID_SQL} FROM (SELECT {DEDUPE_ID_SQL} AS id FROM events WHERE name = ?1))"),
            [name],
        )?;
        let mut stmt = tx.prepare(&format!(
            "SELECT {DEDUPE_ID_SQL} FROM events WHERE name = ?1 AND seq > ?2"
        ))?;
        let ids = stmt
            .query_map((name, through(tx)?), |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    /// Forgets ids of deleted events (see [`delete_named`](Self::delete_named)).
    pub fn forget(&mut self, ids: &[String]) {
        if ids.is_empty() {
            return;
        }
        // A merge in progress starts over: its ids go back to memory, where removing is cheap.
        if let Some(m) = self.merging.take() {
            self.recent.uuids.extend(m.uuids);
            self.recent.texts.extend(m.texts);
        }
        for id in ids {
            self.recent.remove(&Key::of(id));
        }
    }
}

/// The last event seq whose id is in `event_ids`.
fn through(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT value FROM counters WHERE name = 'event_ids_through'",
        [],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lowercase_uuids_are_kept_as_numbers() {
        assert_eq!(
            canonical_uuid("0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d11"),
            Some(0x0b8e6c7e_1f0a_4c4e_9a52_3c1b7c0e9d11_u128.to_be_bytes())
        );
        assert_eq!(canonical_uuid("0B8E6C7E-1F0A-4C4E-9A52-3C1B7C0E9D11"), None);
        assert_eq!(canonical_uuid("0b8e6c7e1f0a4c4e9a523c1b7c0e9d11"), None);
        assert_eq!(canonical_uuid("0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d1g"), None);
        assert_eq!(canonical_uuid("0b8e6c7e-1f0a-4c4e-9a52+3c1b7c0e9d11"), None);
        assert_eq!(canonical_uuid("order-17"), None);
    }

    #[test]
    fn the_sql_key_is_the_rust_key() {
        let conn = Connection::open_in_memory().unwrap();
        for id in [
            "0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d11",
            "0B8E6C7E-1F0A-4C4E-9A52-3C1B7C0E9D11",
            "order-17",
            "0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d1",
        ] {
            let same: bool = conn
                .query_row(
                    &format!("SELECT ({KEY_OF_ID_SQL}) IS ?2 FROM (SELECT ?1 AS id)"),
                    (id, Key::of(id)),
                    |r| r.get(0),
                )
                .unwrap();
            assert!(same, "{id}");
        }
    }
}
