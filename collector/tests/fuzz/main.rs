//! Fuzzing the collector's and the tracker's parsers of untrusted text (issue 13, point 8):
//! beacon bodies, definition, property and rule bodies, `send` and `send/batch` bodies, the
//! trackers' rule-list text, timestamps, paging cursors, and names and queries in URLs.
//!
//! Each target replays its committed corpus (`collector/fuzz/corpus/<target>/`: real, valid
//! and near-valid inputs) as is, then feeds proptest-generated mutations of it (byte edits,
//! interesting tokens, JSON-aware replacements, splices of two seeds) and arbitrary bytes.
//! HTTP targets drive `router(state)` without a socket, one temporary store per target, and
//! check for every input: the answer is a success or a 4xx (never a 5xx), errors are HubSpot's
//! error body, no handler panics or hangs (5 s per call), and nothing is stored partially.
//!
//! Run longer locally with `WASMTRACK_FUZZ_CASES=5000 cargo test -p wasmtrack-collector --test
//! fuzz` (cases per target); proptest saves the seed of a failing case in
//! `collector/fuzz/proptest-regressions/<target>.txt` and replays it first on the next runs.

mod app;
mod corpus;
mod mutations;
mod runner;

mod beacons;
mod definitions;
mod paging;
mod paths;
mod rules;
mod send;
mod text_formats;
