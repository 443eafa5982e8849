//! A group's refused events, held events (held and released) and data-quality counts, on
//! PostgreSQL, with SQLite's rules (`store/sqlite/held.rs`, `quality.rs`, and the writer's
//! refused rows): each written in one statement per table for the whole group, in the
//! group's transaction, so a replay is stored and released at once or not at all. The bounds
//! of the held and refused tables are applied once per group, only by groups that add rows
//! to them, as of the newest request's time.

use std::collections::{BTreeMap, HashSet};

use deadpool_postgres::Transaction;

use super::ingest::Failure;
use crate::store::{Ingest, Retention};

/// Writes the group's refused, held and released events and quality counts.
pub(super) async fn write(
    tx: &Transaction<'_>,
    ingests: &[&Ingest],
    retention: &Retention,
) -> Result<(), Failure> {
    reject(tx, ingests, retention).await?;
    hold(tx, ingests, retention).await?;
    release(tx, ingests).await?;
    quality(tx, ingests).await
}

/// Keeps refused events (a retried beacon's once, by event id).
async fn reject(
    tx: &Transaction<'_>,
    ingests: &[&Ingest],
    retention: &Retention,
) -> Result<(), Failure> {
    // A repeated id is left out here and a stored one by the statement, before the row takes
    // a `seq`: gaps would make the bound by `seq` keep fewer rows than SQLite keeps.
    let mut ids = HashSet::new();
    let rejected: Vec<_> = ingests
        .iter()
        .flat_map(|i| &i.rejected)
        .filter(|r| r.event_id.as_ref().is_none_or(|id| ids.insert(id)))
        .collect();
    let Some(now) = ingests
        .iter()
        .filter_map(|i| i.rejected.first().map(|r| r.received_at))
        .max()
    else {
        return Ok(());
    };
    let event_id: Vec<Option<&str>> = rejected.iter().map(|r| r.event_id.as_deref()).collect();
    let name: Vec<Option<&str>> = rejected.iter().map(|r| r.name.as_deref()).collect();
    let site: Vec<Option<&str>> = rejected.iter().map(|r| r.site.as_deref()).collect();
    let reason: Vec<&str> = rejected.iter().map(|r| r.reason.as_str()).collect();
    let body: Vec<&str> = rejected.iter().map(|r| r.body.as_str()).collect();
    let received_at: Vec<i64> = rejected.iter().map(|r| r.received_at).collect();
    let insert = tx
        .prepare_cached(
            "INSERT INTO rejected (event_id, name, site, reason, body, received_at)
             SELECT a, b, c, d, e, f
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bigint[]) WITH ORDINALITY AS r(a, b, c, d, e, f, n)
             WHERE NOT EXISTS (SELECT 1 FROM rejected WHERE event_id = r.a)
             ORDER BY n
             ON CONFLICT (event_id) DO NOTHING",
        )
        .await?;
    tx.execute(
        &insert,
        &[&event_id, &name, &site, &reason, &body, &received_at],
    )
    .await?;
    bound(
        tx,
        "rejected",
        retention.rejected_ms,
        retention.rejected_rows,
        now,
    )
    .await
}

/// Holds beacon events whose name has no definition yet (a retried beacon's once).
async fn hold(
    tx: &Transaction<'_>,
    ingests: &[&Ingest],
    retention: &Retention,
) -> Result<(), Failure> {
    let mut ids = HashSet::new();
    let held: Vec<_> = ingests
        .iter()
        .flat_map(|i| &i.held)
        .filter(|h| ids.insert(&h.id))
        .collect();
    let Some(now) = ingests
        .iter()
        .filter_map(|i| i.held.first().map(|h| h.received_at))
        .max()
    else {
        return Ok(());
    };
    let mut bodies = Vec::with_capacity(held.len());
    for event in &held {
        bodies.push(
            serde_json::to_string(event)
                .map_err(|e| Failure::Request(format!("held event: {e}")))?,
        );
    }
    let event_id: Vec<&str> = held.iter().map(|h| h.id.as_str()).collect();
    let name: Vec<&str> = held.iter().map(|h| h.name.as_str()).collect();
    let site: Vec<&str> = held.iter().map(|h| &*h.site).collect();
    let received_at: Vec<i64> = held.iter().map(|h| h.received_at).collect();
    let insert = tx
        .prepare_cached(
            "INSERT INTO held (event_id, name, site, received_at, body)
             SELECT a, b, c, d, e
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])
                  WITH ORDINALITY AS h(a, b, c, d, e, n)
             WHERE NOT EXISTS (SELECT 1 FROM held WHERE event_id = h.a)
             ORDER BY n
             ON CONFLICT (event_id) DO NOTHING",
        )
        .await?;
    tx.execute(&insert, &[&event_id, &name, &site, &received_at, &bodies])
        .await?;
    bound(tx, "held", retention.held_ms, retention.held_rows, now).await
}

