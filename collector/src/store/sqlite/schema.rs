//! The database file: connection settings and the schema's migrations.
//!
//! Migrations are numbered by `PRAGMA user_version` and run inside one IMMEDIATE transaction,
//! so two collectors starting on one file cannot both migrate, and a failed migration leaves
//! the file as it was. A file from a newer collector is refused, never rewritten.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::store::StoreError;

/// The schema, one entry per version: `MIGRATIONS[0]` takes a new file to version 1,
/// `MIGRATIONS[1]` to version 2, and so on.
///
/// Indexes are the fewest the queries need, because each one costs every insert:
/// `events_by_name` serves completions and listings by event, `events_by_object` a record's
/// timeline, `events_by_visitor` the anonymous events that join it after `identify`. Event ids
/// are unique through `event_ids` (version 3), which the writer fills in sorted batches
/// (see [`super::event_ids`]) rather than through a unique index on `events.id`: random ids
/// made every insert rewrite a page of that index.
const MIGRATIONS: &[&str] = &[
    // 1: sites, definitions, contacts, visitors, events, rejected events.
    r#"
CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    origins TEXT NOT NULL,          -- JSON array of normalized origins
    public_key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE definitions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL              -- the definition as JSON (model::EventDefinition)
) STRICT;

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,         -- the objectId
    email TEXT UNIQUE,
    external_id TEXT UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

-- A visitor (utk) belongs to at most one contact: the last one it identified as.
CREATE TABLE visitors (
    vid TEXT PRIMARY KEY,
    contact_id INTEGER NOT NULL,
    linked_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX visitors_by_contact ON visitors (contact_id);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,        -- the de-duplication key
    name TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,   -- epoch ms
    received_at INTEGER NOT NULL,
    object_type TEXT NOT NULL,      -- CONTACT, COMPANY, DEAL, TICKET
    object_id INTEGER,              -- NULL while anonymous
    vid TEXT,
    sid TEXT,
    site TEXT,
    props TEXT NOT NULL,            -- custom properties, JSON object
    defaults TEXT                   -- default (page) properties, JSON object
) STRICT;
CREATE INDEX events_by_name ON events (name, occurred_at);
CREATE INDEX events_by_object ON events (object_id, occurred_at) WHERE object_id IS NOT NULL;
CREATE INDEX events_by_visitor ON events (vid, occurred_at) WHERE vid IS NOT NULL;

