//! PostgreSQL store tests: ingest.

#[allow(unused_imports)]
use super::*;
