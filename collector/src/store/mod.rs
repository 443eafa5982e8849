//! Storage behind a small trait, so handlers never see SQL and tests could swap the engine.
//!
//! Two implementations: [`sqlite::SqliteStore`] owns an embedded SQLite file (the default);
//! [`postgres::PgStore`] shares one PostgreSQL database among several collectors. Definitions
//! and sites are small and read on every beacon, and rules on every page view, so the store
//! keeps them in memory and returns them synchronously; everything else is async.

pub mod postgres;
pub mod sessions;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ErrorDetail;
use crate::model::{DefinitionChange, EventDefinition, PrimaryObject, Rule, Site};

pub use sessions::SessionRecord;
pub use sqlite::SqliteStore;

/// Why a store call failed.
#[derive(Debug)]
pub enum StoreError {
    /// The write queue is full (retryable).
    Busy,
    /// The store is shutting down.
    Closed,
    /// The named resource does not exist.
    NotFound(String),
    /// The named resource already exists.
    Conflict(String),
    /// The change breaks a rule the store enforces (e.g. a property already exists).
    Invalid(ErrorDetail),
    /// A definition cannot be deleted while these auto-tracking rules fire it.
    RulesFire(Vec<Arc<Rule>>),
    /// Anything else; logged, never shown.
    Internal(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        StoreError::Internal(format!("sqlite: {err}"))
    }
}

/// Writes to a cache every request reads; a panic elsewhere while it was held (a poisoned
/// lock) does not stop the store, whose caches change only whole. Shared by both stores.
pub(crate) fn write_lock<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// Reads a cache (see [`write_lock`]).
pub(crate) fn read_lock<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

/// Who an event completion is about, before the store resolves contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Nobody known yet: only a visitor id, if any.
    Anonymous,
    /// A record id (`objectId`); for contacts, an id the store has not seen creates it.
    ObjectId(i64),
    /// A contact by email and/or external id (the tracker's `identify`), created if new.
    Contact {
        /// Normalized email.
        email: Option<String>,
        /// External id (`uid`).
        external_id: Option<String>,
    },
}

/// One validated completion, ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Unique id; a second completion with the same id is a duplicate.
    pub id: String,
    /// Internal event name.
    pub name: String,
    /// When it happened, epoch ms (clock skew already corrected).
    pub occurred_at: i64,
    /// When the collector received it, epoch ms.
    pub received_at: i64,
    /// The object type of its definition.
    pub object_type: PrimaryObject,
    /// Who it is about.
    pub subject: Subject,
    /// Visitor id (`utk`); linked to the contact when the subject is known.
    pub vid: Option<String>,
    /// Session id.
    pub sid: Option<String>,
    /// Site id, for beacons (shared by the events of a beacon).
    pub site: Option<Arc<str>>,
    /// Custom properties as a JSON object.
    pub props: String,
    /// Default (page) properties as a JSON object, for beacons (shared by the events of a
    /// page: the tracker sends them once per batch).
    pub defaults: Option<Arc<str>>,
}

impl NewEvent {
    /// What the event is de-duplicated by: its id within its source's namespace (see
    /// [`sqlite::event_ids::dedupe_id`]).
    pub fn dedupe_id(&self) -> std::borrow::Cow<'_, str> {
        sqlite::event_ids::dedupe_id(&self.id, self.site.is_none())
    }
}

/// A beacon event that was refused, kept with its reason.
#[derive(Debug, Clone)]
pub struct RejectedEvent {
    /// The event's id, if it had a readable one.
    pub event_id: Option<String>,
    /// The event's name, if it had a readable one.
    pub name: Option<String>,
    /// The site of the beacon.
    pub site: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// The event as it was received (JSON text).
    pub body: String,
    /// When, epoch ms.
    pub received_at: i64,
}

/// What one request stores, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// Valid completions.
    pub events: Vec<NewEvent>,
    /// Refused beacon events.
    pub rejected: Vec<RejectedEvent>,
    /// Beacon events whose name has no definition yet, held for replay.
    pub held: Vec<HeldEvent>,
    /// What was dropped or held, counted per (event, property, code, site).
    pub quality: Vec<QualityCount>,
    /// Held events (their `seq`) that this request replays: removed in its transaction, so a
    /// replay is stored and released at once or not at all.
    pub released: Vec<i64>,
    /// Contacts to create or update by email with properties (an import's contact columns),
    /// before the events are stored.
    pub contacts: Vec<ContactUpdate>,
}

