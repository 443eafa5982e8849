//! The shapes of the API's JSON, for its OpenAPI description. Handlers read requests into
//! their own `Deserialize` types (which derive their schemas where they are declared) and
//! write answers with `json!`; the answer types here say what those answers hold. They are
//! never built: `tests/api/openapi.rs` validates real answers of every endpoint against them,
//! so the description and the code cannot drift apart. Every object here is closed
//! (`deny_unknown_fields` → `additionalProperties: false`), so that a field added to an answer
//! and not here fails that test.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An instant as the API writes it: ISO 8601 in UTC with milliseconds.
#[derive(Serialize, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2024-01-31T13:45:10.000Z")]
pub struct Instant(String);

/// HubSpot's error body, the answer of every failure.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Error {
    /// Always `error`.
    #[schema(example = "error")]
    status: String,
    /// `VALIDATION_ERROR` (400), `INVALID_AUTHENTICATION` (401), `MISSING_SCOPES` or
    /// `FORBIDDEN` (403), `OBJECT_NOT_FOUND` (404), `CONFLICT` (409), `PAYLOAD_TOO_LARGE`
    /// (413), `RATE_LIMITS` (429), `SERVICE_UNAVAILABLE` (503), `INTERNAL_ERROR` (500).
    #[schema(example = "VALIDATION_ERROR")]
    category: String,
    /// Names this answer in the server's log.
    correlation_id: String,
    /// A sentence saying what is wrong.
    message: String,
    /// Every problem found.
    errors: Vec<ErrorDetail>,
}

/// One problem of a request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorDetail {
    /// A sentence naming the event, the property and the rule.
    message: String,
    /// A stable code for programs, e.g. `PROPERTY_VALUE_TOO_LONG`.
    code: String,
    /// Where in the request: `properties.color`, `inputs[2].eventName`, `body`.
    #[serde(rename = "in")]
    location: Option<String>,
    /// Names to lists of values: `eventName`, `propertyName`, `limit`.
    context: Option<BTreeMap<String, Vec<String>>>,
}

/// The CRM object an event's completions belong to.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrimaryObject {
    /// A person (the default).
    Contact,
    /// A company.
    Company,
    /// A deal.
    Deal,
    /// A ticket.
    Ticket,
}

/// A property's value type.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PropertyType {
    /// Any text within the length limit.
    String,
    /// A decimal number.
    Number,
    /// Epoch milliseconds or ISO 8601.
    Datetime,
    /// One or more `;`-separated values among the options.
    Enumeration,
}

/// An event definition in HubSpot's shape.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Definition {
    /// Numeric id, as a string.
    id: String,
    /// Internal name.
    name: String,
    /// The name itself (HubSpot's `pe<portal>_<name>` is accepted wherever a name is read).
    fully_qualified_name: String,
    /// Shown to people.
    label: String,
    /// The label, singular and plural.
    labels: Labels,
    /// Help text (empty when none).
    description: String,
    /// Its completions' object.
    primary_object: PrimaryObject,
    /// HubSpot's object type id: `0-1` contacts, `0-2` companies, `0-3` deals, `0-5` tickets.
    primary_object_id: String,
    /// `6-<id>`.
    object_type_id: String,
    /// Always `MANUAL`.
    tracking_type: String,
    /// Whether HubSpot's default `hs_*` properties are accepted.
    include_default_properties: bool,
    /// Always false.
    archived: bool,
    /// Always empty.
    associations: Vec<Value>,
    /// Custom properties in creation order (empty with `includeProperties=false`).
    properties: Vec<Property>,
    /// Creation time.
    created_at: Instant,
    /// Last change.
    updated_at: Instant,
}

/// A label, singular and plural.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Singular.
    singular: String,
    /// Plural.
    plural: String,
}

