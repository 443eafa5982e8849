//! Runs one import: a blocking thread reads the file and turns rows into completions
//! ([`super::RowPlan`]) in batches, while this task stores each batch through the same store
//! path as the HTTP API (`EventStore::ingest`, the writer's group commit), so beacons keep
//! being answered between batches. At most two batches wait between the two: memory stays
//! bounded whatever the file's size.
//!
//! After each stored batch the job's checkpoint moves (the last line stored, the length of
//! `refused.csv`): a collector killed mid-import resumes after the checkpoint, and any row of
//! the batch in flight is sent again and found already stored (its id is derived from the
//! import and the line, see [`super::rows`]).

use std::io::{Seek, Write};
use std::sync::Arc;
use std::time::Duration;

use super::jobs::{ImportState, Job};
use super::{
    check_mapping, identity, parse_target, DateReader, ImportError, RowPlan, RowRefusal, RowSource,
};
use crate::csv_cell::csv_cell;
use crate::model::{DefinitionChange, PropertyDef};
use crate::store::{EventStore, Ingest, StoreError};
use crate::timestamp::now_ms;

/// Rows per batch: one store request each.
const BATCH_ROWS: usize = 2_000;

/// What the reader hands over: a batch, or the end.
enum Read {
    Batch(Batch),
    End(Result<(), ImportError>),
}

struct Batch {
    ingest: Ingest,
    /// Refused rows, with their cells as text (for `refused.csv`).
    refused: Vec<(RowRefusal, Vec<String>)>,
    last_line: u64,
    rows_read: u64,
    bytes_read: u64,
}

/// Runs the job to its end (done, failed or cancelled), writing its status as it goes.
pub async fn run(job: Arc<Job>, store: Arc<dyn EventStore>) {
    let outcome = drive(&job, store).await;
    let cancelled = job.cancelled();
    let _ = job.update(|s| {
        s.finished_at = Some(now_ms());
        match outcome {
            Ok(()) if cancelled => s.state = ImportState::Cancelled,
            Ok(()) => {
                s.state = ImportState::Done;
                s.bytes_read = s.total_bytes;
            }
            Err(e) => {
                s.state = ImportState::Failed;
                s.error = Some(e);
            }
        }
    });
}

async fn drive(job: &Arc<Job>, store: Arc<dyn EventStore>) -> Result<(), String> {
    let status = job.status();
    // The new properties the mapping asks for (already there when resuming).
    let targets = status
        .mapping
        .iter()
        .map(|t| parse_target(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut def = store
        .definition(&status.event)
        .ok_or_else(|| format!("event \"{}\" no longer exists", status.event))?;
    for target in &targets {
        if let super::Target::NewEventProperty { name, label, kind } = target {
            if def.properties.iter().any(|p| &p.name == name) {
                continue;
            }
            def = store
                .change_definition(
                    def.name.clone(),
                    DefinitionChange::AddProperty(PropertyDef {
                        label: label.clone(),
                        ..PropertyDef::plain(name, *kind, &[], now_ms())
                    }),
                )
                .await
                .map_err(|e| format!("could not add the property \"{name}\": {e:?}"))?;
        }
    }
    let props: Vec<(&str, &str)> = def
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.label.as_str()))
        .collect();
    // New properties are existing ones now: map them as such.
    let targets: Vec<super::Target> = targets
        .into_iter()
        .map(|t| match t {
            super::Target::NewEventProperty { name, .. } => super::Target::EventProperty(name),
            t => t,
        })
        .collect();
    let mapping = check_mapping(&status.header, &targets, &props).map_err(|e| e.to_string())?;
    let format = status
        .date_format
        .parse()
        .map_err(|e: super::DateError| e.to_string())?;
    let plan = RowPlan {
        event: def.clone(),
        headers: status.header.clone(),
        mapping,
        dates: DateReader::new(format, &status.time_zone).map_err(|e| e.to_string())?,
        identity: identity(&status.file_hash, &status.event),
        now_ms: now_ms(),
    };
    if !status.workflows {
        // Before any row is stored, so that none enrolls anyone.
        store
            .opt_out_of_enrollment(format!("imp-{}-", plan.identity))
            .await
            .map_err(|e| format!("opting out of workflows failed: {e:?}"))?;
    }
    let mut refused_file = open_refused(job, &status.header, status.refused_bytes)
        .map_err(|e| format!("refused.csv: {e}"))?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Read>(2);
    let reader_job = job.clone();
    let path = job.upload();
    let sheet = status.sheet.clone();
    let skip_through = status.checkpoint_line;
    let reader = tokio::task::spawn_blocking(move || {
        let end = read(
            &reader_job,
            &path,
            sheet.as_deref(),
            skip_through,
            &plan,
            &tx,
        );
        let _ = tx.blocking_send(Read::End(end));
    });
    let mut result = Ok(());
    while let Some(read) = rx.recv().await {
        match read {
            Read::Batch(batch) => {
                if let Err(e) = store_batch(job, &store, &mut refused_file, batch).await {
                    result = Err(e);
                    job.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                    break;
                }
            }
            Read::End(end) => {
                if let Err(e) = end {
                    result = Err(e.to_string());
                }
                break;
            }
        }
    }
    drop(rx);
    let _ = reader.await;
    result
}

