//! The hourly counts reports read instead of the completions (`event_hours`, `value_hours`),
//! added to in the transaction that stores the events, as SQLite's writer does
//! (`store/sqlite/hours.rs`, `values.rs`): per row touched, a count and two reach sketches
//! (`store/sqlite/reach.rs`), whose merging is Rust's.
//!
//! # Two collectors on one row
//! A sketch cannot be added to in SQL, so a row's sketches are read, merged and written back,
//! and two collectors must not both read the old sketch. So per table:
//! 1. the rows new to the table are inserted with the group's tallies
//!    (`ON CONFLICT DO NOTHING`: a row another transaction is inserting makes this wait for
//!    it, then counts as existing);
//! 2. the existing rows are read `FOR UPDATE` (locked until the commit, in key order), and
//! 3. updated with the merged sketches and the added counts.
//!
//! # Which enumeration properties
//! `value_counts` lists the (event, property) pairs whose `value_hours` rows are complete;
//! exactly those are counted, read in the transaction rather than from the definitions in
//! memory, which may be a notification behind: [`super::values::lock_for_ingest`], first in
//! the transaction, takes each event name's lock shared and reads them (why: `values.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use deadpool_postgres::Transaction;

use super::ingest::Failure;
use super::ingest_group::Stored;
use super::values::Counted;
use crate::store::sqlite::hours::{sketched, Tally, HOUR_MS};

/// How many times rows that vanished between being found and being locked are inserted
/// again (a definition's rows deleted meanwhile).
const MERGE_TRIES: usize = 3;

/// A row's key: its text columns, then its hour.
type Key = (Vec<String>, i64);

