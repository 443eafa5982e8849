//! [`SqliteStore`]: the embedded database, one file (`wasmtrack.db`) in WAL mode.
//!
//! # Design
//! One writer thread owns the only writing connection and receives jobs on a bounded channel
//! (see [`writer`]); queries run on a small pool of read-only connections in blocking tasks
//! (see [`reads`]). Definitions and sites, read on every beacon, and each site's rules, read
//! on every page view, are loaded at open and kept in memory; the writer updates that copy
//! after each commit that changes them, so memory never shows what the file does not hold.
//! The visualizer's tables are in [`rules`]; how event ids stay unique is in [`event_ids`];
//! checkpoints run on a thread of their own ([`checkpoint`]).
//!
//! The store's methods live beside what they touch: what is answered from memory in
//! [`caches`], then [`sites`], [`definitions`], [`rules`], [`keys`] and [`events`]; this file
//! opens the store and routes the [`EventStore`] trait to them.

mod activity;
mod caches;
pub mod checkpoint;
mod contacts;
mod crm;
pub(crate) mod definitions;
mod enrollment_steps;
pub(crate) mod enrollments;
pub mod event_ids;
mod events;
mod held;
pub(crate) mod hours;
mod id_filter;
#[cfg(test)]
mod kept_tests;
mod keys;
mod quality;
pub(crate) mod reach;
mod reads;
pub(crate) mod rules;
mod schema;
mod sites;
#[cfg(test)]
mod tests;
pub(crate) mod values;
mod workflows;
mod writer;

use std::path::Path;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use rusqlite::Connection;
use std::sync::mpsc::{self, SyncSender};
use tokio::sync::oneshot;

use crate::model::{DefinitionChange, EventDefinition, Rule, Site};
use crate::store::{
    ApiKey, CompletionQuery, EventPage, EventQuery, EventStore, HeldSummary, Ingest, IngestOutcome,
    QualityRow, Retention, RuleSet, SavedRule, StoreError, StoredHeld, StoredRejection,
    VisualizerToken,
};
use caches::{Definitions, Keys, RuleSets, Sites};
use event_ids::EventIds;
use reads::ReadPool;
use writer::Job;

/// Write jobs (requests) that may wait for the writer; past this, ingestion answers 503.
pub const WRITE_QUEUE_JOBS: usize = 64;

