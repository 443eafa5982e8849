//! The PostgreSQL backend (issue 19, `docs/postgres.md`): several collectors on one database,
//! with SQLite's answers. [`PgStore`] holds a pool and the caches every collector keeps
//! in memory, kept current across collectors by notifications ([`listen`], [`reloads`]); the
//! schema and its migrations are in [`schema`]; each concern has its file, as SQLite's store:
//! [`sites`], [`keys`], [`tokens`], [`definitions`] and [`values`], [`rules`], [`sessions`];
//! ingestion, batched by one writer task per collector ([`ingest`]; what a transaction writes,
//! and why `seq` order is commit order, in [`ingest_group`]); the reads ([`reads`], [`reports`],
//! [`contacts`]) and the workflows ([`workflows`]).

mod contacts;
mod definitions;
mod ingest;
mod ingest_contacts;
mod ingest_group;
mod ingest_held;
mod ingest_hours;
mod keys;
mod leader;
mod listen;
mod nul;
mod partitions;
mod reads;
mod reloads;
mod reports;
mod rules;
pub mod schema;
mod sessions;
mod sites;
mod tokens;
mod values;
mod workflows;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::StoreError;
use crate::model::{DefinitionChange, EventDefinition, Rule, Site};
use crate::store::{
    ApiKey, CompletionQuery, ContactDetail, ContactKey, ContactPage, ContactQuery, ContactRecord,
    ContactRecordQuery, Enrollment, EnrollmentBatch, EventPage, EventQuery, EventStore,
    HeldSummary, HistoryEntry, Ingest, IngestOutcome, QualityRow, Retention, RuleSet, SavedRule,
    SeqEvent, StepChange, StoredHeld, StoredRejection, VisualizerToken,
};
use crate::workflows::Workflow;

impl From<tokio_postgres::Error> for StoreError {
    /// Losing the database (a closed connection, a server shutting down or restarting, a
    /// network error) is `Busy`, answered 503 with `Retry-After`: the tracker and API clients
    /// retry, and the pool makes new connections once the database is back. So is a
    /// serialization failure or deadlock, which a retry resolves. Anything else is a bug.
    fn from(err: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let retryable = err.is_closed()
            || match err.code() {
                Some(code) => {
                    let class = &code.code()[..2];
                    class == "08" // connection exception
                        || class == "57" // operator intervention: shutdown, cannot connect now
                        || class == "53" // insufficient resources: too many connections
                        || *code == SqlState::T_R_SERIALIZATION_FAILURE
                        || *code == SqlState::T_R_DEADLOCK_DETECTED
                }
                // No SQLSTATE: the connection itself failed (I/O, connect, timeout) when the
                // cause is an I/O error; anything else (a parameter of the wrong type) is a bug.
                None => std::error::Error::source(&err)
                    .is_some_and(|cause| cause.is::<std::io::Error>()),
            };
        if retryable {
            tracing::warn!(error = %err, "the database is unavailable; answering 503");
            StoreError::Busy
        } else {
            StoreError::Internal(format!("postgres: {err}"))
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        match err {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            deadpool_postgres::PoolError::Timeout(_) => {
                tracing::warn!("no database connection in time; answering 503");
                StoreError::Busy
            }
            deadpool_postgres::PoolError::Closed => StoreError::Closed,
            other => StoreError::Internal(format!("postgres pool: {other}")),
        }
    }
}

/// The channel of the notifications a change sends, its payload the table changed.
pub(crate) const CHANNEL: &str = "wasmtrack";

/// Connections a collector keeps open to the database.
const POOL_SIZE: usize = 16;

/// How long making a connection may take before the request is answered 503.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a request waits for a free connection before it is answered 503.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a collector keeps in memory, read on every request: the same on every collector,
/// within a notification's delay.
pub(crate) struct Caches {
    pub sites: RwLock<BTreeMap<String, Arc<Site>>>,
    /// API keys by the hash of their secret.
    pub keys: RwLock<BTreeMap<String, Arc<ApiKey>>>,
    /// Event definitions by name.
    pub definitions: RwLock<BTreeMap<String, Arc<EventDefinition>>>,
    /// Each site's auto-tracking rules, by site (a site without rules has no entry).
    pub rules: RwLock<BTreeMap<String, Arc<RuleSet>>>,
    /// Workflows by id.
    pub workflows: RwLock<BTreeMap<u64, Arc<Workflow>>>,
    /// The `seq` of the newest committed completion on any collector: raised by this
    /// collector's commits and by the `events:<seq>` notifications of the others'.
    pub commits: tokio::sync::watch::Sender<i64>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            sites: RwLock::default(),
            keys: RwLock::default(),
            definitions: RwLock::default(),
            rules: RwLock::default(),
            workflows: RwLock::default(),
            commits: tokio::sync::watch::channel(0).0,
        }
    }
}

impl Caches {
    /// Raises the newest committed `seq` to `seq` (never lowers it: notifications may arrive
    /// out of order).
    pub fn committed(&self, seq: i64) {
        self.commits.send_if_modified(|newest| {
            let raised = seq > *newest;
            if raised {
                *newest = seq;
            }
            raised
        });
    }
}

