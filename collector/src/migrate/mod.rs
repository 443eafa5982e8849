//! `wasmtrack-collector migrate --from DATA_DIR --to postgres://…` (issue 19, point 6): copies
//! a collector's SQLite database into PostgreSQL, so that an existing installation moves to
//! several collectors on one database with its history.
//!
//! # Design
//! * **Streamed.** Each table is read in primary-key order by one thread ([`source`]) and
//!   written a batch at a time with binary `COPY` ([`target`]); memory holds a few batches,
//!   whatever the database's size.
//! * **Resumable.** Each batch commits with its table's last key in `migration_progress`, so a
//!   run stopped anywhere (killed, the network lost) is started again and continues after the
//!   last committed batch: no row twice, none missing.
//! * **The same answers.** Rows are copied as they are (same ids, seqs, timestamps); JSON text
//!   becomes `jsonb`, blobs `bytea`; `event_ids` is filled with each event's de-duplication id;
//!   sequences are set past every number SQLite gave, so nothing is numbered twice.
//! * **Only into its own target.** A target holding rows from elsewhere is refused untouched.
//!
//! The source should not change while it is copied: stop the collector first. The whole run
//! reads one moment of the file (one read transaction), but rows a collector changes between
//! two runs of an interrupted migration would be missed.

pub mod cli;
mod source;
mod tables;
mod target;
mod value;

use std::path::Path;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use source::{Read, ReadPlan, Source};
use tables::TABLES;
use target::{Numbers, Target};

/// Rows per batch (and per transaction on the target).
pub const BATCH_ROWS: usize = 5_000;

/// How to run a migration.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rows per batch; at least 1.
    pub batch_rows: usize,
    /// Stop after this many batches, as an interrupted run would (tests of resuming).
    pub stop_after_batches: Option<u64>,
    /// Show progress bars on standard error (only when it is a terminal).
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_rows: BATCH_ROWS,
            stop_after_batches: None,
            progress: true,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Each table: rows copied by this run, rows copied in all, rows in the source.
    pub tables: Vec<TableReport>,
    /// Whether every table is copied and the sequences set: the target is ready.
    pub complete: bool,
    /// Values changed because PostgreSQL cannot hold them (NUL characters, invalid UTF-8),
    /// each now with U+FFFD in their place.
    pub repaired: u64,
}

/// One table's part of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub name: &'static str,
    /// Rows copied by this run.
    pub copied_now: u64,
    /// Rows copied by every run so far.
    pub copied: u64,
    /// Rows in the source.
    pub total: u64,
}

/// Copies `data_dir`'s SQLite database into the PostgreSQL database at `url`, or continues an
/// interrupted copy. Errors say what to do; a target refused is not changed.
pub async fn run(data_dir: &Path, url: &str, options: &Options) -> anyhow::Result<Report> {
    let source = Source::open(data_dir)?;
    let mut target = Target::connect(url).await?;
    let progress = target.prepare().await?;

    let mut shapes = Vec::with_capacity(TABLES.len());
    let mut plans = Vec::with_capacity(TABLES.len());
    let mut tables = Vec::with_capacity(TABLES.len());
    for (i, table) in TABLES.iter().enumerate() {
        let shape = target.shape(table).await?;
        let done = progress.get(table.name);
        plans.push(ReadPlan {
            table: i,
            name: table.name,
            columns: shape.columns.clone(),
            types: shape.types.clone(),
            key: shape.key.clone(),
            after: done.map(|p| p.after.clone()),
        });
        shapes.push(shape);
        let copied = done.map_or(0, |p| p.copied);
        tables.push(TableReport {
            name: table.name,
            copied_now: 0,
            copied,
            total: source.count(table.name)?,
        });
    }
    let numbers = Numbers::read(&source)?;
    // Before any event is copied, so that each goes to its month and none to the default
    // partition (whose rows would stop that month's partition from being made later).
    target.ensure_months(&source.event_months()?).await?;
    tracing::debug!(source = %source.path().display(), "migrating");

    let mut bars = Bars::new(options.progress);
    let (mut reads, reader) = source.read(plans, options.batch_rows);
    let mut batches = 0u64;
    let mut repaired = 0;
    let mut stopped = false;
    while let Some(read) = reads.recv().await {
        match read {
            Read::Batch {
                table,
                rows,
                repaired: changed,
            } => {
                if options.stop_after_batches.is_some_and(|n| batches >= n) {
                    stopped = true;
                    break;
                }
                let report = &mut tables[table];
                let copied = report.copied + rows.len() as u64;
                target
                    .write(&TABLES[table], &shapes[table], &rows, copied)
                    .await?;
                report.copied = copied;
                report.copied_now += rows.len() as u64;
                repaired += changed;
                batches += 1;
                bars.show(report);
            }
            Read::Done { table } => bars.done(&tables[table]),
        }
    }
    drop(reads);
    let read = tokio::task::spawn_blocking(move || reader.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the thread reading SQLite panicked"))?;
    if stopped {
        target.release().await?;
        return Ok(Report {
            tables,
            complete: false,
            repaired,
        });
    }
    read?;
    target.finish(&numbers).await?;
    target.release().await?;
    Ok(Report {
        tables,
        complete: true,
        repaired,
    })
}

/// One progress bar per table, rows copied of the rows there; drawn only on a terminal.
struct Bars {
    multi: MultiProgress,
    bars: std::collections::BTreeMap<&'static str, ProgressBar>,
}

impl Bars {
    fn new(show: bool) -> Bars {
        // `stderr()` draws nothing when standard error is not a terminal (a log, a pipe).
        let target = if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Default::default(),
        }
    }

    fn bar(&mut self, table: &TableReport) -> ProgressBar {
        self.bars
            .entry(table.name)
            .or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new(table.total));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>21} {bar:30} {human_pos}/{human_len} rows ({eta} left)",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(table.name);
                bar
            })
            .clone()
    }

    fn show(&mut self, table: &TableReport) {
        let bar = self.bar(table);
        bar.set_length(table.total.max(table.copied));
        bar.set_position(table.copied);
    }

    fn done(&mut self, table: &TableReport) {
        if table.total == 0 && !self.bars.contains_key(table.name) {
            return; // nothing to show: an empty table is not worth a line
        }
        self.show(table);
        self.bar(table).finish();
    }
}
