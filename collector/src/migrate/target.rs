//! The PostgreSQL side: the schema brought up to date, the target checked, each batch written
//! with binary `COPY` in a transaction that also records how far its table got (so a run
//! stopped anywhere resumes with no row twice and none missing), and at the end the sequences
//! set past every copied number.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

use super::tables::{Ids, Table, EVENTS, TABLES};
use super::value::Value;
use crate::store::postgres::{redacted, schema};
use crate::store::StoreError;

/// The advisory lock a migration holds for its whole run, so that two runs into one
/// database cannot interleave (any constant; this one spells "wtmigrat").
const MIGRATION_LOCK: i64 = 0x7774_6d69_6772_6174;

/// How far each table got: its last key copied, and how many rows so far. Written in the
/// transaction of each batch; left in place afterwards, as the record that the target's rows
/// came from this migration.
const PROGRESS_TABLE: &str = "CREATE TABLE IF NOT EXISTS migration_progress (
    table_name text PRIMARY KEY,
    last_key jsonb NOT NULL,        -- the key's columns, as a JSON array
    copied bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)";

/// A table's columns on the target, in its order, with their types.
#[derive(Clone)]
pub(super) struct Shape {
    pub columns: Vec<String>,
    pub types: Vec<Type>,
    /// The key's columns, as places in `columns`.
    pub key: Vec<usize>,
}

/// Where a table's copy stands.
pub(super) struct Progress {
    pub after: Vec<Value>,
    pub copied: u64,
}

/// What the end of a migration sets from the source.
pub(super) struct Numbers {
    /// For each table of [`TABLES`] with a serial key, the highest id SQLite gave.
    pub ids: Vec<(&'static str, &'static str, i64)>,
    /// The highest event `seq`.
    pub events_seq: i64,
    /// The last rule-list version given.
    pub rules_version: i64,
    /// The workflows' enrollment cursor.
    pub enrolled_through: i64,
}

/// A connection to the target.
pub(super) struct Target {
    client: Client,
}