/// A contact to create or update, found by its email (case-insensitive: emails are stored
/// normalized); `properties` are set over those it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpdate {
    /// Its email, normalized ([`crate::validate::normalize_email`]).
    pub email: String,
    /// Contact properties by internal name (`firstname`, `company`…).
    pub properties: std::collections::BTreeMap<String, String>,
    /// When, epoch ms.
    pub at: i64,
}

/// A contact as HubSpot's CRM API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRecord {
    /// Its id (`objectId`).
    pub id: i64,
    /// Its email.
    pub email: Option<String>,
    /// Its external id (`uid`).
    pub external_id: Option<String>,
    /// Properties set by imports.
    pub properties: std::collections::BTreeMap<String, String>,
    /// Created, epoch ms.
    pub created_at: i64,
    /// Last change of its properties (or its creation), epoch ms.
    pub updated_at: i64,
}

/// How a CRM read names a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    /// By id.
    Id(i64),
    /// By email (normalized).
    Email(String),
}

/// Which contacts a CRM list or search wants: ordered by id, after `after`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactRecordQuery {
    /// Only the contact with this email (normalized).
    pub email_is: Option<String>,
    /// Only contacts whose email contains this text (lowercase).
    pub email_contains: Option<String>,
    /// Ids after this one.
    pub after: i64,
    /// Page size.
    pub limit: usize,
}

/// A beacon event whose name has no definition yet: everything needed to judge and store it
/// once the definition exists (SPEC §3: held for replay, never silently lost).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeldEvent {
    /// The event's id (a retried beacon is held once).
    pub id: String,
    /// Its name as sent.
    pub name: String,
    /// The site of its beacon.
    pub site: Arc<str>,
    /// When it happened, epoch ms (clock skew already corrected).
    pub occurred_at: i64,
    /// When it was received, epoch ms.
    pub received_at: i64,
    /// Email given to `identify`, normalized.
    pub email: Option<String>,
    /// External id given to `identify`.
    pub uid: Option<String>,
    /// Visitor id.
    pub vid: Option<String>,
    /// Session id.
    pub sid: Option<String>,
    /// Custom properties as sent (within the limits; judged against the definition at replay).
    pub props: Vec<(String, String)>,
    /// Default (page) properties as a JSON object.
    pub defaults: Arc<str>,
}

/// A held event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHeld {
    /// Storage sequence number (paging, release).
    pub seq: i64,
    /// The event.
    pub event: HeldEvent,
}

/// The held events of one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldSummary {
    /// The event name.
    pub name: String,
    /// How many are held.
    pub count: u64,
    /// Received first, epoch ms.
    pub first_received: i64,
    /// Received last, epoch ms.
    pub last_received: i64,
}

/// Occurrences of one data-quality problem in one request: a property dropped or cut, an
/// event held, an identity dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityCount {
    /// The event name.
    pub event: String,
    /// The property, or empty when the problem is the event's.
    pub property: String,
    /// The rule: `PROPERTY_NOT_DEFINED`, `INVALID_NUMBER`, `EVENT_NOT_DEFINED`, …
    pub code: String,
    /// The beacon's site, or empty.
    pub site: String,
    /// How many times.
    pub count: u64,
    /// When, epoch ms.
    pub at: i64,
    /// One occurrence: the event id and the sentence saying what happened.
    pub example: String,
}

/// Counted data-quality problems, as queried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRow {
    /// The counts, with `at` the last time seen.
    pub count: QualityCount,
    /// First time seen, epoch ms.
    pub first_seen: i64,
}

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Assigned by the store; never reused.
    pub id: i64,
    /// Says what it is for.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<crate::scopes::Scope>,
    /// The secret's last 4 characters.
    pub hint: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
}

/// How long held and refused events are kept, and how many at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Held events older than this are deleted, ms.
    pub held_ms: i64,
    /// Most held events kept; the oldest go first.
    pub held_rows: i64,
    /// Refused events older than this are deleted, ms.
    pub rejected_ms: i64,
    /// Most refused events kept; the oldest go first.
    pub rejected_rows: i64,
}

impl Default for Retention {
    fn default() -> Self {
        const DAY: i64 = 86_400_000;
        Retention {
            held_ms: 30 * DAY,
            held_rows: 1_000_000,
            rejected_ms: 30 * DAY,
            rejected_rows: 100_000,
        }
    }
}

