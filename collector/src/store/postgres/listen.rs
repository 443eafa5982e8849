//! Keeping every collector's caches current: a change commits a `pg_notify('wasmtrack',
//! '<table>')` with it, and each collector listens on a connection of its own and reloads
//! that table. A listening connection that breaks (the database restarted) is made again,
//! and everything is reloaded then, since notifications sent meanwhile are lost.

use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{definitions, keys, reloads, rules, sites, workflows, Caches, CHANNEL};
use crate::store::StoreError;

/// How long to wait before listening again after the connection broke.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// Reloads every cache.
async fn reload_all(pool: &Pool, caches: &Caches) -> Result<(), StoreError> {
    for table in [
        "sites",
        "api_keys",
        "definitions",
        "rules",
        "workflows",
        "events",
    ] {
        reload(pool, caches, table).await?;
    }
    Ok(())
}

/// Reloads the cache of `table`; a table without one is ignored. `events:<seq>` says a
/// collector committed completions up to `seq`; `events` alone asks for the newest `seq`.
async fn reload(pool: &Pool, caches: &Caches, table: &str) -> Result<(), StoreError> {
    if let Some(seq) = table.strip_prefix("events:") {
        if let Ok(seq) = seq.parse() {
            caches.committed(seq);
        }
        return Ok(());
    }
    let client = pool.get().await?;
    match table {
        // Not swapped blindly: this collector may have put its own newer change in meanwhile.
        "definitions" => {
            reloads::reload(&caches.definitions, || definitions::load(&client)).await?
        }
        "rules" => reloads::reload(&caches.rules, || rules::load(&client)).await?,
        "workflows" => reloads::reload(&caches.workflows, || workflows::load(&client)).await?,
        "events" => {
            let newest: Option<i64> = client
                .query_one("SELECT max(seq) FROM events", &[])
                .await?
                .get(0);
            caches.committed(newest.unwrap_or(0));
        }
        "sites" => reloads::reload(&caches.sites, || sites::load(&client)).await?,
        "api_keys" => reloads::reload(&caches.keys, || keys::load(&client)).await?,
        _ => {}
    }
    Ok(())
}

/// Follows the other collectors' changes for the store's life. The first time the caches are
/// loaded (once listening, so that no change falls between loading and listening), `loaded`
/// hears of it, or of why the first try failed, and then nothing is tried again.
pub(super) async fn follow(
    url: String,
    pool: Pool,
    caches: std::sync::Arc<Caches>,
    loaded: tokio::sync::oneshot::Sender<Result<(), StoreError>>,
) {
    let mut loaded = Some(loaded);
    loop {
        let outcome = listen_once(&url, &pool, &caches, &mut loaded).await;
        if let Some(first) = loaded.take() {
            let _ = first.send(outcome);
            return;
        }
        if let Err(e) = outcome {
            tracing::warn!(error = ?e, "not following other collectors' changes; trying again");
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

/// One listening connection, until it breaks; says so to `loaded` once the caches are loaded.
async fn listen_once(
    url: &str,
    pool: &Pool,
    caches: &Caches,
    loaded: &mut Option<tokio::sync::oneshot::Sender<Result<(), StoreError>>>,
) -> Result<(), StoreError> {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls).await?;
    let (tx, mut changed) = tokio::sync::mpsc::unbounded_channel::<String>();
    // The connection is driven here, its notifications handed over; it ends when it breaks.
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Everything, listening already: at start, and whatever changed while nobody listened.
    reload_all(pool, caches).await?;
    if let Some(first) = loaded.take() {
        let _ = first.send(Ok(()));
    }
    while let Some(table) = changed.recv().await {
        reload(pool, caches, &table).await?;
    }
    driver.abort();
    Ok(())
}
