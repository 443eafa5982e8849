//! Storing completions on PostgreSQL: batched as SQLite's writer batches them (see
//! `docs/postgres.md`).

use super::{not_yet, PgStore};
use crate::store::{Ingest, IngestOutcome, StoreError};

impl PgStore {
    pub(super) async fn ingest(&self, _ingest: Ingest) -> Result<IngestOutcome, StoreError> {
        Err(not_yet("ingest"))
    }
}
