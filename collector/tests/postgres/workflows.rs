//! PostgreSQL store tests: workflows.

#[allow(unused_imports)]
use super::*;