/// A custom property of an event, in HubSpot's shape.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Property {
    /// Internal name, the key completions use.
    name: String,
    /// Shown to people.
    label: String,
    /// Value type.
    #[serde(rename = "type")]
    kind: PropertyType,
    /// HubSpot's field type: `text`, `number`, `date` or `select`.
    field_type: String,
    /// Help text (empty when none).
    description: String,
    /// Always `event_properties`.
    group_name: String,
    /// An enumeration's options; empty otherwise.
    options: Vec<PropertyOption>,
    /// Always -1.
    display_order: i64,
    /// Always false.
    hidden: bool,
    /// Always false.
    hubspot_defined: bool,
    /// Always false.
    archived: bool,
    /// Always false.
    calculated: bool,
    /// Always false.
    external_options: bool,
    /// Always false.
    has_unique_value: bool,
    /// Always false.
    form_field: bool,
    /// HubSpot's edit flags.
    modification_metadata: ModificationMetadata,
    /// Creation time.
    created_at: Instant,
    /// Last change.
    updated_at: Instant,
}

/// HubSpot's edit flags of a property.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModificationMetadata {
    /// Always true.
    archivable: bool,
    /// Always false.
    read_only_definition: bool,
    /// Always false.
    read_only_value: bool,
}

/// An option of an enumeration property.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PropertyOption {
    /// Shown to people.
    label: String,
    /// What completions send.
    value: String,
    /// Position in lists.
    display_order: i64,
    /// Hidden from pickers; still accepted.
    hidden: bool,
    /// Help text (empty when none).
    description: String,
}

/// A page of definitions.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionPage {
    /// How many definitions match, over every page.
    total: usize,
    /// This page, by name.
    results: Vec<Definition>,
    /// Present when there is a next page.
    paging: Option<Paging>,
}

/// Where the next page starts.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// The next page.
    next: NextPage,
}

/// The next page's cursor.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextPage {
    /// Pass as `after` to get the next page; opaque.
    after: String,
}

/// A stored completion.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// Its id (the `uuid` it was sent with, or one the collector gave it).
    id: String,
    /// The event's internal name.
    event_type: String,
    /// When it happened.
    occurred_at: Instant,
    /// Its object type.
    object_type: PrimaryObject,
    /// The record it belongs to; null while its visitor is anonymous.
    object_id: Option<String>,
    /// Custom properties.
    properties: BTreeMap<String, String>,
    /// Default (page) properties, for events the tracker sent.
    default_properties: Option<BTreeMap<String, String>>,
}

/// A page of completions.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPage {
    /// This page.
    results: Vec<Event>,
    /// Present when there is a next page.
    paging: Option<Paging>,
}

/// The event types completions may have.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventTypes {
    /// Every defined event, then `$pageview` and `$identify`.
    event_types: Vec<String>,
}

/// An event's completions over time.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Completions {
    /// The event.
    event_name: String,
    /// `hour`, `day` or `week`.
    interval: String,
    /// Start of the first bucket.
    from: Instant,
    /// End of the range (exclusive).
    to: Instant,
    /// Completions in the range.
    total: u64,
    /// One per interval, empty ones included.
    buckets: Vec<Bucket>,
    /// The property filter, when given.
    property: Option<String>,
    /// The value the property was filtered on, when given.
    value: Option<String>,
}

/// Completions in one interval.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Start of the interval.
    start: Instant,
    /// Completions in it.
    count: u64,
}

/// A site: whose trackers may post beacons, from which origins.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Site {
    /// Site id.
    id: String,
    /// Normalized origins (`scheme://host[:port]`), or `*`.
    origins: Vec<String>,
    /// A public key for the site's pages.
    public_key: String,
    /// Creation time.
    created_at: Instant,
    /// Last change.
    updated_at: Instant,
}

/// Every site.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteList {
    /// By id.
    results: Vec<Site>,
}

/// The server answers.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok`.
    status: String,
}

/// Beacon events held because their name has no definition.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldList {
    /// One entry per event name.
    results: Vec<HeldName>,
}

/// The held events of one name.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeldName {
    /// The event name as the beacons sent it.
    name: String,
    /// How many are held.
    count: u64,
    /// Received first.
    first_received: Instant,
    /// Received last.
    last_received: Instant,
    /// Whether the event is defined now (then they can be replayed).
    defined: bool,
}

/// What replaying held events did.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// The event.
    name: String,
    /// Held events taken out of the holding area.
    replayed: usize,
    /// Of those, stored now.
    stored: usize,
    /// Of those, already stored (their id had been seen).
    duplicates: usize,
    /// Properties dropped or cut, over all of them (see data quality).
    dropped: usize,
    /// Refused (kept in `/v1/rejected` with the reason).
    refused: usize,
}

