//! The completions report on PostgreSQL: counts per bucket, per value of a property, and
//! distinct contacts and visitors, with SQLite's answers and its choice of source
//! (`store/sqlite/reads.rs`): over whole hours, the hourly counts (`event_hours`, or
//! `value_hours` for an enumeration listed in `value_counts`) and their reach sketches
//! answer, a few rows per hour whatever the volume; anything else counts the completions.
//!
//! The ingest keeps those tables in the transaction that stores the events, as SQLite's
//! writer does, so both sources agree; what is read here is one statement's snapshot.

use deadpool_postgres::Object;

use super::reads::{has_value, json_key, Params};
use super::PgStore;
use crate::store::sqlite::hours::HOUR_MS;
use crate::store::sqlite::reach::Sketch;
use crate::store::{CompletionQuery, StoreError};

/// Which hourly counts can answer a query over whole hours.
enum Counts {
    /// `event_hours`: the query has no property filter.
    Events,
    /// `value_hours`, for this (property, option): the filter is on a counted enumeration.
    Values(String, String),
    /// None: the completions must be read.
    None,
}

/// Whether the completions of `name` are counted per option of `property`.
async fn counted(client: &Object, name: &str, property: &str) -> Result<bool, StoreError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM value_counts WHERE name = $1 AND property = $2",
            &[&name, &property],
        )
        .await?
        .is_some())
}

/// Which hourly counts can answer `q`'s filter (the range is checked by the caller).
async fn counted_filter(client: &Object, q: &CompletionQuery) -> Result<Counts, StoreError> {
    Ok(match &q.property {
        None => Counts::Events,
        Some((property, value)) if counted(client, &q.name, property).await? => {
            Counts::Values(property.clone(), value.clone())
        }
        Some(_) => Counts::None,
    })
}

/// The parameters every report binds first: `$1` from, `$2` width, `$3` name, `$4` to.
fn range(q: &CompletionQuery) -> Params {
    let mut p = Params::default();
    p.bind(q.from);
    p.bind(q.width);
    p.bind(q.name.clone());
    p.bind(q.to);
    p
}

/// The `WHERE` over the completions of a report, its parameters bound after [`range`]'s.
fn completions_filter(q: &CompletionQuery) -> (String, Params) {
    let mut p = range(q);
    let mut sql = String::from("WHERE name = $3 AND occurred_at >= $1 AND occurred_at < $4");
    if let Some((property, value)) = &q.property {
        let key = p.bind(json_key(property));
        let value = p.bind(value.clone());
        sql.push_str(" AND ");
        sql.push_str(&has_value("props", "defaults", &key, &value));
    }
    (sql, p)
}

/// Whether `times` are all whole hours.
fn whole_hours(times: &[i64]) -> bool {
    times.iter().all(|t| t % HOUR_MS == 0)
}

