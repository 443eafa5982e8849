//! The PostgreSQL schema and its migrations: one ordered list, numbered by the row of
//! `schema_version`, applied at start in one transaction under an advisory lock, so that
//! collectors starting together on one database migrate it once and each sees it whole. A
//! database of a newer schema is refused, never changed.
//!
//! The tables are SQLite's (`store/sqlite/schema.rs`, version 12), with PostgreSQL's types:
//! epoch milliseconds as `bigint`, JSON the store queries as `jsonb`, sketches as `bytea`.
//! What differs, and why:
//! * **`events` is partitioned by month of `occurred_at`**, so that retention drops a
//!   partition instead of deleting rows; `wasmtrack_ensure_partitions` creates the months a
//!   collector is about to write (run at start and daily), and `events_default` takes anything
//!   outside them, so an insert never fails for want of a partition.
//! * **Event ids are unique through `event_ids`**, a plain table keyed by id: a partitioned
//!   table's unique keys must contain its partition key, and an event sent to two collectors
//!   must be stored once whatever time it claims. A batch inserts its ids there first
//!   (`ON CONFLICT DO NOTHING RETURNING id`) and only the new ones into `events`.
//! * **`seq` comes from a sequence**, shared by every collector.
//! * Counters that were rows of SQLite's `counters` and only ever grow (the rule-list
//!   version) are sequences; the cursors (`enrolled_through`) stay rows.

use tokio_postgres::Client;

use crate::store::StoreError;

/// The key of the advisory lock migrations hold (any constant; this one spells "wtschema").
const MIGRATION_LOCK: i64 = 0x7774_7363_6865_6d61;