/// Data-quality counts.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataQuality {
    /// Last seen first.
    results: Vec<QualityEntry>,
}

/// How often one rule dropped, cut or held something of one event.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QualityEntry {
    /// The event name.
    event: String,
    /// The property; null when the problem is the event's (held, identity dropped).
    property: Option<String>,
    /// The rule: `PROPERTY_NOT_DEFINED`, `INVALID_NUMBER`, `INVALID_DATETIME`,
    /// `INVALID_ENUMERATION_VALUE`, `PROPERTY_VALUE_TOO_LONG` (cut), `INVALID_PROPERTY_NAME`,
    /// `TOO_MANY_PROPERTIES`, `INVALID_EMAIL`, `EVENT_NOT_DEFINED` (held).
    code: String,
    /// The beacons' site.
    site: Option<String>,
    /// Occurrences since first seen.
    count: u64,
    /// First seen.
    first_seen: Instant,
    /// Last seen.
    last_seen: Instant,
    /// The last occurrence: the event id and what happened.
    example: String,
}

/// A beacon: what the tracker posts to `/v1/collect` (as `text/plain`, so browsers send it
/// without a preflight). What a page's events share is written once, in `ctx`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// The site id the tracker was started with.
    site: String,
    /// Contexts the events refer to by index (`c`).
    ctx: Option<Vec<BeaconContext>>,
    /// When the tracker sent the batch, epoch ms: corrects the browser's clock.
    sent: Option<u64>,
    /// The events.
    events: Vec<BeaconEvent>,
}

/// What the events of one page state share.
#[derive(Serialize, ToSchema)]
pub struct BeaconContext {
    /// Visitor id.
    vid: Option<String>,
    /// Session id.
    sid: Option<String>,
    /// Email given to `identify`.
    email: Option<String>,
    /// External id given to `identify`.
    uid: Option<String>,
    /// Default (page) properties: `url`, `referrer`, `title`, `path`, `screen_width`, … .
    d: Option<BTreeMap<String, Value>>,
}

/// One event of a beacon; its own fields win over its context's.
#[derive(Serialize, ToSchema)]
pub struct BeaconEvent {
    /// A UUID; an event is stored once per id.
    id: String,
    /// Internal event name.
    name: String,
    /// When it happened, epoch ms (by the browser's clock).
    ts: u64,
    /// Visitor id.
    vid: Option<String>,
    /// Session id.
    sid: Option<String>,
    /// Email given to `identify`.
    email: Option<String>,
    /// External id given to `identify`.
    uid: Option<String>,
    /// Custom properties (strings, numbers, booleans).
    p: Option<BTreeMap<String, Value>>,
    /// Default properties, when not the context's.
    d: Option<BTreeMap<String, Value>>,
    /// Index of its context in `ctx`.
    c: Option<usize>,
}

/// What became of a beacon's events.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Collected {
    /// Events stored now.
    stored: usize,
    /// Events whose id was already stored (a retried beacon).
    duplicates: usize,
    /// Events refused: they can never be stored (kept in `/v1/rejected`).
    rejected: Vec<RefusedEvent>,
    /// Properties dropped or cut from stored events (at most 1,000 listed).
    dropped: Vec<DroppedProperty>,
    /// Events held until their name is defined (at most 1,000 listed).
    held: Vec<HeldRef>,
    /// Refused events past the 1,000 listed (and kept).
    rejected_not_listed: Option<usize>,
    /// Dropped properties past the 1,000 listed (all are counted in data quality).
    dropped_not_listed: Option<usize>,
}

/// A refused beacon event.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusedEvent {
    /// Its id, when readable.
    id: Option<String>,
    /// Its name, when readable.
    name: Option<String>,
    /// Why it can never be stored.
    reason: String,
}

/// A property dropped or cut from a stored event.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DroppedProperty {
    /// The event's id.
    id: String,
    /// The event's name.
    name: String,
    /// The property; null when the identity was dropped.
    property: Option<String>,
    /// The rule, e.g. `PROPERTY_NOT_DEFINED`.
    code: String,
    /// A sentence saying what happened.
    reason: String,
}