/// Which database `url` names, without its password, for logs and errors.
pub fn redacted(url: &str) -> String {
    let Ok(config) = tokio_postgres::Config::from_str(url) else {
        return "(an unreadable PostgreSQL URL)".into();
    };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{}:{port}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// One collector's view of the shared database.
pub struct PgStore {
    pool: Pool,
    caches: Arc<Caches>,
    listener: tokio::task::JoinHandle<()>,
    /// Whether this collector runs the workflows ([`leader`]), and the task that decides.
    leading: tokio::sync::watch::Sender<bool>,
    leader: tokio::task::JoinHandle<()>,
    /// The task that writes ingested events ([`ingest`]).
    writer: ingest::Writer,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`), brings the schema up to date, loads the caches and
    /// starts following the other collectors' changes.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        Self::open_with(url, Retention::default()).await
    }

    /// [`open`](Self::open) keeping held and refused events as `retention` says.
    pub async fn open_with(url: &str, retention: Retention) -> Result<PgStore, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Internal(format!("{}: {e}", redacted(url))))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Internal(format!("postgres pool: {e}")))?;
        {
            let mut client = pool.get().await?;
            schema::migrate(&mut client).await?;
        }
        let caches = Arc::new(Caches::default());
        let (loaded, first_load) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(listen::follow(
            url.to_owned(),
            pool.clone(),
            caches.clone(),
            loaded,
        ));
        first_load
            .await
            .map_err(|_| StoreError::Internal("the listener stopped before loading".into()))??;
        let mut partitions = partitions::Partitions::default();
        partitions
            .around_now(&pool, crate::timestamp::now_ms())
            .await;
        let writer = ingest::Writer::start(pool.clone(), caches.clone(), retention, partitions);
        let (leading, _) = tokio::sync::watch::channel(false);
        let leader = tokio::spawn(leader::run(url.to_owned(), leading.clone()));
        Ok(PgStore {
            leading,
            leader,
            pool,
            caches,
            listener,
            writer,
        })
    }

    /// Stops following changes and writing (a write in progress is rolled back, its requests
    /// answered `Closed`); the pool's connections close as they are dropped.
    pub fn close(&self) {
        self.listener.abort();
        self.leader.abort();
        self.writer.abort();
        self.pool.close();
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
        self.leader.abort();
        self.writer.abort();
    }
}

/// Sends the notification that `table` changed, in the transaction that changed it: others
/// hear of it once it commits, and never of a change rolled back.
async fn notify(tx: &deadpool_postgres::Transaction<'_>, table: &str) -> Result<(), StoreError> {
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &table])
        .await?;
    Ok(())
}

// A trait's impl is one block and cannot be split across files, so this one only forwards to
// the inherent method of the same name, in the file of what it touches (as SQLite's does).
#[async_trait]
impl EventStore for PgStore {
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

    async fn close(&self) {
        self.finish_writes().await;
        self.close();
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

    async fn contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        self.contacts(query).await
    }

    fn workflows(&self) -> Vec<Arc<Workflow>> {
        self.workflows()
    }

    fn workflow(&self, id: u64) -> Option<Arc<Workflow>> {
        self.workflow(id)
    }

    async fn save_workflow(&self, workflow: Workflow) -> Result<Arc<Workflow>, StoreError> {
        self.save_workflow(workflow).await
    }

    async fn delete_workflow(&self, id: u64) -> Result<(), StoreError> {
        self.delete_workflow(id).await
    }

    async fn enrollment_cursor(&self) -> Result<i64, StoreError> {
        self.enrollment_cursor().await
    }

    async fn enroll(&self, batch: EnrollmentBatch) -> Result<u64, StoreError> {
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
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.enrollments(workflow, limit).await
    }

    async fn events_since(&self, after: i64, limit: usize) -> Result<Vec<SeqEvent>, StoreError> {
        self.events_since(after, limit).await
    }

    async fn due_enrollments(
        &self,
        workflows: Vec<u64>,
        now: i64,
        except: Vec<i64>,
        limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError> {
        self.due_enrollments(workflows, now, except, limit).await
    }

    async fn next_wake(&self, workflows: Vec<u64>) -> Result<Option<i64>, StoreError> {
        self.next_wake(workflows).await
    }

    async fn enrollment(&self, id: i64) -> Result<Option<Enrollment>, StoreError> {
        self.enrollment(id).await
    }

    async fn enrollment_history(&self, id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        self.enrollment_history(id).await
    }

    async fn change_steps(&self, changes: Vec<StepChange>) -> Result<Vec<bool>, StoreError> {
        self.change_steps(changes).await
    }

    fn commits(&self) -> tokio::sync::watch::Receiver<i64> {
        self.caches.commits.subscribe()
    }

    fn leading(&self) -> tokio::sync::watch::Receiver<bool> {
        self.leading.subscribe()
    }

    async fn contact_record(&self, key: ContactKey) -> Result<Option<ContactRecord>, StoreError> {
        self.contact_record(key).await
    }

    async fn contact_records(
        &self,
        query: ContactRecordQuery,
    ) -> Result<(Vec<ContactRecord>, u64), StoreError> {
        self.contact_records(query).await
    }

    async fn contact(&self, id: i64) -> Result<Option<ContactDetail>, StoreError> {
        self.contact(id).await
    }

    async fn open_session(
        &self,
        id_hash: String,
        session: crate::store::SessionRecord,
        idle_ms: i64,
    ) -> Result<(), StoreError> {
        self.open_session(id_hash, session, idle_ms).await
    }

    async fn find_session(
        &self,
        id_hash: String,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<crate::store::SessionRecord>, StoreError> {
        self.find_session(id_hash, now, idle_ms).await
    }

    async fn close_session(&self, id_hash: String) -> Result<(), StoreError> {
        self.close_session(id_hash).await
    }
}
