//! The PostgreSQL backend (issue 19), for several collectors on one database. Being built
//! step by step to the plan in `docs/postgres.md`; until the whole `EventStore` is there it is
//! not offered by `--database`. Built so far: the schema and its migrations ([`schema`]).

pub mod schema;

use super::StoreError;

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        StoreError::Internal(format!("postgres: {err}"))
    }
}
