//! Workflows and their enrollments on PostgreSQL: SQLite's rules (`store/sqlite/workflows.rs`,
//! `enrollments.rs`, `enrollment_steps.rs`); workflow definitions kept in every collector's
//! memory and reloaded on the `workflows` notification.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{not_yet, PgStore};
use crate::store::read_lock;
use crate::store::{Enrollment, EnrollmentBatch, HistoryEntry, SeqEvent, StepChange, StoreError};
use crate::workflows::Workflow;

/// Every workflow, by id.
pub(super) async fn load(
    _client: &tokio_postgres::Client,
) -> Result<BTreeMap<u64, Arc<Workflow>>, StoreError> {
    Ok(BTreeMap::new())
}

impl PgStore {
    /// Every workflow, from memory.
    pub(super) fn workflows(&self) -> Vec<Arc<Workflow>> {
        read_lock(&self.caches.workflows)
            .values()
            .cloned()
            .collect()
    }

    /// The workflow `id`, from memory.
    pub(super) fn workflow(&self, id: u64) -> Option<Arc<Workflow>> {
        read_lock(&self.caches.workflows).get(&id).cloned()
    }

    pub(super) async fn save_workflow(
        &self,
        _workflow: Workflow,
    ) -> Result<Arc<Workflow>, StoreError> {
        Err(not_yet("save_workflow"))
    }

    pub(super) async fn delete_workflow(&self, _id: u64) -> Result<(), StoreError> {
        Err(not_yet("delete_workflow"))
    }

    pub(super) async fn enrollment_cursor(&self) -> Result<i64, StoreError> {
        Err(not_yet("enrollment_cursor"))
    }

    pub(super) async fn enroll(&self, _batch: EnrollmentBatch) -> Result<u64, StoreError> {
        Err(not_yet("enroll"))
    }

    pub(super) async fn opt_out_of_enrollment(&self, _prefix: String) -> Result<(), StoreError> {
        Err(not_yet("opt_out_of_enrollment"))
    }

    pub(super) async fn enrollment_opt_outs(&self) -> Result<Vec<String>, StoreError> {
        Err(not_yet("enrollment_opt_outs"))
    }

    pub(super) async fn enrollments(
        &self,
        _workflow: u64,
        _limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        Err(not_yet("enrollments"))
    }

    pub(super) async fn events_since(
        &self,
        _after: i64,
        _limit: usize,
    ) -> Result<Vec<SeqEvent>, StoreError> {
        Err(not_yet("events_since"))
    }

    pub(super) async fn due_enrollments(
        &self,
        _workflows: Vec<u64>,
        _now: i64,
        _except: Vec<i64>,
        _limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        Err(not_yet("due_enrollments"))
    }

    pub(super) async fn next_wake(&self, _workflows: Vec<u64>) -> Result<Option<i64>, StoreError> {
        Err(not_yet("next_wake"))
    }

    pub(super) async fn enrollment(&self, _id: i64) -> Result<Option<Enrollment>, StoreError> {
        Err(not_yet("enrollment"))
    }

    pub(super) async fn enrollment_history(
        &self,
        _id: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        Err(not_yet("enrollment_history"))
    }

    pub(super) async fn change_steps(
        &self,
        _changes: Vec<StepChange>,
    ) -> Result<Vec<bool>, StoreError> {
        Err(not_yet("change_steps"))
    }
}
