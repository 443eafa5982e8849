//! Completions counted per option of each enumeration property, per hour, on PostgreSQL:
//! SQLite's `value_hours` and `value_counts` (why, and which properties: `store/sqlite/values.rs`).
//! `value_counts` lists the (event, property) pairs whose rows are complete; every change of a
//! definition makes the list match it in its own transaction ([`reconcile`]), counting a
//! property that became an enumeration from the stored completions first.
//!
//! # Changes and storing meet on a lock per event name
//! SQLite's writer thread orders a definition change and the events stored around it. Here
//! another collector may store completions of the event while it changes, and a backfill that
//! missed them, or a batch counted under the old list, would leave rows that `value_counts`
//! calls complete but are not. So both take a transaction-scoped advisory lock on the event's
//! name (keyed by its hash; two names sharing a hash only wait for each other):
//! * a change of a definition takes it exclusively ([`lock_name`]), first in its transaction;
//! * a transaction storing completions takes it shared for each name it stores
//!   ([`lock_for_ingest`]), before it writes anything, and counts values under exactly the
//!   properties `value_counts` lists then.
//!
//! Whichever comes second sees the other's commit: the backfill counts the stored batch, or
//! the batch counts under the new list. Taking the name locks before any row lock keeps them
//! out of deadlocks with the row locks the two sides take.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Transaction;

use crate::model::EventDefinition;
use crate::store::sqlite::hours::HOUR_MS;
use crate::store::sqlite::reach::{hash, Sketch};
use crate::store::sqlite::values::{enumerations, options, options_in, text_of};
use crate::store::StoreError;

/// The first key of the advisory locks on event names (any constant; this one spells "wtev").
const NAME_LOCK: i32 = 0x7774_6576;

/// Completions a backfill reads per round trip (it never holds every completion at once).
const BACKFILL_ROWS: i32 = 10_000;

/// Rows of `value_hours` written per statement.
const INSERT_ROWS: usize = 5_000;

/// Takes the lock on event `name` that a change of its definition holds until it commits (see
/// the module's doc). Take it first in the transaction.
pub(super) async fn lock_name(tx: &Transaction<'_>, name: &str) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&NAME_LOCK, &name],
    )
    .await?;
    Ok(())
}

/// What a transaction storing completions counts, read under the names' shared locks.
#[derive(Debug, Default, Clone)]
pub(super) struct Counted {
    /// The names asked about that have a definition (as committed when the locks were taken).
    pub defined: BTreeSet<String>,
    /// The enumeration properties counted for each name (those `value_counts` lists).
    pub properties: BTreeMap<String, Vec<String>>,
}

impl Counted {
    /// The (property, option) pairs a completion of `name` with custom properties `props` (a
    /// JSON object) counts under in `value_hours`, as SQLite's `Enumerations::options_of`.
    pub(super) fn options_of(&self, name: &str, props: &str) -> Vec<(String, String)> {
        match self.properties.get(name) {
            Some(properties) => options_in(properties.iter().map(String::as_str), props),
            None => Vec::new(),
        }
    }
}

/// For a transaction about to store completions of `names`: takes each name's lock shared
/// (held until it commits, so no definition of them changes meanwhile), then reads what to
/// count. Call it before the transaction writes anything (see the module's doc).
pub(super) async fn lock_for_ingest(
    tx: &Transaction<'_>,
    names: &BTreeSet<&str>,
) -> Result<Counted, tokio_postgres::Error> {
    if names.is_empty() {
        return Ok(Counted::default());
    }
    let names: Vec<&str> = names.iter().copied().collect();
    // In any order: shared locks never wait for each other, only for a change's, and a
    // change holds one name's lock alone.
    tx.execute(
        "SELECT pg_advisory_xact_lock_shared($1, hashtext(n)) FROM unnest($2::text[]) AS n",
        &[&NAME_LOCK, &names],
    )
    .await?;
    // Statements after the locks see every change committed before them.
    let mut counted = Counted::default();
    for row in tx
        .query(
            "SELECT name FROM definitions WHERE name = ANY($1)",
            &[&names],
        )
        .await?
    {
        counted.defined.insert(row.get(0));
    }
    for row in tx
        .query(
            "SELECT name, property FROM value_counts WHERE name = ANY($1) ORDER BY name, property",
            &[&names],
        )
        .await?
    {
        counted
            .properties
            .entry(row.get(0))
            .or_default()
            .push(row.get(1));
    }
    Ok(counted)
}