/// A held event.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldRef {
    /// Its id.
    id: String,
    /// Its name.
    name: String,
}

/// Refused beacon events, newest first.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectedPage {
    /// This page.
    results: Vec<Rejected>,
    /// Present when there is a next page.
    paging: Option<Paging>,
}

/// A refused beacon event as kept.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rejected {
    /// Its id, when readable.
    id: Option<String>,
    /// Its name, when readable.
    name: Option<String>,
    /// The beacon's site.
    site: Option<String>,
    /// Why it was refused.
    reason: String,
    /// When.
    received_at: Instant,
    /// The event as it was sent.
    event: Value,
}

/// An auto-tracking rule.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Its id (never reused).
    id: i64,
    /// The event it tracks.
    event_name: String,
    /// Shown to people.
    label: String,
    /// `click` or `pageview`.
    kind: String,
    /// Click rules: the CSS selector.
    selector: Option<String>,
    /// Page-view rules: `exact`, `startsWith`, `contains` or `pattern`.
    #[serde(rename = "match")]
    matching: Option<String>,
    /// Page-view rules: what the URL path is compared with.
    value: Option<String>,
    /// Properties captured from the clicked element.
    properties: Vec<Capture>,
    /// Creation time.
    created_at: Instant,
}

/// A property a rule captures.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// Property name.
    name: String,
    /// `text` or `attr:<attribute>`.
    source: String,
}

/// A site's rules.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleList {
    /// Changes with every saved or deleted rule; never repeats for a site.
    version: i64,
    /// Oldest first.
    rules: Vec<Rule>,
}

/// A visualizer token.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisualizerToken {
    /// `vt_` and 64 hex digits: shown once.
    token: String,
    /// The site it opens the visualizer on.
    site: String,
    /// Invalid from then on.
    expires_at: Instant,
}

/// A visualizer session.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VisualizerSession {
    /// The token's site.
    site: String,
    /// When the token expires.
    expires_at: Instant,
}

/// How many visualizer tokens were revoked.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoked {
    /// Tokens revoked.
    revoked: usize,
}

/// An API key, without its secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKey {
    /// Its id.
    id: i64,
    /// What it is for.
    name: String,
    /// What it may do: `read`, `send`, `definitions`, `admin`.
    scopes: Vec<String>,
    /// The secret's last 4 characters, to tell keys apart.
    hint: String,
    /// Creation time.
    created_at: Instant,
}

/// A new API key, with its secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiKey {
    /// Its id.
    id: i64,
    /// What it is for.
    name: String,
    /// What it may do.
    scopes: Vec<String>,
    /// The secret's last 4 characters.
    hint: String,
    /// Creation time.
    created_at: Instant,
    /// The secret (`wtk_` and 64 hex digits), to send as `Authorization: Bearer`: shown this once.
    key: String,
}

/// Every API key.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyList {
    /// Oldest first.
    results: Vec<ApiKey>,
}

/// A contact, as HubSpot's CRM API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contact {
    /// Its id.
    id: String,
    /// Imported properties and the defaults (`email`, `hs_object_id`, `createdate`,
    /// `lastmodifieddate`); all strings, `email` may be null.
    properties: std::collections::BTreeMap<String, Option<String>>,
    /// ISO 8601.
    created_at: String,
    /// ISO 8601.
    updated_at: String,
    /// Always false: contacts are not archived here.
    archived: bool,
}

/// A page of contacts.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPage {
    /// This page.
    results: Vec<Contact>,
    /// Present when there may be a next page.
    paging: Option<Paging>,
}

/// A page of a contact search.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactSearchPage {
    /// How many contacts match in all.
    total: u64,
    /// This page.
    results: Vec<Contact>,
    /// Present when there may be a next page.
    paging: Option<Paging>,
}

