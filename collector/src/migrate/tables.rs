//! What is copied, in which order, by which key: every table of SQLite's schema (version 12)
//! that PostgreSQL's schema holds too, keyed by its primary key, which is the order rows are
//! read in and the place a resumed run starts from.
//!
//! Not copied as tables: `counters` (its `rules_version` becomes the sequence of that name, its
//! `enrolled_through` is set at the end, its `event_ids_through` means nothing on PostgreSQL)
//! and SQLite's `event_ids`, which holds only the ids merged so far, some of them as 16-byte
//! blobs: PostgreSQL's `event_ids` is filled from each batch of `events` instead, one row per
//! event with its de-duplication id, in the batch's transaction.

/// A table copied row for row.
pub(super) struct Table {
    pub name: &'static str,
    /// Its primary key's columns, in order.
    pub key: &'static [&'static str],
    /// When its key is a `bigserial`: how SQLite numbered it, so that the sequence is set past
    /// every id SQLite gave.
    pub serial: Option<Ids>,
}

/// How SQLite chose a table's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ids {
    /// The highest id left plus one (`INTEGER PRIMARY KEY`).
    AfterHighest,
    /// Never reused (`AUTOINCREMENT`): the highest ever given is in `sqlite_sequence`, and may
    /// be above the highest left.
    NeverReused,
}

const fn table(name: &'static str, key: &'static [&'static str]) -> Table {
    Table {
        name,
        key,
        serial: None,
    }
}

const fn numbered(name: &'static str, key: &'static [&'static str], ids: Ids) -> Table {
    Table {
        name,
        key,
        serial: Some(ids),
    }
}

use Ids::{AfterHighest, NeverReused};

/// The tables, small ones first and `events` last: the collector's configuration is on the
/// target early, and the long part is the one the progress bar is mostly about.
pub(super) const TABLES: &[Table] = &[
    table("sites", &["id"]),
    numbered("definitions", &["id"], AfterHighest),
    numbered("api_keys", &["id"], NeverReused),
    table("visualizer_tokens", &["token"]),
    numbered("rules", &["id"], NeverReused),
    table("rule_versions", &["site"]),
    numbered("workflows", &["id"], NeverReused),
    numbered("contacts", &["id"], AfterHighest),
    table("visitors", &["vid"]),
    numbered("rejected", &["seq"], AfterHighest),
    numbered("held", &["seq"], AfterHighest),
    table("quality", &["event", "property", "code", "site"]),
    table("event_hours", &["name", "hour"]),
    table("value_hours", &["name", "property", "value", "hour"]),
    table("value_counts", &["name", "property"]),
    numbered("enrollments", &["id"], NeverReused),
    table("enrollment_candidates", &["workflow", "vid"]),
    table("enrollment_opt_outs", &["prefix"]),
    numbered("enrollment_history", &["id"], AfterHighest),
    // Its `seq` comes from the sequence `events_seq`, set apart (see `target::finish`).
    table("events", &["seq"]),
];

/// The table whose batches also fill `event_ids`, and whose rows decide whether a target
/// holds events from elsewhere.
pub(super) const EVENTS: &str = "events";
