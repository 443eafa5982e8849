//! Events in and out. Ingestion is a job for the writer (see [`super::writer`]), refused at once
//! with [`StoreError::Busy`] when its queue is full rather than waited for, so a burst of
//! beacons costs a 503 instead of memory; every query (events, completions, refused and held
//! events, quality counts) runs on the read pool (see [`super::reads`]), never in the writer's
//! way.

use std::sync::mpsc::TrySendError;

use tokio::sync::oneshot;

use super::writer::Job;
use super::{held, quality, reads, SqliteStore};
use crate::store::{
    CompletionQuery, EventPage, EventQuery, HeldSummary, Ingest, IngestOutcome, QualityRow,
    StoreError, StoredHeld, StoredRejection,
};

impl SqliteStore {
    pub(super) async fn ingest(&self, ingest: Ingest) -> Result<IngestOutcome, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .try_send(Job::Ingest(ingest, tx))
            .map_err(|e| match e {
                TrySendError::Full(_) => StoreError::Busy,
                TrySendError::Disconnected(_) => StoreError::Closed,
            })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    pub(super) async fn events(&self, query: EventQuery) -> Result<EventPage, StoreError> {
        self.read(move |conn| reads::events(conn, &query)).await
    }

    pub(super) async fn completions(
        &self,
        query: CompletionQuery,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        self.read(move |conn| reads::completions(conn, &query))
            .await
    }

    pub(super) async fn breakdown(
        &self,
        query: CompletionQuery,
        property: String,
    ) -> Result<Vec<(Option<String>, i64, u64)>, StoreError> {
        self.read(move |conn| reads::breakdown(conn, &query, &property))
            .await
    }

    pub(super) async fn reach(&self, query: CompletionQuery) -> Result<(u64, u64), StoreError> {
        self.read(move |conn| reads::reach(conn, &query)).await
    }

    pub(super) async fn rejected(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StoredRejection>, StoreError> {
        self.read(move |conn| reads::rejected(conn, before, limit))
            .await
    }

    pub(super) async fn held_summary(&self) -> Result<Vec<HeldSummary>, StoreError> {
        self.read(held::summary).await
    }

    pub(super) async fn held(
        &self,
        name: String,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredHeld>, StoreError> {
        self.read(move |conn| held::page(conn, &name, after, limit))
            .await
    }

    pub(super) async fn quality(
        &self,
        site: Option<String>,
        event: Option<String>,
        since: i64,
    ) -> Result<Vec<QualityRow>, StoreError> {
        self.read(move |conn| quality::list(conn, site.as_deref(), event.as_deref(), since))
            .await
    }
}
