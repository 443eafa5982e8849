//! The PostgreSQL backend (issue 19), for several collectors on one database. Being built
//! step by step to the plan in `docs/postgres.md`; until the whole `EventStore` is there it is
//! not offered by `--database`. Built so far: the schema and its migrations ([`schema`]), and
//! [`PgStore`] with a pool, the caches every collector keeps and the notifications that keep
//! them current across collectors ([`listen`]), for sites ([`sites`]) and API keys ([`keys`]); visualizer tokens ([`tokens`]), read from the
//! database on every use.

mod keys;
mod listen;
pub mod schema;
mod sites;
mod tokens;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::StoreError;
use crate::model::Site;
use crate::store::ApiKey;

impl From<tokio_postgres::Error> for StoreError {
    fn from(err: tokio_postgres::Error) -> Self {
        StoreError::Internal(format!("postgres: {err}"))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        StoreError::Internal(format!("postgres pool: {err}"))
    }
}

/// The channel of the notifications a change sends, its payload the table changed.
const CHANNEL: &str = "wasmtrack";

/// Connections a collector keeps open to the database.
const POOL_SIZE: usize = 16;

/// What a collector keeps in memory, read on every request: the same on every collector,
/// within a notification's delay.
#[derive(Default)]
pub(crate) struct Caches {
    pub sites: RwLock<BTreeMap<String, Arc<Site>>>,
    /// API keys by the hash of their secret.
    pub keys: RwLock<BTreeMap<String, Arc<ApiKey>>>,
}

/// One collector's view of the shared database.
pub struct PgStore {
    pool: Pool,
    caches: Arc<Caches>,
    listener: tokio::task::JoinHandle<()>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`), brings the schema up to date, loads the caches and
    /// starts following the other collectors' changes.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Internal(format!("{url}: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Internal(format!("postgres pool: {e}")))?;
        {
            let mut client = pool.get().await?;
            schema::migrate(&mut client).await?;
        }
        let caches = Arc::new(Caches::default());
        let (loaded, first_load) = tokio::sync::oneshot::channel();
        let listener = tokio::spawn(listen::follow(
            url.to_owned(),
            pool.clone(),
            caches.clone(),
            loaded,
        ));
        first_load
            .await
            .map_err(|_| StoreError::Internal("the listener stopped before loading".into()))??;
        Ok(PgStore {
            pool,
            caches,
            listener,
        })
    }

    /// Stops following changes; the pool's connections close as they are dropped.
    pub fn close(&self) {
        self.listener.abort();
        self.pool.close();
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Sends the notification that `table` changed, in the transaction that changed it: others
/// hear of it once it commits, and never of a change rolled back.
async fn notify(tx: &deadpool_postgres::Transaction<'_>, table: &str) -> Result<(), StoreError> {
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &table])
        .await?;
    Ok(())
}