/// What storing an [`Ingest`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IngestOutcome {
    /// Completions stored now.
    pub stored: usize,
    /// Completions whose id was already stored.
    pub duplicates: usize,
}

/// Position in an ordered list of events, for paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// `occurred_at` of the last event returned.
    pub occurred_at: i64,
    /// Its storage sequence number (ties).
    pub seq: i64,
}

/// Which object's events to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectFilter {
    /// By object type and id; for contacts, their visitors' anonymous events too.
    Id(PrimaryObject, i64),
    /// A contact by email.
    Email(String),
}

/// An event listing (`GET /events/v3/events`).
#[derive(Debug, Clone)]
pub struct EventQuery {
    /// Only this object's events.
    pub object: Option<ObjectFilter>,
    /// Only events of this name.
    pub name: Option<String>,
    /// Only events at or after this time, epoch ms.
    pub occurred_after: Option<i64>,
    /// Only events before this time, epoch ms.
    pub occurred_before: Option<i64>,
    /// Only events whose property (custom, else default) has this value (or, for a
    /// `;`-separated multi-value, contains it): the completions report's filter.
    pub property: Option<(String, String)>,
    /// Newest first.
    pub descending: bool,
    /// Continue after this position.
    pub after: Option<Cursor>,
    /// Page size.
    pub limit: usize,
}

/// A stored completion as queries return it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Its id.
    pub id: String,
    /// Event name.
    pub name: String,
    /// When it happened, epoch ms.
    pub occurred_at: i64,
    /// Object type.
    pub object_type: PrimaryObject,
    /// The object (for contacts, resolved through the visitor when it was anonymous).
    pub object_id: Option<i64>,
    /// Custom properties (JSON object).
    pub props: String,
    /// Default properties (JSON object), for beacons.
    pub defaults: Option<String>,
}

/// One page of events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    /// The events.
    pub events: Vec<StoredEvent>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
}

/// Completions of one event in equal time buckets.
#[derive(Debug, Clone)]
pub struct CompletionQuery {
    /// Event name.
    pub name: String,
    /// Start of the first bucket, epoch ms.
    pub from: i64,
    /// End (exclusive), epoch ms.
    pub to: i64,
    /// Bucket width, ms.
    pub width: i64,
    /// Only completions whose property (custom or default) has this value (or, for a
    /// `;`-separated multi-value, contains it).
    pub property: Option<(String, String)>,
}

/// A stored completion with its place in the order of storage, for those who follow the
/// events as they are stored (the workflows' enrollment).
#[derive(Debug, Clone, PartialEq)]
pub struct SeqEvent {
    /// Storage sequence number: increasing in commit order.
    pub seq: i64,
    /// The completion (its contact resolved through its visitor when anonymous).
    pub event: StoredEvent,
    /// Its visitor id, if it had one.
    pub vid: Option<String>,
}

/// What the enrollment follower decided for a run of stored completions, applied in one
/// transaction with its cursor (see [`crate::workflows::enroller`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrollmentBatch {
    /// The `seq` of the last completion decided: the cursor's new place.
    pub through: i64,
    /// Contacts to enroll: (workflow, contact, completion seq, event name).
    pub enroll: Vec<(u64, i64, i64, String)>,
    /// Anonymous visitors' qualifying completions: (workflow, vid, seq, event name).
    pub remember: Vec<(u64, String, i64, String)>,
    /// Visitors now known as a contact: their remembered completions enroll it.
    pub identified: Vec<(String, i64)>,
    /// The workflows whose contacts may enroll again.
    pub reenroll: Vec<u64>,
    /// Completions that end waits.
    pub resume: Vec<Resume>,
    /// Now, epoch ms.
    pub now: i64,
}

/// A stored enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// Its id.
    pub id: i64,
    /// The workflow.
    pub workflow: u64,
    /// The enrolled contact.
    pub contact: i64,
    /// The completion that enrolled it (its `seq`) and its event's name.
    pub event_seq: i64,
    /// The event's name.
    pub event_name: String,
    /// The next action to run.
    pub step: i64,
    /// `active` (its step runs at `wake_at`), `waiting` (a "delay until event happens":
    /// until a matching completion or `wake_at`), `completed` or `failed`.
    pub state: String,
    /// Epoch ms.
    pub created_at: i64,
    /// Failed attempts of the current step's webhook.
    pub attempts: i64,
    /// When its current step is due (or its wait ends), epoch ms; `None`: not scheduled.
    pub wake_at: Option<i64>,
    /// When the current step began, epoch ms; `None` until it does.
    pub step_started_at: Option<i64>,
    /// How the last "delay until event happens" ended (JSON), told to the next webhook.
    pub last_wait: Option<String>,
    /// When it completed or failed, epoch ms.
    pub finished_at: Option<i64>,
}

