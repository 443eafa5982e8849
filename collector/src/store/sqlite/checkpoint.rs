//! Checkpoints on a thread of their own, so the writer does not copy WAL pages into the
//! database file and sync both files between two groups of requests.
//!
//! # Design
//! In WAL mode a commit appends pages to the `-wal` file; a checkpoint copies them into the
//! database file, and with `synchronous = NORMAL` it is also when both files are synced. SQLite
//! runs it inside the commit that makes the WAL reach `wal_autocheckpoint` pages, on the
//! writer's thread: measured, a fifth of the writer's time under full load. Here, after
//! commits, the writer wakes this thread (never waiting for it), which runs a PASSIVE checkpoint
//! on its own connection at most every [`INTERVAL`]; PASSIVE copies what is committed without
//! taking any lock from the writer or the readers. The writer keeps its `wal_autocheckpoint`:
//! SQLite may only rewind the WAL to its start after a checkpoint that caught up with every
//! commit, which one running beside the writer rarely does, so the writer's own checkpoint, now
//! left with a few pages to copy, still bounds the WAL's size.
//!
//! Public so that the raw-SQLite reference of the benchmark (`bench/loadgen`) checkpoints as
//! the collector does.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::store::StoreError;

/// Least time between two checkpoints.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// The checkpointing thread; dropping this stops it (after the checkpoint it may be running).
pub struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection to the database at `path` and starts the thread.
    pub fn start(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        let (wake, woken) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("wasmtrack-checkpoint".into())
            .spawn(move || run(&conn, &woken))
            .map_err(|e| {
                StoreError::Internal(format!("cannot start the checkpoint thread: {e}"))
            })?;
        Ok(Checkpointer {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Tells the thread that something was committed (never blocks).
    pub fn committed(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        std::thread::sleep(INTERVAL);
        if woken.try_recv() == Err(TryRecvError::Disconnected) {
            return;
        }
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0));
        if let Err(err) = done {
            // The writer's own checkpoints still run; this one is tried after the next commit.
            tracing::warn!(error = %err, "background checkpoint failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn committed_pages_reach_the_database_file_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 CREATE TABLE t (x BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
                 INSERT INTO t SELECT randomblob(1000) FROM n;",
            )
            .unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        let checkpoints = Checkpointer::start(&path).unwrap();
        checkpoints.committed();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < before + 100 * 1000 {
            assert!(Instant::now() < deadline, "no checkpoint within 10 s");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