/// The SQLite implementation of [`EventStore`].
pub struct SqliteStore {
    jobs: SyncSender<Job>,
    reads: Arc<ReadPool>,
    definitions: Definitions,
    sites: Sites,
    rules: RuleSets,
    keys: Keys,
    workflows: Arc<RwLock<std::collections::BTreeMap<u64, Arc<crate::workflows::Workflow>>>>,
    commits: tokio::sync::watch::Receiver<i64>,
    /// The analyst app's sessions: in memory, this store being one process's.
    sessions: crate::store::sessions::MemorySessions,
    /// Always `true`: one process runs the workflows of its file.
    leading: tokio::sync::watch::Sender<bool>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, migrates it, loads
    /// definitions and sites, and starts the writer thread. Must run inside a Tokio runtime.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, Retention::default())
    }

    /// [`open`](Self::open) keeping held and refused events as `retention` says.
    pub fn open_with(path: &Path, retention: Retention) -> Result<Self, StoreError> {
        Self::open_tuned(path, event_ids::Tuning::default(), retention)
    }

    /// [`open`](Self::open) with other sizes for event ids (see [`event_ids::Tuning`]).
    fn open_tuned(
        path: &Path,
        tuning: event_ids::Tuning,
        retention: Retention,
    ) -> Result<Self, StoreError> {
        let mut conn = schema::open_writer(path)?;
        schema::migrate(&mut conn)?;
        let loaded = definitions::load(&conn)?;
        values::reconcile(&mut conn, &loaded)?;
        let definitions = Arc::new(RwLock::new(loaded));
        let sites = Arc::new(RwLock::new(sites::load(&conn)?));
        let rules = Arc::new(RwLock::new(rules::load(&conn)?));
        let keys = Arc::new(RwLock::new(keys::load(&conn)?));
        let workflows = Arc::new(RwLock::new(workflows::load(&conn)?));
        let ids = EventIds::load_tuned(&conn, tuning)?;
        let checkpoints = checkpoint::Checkpointer::start(path)?;
        let (jobs, rx) = mpsc::sync_channel(WRITE_QUEUE_JOBS);
        let newest: Option<i64> =
            conn.query_row("SELECT MAX(seq) FROM events", [], |r| r.get(0))?;
        let (commits_tx, commits) = tokio::sync::watch::channel(newest.unwrap_or(0));
        let context = writer::Context {
            retention,
            enumerations: values::Enumerations(definitions.clone()),
            commits: commits_tx,
        };
        std::thread::Builder::new()
            .name("wasmtrack-writer".into())
            .spawn(move || writer::run(conn, ids, checkpoints, rx, context))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            jobs,
            reads: Arc::new(ReadPool::new(path.to_owned())),
            definitions,
            sites,
            rules,
            keys,
            workflows,
            commits,
            sessions: Default::default(),
            leading: tokio::sync::watch::channel(true).0,
        })
    }

    /// The schema version this collector migrates files to.
    pub fn schema_version() -> usize {
        schema::latest()
    }

    /// Creates a new database file at `path` at an older schema `version` (1 or later), as a
    /// collector of that version left it, for tests of the migrations.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: usize) -> Result<(), StoreError> {
        let mut conn = schema::open_writer(path)?;
        schema::migrate_to(&mut conn, version)
    }

    /// Runs `work` on the writer thread and waits for its answer.
    async fn admin<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.admin_with_ids(move |conn, _| work(conn)).await
    }

    /// [`admin`](Self::admin) for work that deletes events, and so must update their ids.
    async fn admin_with_ids<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection, &mut EventIds) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let definitions = self.definitions.clone();
        let job = Job::Admin(Box::new(move |conn, ids| {
            let done = work(conn, ids);
            // A definition may have changed: the counts of its enumerations follow before the
            // answer, and before the writer stores any other event (see `values`). Were that
            // to fail, the change is made but the caller hears of the failure.
            let counted = values::reconcile(conn, &caches::read_lock(&definitions));
            let _ = tx.send(done.and_then(|v| counted.map(|()| v)));
        }));
        self.enqueue(job).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues a job that must not be refused for a full queue (it waits on a blocking thread).
    async fn enqueue(&self, job: Job) -> Result<(), StoreError> {
        let jobs = self.jobs.clone();
        // `send` hands a refused job back in its error; it is dropped at once below.
        #[allow(clippy::result_large_err)]
        tokio::task::spawn_blocking(move || jobs.send(job))
            .await
            .map_err(|e| StoreError::Internal(format!("queue task: {e}")))?
            .map_err(|_| StoreError::Closed)
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let pool = self.reads.clone();
        tokio::task::spawn_blocking(move || pool.with(work))
            .await
            .map_err(|e| StoreError::Internal(format!("read task: {e}")))?
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(format!("encode: {e}")))
}

// A trait's impl is one block and cannot be split across files, so this one only forwards:
// each method calls the store's inherent method of the same name, which lives in the file of
// what it touches. Method lookup takes an inherent method before a trait's, so `self.site(id)`
// below reaches that method, never this impl again.
#[async_trait]
impl EventStore for SqliteStore {
    fn site(&self, id: &str) -> Option<Arc<Site>> {
        self.site(id)
    }

    fn sites(&self) -> Vec<Arc<Site>> {
        self.sites()
    }

    async fn put_site(
        &self,
        id: String,
        origins: Vec<String>,
        create_only: bool,
    ) -> Result<(Arc<Site>, bool), StoreError> {
        self.put_site(id, origins, create_only).await
    }