/// One line of an enrollment's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The step it concerns.
    pub step: i64,
    /// When, epoch ms.
    pub at: i64,
    /// What happened: `enrolled`, `delivered`, `retrying`, `failed`, `paused`, `delayed`,
    /// `waiting`, `resumed`, `timedOut`, `completed` (see `workflows::runner`).
    pub kind: String,
    /// A webhook attempt's HTTP status; `None` when no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A webhook attempt's time until the answer (or the failure), ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
    /// A sentence, or the start of the receiver's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl HistoryEntry {
    /// The first line of an enrollment made by a completion of `event`.
    pub fn enrolled(at: i64, event: &str) -> HistoryEntry {
        HistoryEntry {
            step: 0,
            at,
            kind: "enrolled".into(),
            status: None,
            latency_ms: None,
            detail: Some(format!("by a completion of {event}")),
        }
    }

    /// The line of a wait that `resume` ended at `at`.
    pub fn resumed(resume: &Resume, at: i64) -> HistoryEntry {
        HistoryEntry {
            step: resume.step,
            at,
            kind: "resumed".into(),
            status: None,
            latency_ms: None,
            detail: Some(format!("{} happened ({})", resume.event, resume.event_id)),
        }
    }
}

/// What running a step did to an enrollment: its new place, and the history lines to add.
/// Applied only if the enrollment is still where the change was decided from
/// (`from_step`, `from_attempts`, `from_state`), so a decision taken on a stale read (a wait
/// that a completion ended meanwhile) changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepChange {
    /// The enrollment.
    pub id: i64,
    /// Its step when read.
    pub from_step: i64,
    /// Its attempts when read.
    pub from_attempts: i64,
    /// Its state when read.
    pub from_state: String,
    /// The new step.
    pub step: i64,
    /// The new attempts.
    pub attempts: i64,
    /// The new state.
    pub state: String,
    /// The new wake time.
    pub wake_at: Option<i64>,
    /// The new step start.
    pub step_started_at: Option<i64>,
    /// A wait begins: completions stored after the enrollment follower's cursor end it.
    pub begins_wait: bool,
    /// The new `last_wait`.
    pub last_wait: Option<String>,
    /// The new finish time.
    pub finished_at: Option<i64>,
    /// Lines to add to its history.
    pub history: Vec<HistoryEntry>,
}

/// A completion that ends the waits of its contact at a workflow's "delay until event
/// happens" step (if the contact's enrollment is waiting there, since before it was stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    /// The workflow.
    pub workflow: u64,
    /// The waiting step.
    pub step: i64,
    /// The contact.
    pub contact: i64,
    /// The completion's `seq`.
    pub seq: i64,
    /// Its event name.
    pub event: String,
    /// Its id.
    pub event_id: String,
}

impl Resume {
    /// What the next webhook is told of the wait this completion ended at `at` (JSON).
    pub fn last_wait(&self, at: i64) -> String {
        serde_json::json!({
            "step": self.step,
            "event": self.event,
            "outcome": "eventHappened",
            "eventId": self.event_id,
            "at": at,
        })
        .to_string()
    }
}

/// A stored rejected event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRejection {
    /// Storage sequence number (paging).
    pub seq: i64,
    /// The event's id, if readable.
    pub event_id: Option<String>,
    /// The event's name, if readable.
    pub name: Option<String>,
    /// Site.
    pub site: Option<String>,
    /// Why it was refused.
    pub reason: String,
    /// The event as received.
    pub body: String,
    /// When, epoch ms.
    pub received_at: i64,
}

/// A site's auto-tracking rules, as the tracker fetches them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    /// Changes whenever a rule of the site is created or deleted, and only then; never
    /// repeats a value the site had (also across the site's deletion and re-creation).
    /// 0 for a site that never had a rule (its rule list is then empty).
    pub version: i64,
    /// The rules, oldest first.
    pub rules: Vec<Arc<Rule>>,
}

