//! Queries over stored events on PostgreSQL: listings, reports, refused and held events and
//! data-quality counts, with SQLite's answers (`store/sqlite/reads.rs`).

use super::{not_yet, PgStore};
use crate::store::{
    CompletionQuery, EventPage, EventQuery, HeldSummary, QualityRow, StoreError, StoredHeld,
    StoredRejection,
};

impl PgStore {
    pub(super) async fn events(&self, _query: EventQuery) -> Result<EventPage, StoreError> {
        Err(not_yet("events"))
    }

    pub(super) async fn completions(
        &self,
        _query: CompletionQuery,
    ) -> Result<Vec<(i64, u64)>, StoreError> {
        Err(not_yet("completions"))
    }

    pub(super) async fn breakdown(
        &self,
        _query: CompletionQuery,
        _property: String,
    ) -> Result<Vec<(Option<String>, i64, u64)>, StoreError> {
        Err(not_yet("breakdown"))
    }

    pub(super) async fn reach(&self, _query: CompletionQuery) -> Result<(u64, u64), StoreError> {
        Err(not_yet("reach"))
    }

    pub(super) async fn rejected(
        &self,
        _before: Option<i64>,
        _limit: usize,
    ) -> Result<Vec<StoredRejection>, StoreError> {
        Err(not_yet("rejected"))
    }

    pub(super) async fn held_summary(&self) -> Result<Vec<HeldSummary>, StoreError> {
        Err(not_yet("held_summary"))
    }

    pub(super) async fn held(
        &self,
        _name: String,
        _after: i64,
        _limit: usize,
    ) -> Result<Vec<StoredHeld>, StoreError> {
        Err(not_yet("held"))
    }

    pub(super) async fn quality(
        &self,
        _site: Option<String>,
        _event: Option<String>,
        _since: i64,
    ) -> Result<Vec<QualityRow>, StoreError> {
        Err(not_yet("quality"))
    }
}