impl Target {
    pub async fn connect(url: &str) -> anyhow::Result<Target> {
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .with_context(|| format!("cannot connect to {}", redacted(url)))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "the connection to the target closed");
            }
        });
        // Not the notices of `CREATE … IF NOT EXISTS` on every run: a log line each.
        client
            .batch_execute("SET client_min_messages = warning")
            .await?;
        Ok(Target { client })
    }

    /// Takes the migration's lock, brings the schema up to date, checks that the target holds
    /// nothing but what this migration copied, and returns each table's progress. A target
    /// refused is left as it was.
    pub async fn prepare(&mut self) -> anyhow::Result<BTreeMap<String, Progress>> {
        // A few seconds' patience: the session of a run that just ended may still be closing.
        let mut tries = 0;
        while !self
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?
            .get::<_, bool>(0)
        {
            tries += 1;
            if tries == 50 {
                bail!("another migration into this database is running; wait for it to end");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        schema::migrate(&mut self.client)
            .await
            .map_err(store_error)?;
        let tx = self.client.transaction().await?;
        tx.batch_execute(PROGRESS_TABLE).await?;
        let mut progress = BTreeMap::new();
        for row in tx
            .query(
                "SELECT table_name, last_key::text, copied FROM migration_progress",
                &[],
            )
            .await?
        {
            let key: serde_json::Value = serde_json::from_str(row.get(1))?;
            let after = match key {
                serde_json::Value::Array(values) => values.iter().map(Value::from_json).collect(),
                other => bail!("migration_progress: an unreadable key {other}"),
            };
            let copied: i64 = row.get(2);
            progress.insert(
                row.get(0),
                Progress {
                    after,
                    copied: copied as u64,
                },
            );
        }
        refuse_foreign_rows(&tx, &progress).await?;
        // Commits the progress table on a target seen for the first time; a refused one is
        // rolled back by the error above, as it was.
        tx.commit().await?;
        Ok(progress)
    }

    /// Lets another run start at once (closing the connection would too, a moment later).
    pub async fn release(&self) -> anyhow::Result<()> {
        self.client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        Ok(())
    }

    /// The columns of `table` on the target.
    pub async fn shape(&self, table: &Table) -> anyhow::Result<Shape> {
        let stmt = self
            .client
            .prepare(&format!("SELECT * FROM \"{}\"", table.name))
            .await?;
        let columns: Vec<String> = stmt.columns().iter().map(|c| c.name().to_owned()).collect();
        let types = stmt.columns().iter().map(|c| c.type_().clone()).collect();
        let key = table
            .key
            .iter()
            .map(|k| {
                columns
                    .iter()
                    .position(|c| c == k)
                    .ok_or_else(|| anyhow!("{}: no key column {k} on the target", table.name))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Shape {
            columns,
            types,
            key,
        })
    }

    /// Creates the month partitions of `events` for these months (their first instants).
    pub async fn ensure_months(&self, months: &[i64]) -> anyhow::Result<()> {
        for month in months {
            self.client
                .execute("SELECT wasmtrack_ensure_partitions($1, 1)", &[month])
                .await?;
        }
        Ok(())
    }

    /// Writes one batch of `table` and records its last key and `copied` (the table's rows
    /// copied so far, these included) in one transaction. A batch of `events` fills
    /// `event_ids` too.
    pub async fn write(
        &mut self,
        table: &Table,
        shape: &Shape,
        rows: &[Vec<Value>],
        copied: u64,
    ) -> anyhow::Result<()> {
        let Some(last) = rows.last() else {
            return Ok(());
        };
        let last_key: Vec<serde_json::Value> =
            shape.key.iter().map(|&i| last[i].to_json()).collect();
        let tx = self.client.transaction().await?;
        let columns: Vec<String> = shape.columns.iter().map(|c| format!("\"{c}\"")).collect();
        copy(
            &tx,
            &format!("\"{}\" ({})", table.name, columns.join(", ")),
            &shape.types,
            rows.iter()
                .map(|row| row.iter().map(|v| v as &(dyn ToSql + Sync)).collect()),
        )
        .await
        .with_context(|| format!("copying {} after {}", table.name, describe(rows)))?;
        if table.name == EVENTS {
            copy_event_ids(&tx, shape, rows).await?;
        }
        tx.execute(
            "INSERT INTO migration_progress (table_name, last_key, copied)
             VALUES ($1, $2::text::jsonb, $3)
             ON CONFLICT (table_name) DO UPDATE
             SET last_key = excluded.last_key, copied = excluded.copied, updated_at = now()",
            &[
                &table.name,
                &serde_json::Value::Array(last_key).to_string(),
                &(copied as i64),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets every sequence past the numbers SQLite gave (never lowering one), the enrollment
    /// cursor, and tells collectors already running on the target to reload their caches.
    pub async fn finish(&mut self, numbers: &Numbers) -> anyhow::Result<()> {
        let tx = self.client.transaction().await?;
        let raise = "SELECT setval(s, v) FROM (
                SELECT $1::text::regclass AS s,
                       GREATEST($2::bigint, COALESCE(pg_sequence_last_value($1::text::regclass), 0)) AS v
            ) x WHERE v > 0";
        for (table, column, highest) in &numbers.ids {
            let sequence: String = tx
                .query_one("SELECT pg_get_serial_sequence($1, $2)", &[table, column])
                .await?
                .get(0);
            tx.execute(raise, &[&sequence, highest]).await?;
        }
        tx.execute(raise, &[&"events_seq", &numbers.events_seq])
            .await?;
        tx.execute(raise, &[&"rules_version", &numbers.rules_version])
            .await?;
        tx.execute(
            "INSERT INTO counters (name, value) VALUES ('enrolled_through', $1)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[&numbers.enrolled_through],
        )
        .await?;
        for cache in ["sites", "api_keys", "definitions", "rules", "workflows"] {
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[&crate::store::postgres::CHANNEL, &cache],
            )
            .await?;
        }
        tx.commit().await?;
        // Fresh statistics, so that the first queries are planned for the rows now there.
        self.client.batch_execute("ANALYZE").await?;
        Ok(())
    }
}

/// Refuses a target holding rows this migration did not copy: on a first run, any row at
/// all; on a later one, events after the last one copied (a collector wrote to the target
/// meanwhile), which would mix two histories under one numbering.
async fn refuse_foreign_rows(
    tx: &tokio_postgres::Transaction<'_>,
    progress: &BTreeMap<String, Progress>,
) -> anyhow::Result<()> {
    if progress.is_empty() {
        let events: bool = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM events)", &[])
            .await?
            .get(0);
        if events {
            bail!(
                "the target already holds events that no migration copied there: migrate into \
                 a new, empty database (nothing was changed)"
            );
        }
        let mut taken = Vec::new();
        for name in TABLES.iter().map(|t| t.name).chain(["event_ids"]) {
            let any: bool = tx
                .query_one(&format!("SELECT EXISTS (SELECT 1 FROM \"{name}\")"), &[])
                .await?
                .get(0);
            if any {
                taken.push(name);
            }
        }
        if !taken.is_empty() {
            bail!(
                "the target already holds rows in {} (has a collector run on it?): migrate into \
                 a new, empty database (nothing was changed)",
                taken.join(", ")
            );
        }
        return Ok(());
    }
    let copied_through = match progress.get(EVENTS).and_then(|p| p.after.first()) {
        Some(Value::Int(seq)) => *seq,
        _ => i64::MIN,
    };
    let foreign: i64 = tx
        .query_one(
            "SELECT COUNT(*) FROM events WHERE seq > $1",
            &[&copied_through],
        )
        .await?
        .get(0);
    if foreign > 0 {
        bail!(
            "the target holds {foreign} events that this migration did not copy (has a collector \
             written to it since the migration began?): migrate into a new, empty database \
             (nothing was changed)"
        );
    }
    Ok(())
}

/// `COPY target FROM STDIN BINARY` of `rows`.
async fn copy<'a>(
    tx: &tokio_postgres::Transaction<'_>,
    target: &str,
    types: &[Type],
    rows: impl Iterator<Item = Vec<&'a (dyn ToSql + Sync)>>,
) -> Result<u64, tokio_postgres::Error> {
    let sink = tx
        .copy_in(&format!("COPY {target} FROM STDIN BINARY"))
        .await?;
    let writer = BinaryCopyInWriter::new(sink, types);
    let mut writer = std::pin::pin!(writer);
    for row in rows {
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await
}

/// One row of `event_ids` per event of the batch: its de-duplication id (an API event's id in
/// its own namespace, as the store keeps it) and when it occurred.
async fn copy_event_ids(
    tx: &tokio_postgres::Transaction<'_>,
    shape: &Shape,
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    let at = |name: &str| {
        shape
            .columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| anyhow!("events: no column {name} on the target"))
    };
    let (id, site, occurred_at) = (at("id")?, at("site")?, at("occurred_at")?);
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let Value::Text(event_id) = &row[id] else {
            bail!("events: an event without an id ({:?})", row[id]);
        };
        let from_api = row[site] == Value::Null;
        let dedupe = crate::store::sqlite::event_ids::dedupe_id(event_id, from_api);
        ids.push((Value::Text(dedupe.into_owned()), row[occurred_at].clone()));
    }
    copy(
        tx,
        "event_ids (id, occurred_at)",
        &[Type::TEXT, Type::INT8],
        ids.iter()
            .map(|(id, at)| vec![id as &(dyn ToSql + Sync), at as &(dyn ToSql + Sync)]),
    )
    .await
    .with_context(|| format!("copying the ids of events after {}", describe(rows)))?;
    Ok(())
}

/// Where a batch starts, for errors: its first row's first column.
fn describe(rows: &[Vec<Value>]) -> String {
    rows.first()
        .and_then(|r| r.first())
        .map_or_else(String::new, |v| format!("the row {}", v.to_json()))
}

fn store_error(err: StoreError) -> anyhow::Error {
    match err {
        StoreError::Internal(message) => anyhow!(message),
        other => anyhow!("the target database: {other:?}"),
    }
}

impl Numbers {
    /// Reads them from the source.
    pub fn read(source: &super::source::Source) -> anyhow::Result<Numbers> {
        let mut ids = Vec::new();
        for table in TABLES {
            if let Some(kind) = table.serial {
                let column = table.key[0];
                let mut highest = source.max(table.name, column)?;
                if kind == Ids::NeverReused {
                    highest = highest.max(source.autoincrement(table.name)?);
                }
                ids.push((table.name, column, highest));
            }
        }
        Ok(Numbers {
            ids,
            events_seq: source.max(EVENTS, "seq")?,
            rules_version: source
                .counter("rules_version")?
                .unwrap_or(0)
                .max(source.max("rule_versions", "version")?),
            enrolled_through: source.counter("enrolled_through")?.unwrap_or(0),
        })
    }
}
