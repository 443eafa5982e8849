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

pub mod checkpoint;
pub mod event_ids;
mod held;
mod id_filter;
mod keys;
mod quality;
mod reads;
mod rules;
mod schema;
#[cfg(test)]
mod tests;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use tokio::sync::oneshot;

use crate::error::ErrorDetail;
use crate::model::{ChangeError, DefinitionChange, EventDefinition, PrimaryObject, Rule, Site};
use crate::store::{
    ApiKey, CompletionQuery, EventPage, EventQuery, EventStore, HeldSummary, Ingest, IngestOutcome,
    QualityRow, Retention, RuleSet, SavedRule, StoreError, StoredHeld, StoredRejection,
    VisualizerToken,
};
use crate::timestamp::now_ms;
use event_ids::EventIds;
use reads::ReadPool;
use writer::Job;

/// Write jobs (requests) that may wait for the writer; past this, ingestion answers 503.
pub const WRITE_QUEUE_JOBS: usize = 64;

type Definitions = Arc<RwLock<BTreeMap<String, Arc<EventDefinition>>>>;
type Sites = Arc<RwLock<BTreeMap<String, Arc<Site>>>>;
type RuleSets = Arc<RwLock<BTreeMap<String, Arc<RuleSet>>>>;
type Keys = Arc<RwLock<BTreeMap<String, Arc<ApiKey>>>>;

/// The SQLite implementation of [`EventStore`].
pub struct SqliteStore {
    jobs: SyncSender<Job>,
    reads: Arc<ReadPool>,
    definitions: Definitions,
    sites: Sites,
    rules: RuleSets,
    keys: Keys,
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
        let definitions = Arc::new(RwLock::new(load_definitions(&conn)?));
        let sites = Arc::new(RwLock::new(load_sites(&conn)?));
        let rules = Arc::new(RwLock::new(rules::load(&conn)?));
        let keys = Arc::new(RwLock::new(keys::load(&conn)?));
        let ids = EventIds::load_tuned(&conn, tuning)?;
        let checkpoints = checkpoint::Checkpointer::start(path)?;
        let (jobs, rx) = mpsc::sync_channel(WRITE_QUEUE_JOBS);
        std::thread::Builder::new()
            .name("wasmtrack-writer".into())
            .spawn(move || writer::run(conn, ids, checkpoints, rx, retention))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            jobs,
            reads: Arc::new(ReadPool::new(path.to_owned())),
            definitions,
            sites,
            rules,
            keys,
        })
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
        let job = Job::Admin(Box::new(move |conn, ids| {
            let _ = tx.send(work(conn, ids));
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

fn load_definitions(
    conn: &Connection,
) -> Result<BTreeMap<String, Arc<EventDefinition>>, StoreError> {
    let mut stmt = conn.prepare("SELECT body FROM definitions")?;
    let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = BTreeMap::new();
    for body in bodies {
        let def: EventDefinition = serde_json::from_str(&body?)
            .map_err(|e| StoreError::Internal(format!("a stored definition is unreadable: {e}")))?;
        out.insert(def.name.clone(), Arc::new(def));
    }
    Ok(out)
}

fn load_sites(conn: &Connection) -> Result<BTreeMap<String, Arc<Site>>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT id, origins, public_key, created_at, updated_at FROM sites")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (id, origins, public_key, created_at, updated_at) = row?;
        let origins: Vec<String> = serde_json::from_str(&origins).map_err(|e| {
            StoreError::Internal(format!("stored origins of site {id} are unreadable: {e}"))
        })?;
        out.insert(
            id.clone(),
            Arc::new(Site {
                id,
                origins,
                public_key,
                created_at,
                updated_at,
            }),
        );
    }
    Ok(out)
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(format!("encode: {e}")))
}

fn write_definition(tx: &Connection, def: &EventDefinition) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE definitions SET body = ?1 WHERE id = ?2",
        (encode(def)?, def.id),
    )?;
    Ok(())
}

/// Inserts a new definition, assigning its id.
fn insert_definition(tx: &Connection, def: &mut EventDefinition) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO definitions (name, body) VALUES (?1, '{}')",
        [&def.name],
    )?;
    def.id = tx.last_insert_rowid();
    write_definition(tx, def)
}

