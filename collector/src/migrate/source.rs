//! The SQLite side: `DATA_DIR/wasmtrack.db` opened read-only, everything read inside one read
//! transaction (a single moment of the file, even if something wrote to it meanwhile), and
//! each table streamed in primary-key order from where the last run stopped, a batch at a time,
//! by a thread of its own that keeps at most [`AHEAD`] batches ahead of the writes.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio::sync::mpsc;
use tokio_postgres::types::Type;

use super::value::Value;
use crate::store::SqliteStore;

/// Batches read ahead of the one being written: reading and writing overlap, and memory stays
/// a few batches whatever the table's size.
const AHEAD: usize = 2;

/// The database file, open and read-only.
pub(super) struct Source {
    conn: Connection,
    path: PathBuf,
}

/// What the reader reads of one table.
pub(super) struct ReadPlan {
    /// Its place in [`super::tables::TABLES`], given back with its batches.
    pub table: usize,
    pub name: &'static str,
    /// The columns, in the target's order, and their types on the target.
    pub columns: Vec<String>,
    pub types: Vec<Type>,
    /// The key's columns, as places in `columns`.
    pub key: Vec<usize>,
    /// The key of the last row already copied, if any.
    pub after: Option<Vec<Value>>,
}

/// What the reader sends.
pub(super) enum Read {
    /// Rows of a table, in key order.
    Batch {
        table: usize,
        rows: Vec<Vec<Value>>,
        /// Values changed on the way (see [`super::value`]).
        repaired: u64,
    },
    /// Every row of the table has been sent.
    Done { table: usize },
}

impl Source {
    /// Opens `data_dir`'s database read-only and starts the read transaction. Refuses a file
    /// of another schema version than this collector's.
    pub fn open(data_dir: &Path) -> anyhow::Result<Source> {
        let path = data_dir.join(crate::DB_FILE);
        if !path.is_file() {
            bail!(
                "{}: no database there (--from names the collector's data directory)",
                path.display()
            );
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("{}: cannot open it", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA cache_size = -65536; BEGIN")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let latest = SqliteStore::schema_version() as i64;
        if version != latest {
            bail!(
                "{}: the database is at schema version {version}; this collector migrates version \
                 {latest}. Start this version of the collector on it once (it upgrades the file), \
                 stop it, then migrate",
                path.display()
            );
        }
        // The transaction reads its moment of the file from its first read on: the version
        // just read. Everything after sees the same rows.
        Ok(Source { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows in `table`.
    pub fn count(&self, table: &str) -> anyhow::Result<u64> {
        let n: i64 =
            self.conn
                .query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |r| {
                    r.get(0)
                })?;
        Ok(n as u64)
    }

    /// The highest value of an integer `column` of `table`, or 0.
    pub fn max(&self, table: &str, column: &str) -> anyhow::Result<i64> {
        Ok(self.conn.query_row(
            &format!("SELECT COALESCE(MAX(\"{column}\"), 0) FROM \"{table}\""),
            [],
            |r| r.get(0),
        )?)
    }

    /// The highest id AUTOINCREMENT ever gave in `table` (deleted rows included), or 0.
    pub fn autoincrement(&self, table: &str) -> anyhow::Result<i64> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    /// A row of `counters`, if there.
    pub fn counter(&self, name: &str) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The first instant (epoch ms, UTC) of each month an event occurred in. Events too far
    /// from now for SQLite's calendar (after the year 9999) have none: they go to the default
    /// partition, as the collector's own writes would.
    pub fn event_months(&self) -> anyhow::Result<Vec<i64>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT unixepoch(strftime('%Y-%m-01', occurred_at / 1000.0, 'unixepoch')) * 1000
               FROM events",
        )?;
        let months = stmt
            .query_map([], |r| r.get::<_, Option<i64>>(0))?
            .filter_map(Result::transpose)
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(months)
    }

    /// Starts the thread that reads `plans` in order, `batch_rows` rows a batch. It stops at
    /// the end, or when the receiver is dropped (a run stopped early).
    pub fn read(
        self,
        plans: Vec<ReadPlan>,
        batch_rows: usize,
    ) -> (
        mpsc::Receiver<Read>,
        std::thread::JoinHandle<anyhow::Result<()>>,
    ) {
        let (sender, receiver) = mpsc::channel(AHEAD);
        let reader = std::thread::Builder::new()
            .name("migrate-read".into())
            .spawn(move || {
                for plan in &plans {
                    if !self.read_table(plan, batch_rows.max(1), &sender)? {
                        break;
                    }
                }
                Ok(())
            })
            .expect("a thread to read SQLite");
        (receiver, reader)
    }

    /// Sends the rows of one table after its `after` key; false when the receiver is gone.
    fn read_table(
        &self,
        plan: &ReadPlan,
        batch_rows: usize,
        sender: &mpsc::Sender<Read>,
    ) -> anyhow::Result<bool> {
        let quoted = |c: &str| format!("\"{c}\"");
        let columns: Vec<String> = plan.columns.iter().map(|c| quoted(c)).collect();
        let key: Vec<String> = plan.key.iter().map(|&i| columns[i].clone()).collect();
        let mut sql = format!("SELECT {} FROM \"{}\"", columns.join(", "), plan.name);
        if let Some(after) = &plan.after {
            // A row value: SQLite compares it column by column, as the ORDER BY sorts.
            let params: Vec<String> = (1..=after.len()).map(|i| format!("?{i}")).collect();
            sql += &format!(" WHERE ({}) > ({})", key.join(", "), params.join(", "));
        }
        sql += &format!(" ORDER BY {}", key.join(", "));
        let mut stmt = self
            .conn
            .prepare(&sql)
            .with_context(|| format!("reading {}", plan.name))?;
        let params: Vec<rusqlite::types::Value> = plan
            .after
            .iter()
            .flatten()
            .map(|v| match v {
                Value::Int(n) => rusqlite::types::Value::Integer(*n),
                Value::Real(x) => rusqlite::types::Value::Real(*x),
                Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
                Value::Blob(b) => rusqlite::types::Value::Blob(b.clone()),
                Value::Null => rusqlite::types::Value::Null,
            })
            .collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut batch = Vec::with_capacity(batch_rows);
        let mut repaired = 0;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(plan.columns.len());
            for (i, ty) in plan.types.iter().enumerate() {
                values.push(Value::from_sqlite(row.get_ref(i)?, ty, &mut repaired));
            }
            batch.push(values);
            if batch.len() == batch_rows {
                let rows = std::mem::replace(&mut batch, Vec::with_capacity(batch_rows));
                let read = Read::Batch {
                    table: plan.table,
                    rows,
                    repaired: std::mem::take(&mut repaired),
                };
                if sender.blocking_send(read).is_err() {
                    return Ok(false);
                }
            }
        }
        if !batch.is_empty() {
            let read = Read::Batch {
                table: plan.table,
                rows: batch,
                repaired,
            };
            if sender.blocking_send(read).is_err() {
                return Ok(false);
            }
        }
        Ok(sender
            .blocking_send(Read::Done { table: plan.table })
            .is_ok())
    }
}
