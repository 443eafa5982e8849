//! PostgreSQL store tests: definitions.

#[allow(unused_imports)]
use super::*;
