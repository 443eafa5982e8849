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
mod auth;
pub mod config;
pub mod error;
mod layers;
pub mod model;
mod random;
pub mod store;
pub mod timestamp;
pub mod validate;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

pub use config::{Cli, Config, WwwMount};
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
}

impl AppState {
    /// State with no static directories.
    pub fn new(store: Arc<dyn EventStore>, admin_token: &str) -> Self {
        AppState {
            store,
            admin_token: admin_token.into(),
            www: Arc::new([]),
        }
    }
}

/// The whole HTTP application: API routes, static files, and the limit layers.
pub fn router(state: AppState) -> Router {
    layers::wrap(api::routes(state))
}

/// Opens the store under `config.data_dir`, declares the configured sites, resolves the admin
/// token, and serves on `listener` until `shutdown` completes; then stops accepting, waits for
/// in-flight requests, and lets the writer commit everything it accepted before returning.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let db: PathBuf = config.data_dir.join(DB_FILE);
    let store = Arc::new(
        SqliteStore::open_with(&db, config.retention)
            .map_err(|e| anyhow::anyhow!("cannot open {}: {e:?}", db.display()))?,
    );
    for site in &config.sites {
        store
            .put_site(site.id.clone(), site.origins.clone(), false)
            .await
            .map_err(|e| anyhow::anyhow!("cannot declare site {}: {e:?}", site.id))?;
    }
    let token = auth::admin_token(config.admin_token.as_deref(), &config.data_dir)?;
    let state = AppState {
        store: store.clone(),
        admin_token: token.into(),
        www: config.www.clone().into(),
    };
    tracing::info!(address = %listener.local_addr()?, database = %db.display(), "wasmtrack collector listening");
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    store.close().await;
    tracing::info!("wasmtrack collector stopped; every accepted event is stored");
    served.context("server error")
}