/// The migrations, in order: migration `n` (from 1) brings the schema to version `n`.
pub const MIGRATIONS: &[&str] = &[
    // 1: everything SQLite's schema holds at its version 12.
    r#"
CREATE TABLE sites (
    id text PRIMARY KEY,
    origins jsonb NOT NULL,         -- array of normalized origins
    public_key text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE TABLE definitions (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    body jsonb NOT NULL             -- model::EventDefinition
);
CREATE TABLE contacts (
    id bigserial PRIMARY KEY,       -- the objectId
    email text UNIQUE,
    external_id text UNIQUE,
    created_at bigint NOT NULL,
    last_activity bigint,           -- epoch ms of its newest event
    properties jsonb,               -- an import's contact columns
    updated_at bigint
);
-- The contacts list's order (postgres/contacts.rs): newest activity first, none last.
CREATE INDEX contacts_by_activity ON contacts ((COALESCE(last_activity, '-9223372036854775808'::bigint)), id);
CREATE TABLE visitors (
    vid text PRIMARY KEY,
    contact_id bigint NOT NULL,
    linked_at bigint NOT NULL
);
CREATE INDEX visitors_by_contact ON visitors (contact_id);

CREATE SEQUENCE events_seq;
CREATE TABLE event_ids (
    id text PRIMARY KEY,            -- an API event's as 'api:<id>', as in SQLite
    occurred_at bigint NOT NULL     -- so that retention can forget the ids it dropped
);
CREATE TABLE events (
    seq bigint NOT NULL DEFAULT nextval('events_seq'),
    id text NOT NULL,               -- unique: see event_ids
    name text NOT NULL,
    occurred_at bigint NOT NULL,
    received_at bigint NOT NULL,
    object_type text NOT NULL,
    object_id bigint,
    vid text,
    sid text,
    site text,
    props jsonb NOT NULL,
    defaults jsonb
) PARTITION BY RANGE (occurred_at);
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_by_seq ON events (seq);
-- Listings page by (occurred_at, seq): with `seq` in the key a page is read in its order,
-- and for no name or object, `events_by_time` reads the newest month's tail only.
CREATE INDEX events_by_name ON events (name, occurred_at, seq);
CREATE INDEX events_by_time ON events (occurred_at, seq);
CREATE INDEX events_by_object ON events (object_id, occurred_at) WHERE object_id IS NOT NULL;
CREATE INDEX events_by_visitor ON events (vid, occurred_at) WHERE vid IS NOT NULL;

-- The month partitions from the month of `from_ms` on, `months` of them (UTC), each created
-- once. Returns how many it created. Rows already in the default partition for a month stop
-- its creation with an error, which names the month: a collector creates months ahead of
-- the events it writes, so only a clock far off could cause it.
CREATE FUNCTION wasmtrack_ensure_partitions(from_ms bigint, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first timestamptz := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    start_at timestamptz;
    end_at timestamptz;
    name text;
    made integer := 0;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        start_at := first + make_interval(months => i);
        end_at := start_at + interval '1 month';
        name := 'events_' || to_char(start_at AT TIME ZONE 'UTC', 'YYYY_MM');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)',
                name,
                (extract(epoch FROM start_at) * 1000)::bigint,
                (extract(epoch FROM end_at) * 1000)::bigint);
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;

CREATE TABLE rejected (
    seq bigserial PRIMARY KEY,
    event_id text UNIQUE,
    name text,
    site text,
    reason text NOT NULL,
    body text NOT NULL,
    received_at bigint NOT NULL
);
CREATE INDEX rejected_by_age ON rejected (received_at);

CREATE TABLE rules (
    id bigserial PRIMARY KEY,       -- never reused: a tracker may remember ids
    site text NOT NULL,
    event_name text NOT NULL,
    body jsonb NOT NULL,            -- model::Rule
    created_at bigint NOT NULL
);
CREATE INDEX rules_by_site ON rules (site, id);
CREATE SEQUENCE rules_version;      -- the ETag of a site's list: never repeats for a site
CREATE TABLE rule_versions (
    site text PRIMARY KEY,
    version bigint NOT NULL
);
CREATE TABLE visualizer_tokens (
    token text PRIMARY KEY,         -- SHA-256 of the token, hex
    site text NOT NULL,
    expires_at bigint NOT NULL,
    created_at bigint NOT NULL
);
CREATE INDEX visualizer_tokens_by_site ON visualizer_tokens (site);

CREATE TABLE held (
    seq bigserial PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    name text NOT NULL,
    site text NOT NULL,
    received_at bigint NOT NULL,
    body text NOT NULL              -- store::HeldEvent as JSON
);
CREATE INDEX held_by_name ON held (name, seq);
CREATE INDEX held_by_age ON held (received_at);
CREATE TABLE quality (
    event text NOT NULL,
    property text NOT NULL,
    code text NOT NULL,
    site text NOT NULL,
    count bigint NOT NULL,
    first_seen bigint NOT NULL,
    last_seen bigint NOT NULL,
    example text NOT NULL,
    PRIMARY KEY (event, property, code, site)
);
CREATE INDEX quality_by_last_seen ON quality (last_seen);
CREATE TABLE api_keys (
    id bigserial PRIMARY KEY,       -- never reused
    name text NOT NULL,
    scopes text NOT NULL,
    hash text NOT NULL UNIQUE,      -- SHA-256 of the secret, hex
    hint text NOT NULL,
    created_at bigint NOT NULL
);

CREATE TABLE event_hours (
    name text NOT NULL,
    hour bigint NOT NULL,           -- occurred_at / 3,600,000
    count bigint NOT NULL,
    contacts bytea,                 -- reach sketches (reach.rs)
    visitors bytea,
    PRIMARY KEY (name, hour)
);
CREATE TABLE value_hours (
    name text NOT NULL,
    property text NOT NULL,
    value text NOT NULL,
    hour bigint NOT NULL,
    count bigint NOT NULL,
    contacts bytea,
    visitors bytea,
    PRIMARY KEY (name, property, value, hour)
);
CREATE TABLE value_counts (
    name text NOT NULL,
    property text NOT NULL,
    PRIMARY KEY (name, property)
);

CREATE TABLE counters (
    name text PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('enrolled_through', 0);
CREATE TABLE workflows (
    id bigserial PRIMARY KEY,       -- never reused: deliveries name it
    body jsonb NOT NULL
);
CREATE TABLE enrollments (
    id bigserial PRIMARY KEY,
    workflow bigint NOT NULL,
    contact bigint NOT NULL,
    event_seq bigint NOT NULL,
    event_name text NOT NULL,
    step integer NOT NULL DEFAULT 0,
    state text NOT NULL,
    wake_at bigint,
    created_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    step_started_at bigint,
    wait_after_seq bigint,
    last_wait text,                 -- JSON, kept as written (webhooks are told it)
    finished_at bigint
);
CREATE INDEX enrollments_by_workflow ON enrollments (workflow, contact);
CREATE INDEX enrollments_due ON enrollments (workflow, wake_at) WHERE state IN ('active', 'waiting');
CREATE INDEX enrollments_waiting ON enrollments (workflow, contact, step) WHERE state = 'waiting';
CREATE TABLE enrollment_candidates (
    workflow bigint NOT NULL,
    vid text NOT NULL,
    event_seq bigint NOT NULL,
    event_name text NOT NULL,
    remembered_at bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workflow, vid)
);
CREATE INDEX enrollment_candidates_by_vid ON enrollment_candidates (vid);
CREATE INDEX enrollment_candidates_by_age ON enrollment_candidates (remembered_at);
CREATE TABLE enrollment_opt_outs (
    prefix text PRIMARY KEY
);
CREATE TABLE enrollment_history (
    id bigserial PRIMARY KEY,
    enrollment bigint NOT NULL,
    step integer NOT NULL,
    at bigint NOT NULL,
    kind text NOT NULL,
    status integer,
    latency_ms bigint,
    detail text
);
CREATE INDEX enrollment_history_by_enrollment ON enrollment_history (enrollment, id);

-- The analyst app's sessions (in memory on SQLite), shared by every collector.
CREATE TABLE app_sessions (
    id text PRIMARY KEY,            -- SHA-256 of the session id, hex
    holder text NOT NULL,           -- 'admin', or 'key:' and the key's hash
    csrf text NOT NULL,
    last_seen bigint NOT NULL
);
CREATE INDEX app_sessions_by_age ON app_sessions (last_seen);
"#,
];

/// Brings the database to the latest schema; returns the version it is at. Refuses a
/// database whose schema is newer than this collector's, changing nothing.
pub async fn migrate(client: &mut Client) -> Result<usize, StoreError> {
    let tx = client.transaction().await?;
    // Held to the end of the transaction: a second collector waits here, then finds the
    // schema current.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        .await?;
    let version = tx
        .query_opt("SELECT version FROM schema_version", &[])
        .await?
        .map_or(0, |row| row.get::<_, i32>(0)) as usize;
    let latest = MIGRATIONS.len();
    if version > latest {
        return Err(StoreError::Internal(format!(
            "the database is at schema version {version}, newer than this collector knows \
             ({latest}); run a newer collector (the database was not changed)"
        )));
    }
    for sql in &MIGRATIONS[version..] {
        tx.batch_execute(sql).await?;
    }
    if version < latest {
        tx.execute("DELETE FROM schema_version", &[]).await?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(latest as i32)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(latest)
}