/// Makes `value_counts` and `value_hours` of event `name` match its definition `def` (`None`
/// once deleted): a property no longer an enumeration loses its rows, a new one is counted
/// from the stored completions. The caller holds [`lock_name`].
pub(super) async fn reconcile(
    tx: &Transaction<'_>,
    name: &str,
    def: Option<&EventDefinition>,
) -> Result<(), StoreError> {
    let wanted: BTreeSet<&str> = def.map(|d| enumerations(d).collect()).unwrap_or_default();
    let have: BTreeSet<String> = tx
        .query(
            "SELECT property FROM value_counts WHERE name = $1",
            &[&name],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for property in have.iter().filter(|p| !wanted.contains(p.as_str())) {
        for table in ["value_hours", "value_counts"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE name = $1 AND property = $2"),
                &[&name, property],
            )
            .await?;
        }
    }
    for property in wanted.into_iter().filter(|p| !have.contains(*p)) {
        backfill(tx, name, property).await?;
        tx.execute(
            "INSERT INTO value_counts (name, property) VALUES ($1, $2)",
            &[&name, &property],
        )
        .await?;
    }
    Ok(())
}

/// What one `value_hours` row gains: completions, and sketches of their contacts and
/// anonymous visitors.
#[derive(Default)]
struct Tally {
    count: i64,
    contacts: Sketch,
    visitors: Sketch,
}

/// Counts the stored completions of `name` under the options of `property`, with sketches,
/// as SQLite's backfill does. A value is read as the writer reads it ([`text_of`]: a string as
/// it is, anything else as its JSON), so completions counted here and at ingestion agree.
async fn backfill(tx: &Transaction<'_>, name: &str, property: &str) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM value_hours WHERE name = $1 AND property = $2",
        &[&name, &property],
    )
    .await?;
    let portal = tx
        .bind(
            "SELECT occurred_at, object_id, vid, (props -> $2::text)::text FROM events WHERE name = $1",
            &[&name, &property],
        )
        .await?;
    let mut tallies: BTreeMap<(String, i64), Tally> = BTreeMap::new();
    loop {
        let rows = tx.query_portal(&portal, BACKFILL_ROWS).await?;
        for row in &rows {
            let occurred_at: i64 = row.get(0);
            let object_id: Option<i64> = row.get(1);
            let vid: Option<&str> = row.get(2);
            let value: Option<&str> = row.get(3);
            let text = value
                .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
                .map(|v| text_of(&v))
                .unwrap_or_default();
            for option in options(&text) {
                let tally = tallies
                    .entry((option.to_owned(), occurred_at / HOUR_MS))
                    .or_default();
                tally.count += 1;
                match (object_id, vid) {
                    (Some(id), _) => tally.contacts.add(hash(&id.to_string())),
                    (None, Some(vid)) => tally.visitors.add(hash(vid)),
                    (None, None) => {}
                }
            }
        }
        if rows.len() < BACKFILL_ROWS as usize {
            break;
        }
    }
    let rows: Vec<_> = tallies.into_iter().collect();
    for chunk in rows.chunks(INSERT_ROWS) {
        let values: Vec<&str> = chunk.iter().map(|((v, _), _)| v.as_str()).collect();
        let hours: Vec<i64> = chunk.iter().map(|((_, h), _)| *h).collect();
        let counts: Vec<i64> = chunk.iter().map(|(_, t)| t.count).collect();
        let contacts: Vec<Vec<u8>> = chunk.iter().map(|(_, t)| t.contacts.bytes()).collect();
        let visitors: Vec<Vec<u8>> = chunk.iter().map(|(_, t)| t.visitors.bytes()).collect();
        tx.execute(
            "INSERT INTO value_hours (name, property, value, hour, count, contacts, visitors)
             SELECT $1, $2, v, h, n, c, vs
               FROM unnest($3::text[], $4::int8[], $5::int8[], $6::bytea[], $7::bytea[])
                    AS t(v, h, n, c, vs)",
            &[
                &name, &property, &values, &hours, &counts, &contacts, &visitors,
            ],
        )
        .await?;
    }
    Ok(())
}