    async fn delete_site(&self, id: String) -> Result<(), StoreError> {
        self.delete_site(id).await
    }

    fn rules(&self, site: &str) -> Option<Arc<RuleSet>> {
        self.rules(site)
    }

    async fn create_rule(&self, rule: Rule) -> Result<SavedRule, StoreError> {
        self.create_rule(rule).await
    }

    async fn delete_rule(&self, site: String, id: u64) -> Result<(), StoreError> {
        self.delete_rule(site, id).await
    }

    async fn issue_visualizer_token(
        &self,
        site: String,
        expires_at: i64,
    ) -> Result<VisualizerToken, StoreError> {
        self.issue_visualizer_token(site, expires_at).await
    }

    async fn visualizer_token(&self, token: String) -> Result<Option<VisualizerToken>, StoreError> {
        self.visualizer_token(token).await
    }

    async fn revoke_visualizer_tokens(
        &self,
        token: Option<String>,
        site: Option<String>,
    ) -> Result<usize, StoreError> {
        self.revoke_visualizer_tokens(token, site).await
    }

    fn definition(&self, name: &str) -> Option<Arc<EventDefinition>> {
        self.definition(name)
    }

    fn definitions(&self) -> Vec<Arc<EventDefinition>> {
        self.definitions()
    }

    async fn create_definition(
        &self,
        def: EventDefinition,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        self.create_definition(def).await
    }

    async fn change_definition(
        &self,
        name: String,
        change: DefinitionChange,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        self.change_definition(name, change).await
    }

    async fn delete_definition(
        &self,
        name: String,
        with_rules: bool,
    ) -> Result<Vec<Arc<Rule>>, StoreError> {
        self.delete_definition(name, with_rules).await
    }

    async fn ingest(&self, ingest: Ingest) -> Result<IngestOutcome, StoreError> {
        self.ingest(ingest).await
    }

    async fn events(&self, query: EventQuery) -> Result<EventPage, StoreError> {
        self.events(query).await
    }

    async fn completions(&self, query: CompletionQuery) -> Result<Vec<(i64, u64)>, StoreError> {
        self.completions(query).await
    }

