//! Which collector runs the workflows: the enrollment follower and the runner must run in one
//! collector at a time, or a contact could be enrolled twice and a step run twice. The
//! collector that holds a session-level advisory lock on a connection of its own leads; the
//! others try again every few seconds. The lock lives as long as that connection: when the
//! leader stops, crashes or loses the database, its session ends, the lock is released, and
//! another collector takes over at its next try. A leader checks its connection as often as
//! the others try, and stops leading as soon as it breaks.

use std::time::Duration;

use tokio::sync::watch;
use tokio_postgres::NoTls;

/// The key of the advisory lock (any constant; this one spells "wtflows").
const LEAD_LOCK: i64 = 0x0077_7466_6c6f_7773;

/// How often a collector that does not lead tries to, and a leader checks its connection.
pub(crate) const TRY_EVERY: Duration = Duration::from_secs(2);

/// Tries to lead for as long as the store lives, saying on `leading` whether it does.
pub(super) async fn run(url: String, leading: watch::Sender<bool>) {
    loop {
        if let Err(e) = lead_once(&url, &leading).await {
            tracing::debug!(error = %e, "not leading the workflows");
        }
        // `true` when it was leading: the closure hands back the old value.
        if leading.send_if_modified(|l| std::mem::replace(l, false)) {
            tracing::warn!("this collector stopped running the workflows: its connection broke");
        }
        tokio::time::sleep(TRY_EVERY).await;
    }
}

/// One connection: tries the lock until it gets it, then holds it while the connection
/// answers. Returns when the connection breaks.
async fn lead_once(url: &str, leading: &watch::Sender<bool>) -> Result<(), tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let driver = tokio::spawn(connection);
    let outcome = async {
        loop {
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&LEAD_LOCK])
                .await?
                .get(0);
            if got {
                break;
            }
            tokio::time::sleep(TRY_EVERY).await;
        }
        leading.send_if_modified(|l| !std::mem::replace(l, true));
        tracing::info!("this collector now runs the workflows");
        loop {
            tokio::time::sleep(TRY_EVERY).await;
            client.simple_query("SELECT 1").await?;
        }
    }
    .await;
    driver.abort();
    outcome
}
