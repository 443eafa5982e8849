//! The wasmtrack collector: receives the tracker's beacons, owns event definitions and their
//! typed properties, validates with HTTP-API semantics (SPEC §3), stores events in an embedded
//! SQLite database, and answers HubSpot-shaped queries (SPEC §2, §7).
//!
//! [`router`] builds the whole HTTP application from an [`AppState`], so tests drive it with
//! `tower::ServiceExt::oneshot` without a socket; [`serve`] runs it on a listener until a
//! shutdown signal, then drains in-flight requests and the write queue.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod app;
mod auth;
pub mod config;
pub mod connections;
pub mod csv_cell;
pub mod error;
pub mod import;
pub mod layers;
pub mod migrate;
pub mod model;
mod random;
pub mod rate_limit;
pub mod scopes;
pub mod store;
pub mod timestamp;
pub mod validate;
pub mod workflows;
mod www;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

pub use config::{Cli, Config, WwwMount};
use rate_limit::RateLimits;
use store::{EventStore, SqliteStore};

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "wasmtrack.db";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Definitions, sites, events.
    pub store: Arc<dyn EventStore>,
    /// The admin token management and query endpoints require.
    pub admin_token: Arc<str>,
    /// Static directories to serve.
    pub www: Arc<[WwwMount]>,
    /// Rate limits per site and per credential.
    pub limits: Arc<RateLimits>,
    /// Most requests handled at once; past it new ones get 503 ([`layers::MAX_IN_FLIGHT`]).
    pub max_in_flight: usize,
    /// Spreadsheet imports.
    pub imports: Arc<import::Imports>,
    /// Which destinations workflow webhooks may reach.
    pub webhooks: workflows::UrlPolicy,
}

impl AppState {
    /// State with no static directories.
    pub fn new(store: Arc<dyn EventStore>, admin_token: &str) -> Self {
        AppState {
            store,
            admin_token: admin_token.into(),
            www: Arc::new([]),
            limits: Arc::new(RateLimits::none()),
            max_in_flight: layers::MAX_IN_FLIGHT,
            // Not under a data directory: a fresh temporary one, made on the first upload.
            imports: Arc::new(import::Imports::empty(
                std::env::temp_dir().join(format!("wasmtrack-imports-{}", random::hex(1))),
                import::DEFAULT_MAX_BYTES,
            )),
            webhooks: workflows::UrlPolicy::default(),
        }
    }
}

/// The whole HTTP application: API routes, static files, and the limit layers.
pub fn router(state: AppState) -> Router {
    let in_flight = state.max_in_flight;
    layers::wrap(api::routes(state), in_flight)
}

/// Creates the data directory, if it does not exist, readable by this user only (0700): it
/// holds the database and the admin token.
fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Creates the database file, if it does not exist, readable by this user only (0600); SQLite
/// gives its `-wal` and `-shm` files the same mode.
fn create_private_file(path: &std::path::Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Opens the configured store: PostgreSQL when `--database` names one, else the embedded SQLite
/// file in the data directory. Returns it and what to call it in the log (never a password).
async fn open_store(config: &Config) -> anyhow::Result<(Arc<dyn EventStore>, String)> {
    if let Some(url) = &config.database {
        let store = store::postgres::PgStore::open(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the PostgreSQL database: {e:?}"))?;
        return Ok((Arc::new(store), store::postgres::redacted(url)));
    }
    let db: PathBuf = config.data_dir.join(DB_FILE);
    create_private_file(&db)?;
    let store = SqliteStore::open_with(&db, config.retention)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e:?}", db.display()))?;
    Ok((Arc::new(store), db.display().to_string()))
}

/// Opens the store under `config.data_dir`, declares the configured sites, resolves the admin
/// token, and serves on `listener` until `shutdown` completes; then stops accepting, waits for
/// in-flight requests, and lets the writer commit everything it accepted before returning.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    create_private_dir(&config.data_dir)?;
    for mount in &config.www {
        www::check_overlap(&mount.dir, &config.data_dir)?;
    }
    let (store, database) = open_store(&config).await?;
    for site in &config.sites {
        store
            .put_site(site.id.clone(), site.origins.clone(), false)
            .await
            .map_err(|e| anyhow::anyhow!("cannot declare site {}: {e:?}", site.id))?;
    }
    let token = auth::admin_token(config.admin_token.as_deref(), &config.data_dir)?;
    let imports_dir = config.data_dir.join("imports");
    let imports = Arc::new(
        import::Imports::open(&imports_dir, config.import_max_bytes)
            .with_context(|| format!("cannot read the imports in {}", imports_dir.display()))?,
    );
    let state = AppState {
        store: store.clone(),
        admin_token: token.into(),
        www: config.www.clone().into(),
        limits: Arc::new(RateLimits::new(config.beacon_limit, config.api_limit)),
        max_in_flight: layers::MAX_IN_FLIGHT,
        imports: imports.clone(),
        webhooks: workflows::UrlPolicy {
            allow_private: config.allow_private_webhooks,
        },
    };
    // Imports that were running when the collector stopped go on where they were.
    imports.resume(store.clone());
    // Workflows enroll contacts from the stored completions, after their commits, and the
    // runner runs their steps.
    let wake = Arc::new(tokio::sync::Notify::new());
    let clock: Arc<dyn workflows::Clock> = Arc::new(workflows::SystemClock);
    tokio::spawn(workflows::enroller::run(
        store.clone(),
        clock.clone(),
        wake.clone(),
    ));
    tokio::spawn(workflows::runner::Runner::new(store.clone(), clock, state.webhooks, wake).run());
    tracing::info!(address = %listener.local_addr()?, %database, "wasmtrack collector listening");
    let mut limits = config.connections;
    limits.total = limits.total.min(connections::descriptor_budget());
    connections::run(listener, router(state), limits, shutdown).await;
    store.close().await;
    tracing::info!("wasmtrack collector stopped; every accepted event is stored");
    Ok(())
}