/// A visualizer token: lets the visualizer open on one site's pages and save rules for that
/// site only, until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisualizerToken {
    /// `vt_` and 64 hex digits.
    pub token: String,
    /// The site it was issued for.
    pub site: String,
    /// Expiry, epoch ms (the token is invalid from this instant on).
    pub expires_at: i64,
}

/// What saving a rule stored.
#[derive(Debug, Clone)]
pub struct SavedRule {
    /// The rule, with its id.
    pub rule: Arc<Rule>,
    /// Its event definition as it now is (created or extended, or unchanged).
    pub definition: Arc<EventDefinition>,
}

/// Everything the API needs from storage.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// The site `id` (from memory).
    fn site(&self, id: &str) -> Option<Arc<Site>>;
    /// Every site, by id.
    fn sites(&self) -> Vec<Arc<Site>>;
    /// Creates the site, or replaces its origins; `create_only` refuses an existing id
    /// (Conflict). Returns the site and whether it was created.
    async fn put_site(
        &self,
        id: String,
        origins: Vec<String>,
        create_only: bool,
    ) -> Result<(Arc<Site>, bool), StoreError>;
    /// Deletes a site, its rules and its visualizer tokens.
    async fn delete_site(&self, id: String) -> Result<(), StoreError>;

    /// The definition `name` (from memory).
    fn definition(&self, name: &str) -> Option<Arc<EventDefinition>>;
    /// Every definition, by name.
    fn definitions(&self) -> Vec<Arc<EventDefinition>>;
    /// Stores a new definition (its `id` is assigned); Conflict when the name exists.
    async fn create_definition(
        &self,
        def: EventDefinition,
    ) -> Result<Arc<EventDefinition>, StoreError>;
    /// Applies one change to a definition.
    async fn change_definition(
        &self,
        name: String,
        change: DefinitionChange,
    ) -> Result<Arc<EventDefinition>, StoreError>;
    /// Deletes a definition and its completions (as HubSpot does). The auto-tracking rules
    /// that fire the event are deleted with it when `with_rules`; otherwise their existence is
    /// a [`StoreError::RulesFire`] and nothing changes (a rule must never keep firing an
    /// event that no longer exists). Checked and done in one transaction, so a rule saved
    /// meanwhile cannot slip through. Returns the rules deleted.
    async fn delete_definition(
        &self,
        name: String,
        with_rules: bool,
    ) -> Result<Vec<Arc<Rule>>, StoreError>;

    /// The site's rules and their version (from memory); `None` for an unknown site.
    fn rules(&self, site: &str) -> Option<Arc<RuleSet>>;
    /// In one transaction: creates `rule.event_name`'s definition, or adds the properties
    /// it lacks (see [`crate::model::rule::definition_for`]), then stores the rule (its `id`
    /// is assigned). NotFound for an unknown site.
    async fn create_rule(&self, rule: Rule) -> Result<SavedRule, StoreError>;
    /// Deletes a rule of a site; its definition stays. NotFound for an unknown rule.
    async fn delete_rule(&self, site: String, id: u64) -> Result<(), StoreError>;
    /// Issues a new random token for the site, valid until `expires_at` (epoch ms; a time in
    /// the past issues an expired token). NotFound for an unknown site.
    async fn issue_visualizer_token(
        &self,
        site: String,
        expires_at: i64,
    ) -> Result<VisualizerToken, StoreError>;
    /// The stored token `token`, expired or not; `None` when there is none.
    async fn visualizer_token(&self, token: String) -> Result<Option<VisualizerToken>, StoreError>;
    /// Revokes one token (`Ok(1)`, or `Ok(0)` when there is none), or every token of a site
    /// (how many); the other is `None`.
    async fn revoke_visualizer_tokens(
        &self,
        token: Option<String>,
        site: Option<String>,
    ) -> Result<usize, StoreError>;

    /// Stores completions and rejections in one transaction. Busy when the write queue is full.
    async fn ingest(&self, ingest: Ingest) -> Result<IngestOutcome, StoreError>;
    /// Lists events.
    async fn events(&self, query: EventQuery) -> Result<EventPage, StoreError>;
    /// Counts per bucket index (0 = the bucket starting at `from`); empty buckets omitted.
    async fn completions(&self, query: CompletionQuery) -> Result<Vec<(i64, u64)>, StoreError>;
    /// Rejected events, newest first, before the sequence number `before`.
    async fn rejected(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StoredRejection>, StoreError>;

    /// The held events, counted by name.
    async fn held_summary(&self) -> Result<Vec<HeldSummary>, StoreError>;
    /// Up to `limit` held events of `name`, oldest first, after the sequence number `after`.
    async fn held(
        &self,
        name: String,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredHeld>, StoreError>;
    /// Data-quality counts, most recently seen first: of one site and/or event when given,
    /// seen at or after `since`.
    async fn quality(
        &self,
        site: Option<String>,
        event: Option<String>,
        since: i64,
    ) -> Result<Vec<QualityRow>, StoreError>;

    /// The key whose secret hashes to `hash` (from memory).
    fn key(&self, hash: &str) -> Option<Arc<ApiKey>>;
    /// Every key, oldest first.
    fn keys(&self) -> Vec<Arc<ApiKey>>;
    /// Stores a key (its `id` is assigned) under the hash of its secret.
    async fn create_key(&self, key: ApiKey, hash: String) -> Result<Arc<ApiKey>, StoreError>;
    /// Revokes a key at once; NotFound for an unknown id.
    async fn revoke_key(&self, id: i64) -> Result<(), StoreError>;

    /// Finishes every queued write and stops the writer.
    async fn close(&self);

    /// [`EventStore::completions`] per value of `property` (custom, else default; `None` when
    /// a completion lacks it): `(value, bucket, count)`.
    async fn breakdown(
        &self,
        query: CompletionQuery,
        property: String,
    ) -> Result<Vec<(Option<String>, i64, u64)>, StoreError>;

    /// The distinct contacts that completed the event in the query's range (and filter), and
    /// the distinct visitors that did while anonymous.
    async fn reach(&self, query: CompletionQuery) -> Result<(u64, u64), StoreError>;

    /// A page of contacts, most recently active first (see [`ContactQuery`]).
    async fn contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError>;
    /// Every workflow (from memory).
    fn workflows(&self) -> Vec<Arc<crate::workflows::Workflow>>;
    /// The workflow `id` (from memory).
    fn workflow(&self, id: u64) -> Option<Arc<crate::workflows::Workflow>>;
    /// Stores a workflow: new when its id is 0 (assigned), else replaced (NotFound if absent).
    async fn save_workflow(
        &self,
        workflow: crate::workflows::Workflow,
    ) -> Result<Arc<crate::workflows::Workflow>, StoreError>;
    /// Deletes the workflow `id` (NotFound if absent).
    async fn delete_workflow(&self, id: u64) -> Result<(), StoreError>;
    /// Where the enrollment follower is: the `seq` of the last completion it decided.
    async fn enrollment_cursor(&self) -> Result<i64, StoreError>;
    /// Applies a follower's decisions and moves its cursor, in one transaction; returns the
    /// enrollments made (a contact already enrolled is enrolled again only where allowed).
    async fn enroll(&self, batch: EnrollmentBatch) -> Result<u64, StoreError>;
    /// From now on, completions whose id starts with `prefix` enroll nobody (an import that
    /// opted out of workflows).
    async fn opt_out_of_enrollment(&self, prefix: String) -> Result<(), StoreError>;
    /// Every prefix [`EventStore::opt_out_of_enrollment`] was given.
    async fn enrollment_opt_outs(&self) -> Result<Vec<String>, StoreError>;
    /// A workflow's enrollments, newest first.
    async fn enrollments(&self, workflow: u64, limit: usize)
        -> Result<Vec<Enrollment>, StoreError>;
    /// Completions stored after `after` (a `seq`), oldest first, at most `limit`.
    async fn events_since(&self, after: i64, limit: usize) -> Result<Vec<SeqEvent>, StoreError>;
    /// Enrollments of `workflows` in `active` or `waiting` state due by `now` (soonest
    /// first), leaving out `except`.
    async fn due_enrollments(
        &self,
        workflows: Vec<u64>,
        now: i64,
        except: Vec<i64>,
        limit: usize,
    ) -> Result<Vec<Enrollment>, StoreError>;
    /// The soonest wake time of `workflows`' scheduled enrollments.
    async fn next_wake(&self, workflows: Vec<u64>) -> Result<Option<i64>, StoreError>;
    /// One enrollment.
    async fn enrollment(&self, id: i64) -> Result<Option<Enrollment>, StoreError>;
    /// An enrollment's history, oldest first.
    async fn enrollment_history(&self, id: i64) -> Result<Vec<HistoryEntry>, StoreError>;
    /// Applies steps' outcomes in one transaction; for each, `false` when its enrollment had
    /// moved meanwhile.
    async fn change_steps(&self, changes: Vec<StepChange>) -> Result<Vec<bool>, StoreError>;
    /// The `seq` of the newest committed completion, updated after each commit that stores
    /// some: a follower waits on it instead of polling.
    fn commits(&self) -> tokio::sync::watch::Receiver<i64>;
    /// Whether this collector runs the workflows (the enrollment follower and the runner):
    /// always for SQLite, one process; on PostgreSQL, one collector of those sharing the
    /// database at a time (`store/postgres/leader.rs`). The loops wait while it is `false`.
    fn leading(&self) -> tokio::sync::watch::Receiver<bool>;
    /// One contact as the CRM API shows it, or `None`.
    async fn contact_record(&self, key: ContactKey) -> Result<Option<ContactRecord>, StoreError>;
    /// A page of contacts by id, and how many match in all.
    async fn contact_records(
        &self,
        query: ContactRecordQuery,
    ) -> Result<(Vec<ContactRecord>, u64), StoreError>;
    /// The contact `id`: its identity, linked visitors and the event names of its timeline;
    /// `None` when there is no such contact.
    async fn contact(&self, id: i64) -> Result<Option<ContactDetail>, StoreError>;

    /// Keeps an analyst-app session under the hash of its id; sessions idle for `idle_ms`
    /// may be forgotten meanwhile.
    async fn open_session(
        &self,
        id_hash: String,
        session: SessionRecord,
        idle_ms: i64,
    ) -> Result<(), StoreError>;
    /// The live session `id_hash`, its last use moved to `now` (a store may write it less
    /// often than every request); `None` when unknown or idle for `idle_ms` (then forgotten).
    async fn find_session(
        &self,
        id_hash: String,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionRecord>, StoreError>;
    /// Ends the session `id_hash`.
    async fn close_session(&self, id_hash: String) -> Result<(), StoreError>;
}

/// A contacts listing (the analyst app's contacts page).
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    /// Only contacts whose email contains this text (compared in lowercase, as emails are
    /// stored).
    pub email_contains: Option<String>,
    /// Continue after this position.
    pub after: Option<ContactCursor>,
    /// Page size.
    pub limit: usize,
}

/// Position in the contacts list, for paging: the list is ordered by last activity, newest
/// first (contacts without any event last), then by id, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactCursor {
    /// Last activity of the last contact returned, epoch ms; `None` when it has no event.
    pub last_activity: Option<i64>,
    /// Its id.
    pub id: i64,
}