/// A change of the definition `name` that cannot be applied, as the API answers it.
fn change_error(name: &str, e: ChangeError) -> StoreError {
    let code = match e {
        ChangeError::PropertyNotFound(_) => "PROPERTY_NOT_FOUND",
        ChangeError::PropertyExists(_) => "PROPERTY_EXISTS",
        _ => "INVALID_CHANGE",
    };
    let detail = ErrorDetail::new(code, e.message(name)).with("eventName", name);
    match e {
        ChangeError::PropertyNotFound(_) => StoreError::NotFound(detail.message),
        ChangeError::PropertyExists(_) => StoreError::Conflict(detail.message),
        _ => StoreError::Invalid(detail),
    }
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl EventStore for SqliteStore {
    fn site(&self, id: &str) -> Option<Arc<Site>> {
        self.sites
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    fn sites(&self) -> Vec<Arc<Site>> {
        self.sites
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    async fn put_site(
        &self,
        id: String,
        origins: Vec<String>,
        create_only: bool,
    ) -> Result<(Arc<Site>, bool), StoreError> {
        let cache = self.sites.clone();
        self.admin(move |conn| {
            let now = now_ms();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, i64)> = tx
                .query_row("SELECT public_key, created_at FROM sites WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if existing.is_some() && create_only {
                return Err(StoreError::Conflict(format!("site \"{id}\" already exists")));
            }
            let created = existing.is_none();
            let (public_key, created_at) = existing.unwrap_or_else(|| (format!("pk_{}", crate::random::hex(1)), now));
            tx.execute(
                "INSERT INTO sites (id, origins, public_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET origins = excluded.origins, updated_at = excluded.updated_at",
                (&id, encode(&origins)?, &public_key, created_at, now),
            )?;
            tx.commit()?;
            let site = Arc::new(Site { id: id.clone(), origins, public_key, created_at, updated_at: now });
            cache.write().unwrap_or_else(|e| e.into_inner()).insert(id, site.clone());
            Ok((site, created))
        })
        .await
    }

    async fn delete_site(&self, id: String) -> Result<(), StoreError> {
        let cache = self.sites.clone();
        let rule_sets = self.rules.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM sites WHERE id = ?1", [&id])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "site \"{id}\" does not exist"
                )));
            }
            rules::delete_site(&tx, &id)?;
            tx.commit()?;
            write_lock(&cache).remove(&id);
            write_lock(&rule_sets).remove(&id);
            Ok(())
        })
        .await
    }

    fn rules(&self, site: &str) -> Option<Arc<RuleSet>> {
        read_lock(&self.sites).get(site)?;
        Some(
            read_lock(&self.rules)
                .get(site)
                .cloned()
                .unwrap_or_default(),
        )
    }

    async fn create_rule(&self, mut rule: Rule) -> Result<SavedRule, StoreError> {
        let sites = self.sites.clone();
        let definitions = self.definitions.clone();
        let rule_sets = self.rules.clone();
        self.admin(move |conn| {
            if !read_lock(&sites).contains_key(&rule.site) {
                return Err(StoreError::NotFound(format!(
                    "site \"{}\" does not exist",
                    rule.site
                )));
            }
            if let Some(set) = read_lock(&rule_sets).get(&rule.site) {
                crate::model::rule::fits(&set.rules, &rule).map_err(StoreError::Conflict)?;
            }
            let name = rule.event_name.clone();
            let existing = read_lock(&definitions).get(&name).cloned();
            if let Some(def) = existing.as_ref().filter(|d| d.primary_object != PrimaryObject::Contact) {
                let message = format!(
                    "event \"{name}\" is a {} event; auto-tracked events are contact events: name another event",
                    def.primary_object.as_str()
                );
                return Err(StoreError::Invalid(
                    ErrorDetail::new("INVALID_FIELD", message)
                        .at("eventName")
                        .with("eventName", name),
                ));
            }
            let wanted = crate::model::rule::definition_for(&rule, existing.as_deref(), now_ms())
                .map_err(|e| change_error(&name, e))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let definition = match (wanted, existing) {
                (Some(mut def), None) => {
                    insert_definition(&tx, &mut def)?;
                    Arc::new(def)
                }
                (Some(def), Some(_)) => {
                    write_definition(&tx, &def)?;
                    Arc::new(def)
                }
                (None, Some(def)) => def,
                (None, None) => {
                    return Err(StoreError::Internal(format!(
                        "no definition for the rule's event {name}"
                    )))
                }
            };
            let version = rules::insert(&tx, &mut rule)?;
            tx.commit()?;
            write_lock(&definitions).insert(name, definition.clone());
            let rule = Arc::new(rule);
            let mut sets = write_lock(&rule_sets);
            let mut set = sets.get(&rule.site).map(|s| (**s).clone()).unwrap_or_default();
            set.version = version;
            set.rules.push(rule.clone());
            sets.insert(rule.site.clone(), Arc::new(set));
            Ok(SavedRule { rule, definition })
        })
        .await
    }

    async fn delete_rule(&self, site: String, id: u64) -> Result<(), StoreError> {
        let rule_sets = self.rules.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version = rules::delete(&tx, &site, id)?;
            tx.commit()?;
            let mut sets = write_lock(&rule_sets);
            let mut set = sets.get(&site).map(|s| (**s).clone()).unwrap_or_default();
            set.version = version;
            set.rules.retain(|r| r.id != id);
            sets.insert(site, Arc::new(set));
            Ok(())
        })
        .await
    }

    async fn issue_visualizer_token(
        &self,
        site: String,
        expires_at: i64,
    ) -> Result<VisualizerToken, StoreError> {
        let sites = self.sites.clone();
        self.admin(move |conn| {
            if !read_lock(&sites).contains_key(&site) {
                return Err(StoreError::NotFound(format!(
                    "site \"{site}\" does not exist"
                )));
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let token = rules::insert_token(&tx, site, expires_at, now_ms())?;
            tx.commit()?;
            Ok(token)
        })
        .await
    }

    async fn visualizer_token(&self, token: String) -> Result<Option<VisualizerToken>, StoreError> {
        self.read(move |conn| rules::token(conn, &token)).await
    }

    async fn revoke_visualizer_tokens(
        &self,
        token: Option<String>,
        site: Option<String>,
    ) -> Result<usize, StoreError> {
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let revoked = match (token, site) {
                (Some(token), _) => usize::from(rules::revoke_token(&tx, &token)?),
                (None, Some(site)) => rules::revoke_site_tokens(&tx, &site)?,
                (None, None) => 0,
            };
            tx.commit()?;
            Ok(revoked)
        })
        .await
    }

    fn definition(&self, name: &str) -> Option<Arc<EventDefinition>> {
        self.definitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    fn definitions(&self) -> Vec<Arc<EventDefinition>> {
        self.definitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    async fn create_definition(
        &self,
        mut def: EventDefinition,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        let cache = self.definitions.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM definitions WHERE name = ?1)",
                [&def.name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(StoreError::Conflict(format!(
                    "an event definition named \"{}\" already exists",
                    def.name
                )));
            }
            insert_definition(&tx, &mut def)?;
            tx.commit()?;
            let def = Arc::new(def);
            cache
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(def.name.clone(), def.clone());
            Ok(def)
        })
        .await
    }

    async fn change_definition(
        &self,
        name: String,
        change: DefinitionChange,
    ) -> Result<Arc<EventDefinition>, StoreError> {
        let cache = self.definitions.clone();
        self.admin(move |conn| {
            let current = cache
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&name)
                .cloned();
            let Some(current) = current else {
                return Err(StoreError::NotFound(format!(
                    "event definition \"{name}\" does not exist"
                )));
            };
            let mut def = (*current).clone();
            def.apply(change, now_ms())
                .map_err(|e| change_error(&name, e))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            write_definition(&tx, &def)?;
            tx.commit()?;
            let def = Arc::new(def);
            cache
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(name, def.clone());
            Ok(def)
        })
        .await
    }

    async fn delete_definition(
        &self,
        name: String,
        with_rules: bool,
    ) -> Result<Vec<Arc<Rule>>, StoreError> {
        let cache = self.definitions.clone();
        let rule_sets = self.rules.clone();
        self.admin_with_ids(move |conn, ids| {
            // The writer is the only one that changes rules, so what the cache shows here is
            // what the file holds until this job ends.
            let firing: Vec<Arc<Rule>> = read_lock(&rule_sets)
                .values()
                .flat_map(|set| set.rules.iter())
                .filter(|rule| rule.event_name == name)
                .cloned()
                .collect();
            if !read_lock(&cache).contains_key(&name) {
                return Err(StoreError::NotFound(format!(
                    "event definition \"{name}\" does not exist"
                )));
            }
            if !firing.is_empty() && !with_rules {
                return Err(StoreError::RulesFire(firing));
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if tx.execute("DELETE FROM definitions WHERE name = ?1", [&name])? == 0 {
                return Err(StoreError::NotFound(format!(
                    "event definition \"{name}\" does not exist"
                )));
            }
            let mut versions = Vec::with_capacity(firing.len());
            for rule in &firing {
                versions.push((
                    rule.site.clone(),
                    rule.id,
                    rules::delete(&tx, &rule.site, rule.id)?,
                ));
            }
            let forgotten = ids.delete_named(&tx, &name)?;
            tx.execute("DELETE FROM events WHERE name = ?1", [&name])?;
            tx.commit()?;
            ids.forget(&forgotten);
            write_lock(&cache).remove(&name);
            let mut sets = write_lock(&rule_sets);
            for (site, id, version) in versions {
                let mut set = sets.get(&site).map(|s| (**s).clone()).unwrap_or_default();
                set.version = set.version.max(version);
                set.rules.retain(|r| r.id != id);
                sets.insert(site, Arc::new(set));
            }
            Ok(firing)
        })
        .await
    }

    async fn ingest(&self, ingest: Ingest) -> Result<IngestOutcome, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .try_send(Job::Ingest(ingest, tx))
            .map_err(|e| match e {
                TrySendError::Full(_) => StoreError::Busy,
                TrySendError::Disconnected(_) => StoreError::Closed,
            })?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn events(&self, query: EventQuery) -> Result<EventPage, StoreError> {
        self.read(move |conn| reads::events(conn, &query)).await
    }

    async fn completions(&self, query: CompletionQuery) -> Result<Vec<(i64, u64)>, StoreError> {
        self.read(move |conn| reads::completions(conn, &query))
            .await
    }

    async fn rejected(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StoredRejection>, StoreError> {
        self.read(move |conn| reads::rejected(conn, before, limit))
            .await
    }

    async fn held_summary(&self) -> Result<Vec<HeldSummary>, StoreError> {
        self.read(held::summary).await
    }

    async fn held(
        &self,
        name: String,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredHeld>, StoreError> {
        self.read(move |conn| held::page(conn, &name, after, limit))
            .await
    }

    async fn quality(
        &self,
        site: Option<String>,
        event: Option<String>,
        since: i64,
    ) -> Result<Vec<QualityRow>, StoreError> {
        self.read(move |conn| quality::list(conn, site.as_deref(), event.as_deref(), since))
            .await
    }

    fn key(&self, hash: &str) -> Option<Arc<ApiKey>> {
        read_lock(&self.keys).get(hash).cloned()
    }

    fn keys(&self) -> Vec<Arc<ApiKey>> {
        let mut all: Vec<_> = read_lock(&self.keys).values().cloned().collect();
        all.sort_by_key(|k| k.id);
        all
    }

    async fn create_key(&self, mut key: ApiKey, hash: String) -> Result<Arc<ApiKey>, StoreError> {
        let cache = self.keys.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            keys::insert(&tx, &mut key, &hash)?;
            tx.commit()?;
            let key = Arc::new(key);
            write_lock(&cache).insert(hash, key.clone());
            Ok(key)
        })
        .await
    }

    async fn revoke_key(&self, id: i64) -> Result<(), StoreError> {
        let cache = self.keys.clone();
        self.admin(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if !keys::delete(&tx, id)? {
                return Err(StoreError::NotFound(format!("no API key {id}")));
            }
            tx.commit()?;
            write_lock(&cache).retain(|_, k| k.id != id);
            Ok(())
        })
        .await
    }

    async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.enqueue(Job::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}