/// An import job.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Import {
    /// Its id.
    id: String,
    /// `draft`, `running`, `done`, `failed` or `cancelled`.
    state: String,
    /// The event each row completes.
    event: String,
    /// The uploaded file's name.
    file_name: String,
    /// `csv`, `xlsx` or `xls`.
    kind: String,
    /// The sheet read (workbooks).
    sheet: Option<String>,
    /// Every sheet (workbooks).
    sheets: Vec<String>,
    /// The header row.
    header: Vec<String>,
    /// One target per column.
    mapping: Vec<String>,
    /// Header language.
    language: String,
    /// Date format of "occurred at".
    date_format: String,
    /// Zone of dates without one.
    time_zone: String,
    /// Whether the rows may enroll their contacts in workflows.
    workflows: bool,
    /// File size.
    total_bytes: u64,
    /// Bytes read so far.
    bytes_read: u64,
    /// Rows read so far.
    rows_read: u64,
    /// Rows stored.
    stored: u64,
    /// Rows already stored before.
    duplicates: u64,
    /// Rows refused (see refused.csv).
    refused: u64,
    /// Epoch ms.
    created_at: i64,
    /// Epoch ms.
    started_at: Option<i64>,
    /// Epoch ms.
    finished_at: Option<i64>,
    /// Why it failed.
    error: Option<String>,
    /// Rows per second.
    rows_per_second: Option<f64>,
    /// Seconds left.
    eta_seconds: Option<f64>,
    /// SHA-256 of the file.
    file_hash: String,
    /// Last line stored.
    checkpoint_line: u64,
    /// Length of refused.csv at the checkpoint.
    refused_bytes: u64,
}

/// Every import.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportList {
    /// Newest first.
    results: Vec<Import>,
}

/// A workflow (its full JSON form is in `collector/README.md`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Its id (assigned).
    id: Option<u64>,
    /// Shown to people.
    name: String,
    /// Whether it enrolls contacts (default false).
    enabled: Option<bool>,
    /// Whether a contact may enroll again (default false).
    reenroll: Option<bool>,
    /// Enroll when any matches: `{"event", "filters": [{"property", "operator", "value" | "values"}]}`.
    triggers: Vec<serde_json::Value>,
    /// In order: `{"type": "webhook", "url"}`, `{"type": "delayUntil", "event", "filters", "maxWaitMs"}`, `{"type": "delay", "ms"}`.
    actions: Vec<serde_json::Value>,
    /// The signing secret (made by the collector).
    secret: Option<String>,
    /// Epoch ms.
    created_at: Option<i64>,
    /// Epoch ms.
    updated_at: Option<i64>,
    /// Why the collector switched it off (a receiver answered 410 Gone); cleared when it is
    /// switched on again.
    paused_reason: Option<String>,
}

/// Every workflow.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowList {
    /// By id.
    results: Vec<Workflow>,
}

/// A workflow's enrollments.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentList {
    /// Newest first.
    results: Vec<Enrollment>,
}

/// A contact's way through a workflow.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    /// Its id (in webhook bodies: `enrollment.id`).
    id: i64,
    /// The contact.
    contact_id: i64,
    /// The event whose completion enrolled it.
    event_type: String,
    /// The action it is at (0-based).
    step: i64,
    /// `active`, `waiting` (a "delay until event happens"), `completed` or `failed`.
    state: String,
    /// Failed attempts of the current webhook.
    attempts: i64,
    /// When its step is next due, if it is scheduled.
    next_at: Option<Instant>,
    /// Enrolled.
    created_at: Instant,
    /// Completed or failed.
    finished_at: Option<Instant>,
    /// How the last "delay until event happens" ended: `{"step", "event", "outcome":
    /// "eventHappened" | "maxWaitPassed", "eventId"?, "at"}`.
    last_wait: Option<serde_json::Value>,
    /// Only when one enrollment is read: what happened, oldest first.
    history: Option<Vec<HistoryEntry>>,
}

/// One line of an enrollment's history.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The action (0-based).
    step: i64,
    /// When.
    at: Instant,
    /// `enrolled`, `delivered`, `retrying`, `failed`, `paused`, `delayed`, `waiting`,
    /// `resumed`, `timedOut`, `completed` or `replayed`.
    kind: String,
    /// A webhook attempt's HTTP status (absent when no answer came).
    status: Option<u16>,
    /// A webhook attempt's time until the answer, ms.
    latency_ms: Option<i64>,
    /// A sentence, or the start of the receiver's answer.
    detail: Option<String>,
}