CREATE TABLE rejected (
    seq INTEGER PRIMARY KEY,
    event_id TEXT UNIQUE,           -- a retried beacon is kept once
    name TEXT,
    site TEXT,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
"#,
    // 2: the visualizer's auto-tracking rules and tokens (SPEC §5).
    r#"
CREATE TABLE rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: a tracker may remember ids
    site TEXT NOT NULL,
    event_name TEXT NOT NULL,
    body TEXT NOT NULL,             -- the rule as JSON (model::Rule)
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX rules_by_site ON rules (site, id);

-- A site's rules version (the ETag of its rule list): the value of the global counter
-- `rules_version` at the site's last rule change, so it never repeats for a site, not even
-- after the site is deleted and created again. A site without a row is at version 0.
CREATE TABLE rule_versions (
    site TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('rules_version', 0);

CREATE TABLE visualizer_tokens (
    token TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    expires_at INTEGER NOT NULL,    -- epoch ms; invalid from then on
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX visualizer_tokens_by_site ON visualizer_tokens (site);
"#,
    // 3: event ids unique through `event_ids`, merged in sorted batches, instead of a UNIQUE
    // index on `events.id` (SQLite cannot drop a column constraint: the table is rebuilt).
    r#"
CREATE TABLE events_v3 (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,               -- unique: see event_ids
    name TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,   -- epoch ms
    received_at INTEGER NOT NULL,
    object_type TEXT NOT NULL,      -- CONTACT, COMPANY, DEAL, TICKET
    object_id INTEGER,              -- NULL while anonymous
    vid TEXT,
    sid TEXT,
    site TEXT,
    props TEXT NOT NULL,            -- custom properties, JSON object
    defaults TEXT                   -- default (page) properties, JSON object
) STRICT;
INSERT INTO events_v3 (seq, id, name, occurred_at, received_at, object_type, object_id, vid, sid, site, props, defaults)
    SELECT seq, id, name, occurred_at, received_at, object_type, object_id, vid, sid, site, props, defaults FROM events;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
CREATE INDEX events_by_name ON events (name, occurred_at);
CREATE INDEX events_by_object ON events (object_id, occurred_at) WHERE object_id IS NOT NULL;
CREATE INDEX events_by_visitor ON events (vid, occurred_at) WHERE vid IS NOT NULL;

-- The ids of the events up to seq `event_ids_through` (a counter); the ids of later events
-- are in the writer's memory, loaded from `events` at start, until it merges them here.
-- A UUID in lowercase hex is kept as its 16 bytes (a BLOB), any other id as its text.
CREATE TABLE event_ids (
    id ANY PRIMARY KEY
) STRICT, WITHOUT ROWID;
INSERT INTO event_ids (id) SELECT CASE WHEN id GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' THEN unhex(replace(id, '-', '')) ELSE id END
    FROM events ORDER BY 1;
INSERT INTO counters (name, value) SELECT 'event_ids_through', COALESCE(MAX(seq), 0) FROM events;
"#,
    // 4: beacon events of undefined names held for replay, data-quality counts, and the
    // refused events' age made cheap to bound (issue 13).
    r#"
CREATE TABLE held (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,  -- a retried beacon is held once
    name TEXT NOT NULL,
    site TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    body TEXT NOT NULL              -- the event as JSON (store::HeldEvent)
) STRICT;
CREATE INDEX held_by_name ON held (name, seq);
CREATE INDEX held_by_age ON held (received_at);

-- One row per (event, property, code, site): how often the beacon path dropped, cut or held
-- something, updated in the transaction that stored the beacon.
CREATE TABLE quality (
    event TEXT NOT NULL,
    property TEXT NOT NULL,         -- '' when the problem is the event's
    code TEXT NOT NULL,
    site TEXT NOT NULL,             -- '' when not from a beacon
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    example TEXT NOT NULL,          -- the last occurrence: event id and what happened
    PRIMARY KEY (event, property, code, site)
) STRICT, WITHOUT ROWID;
CREATE INDEX quality_by_last_seen ON quality (last_seen);

CREATE INDEX rejected_by_age ON rejected (received_at);

-- Visualizer tokens are kept as their SHA-256 from now on; SQL cannot hash, and the tokens
-- stored in clear live a day at most: they are revoked, and admins issue new ones.
DELETE FROM visualizer_tokens;

-- API keys: named credentials with scopes, kept as the SHA-256 of their secret.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,           -- comma-separated: read, send, definitions, admin
    hash TEXT NOT NULL UNIQUE,      -- SHA-256 of the secret, hex
    hint TEXT NOT NULL,             -- the secret's last 4 characters, to tell keys apart
    created_at INTEGER NOT NULL
) STRICT;

-- Events sent through the API are de-duplicated in a namespace of their own (event_ids'
-- dedupe_id): the ids of those already merged are added under it. Their plain keys stay: they
-- only keep a beacon from reusing a back end's id.
INSERT OR IGNORE INTO event_ids (id)
    SELECT 'api:' || id FROM events
    WHERE site IS NULL AND seq <= (SELECT value FROM counters WHERE name = 'event_ids_through');
"#,
    // 5: completions per event and hour, kept by the writer in the transaction that stores the
    // events (`writer::count_hours`, the one place events are written), so that a report counts
    // a few hundred rows instead of every completion of its range (a 90-day hourly chart is
    // 2,160 rows whatever the volume). Events are deleted in one place only, with their
    // definition, which deletes the event's rows here too (`definitions.rs`).
    r#"
CREATE TABLE event_hours (
    name TEXT NOT NULL,
    hour INTEGER NOT NULL,          -- occurred_at / 3,600,000
    count INTEGER NOT NULL,
    contacts BLOB,                  -- HyperLogLog of the hour's contacts (reach.rs); NULL for
    visitors BLOB,                  -- hours stored before it: their reach is counted exactly
    PRIMARY KEY (name, hour)
) STRICT, WITHOUT ROWID;
INSERT INTO event_hours (name, hour, count)
    SELECT name, occurred_at / 3600000, COUNT(*) FROM events GROUP BY name, occurred_at / 3600000;
"#,
    // 6: each contact's last activity, kept by the writer (`activity.rs`), so that the contacts
    // list is read in order from an index; and completions per option of each enumeration
    // property and hour (`values.rs`), filled from the stored events by the store at open.
    r#"
ALTER TABLE contacts ADD COLUMN last_activity INTEGER;   -- epoch ms of its newest event, or NULL
UPDATE contacts SET last_activity = (SELECT MAX(at) FROM (
    SELECT MAX(e.occurred_at) AS at FROM events e
     WHERE e.object_id = contacts.id AND e.object_type = 'CONTACT'
    UNION ALL
    SELECT MAX(e.occurred_at) FROM visitors v JOIN events e ON e.vid = v.vid
     WHERE v.contact_id = contacts.id AND e.object_id IS NULL AND e.object_type = 'CONTACT'));
CREATE INDEX contacts_by_activity ON contacts (last_activity, id);

CREATE TABLE value_hours (
    name TEXT NOT NULL,
    property TEXT NOT NULL,
    value TEXT NOT NULL,            -- one option; '' when the completion has none
    hour INTEGER NOT NULL,          -- occurred_at / 3,600,000
    count INTEGER NOT NULL,
    contacts BLOB,                  -- reach sketches, as in event_hours
    visitors BLOB,
    PRIMARY KEY (name, property, value, hour)
) STRICT, WITHOUT ROWID;

-- The (event, property) pairs whose rows in value_hours are complete.
CREATE TABLE value_counts (
    name TEXT NOT NULL,
    property TEXT NOT NULL,
    PRIMARY KEY (name, property)
) STRICT, WITHOUT ROWID;
"#,
    // 7: contact properties (an import's contact columns: firstname, company…), shown by the
    // CRM contacts API (`crm.rs`).
    r#"
ALTER TABLE contacts ADD COLUMN properties TEXT;    -- JSON object of strings, or NULL
ALTER TABLE contacts ADD COLUMN updated_at INTEGER; -- last change of its properties; NULL: created_at
"#,
    // 8: workflow definitions (issue 17), as JSON bodies (`workflows::Workflow`), loaded at open
    // and kept in memory (`workflows.rs`): every stored event will be matched against them.
    r#"
CREATE TABLE workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: deliveries name it
    body TEXT NOT NULL
) STRICT;
"#,
    // 9: enrollments (issue 17), made after the commit by a follower of the stored events
    // (`workflows::enroller`) from a durable cursor (`enrolled_through`): a collector stopped
    // between a commit and the enrollment picks up where it was. Existing completions do not
    // enroll: a workflow enrolls from when it is on, as in HubSpot.
    r#"
CREATE TABLE enrollments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow INTEGER NOT NULL,
    contact INTEGER NOT NULL,
    event_seq INTEGER NOT NULL,     -- the completion that enrolled it
    event_name TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,-- the next action to run
    state TEXT NOT NULL,            -- 'active': its steps are to run
    wake_at INTEGER,                -- when its next step is due, epoch ms
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX enrollments_by_workflow ON enrollments (workflow, contact);
CREATE INDEX enrollments_due ON enrollments (wake_at) WHERE state = 'active';

-- A completion of an anonymous visitor that matched a trigger: the visitor's contact is
-- enrolled with it once the visitor is identified (the first such completion is kept).
CREATE TABLE enrollment_candidates (
    workflow INTEGER NOT NULL,
    vid TEXT NOT NULL,
    event_seq INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    PRIMARY KEY (workflow, vid)
) STRICT, WITHOUT ROWID;

INSERT INTO counters (name, value) SELECT 'enrolled_through', COALESCE(MAX(seq), 0) FROM events;
"#,
    // 10: completions that enroll nobody: an import may opt out of workflows, and its rows'
    // ids all start with the import's prefix (`imp-<identity>-`, see `import::rows`).
    r#"
CREATE TABLE enrollment_opt_outs (
    prefix TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
"#,
    // 11: running the steps (issue 17, `workflows::runner`). An enrollment keeps where it is
    // (its step, the failed attempts of that step's webhook, when the step began, what a
    // "delay until event" waits after) so that a collector killed and restarted resumes it;
    // its history is the trail the analyst reads: every attempt with its status and latency.
    r#"
ALTER TABLE enrollments ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN step_started_at INTEGER;  -- NULL: the step has not begun
ALTER TABLE enrollments ADD COLUMN wait_after_seq INTEGER;   -- 'waiting': completions after this seq end it
ALTER TABLE enrollments ADD COLUMN last_wait TEXT;           -- JSON: how the last "delay until" ended
ALTER TABLE enrollments ADD COLUMN finished_at INTEGER;
DROP INDEX enrollments_due;
CREATE INDEX enrollments_due ON enrollments (workflow, wake_at) WHERE state IN ('active', 'waiting');
CREATE INDEX enrollments_waiting ON enrollments (workflow, contact, step) WHERE state = 'waiting';

CREATE TABLE enrollment_history (
    id INTEGER PRIMARY KEY,
    enrollment INTEGER NOT NULL,
    step INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status INTEGER,        -- an attempt's HTTP status; NULL when no answer came
    latency_ms INTEGER,
    detail TEXT
) STRICT;
CREATE INDEX enrollment_history_by_enrollment ON enrollment_history (enrollment, id);
"#,
    // 12: an anonymous visitor's remembered completions are found by the visitor when it is
    // identified (the key leads with the workflow, so that lookup scanned the table, on the
    // writer ingestion shares), and forgotten after `enrollments::CANDIDATE_DAYS`.
    r#"
ALTER TABLE enrollment_candidates ADD COLUMN remembered_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX enrollment_candidates_by_vid ON enrollment_candidates (vid);
CREATE INDEX enrollment_candidates_by_age ON enrollment_candidates (remembered_at);
"#,
];

/// Opens the writer's connection: WAL, and syncs at checkpoints rather than every commit
/// (a power cut may lose the last transactions, never corrupt the file).
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    // 16 MiB of page cache: the writer appends to the ends of the table and its indexes, and
    // merges sorted ids (see `event_ids`), so its hot pages are few; and SQLite scans the whole
    // cache's hash table at the end of every write transaction (measured: with 128 MiB, 8 % of
    // the writer's time). It checkpoints every ~40 MB of WAL rather than every 4 MB, which
    // cuts the pages rewritten per committed event (most checkpoints run on their own thread).
    conn.execute_batch("PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 10000;")?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Internal(format!(
            "{}: cannot use WAL mode (got {mode})",
            path.display()
        )));
    }
    Ok(conn)
}

/// Opens a read-only connection for queries.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    configure(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32000;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// The latest schema version.
pub fn latest() -> usize {
    MIGRATIONS.len()
}

/// Brings the schema to the latest version.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Brings the schema to `target` (at most the latest version).
pub fn migrate_to(conn: &mut Connection, target: usize) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let latest = MIGRATIONS.len() as i64;
    if version > latest {
        return Err(StoreError::Internal(format!(
            "the database is at schema version {version}, newer than this collector knows ({latest}); \
             run a newer collector or restore a backup (the file was not changed)"
        )));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target)
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::event_ids::KEY_OF_ID_SQL;

    #[test]
    fn the_version_3_migration_keys_ids_as_the_writer_does() {
        assert!(MIGRATIONS[2].contains(KEY_OF_ID_SQL));
    }

    #[test]
    fn the_version_6_migration_finds_last_activity_as_the_writer_does() {
        let backfill = super::super::activity::NEWEST_OF_CONTACT.replace("?1", "contacts.id");
        assert!(MIGRATIONS[5].contains(&format!("SET last_activity = {backfill};")));
    }
}