    async fn rejected(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StoredRejection>, StoreError> {
        self.rejected(before, limit).await
    }

    async fn held_summary(&self) -> Result<Vec<HeldSummary>, StoreError> {
        self.held_summary().await
    }

    async fn held(
        &self,
        name: String,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredHeld>, StoreError> {
        self.held(name, after, limit).await
    }

    async fn quality(
        &self,
        site: Option<String>,
        event: Option<String>,
        since: i64,
    ) -> Result<Vec<QualityRow>, StoreError> {
        self.quality(site, event, since).await
    }

    fn key(&self, hash: &str) -> Option<Arc<ApiKey>> {
        self.key(hash)
    }

    fn keys(&self) -> Vec<Arc<ApiKey>> {
        self.keys()
    }

    async fn create_key(&self, key: ApiKey, hash: String) -> Result<Arc<ApiKey>, StoreError> {
        self.create_key(key, hash).await
    }

    async fn revoke_key(&self, id: i64) -> Result<(), StoreError> {
        self.revoke_key(id).await
    }

    async fn breakdown(
        &self,
        query: CompletionQuery,
        property: String,
    ) -> Result<Vec<(Option<String>, i64, u64)>, StoreError> {
        self.breakdown(query, property).await
    }

    async fn reach(&self, query: CompletionQuery) -> Result<(u64, u64), StoreError> {
        self.reach(query).await
    }

    async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.enqueue(Job::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    // Contacts, for the analyst app (in `contacts.rs`).
    async fn contacts(
        &self,
        query: crate::store::ContactQuery,
    ) -> Result<crate::store::ContactPage, StoreError> {
        self.contacts(query).await
    }

    fn workflows(&self) -> Vec<Arc<crate::workflows::Workflow>> {
        self.workflows()
    }

    fn workflow(&self, id: u64) -> Option<Arc<crate::workflows::Workflow>> {
        self.workflow(id)
    }

    async fn save_workflow(
        &self,
        workflow: crate::workflows::Workflow,
    ) -> Result<Arc<crate::workflows::Workflow>, StoreError> {
        self.save_workflow(workflow).await
    }

    async fn delete_workflow(&self, id: u64) -> Result<(), StoreError> {
        self.delete_workflow(id).await
    }

    async fn enrollment_cursor(&self) -> Result<i64, StoreError> {
        self.enrollment_cursor().await
    }

    async fn enroll(&self, batch: crate::store::EnrollmentBatch) -> Result<u64, StoreError> {
        self.enroll(batch).await
    }

    async fn opt_out_of_enrollment(&self, prefix: String) -> Result<(), StoreError> {
        self.opt_out_of_enrollment(prefix).await
    }

    async fn enrollment_opt_outs(&self) -> Result<Vec<String>, StoreError> {
        self.enrollment_opt_outs().await
    }

    async fn enrollments(
        &self,
        workflow: u64,
        limit: usize,
    ) -> Result<Vec<crate::store::Enrollment>, StoreError> {
        self.enrollments(workflow, limit).await
    }

    async fn events_since(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<crate::store::SeqEvent>, StoreError> {
        self.read(move |conn| reads::events_since(conn, after, limit))
            .await
    }

    fn commits(&self) -> tokio::sync::watch::Receiver<i64> {
        self.commits.clone()
    }

    fn leading(&self) -> tokio::sync::watch::Receiver<bool> {
        self.leading.subscribe()
    }

    async fn due_enrollments(
        &self,
        workflows: Vec<u64>,
        now: i64,
        except: Vec<i64>,
        limit: usize,
    ) -> Result<Vec<crate::store::Enrollment>, StoreError> {
        self.due_enrollments(workflows, now, except, limit).await
    }

    async fn next_wake(&self, workflows: Vec<u64>) -> Result<Option<i64>, StoreError> {
        self.next_wake(workflows).await
    }

    async fn enrollment(&self, id: i64) -> Result<Option<crate::store::Enrollment>, StoreError> {
        self.enrollment(id).await
    }

    async fn enrollment_history(
        &self,
        id: i64,
    ) -> Result<Vec<crate::store::HistoryEntry>, StoreError> {
        self.enrollment_history(id).await
    }

    async fn change_steps(
        &self,
        changes: Vec<crate::store::StepChange>,
    ) -> Result<Vec<bool>, StoreError> {
        self.change_steps(changes).await
    }

    async fn contact_record(
        &self,
        key: crate::store::ContactKey,
    ) -> Result<Option<crate::store::ContactRecord>, StoreError> {
        self.contact_record(key).await
    }

    async fn contact_records(
        &self,
        query: crate::store::ContactRecordQuery,
    ) -> Result<(Vec<crate::store::ContactRecord>, u64), StoreError> {
        self.contact_records(query).await
    }

    async fn contact(&self, id: i64) -> Result<Option<crate::store::ContactDetail>, StoreError> {
        self.contact(id).await
    }

    async fn open_session(
        &self,
        id_hash: String,
        session: crate::store::SessionRecord,
        idle_ms: i64,
    ) -> Result<(), StoreError> {
        self.sessions.open(id_hash, session, idle_ms);
        Ok(())
    }

    async fn find_session(
        &self,
        id_hash: String,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<crate::store::SessionRecord>, StoreError> {
        Ok(self.sessions.find(&id_hash, now, idle_ms))
    }

    async fn close_session(&self, id_hash: String) -> Result<(), StoreError> {
        self.sessions.close(&id_hash);
        Ok(())
    }
}