/// A contact as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSummary {
    /// The contact's id (its `objectId`).
    pub id: i64,
    /// Its email, normalized.
    pub email: Option<String>,
    /// Its external id (`uid`).
    pub external_id: Option<String>,
    /// Created, epoch ms.
    pub created_at: i64,
    /// Events on its timeline: its own and the anonymous events of its visitors.
    pub events: u64,
    /// When the newest of them happened, epoch ms.
    pub last_activity: Option<i64>,
}

/// One page of contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPage {
    /// The contacts.
    pub contacts: Vec<ContactSummary>,
    /// Where the next page starts, if there is one.
    pub next: Option<ContactCursor>,
}

/// A visitor id linked to a contact (by `identify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedVisitor {
    /// The visitor id (`utk`).
    pub vid: String,
    /// When it was linked to this contact, epoch ms.
    pub linked_at: i64,
}

/// How many events of one name a contact's timeline holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCount {
    /// The event name.
    pub name: String,
    /// How many.
    pub count: u64,
    /// When the newest happened, epoch ms.
    pub last: i64,
}

/// A contact with what its page shows besides the timeline itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDetail {
    /// Its identity, event count and last activity.
    pub summary: ContactSummary,
    /// Its visitor ids, most recently linked first.
    pub visitors: Vec<LinkedVisitor>,
    /// The names of the events on its timeline, by name.
    pub event_names: Vec<EventCount>,
    /// Its contact properties (set by imports), by name.
    pub properties: std::collections::BTreeMap<String, String>,
}
