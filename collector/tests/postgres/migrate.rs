//! PostgreSQL store tests: migrate.

#[allow(unused_imports)]
use super::*;