impl PgStore {
    pub(super) async fn completions(
        &self,
        q: CompletionQuery,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        let client = self.pool.get().await?;
        let counts = if whole_hours(&[q.from, q.width, q.to]) {
            counted_filter(&client, &q).await?
        } else {
            Counts::None
        };
        let hours = |table: &str, filter: &str| {
            format!(
                "SELECT (hour * {HOUR_MS} - $1::bigint) / $2::bigint AS bucket, SUM(count)::bigint FROM {table}
                 WHERE name = $3 {filter} AND hour >= $1::bigint / {HOUR_MS} AND hour < $4::bigint / {HOUR_MS}
                 GROUP BY bucket ORDER BY bucket"
            )
        };
        let (sql, p) = match counts {
            Counts::Events => (hours("event_hours", ""), range(&q)),
            Counts::Values(property, value) => {
                let mut p = range(&q);
                p.bind(property);
                p.bind(value);
                (hours("value_hours", "AND property = $5 AND value = $6"), p)
            }
            Counts::None => {
                let (filter, p) = completions_filter(&q);
                (
                    format!(
                        "SELECT (occurred_at - $1) / $2 AS bucket, COUNT(*) FROM events {filter}
                         GROUP BY bucket ORDER BY bucket"
                    ),
                    p,
                )
            }
        };
        let rows = client.query(&sql, &p.refs()).await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), u64::try_from(r.get::<_, i64>(1)).unwrap_or(0)))
            .collect())
    }

    pub(super) async fn breakdown(
        &self,
        q: CompletionQuery,
        property: String,
    ) -> Result<Vec<(Option<String>, i64, u64)>, StoreError> {
        let client = self.pool.get().await?;
        let from_counts = whole_hours(&[q.from, q.width, q.to])
            && q.property.is_none()
            && counted(&client, &q.name, &property).await?;
        let (sql, p) = if from_counts {
            let mut p = range(&q);
            p.bind(property);
            (
                format!(
                    "SELECT NULLIF(value, ''), (hour * {HOUR_MS} - $1::bigint) / $2::bigint AS bucket,
                            SUM(count)::bigint
                     FROM value_hours
                     WHERE name = $3 AND property = $5
                       AND hour >= $1::bigint / {HOUR_MS} AND hour < $4::bigint / {HOUR_MS}
                     GROUP BY value, bucket"
                ),
                p,
            )
        } else {
            let (filter, mut p) = completions_filter(&q);
            let key = p.bind(json_key(&property));
            (
                format!(
                    "SELECT COALESCE(props ->> {key}::text, defaults ->> {key}::text) AS v,
                            (occurred_at - $1) / $2 AS bucket, COUNT(*)
                     FROM events {filter}
                     GROUP BY v, bucket"
                ),
                p,
            )
        };
        let rows = client.query(&sql, &p.refs()).await?;
        // A value holding several options (`a;b`) counts under each, as the filter finds it
        // under each; sorted as SQLite's answer is.
        let mut sums: std::collections::BTreeMap<(Option<String>, i64), u64> = Default::default();
        for row in rows {
            let value: Option<String> = row.get(0);
            let bucket: i64 = row.get(1);
            let count = u64::try_from(row.get::<_, i64>(2)).unwrap_or(0);
            let mut options: Vec<&str> = value
                .as_deref()
                .unwrap_or("")
                .split(';')
                .filter(|o| !o.is_empty())
                .collect();
            options.sort_unstable();
            options.dedup();
            if options.is_empty() {
                *sums.entry((None, bucket)).or_default() += count;
            }
            for option in options {
                *sums.entry((Some(option.to_owned()), bucket)).or_default() += count;
            }
        }
        Ok(sums.into_iter().map(|((v, b), c)| (v, b, c)).collect())
    }

    pub(super) async fn reach(&self, q: CompletionQuery) -> Result<(u64, u64), StoreError> {
        let client = self.pool.get().await?;
        if let Some(estimate) = reach_from_sketches(&client, &q).await? {
            return Ok(estimate);
        }
        let (filter, p) = completions_filter(&q);
        // (`$2`, the bucket width, is bound for the shared filter; the statement must use it.)
        let sql = format!(
            "SELECT COUNT(DISTINCT object_id),
                    COUNT(DISTINCT CASE WHEN object_id IS NULL THEN vid END)
             FROM events {filter} AND $2::bigint IS NOT NULL"
        );
        let row = client.query_one(&sql, &p.refs()).await?;
        Ok((
            u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
            u64::try_from(row.get::<_, i64>(1)).unwrap_or(0),
        ))
    }
}

/// Reach from the hourly sketches (`store/sqlite/reach.rs`): for a range of whole hours
/// without a filter, or filtered on a counted enumeration, when every hour of the range that
/// has completions has its sketches. `None` when the completions must be counted instead.
async fn reach_from_sketches(
    client: &Object,
    q: &CompletionQuery,
) -> Result<Option<(u64, u64)>, StoreError> {
    if !whole_hours(&[q.from, q.to]) {
        return Ok(None);
    }
    let (from, to) = (q.from / HOUR_MS, q.to / HOUR_MS);
    let rows = match counted_filter(client, q).await? {
        Counts::Events => {
            client
                .query(
                    "SELECT contacts, visitors FROM event_hours
                     WHERE name = $1 AND hour >= $2 AND hour < $3",
                    &[&q.name, &from, &to],
                )
                .await?
        }
        Counts::Values(property, value) => {
            client
                .query(
                    "SELECT contacts, visitors FROM value_hours
                     WHERE name = $1 AND property = $4 AND value = $5 AND hour >= $2 AND hour < $3",
                    &[&q.name, &from, &to, &property, &value],
                )
                .await?
        }
        Counts::None => return Ok(None),
    };
    let (mut contacts, mut visitors) = (Sketch::default(), Sketch::default());
    for row in rows {
        let (Some(c), Some(v)) = (row.get::<_, Option<Vec<u8>>>(0), row.get(1)) else {
            return Ok(None);
        };
        let (Some(c), Some(v)) = (Sketch::from_bytes(c), Sketch::from_bytes(v)) else {
            return Ok(None);
        };
        contacts.merge(&c);
        visitors.merge(&v);
    }
    Ok(Some((contacts.estimate(), visitors.estimate())))
}