/// `refused.csv`, cut back to `length` (the checkpoint's) or started with its header row: the
/// file's columns, then where and why.
fn open_refused(job: &Job, header: &[String], length: u64) -> std::io::Result<std::fs::File> {
    let path = job.refused_path();
    if length == 0 {
        let mut file = std::fs::File::create(&path)?;
        let mut line: Vec<String> = header.iter().map(|h| csv_cell(h)).collect();
        line.extend(["Line".into(), "Column".into(), "Reason".into()]);
        writeln!(file, "{}", line.join(","))?;
        return Ok(file);
    }
    let mut file = std::fs::OpenOptions::new().write(true).open(&path)?;
    file.set_len(length)?;
    file.seek(std::io::SeekFrom::End(0))?;
    Ok(file)
}

/// The reading thread: every row after `skip_through`, in batches, until the end, a file
/// problem, or a cancel.
fn read(
    job: &Job,
    path: &std::path::Path,
    sheet: Option<&str>,
    skip_through: u64,
    plan: &RowPlan,
    tx: &tokio::sync::mpsc::Sender<Read>,
) -> Result<(), ImportError> {
    let mut source = RowSource::open_path(path, sheet)?;
    let mut batch = new_batch();
    while let Some(row) = source.next() {
        if job.cancelled() {
            break;
        }
        let line = match &row {
            Ok(r) => r.line,
            Err(r) => r.line,
        };
        batch.rows_read += 1;
        if line <= skip_through {
            continue;
        }
        batch.last_line = line;
        let converted = match row {
            // A row the reader could not split into the header's columns: its cells are not
            // known, its line is (refused.csv keeps its columns aligned with empty cells).
            Err(refusal) => Err((refusal, vec![String::new(); plan.headers.len()])),
            Ok(row) => plan.convert(&row).map_err(|refusal| {
                let cells = row.cells.iter().map(|c| c.as_text().into_owned()).collect();
                (refusal, cells)
            }),
        };
        match converted {
            Ok((event, contact)) => {
                batch.ingest.events.push(event);
                batch.ingest.contacts.extend(contact);
            }
            Err((refusal, cells)) => batch.refused.push((refusal, cells)),
        }
        if batch.ingest.events.len() + batch.refused.len() >= BATCH_ROWS {
            let rows_read = batch.rows_read;
            batch.bytes_read = source.bytes_read();
            if tx.blocking_send(Read::Batch(batch)).is_err() {
                return Ok(());
            }
            batch = new_batch();
            batch.rows_read = rows_read;
        }
    }
    batch.bytes_read = source.bytes_read();
    let _ = tx.blocking_send(Read::Batch(batch));
    source.finish().map(|_| ())
}

fn new_batch() -> Batch {
    Batch {
        ingest: Ingest::default(),
        refused: Vec::new(),
        last_line: 0,
        rows_read: 0,
        bytes_read: 0,
    }
}

/// Stores a batch (waiting while the writer's queue is full, so beacons go first), writes its
/// refused rows, and moves the checkpoint.
async fn store_batch(
    job: &Job,
    store: &Arc<dyn EventStore>,
    refused_file: &mut std::fs::File,
    batch: Batch,
) -> Result<(), String> {
    let outcome = if batch.ingest.events.is_empty() && batch.ingest.contacts.is_empty() {
        Default::default()
    } else {
        loop {
            match store.ingest(batch.ingest.clone()).await {
                Ok(outcome) => break outcome,
                Err(StoreError::Busy) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(e) => return Err(format!("storing rows failed: {e:?}")),
            }
        }
    };
    for (refusal, cells) in &batch.refused {
        let mut line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        line.push(refusal.line.to_string());
        line.push(csv_cell(refusal.column.as_deref().unwrap_or("")));
        line.push(csv_cell(&refusal.reason));
        writeln!(refused_file, "{}", line.join(",")).map_err(|e| e.to_string())?;
    }
    refused_file.flush().map_err(|e| e.to_string())?;
    let refused_bytes = refused_file.metadata().map_err(|e| e.to_string())?.len();
    job.update(|s| {
        s.stored += outcome.stored as u64;
        s.duplicates += outcome.duplicates as u64;
        s.refused += batch.refused.len() as u64;
        s.rows_read = s.rows_read.max(batch.rows_read);
        s.bytes_read = s.bytes_read.max(batch.bytes_read);
        if batch.last_line > 0 {
            s.checkpoint_line = batch.last_line;
        }
        s.refused_bytes = refused_bytes;
    })
    .map_err(|e| e.to_string())
}