/// Adds the stored events to both tables, their values under the enumeration properties
/// `counted` lists.
pub(super) async fn count(
    tx: &Transaction<'_>,
    stored: &[Stored<'_>],
    counted: &Counted,
) -> Result<(), Failure> {
    if stored.is_empty() {
        return Ok(());
    }
    let mut hours: BTreeMap<(&str, i64), Tally> = BTreeMap::new();
    for (event, object_id) in stored {
        hours
            .entry((&event.name, event.occurred_at / HOUR_MS))
            .or_default()
            .add(*object_id, event.vid.as_deref());
    }
    let mut values: BTreeMap<(&str, String, String, i64), Tally> = BTreeMap::new();
    for (event, object_id) in stored {
        let hour = event.occurred_at / HOUR_MS;
        for (property, option) in counted.options_of(&event.name, &event.props) {
            values
                .entry((&event.name, property, option, hour))
                .or_default()
                .add(*object_id, event.vid.as_deref());
        }
    }
    merge(
        tx,
        "event_hours",
        &["name"],
        hours
            .into_iter()
            .map(|((name, hour), t)| ((vec![name.to_owned()], hour), t))
            .collect(),
    )
    .await?;
    merge(
        tx,
        "value_hours",
        &["name", "property", "value"],
        values
            .into_iter()
            .map(|((name, property, value, hour), t)| {
                ((vec![name.to_owned(), property, value], hour), t)
            })
            .collect(),
    )
    .await
}

/// Adds tallies to the rows of `table` keyed by the text columns `columns` and `hour`
/// (see the module's doc). `rows` are in key order, so two groups lock rows in one order.
async fn merge(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[&str],
    rows: BTreeMap<Key, Tally>,
) -> Result<(), Failure> {
    let mut pending = rows;
    for _ in 0..MERGE_TRIES {
        if pending.is_empty() {
            return Ok(());
        }
        let inserted = insert_new(tx, table, columns, &pending).await?;
        pending.retain(|key, _| !inserted.contains(key));
        if pending.is_empty() {
            return Ok(());
        }
        let mut existing = lock_existing(tx, table, columns, &pending).await?;
        let mut found = BTreeMap::new();
        pending.retain(|key, tally| match existing.remove(key) {
            Some(old) => {
                found.insert(key.clone(), (std::mem::take(tally), old));
                false
            }
            None => true,
        });
        update_existing(tx, table, columns, found).await?;
    }
    if pending.is_empty() {
        Ok(())
    } else {
        Err(Failure::Retry)
    }
}

/// The unnest of the key columns, `$1`… `$n` text arrays then the hours.
fn unnest_keys(columns: &[&str]) -> String {
    let texts: Vec<String> = (1..=columns.len())
        .map(|i| format!("${i}::text[]"))
        .collect();
    format!("{}, ${}::bigint[]", texts.join(", "), columns.len() + 1)
}

/// The key columns of `rows` as arrays, one per column, then the hours.
fn key_arrays<'a, V>(
    columns: &[&str],
    rows: impl Iterator<Item = (&'a Key, V)>,
) -> (Vec<Vec<String>>, Vec<i64>) {
    let mut texts: Vec<Vec<String>> = vec![Vec::new(); columns.len()];
    let mut hours = Vec::new();
    for ((values, hour), _) in rows {
        for (column, value) in texts.iter_mut().zip(values) {
            column.push(value.clone());
        }
        hours.push(*hour);
    }
    (texts, hours)
}

/// Inserts the rows not in the table with their tallies; returns the keys inserted.
async fn insert_new(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[&str],
    rows: &BTreeMap<Key, Tally>,
) -> Result<HashSet<Key>, Failure> {
    let n = columns.len();
    let list = columns.join(", ");
    let sql = format!(
        "INSERT INTO {table} ({list}, hour, count, contacts, visitors)
         SELECT * FROM unnest({}, ${}::bigint[], ${}::bytea[], ${}::bytea[])
         ON CONFLICT ({list}, hour) DO NOTHING
         RETURNING {list}, hour",
        unnest_keys(columns),
        n + 2,
        n + 3,
        n + 4
    );
    let (texts, hours) = key_arrays(columns, rows.iter());
    let counts: Vec<i64> = rows.values().map(|t| t.count).collect();
    let contacts: Vec<Option<Vec<u8>>> =
        rows.values().map(|t| sketched(None, &t.contacts)).collect();
    let visitors: Vec<Option<Vec<u8>>> =
        rows.values().map(|t| sketched(None, &t.visitors)).collect();
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
    for column in &texts {
        params.push(column);
    }
    params.extend([
        &hours as &(dyn tokio_postgres::types::ToSql + Sync),
        &counts,
        &contacts,
        &visitors,
    ]);
    let insert = tx.prepare_cached(&sql).await?;
    Ok(tx
        .query(&insert, &params)
        .await?
        .iter()
        .map(|row| ((0..n).map(|i| row.get(i)).collect(), row.get(n)))
        .collect())
}

/// A row's stored sketches (`NULL` for a row counted without them).
type Sketches = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Reads the existing rows of `rows`' keys, locking them to the commit.
async fn lock_existing(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[&str],
    rows: &BTreeMap<Key, Tally>,
) -> Result<HashMap<Key, Sketches>, Failure> {
    let n = columns.len();
    let list = columns.join(", ");
    let sql = format!(
        "SELECT {list}, hour, contacts, visitors FROM {table}
         WHERE ({list}, hour) IN (SELECT * FROM unnest({}))
         ORDER BY {list}, hour FOR UPDATE",
        unnest_keys(columns)
    );
    let (texts, hours) = key_arrays(columns, rows.iter());
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
    for column in &texts {
        params.push(column);
    }
    params.push(&hours);
    let read = tx.prepare_cached(&sql).await?;
    Ok(tx
        .query(&read, &params)
        .await?
        .iter()
        .map(|row| {
            let key = ((0..n).map(|i| row.get(i)).collect(), row.get(n));
            (key, (row.get(n + 1), row.get(n + 2)))
        })
        .collect())
}

/// Adds the tallies to the locked rows, their sketches merged.
async fn update_existing(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[&str],
    rows: BTreeMap<Key, (Tally, Sketches)>,
) -> Result<(), Failure> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = columns.len();
    let names: Vec<String> = columns.iter().map(|c| format!("u_{c}")).collect();
    let matches: Vec<String> = columns.iter().map(|c| format!("t.{c} = u.u_{c}")).collect();
    let sql = format!(
        "UPDATE {table} t SET count = t.count + u.u_count, contacts = u.u_contacts,
                              visitors = u.u_visitors
         FROM unnest({}, ${}::bigint[], ${}::bytea[], ${}::bytea[])
              AS u({}, u_hour, u_count, u_contacts, u_visitors)
         WHERE {} AND t.hour = u.u_hour",
        unnest_keys(columns),
        n + 2,
        n + 3,
        n + 4,
        names.join(", "),
        matches.join(" AND ")
    );
    let (texts, hours) = key_arrays(columns, rows.iter());
    let mut counts = Vec::with_capacity(rows.len());
    let mut contacts = Vec::with_capacity(rows.len());
    let mut visitors = Vec::with_capacity(rows.len());
    for (tally, (old_contacts, old_visitors)) in rows.into_values() {
        counts.push(tally.count);
        contacts.push(sketched(Some(old_contacts), &tally.contacts));
        visitors.push(sketched(Some(old_visitors), &tally.visitors));
    }
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
    for column in &texts {
        params.push(column);
    }
    params.extend([
        &hours as &(dyn tokio_postgres::types::ToSql + Sync),
        &counts,
        &contacts,
        &visitors,
    ]);
    let update = tx.prepare_cached(&sql).await?;
    tx.execute(&update, &params).await?;
    Ok(())
}