/// Releases replayed held events.
async fn release(tx: &Transaction<'_>, ingests: &[&Ingest]) -> Result<(), Failure> {
    let seqs: Vec<i64> = ingests
        .iter()
        .flat_map(|i| i.released.iter().copied())
        .collect();
    if seqs.is_empty() {
        return Ok(());
    }
    let delete = tx
        .prepare_cached("DELETE FROM held WHERE seq = ANY($1::bigint[])")
        .await?;
    tx.execute(&delete, &[&seqs]).await?;
    Ok(())
}

/// Deletes the rows of `table` (`held` or `rejected`) older than `max_age` ms, and the oldest
/// past the newest `max_rows` (counted by sequence number: rows released or deleted in between
/// only make fewer stay).
async fn bound(
    tx: &Transaction<'_>,
    table: &str,
    max_age: i64,
    max_rows: i64,
    now: i64,
) -> Result<(), Failure> {
    let old = tx
        .prepare_cached(&format!("DELETE FROM {table} WHERE received_at < $1"))
        .await?;
    tx.execute(&old, &[&now.saturating_sub(max_age)]).await?;
    let many = tx
        .prepare_cached(&format!(
            "DELETE FROM {table} WHERE seq <= (SELECT max(seq) FROM {table}) - $1"
        ))
        .await?;
    tx.execute(&many, &[&max_rows]).await?;
    Ok(())
}

/// Adds the group's data-quality counts: one row per (event, property, code, site), summed
/// here first (one statement may not change a row twice), the example the last one's.
async fn quality(tx: &Transaction<'_>, ingests: &[&Ingest]) -> Result<(), Failure> {
    struct Sum<'a> {
        count: i64,
        first: i64,
        last: i64,
        example: &'a str,
    }
    let mut sums: BTreeMap<(&str, &str, &str, &str), Sum<'_>> = BTreeMap::new();
    for c in ingests.iter().flat_map(|i| &i.quality) {
        let count = i64::try_from(c.count).unwrap_or(i64::MAX);
        sums.entry((&c.event, &c.property, &c.code, &c.site))
            .and_modify(|s| {
                s.count = s.count.saturating_add(count);
                s.first = s.first.min(c.at);
                s.last = s.last.max(c.at);
                s.example = &c.example;
            })
            .or_insert(Sum {
                count,
                first: c.at,
                last: c.at,
                example: &c.example,
            });
    }
    if sums.is_empty() {
        return Ok(());
    }
    let n = sums.len();
    let (mut event, mut property, mut code, mut site) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut count, mut first, mut last, mut example) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ((e, p, c, s), sum) in sums {
        event.push(e);
        property.push(p);
        code.push(c);
        site.push(s);
        count.push(sum.count);
        first.push(sum.first);
        last.push(sum.last);
        example.push(sum.example);
    }
    let upsert = tx
        .prepare_cached(
            "INSERT INTO quality (event, property, code, site, count, first_seen, last_seen, example)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
                                  $6::bigint[], $7::bigint[], $8::text[])
             ON CONFLICT (event, property, code, site) DO UPDATE SET
                 count = quality.count + excluded.count,
                 first_seen = LEAST(quality.first_seen, excluded.first_seen),
                 last_seen = GREATEST(quality.last_seen, excluded.last_seen),
                 example = excluded.example",
        )
        .await?;
    tx.execute(
        &upsert,
        &[
            &event, &property, &code, &site, &count, &first, &last, &example,
        ],
    )
    .await?;
    Ok(())
}
