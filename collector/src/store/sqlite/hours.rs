//! The hourly counts that reports read instead of the completions: per event and hour
//! (`event_hours`, schema 5), and per event, enumeration property, option and hour
//! (`value_hours`, schema 6, see [`super::values`]). Each row holds a count and two reach
//! sketches ([`super::reach`]): the hour's contacts and its anonymous visitors.
//!
//! The writer adds a request's stored events here, in the transaction that stores them (the
//! one place events are written): one read and one upsert per row touched, not per event,
//! since a beacon's events mostly share their name, hour and options. (A trigger per row kept
//! the event counts alone at 0.82× the write throughput.)

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::reach::{hash, Sketch};
use super::values::Enumerations;
use crate::store::Ingest;

/// An hour in ms: the grain of the counts. `/` truncates as SQLite's does, so the
/// migrations' backfills and the writer agree.
pub(crate) const HOUR_MS: i64 = 3_600_000;

/// What a row gains: completions, and the hashes of their contacts and anonymous visitors.
#[derive(Default)]
pub(super) struct Tally {
    count: i64,
    contacts: Vec<u64>,
    visitors: Vec<u64>,
}

impl Tally {
    /// Adds one completion, stored with `object_id` (its contact) or else by visitor `vid`.
    pub(super) fn add(&mut self, object_id: Option<i64>, vid: Option<&str>) {
        self.count += 1;
        match (object_id, vid) {
            (Some(id), _) => self.contacts.push(hash(&id.to_string())),
            (None, Some(vid)) => self.visitors.push(hash(vid)),
            (None, None) => {}
        }
    }
}

/// Adds the stored events of a request to both tables. `stored` is each stored event's index
/// in `ingest.events` and the object id it was stored with.
pub(super) fn count(
    tx: &Connection,
    ingest: &Ingest,
    stored: &[(usize, Option<i64>)],
    enumerations: &Enumerations,
) -> rusqlite::Result<()> {
    let mut hours: BTreeMap<(&str, i64), Tally> = BTreeMap::new();
    let mut values: BTreeMap<(&str, String, String, i64), Tally> = BTreeMap::new();
    for &(i, object_id) in stored {
        let Some(event) = ingest.events.get(i) else {
            continue;
        };
        let hour = event.occurred_at / HOUR_MS;
        let vid = event.vid.as_deref();
        hours
            .entry((&event.name, hour))
            .or_default()
            .add(object_id, vid);
        for (property, option) in enumerations.options_of(&event.name, &event.props) {
            values
                .entry((&event.name, property, option, hour))
                .or_default()
                .add(object_id, vid);
        }
    }
    merge(
        tx,
        "event_hours",
        &["name", "hour"],
        hours
            .into_iter()
            .map(|((name, hour), t)| (vec![Value::Text(name.to_owned()), hour.into()], t)),
    )?;
    merge(
        tx,
        "value_hours",
        &["name", "property", "value", "hour"],
        values
            .into_iter()
            .map(|((name, property, value, hour), t)| {
                (
                    vec![
                        Value::Text(name.to_owned()),
                        property.into(),
                        value.into(),
                        hour.into(),
                    ],
                    t,
                )
            }),
    )
}

/// Adds tallies to the rows of `table` keyed by `key` (the primary key's columns, whose values
/// come first in each item), creating rows as needed.
pub(super) fn merge(
    tx: &Connection,
    table: &str,
    key: &[&str],
    rows: impl Iterator<Item = (Vec<Value>, Tally)>,
) -> rusqlite::Result<()> {
    let mut rows = rows.peekable();
    if rows.peek().is_none() {
        return Ok(());
    }
    let columns = key.join(", ");
    let placeholders: Vec<String> = (1..=key.len() + 3).map(|i| format!("?{i}")).collect();
    let matches: Vec<String> = key
        .iter()
        .zip(&placeholders)
        .map(|(c, p)| format!("{c} = {p}"))
        .collect();
    let mut read = tx.prepare_cached(&format!(
        "SELECT contacts, visitors FROM {table} WHERE {}",
        matches.join(" AND ")
    ))?;
    let mut upsert = tx.prepare_cached(&format!(
        "INSERT INTO {table} ({columns}, count, contacts, visitors) VALUES ({})
         ON CONFLICT ({columns}) DO UPDATE SET count = count + excluded.count,
             contacts = excluded.contacts, visitors = excluded.visitors",
        placeholders.join(", ")
    ))?;
    // A stored sketch column: NULL for a row counted without sketches (a backfill in SQL).
    type Stored = Option<Vec<u8>>;
    for (mut values, tally) in rows {
        let existing: Option<(Stored, Stored)> = read
            .query_row(params_from_iter(&values), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (old_contacts, old_visitors) = match existing {
            Some((c, v)) => (Some(c), Some(v)),
            None => (None, None),
        };
        values.push(tally.count.into());
        values.push(sketched(old_contacts, &tally.contacts).into());
        values.push(sketched(old_visitors, &tally.visitors).into());
        upsert.execute(params_from_iter(&values))?;
    }
    Ok(())
}

/// The sketch a row keeps after adding `new`: `old` is `None` for a new row, `Some(None)` for
/// a row without sketches, which stays without (a sketch of its new events alone would
/// undercount it: its reach is counted from the completions instead).
fn sketched(old: Option<Option<Vec<u8>>>, new: &[u64]) -> Option<Vec<u8>> {
    let mut sketch = match old {
        None => Sketch::default(),
        Some(None) => return None,
        Some(Some(bytes)) => Sketch::from_bytes(bytes)?,
    };
    for h in new {
        sketch.add(*h);
    }
    Some(sketch.bytes())
}
