//! PostgreSQL store tests: reads.

#[allow(unused_imports)]
use super::*;
