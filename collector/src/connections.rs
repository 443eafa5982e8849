//! Accepting connections, with the bounds `axum::serve` does not set: a client must send its
//! request headers within a deadline (also the idle time of a kept-alive connection), one
//! address may hold only so many connections, all addresses together fewer than the file
//! descriptors allow (the soft limit is raised to the hard one at start), and a graceful
//! shutdown waits for in-flight requests only for a grace period, so a client trickling
//! headers can neither exhaust the server nor keep it from stopping.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// The bounds on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest a client may take to send a request's headers, and to start the next request
    /// on a kept-alive connection.
    pub header_timeout: Duration,
    /// Most open connections from one IP address.
    pub per_ip: usize,
    /// Most open connections in all (also bounded by the file descriptors the process has).
    pub total: usize,
    /// Longest a graceful shutdown waits for in-flight requests before closing connections.
    pub grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            per_ip: 256,
            total: 16_384,
            grace: Duration::from_secs(10),
        }
    }
}

/// Raises the soft limit of open files to the hard limit (a server with many clients needs
/// more than the usual 1,024) and returns how many connections fit in it, leaving room for
/// the database, logs and the files served.
pub fn descriptor_budget() -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    usize::try_from(limit.saturating_sub(256))
        .unwrap_or(usize::MAX)
        .max(64)
}

/// Open connections per address, released when a connection's [`Slot`] drops.
#[derive(Default)]
struct Open {
    by_ip: HashMap<IpAddr, usize>,
    total: usize,
}

struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

/// A slot for a new connection from `ip`, unless that address or the server is full.
fn take(open: &Arc<Mutex<Open>>, ip: IpAddr, limits: &ConnectionLimits) -> Option<Slot> {
    let mut state = open.lock().unwrap_or_else(|e| e.into_inner());
    let from_ip = state.by_ip.get(&ip).copied().unwrap_or(0);
    if from_ip >= limits.per_ip || state.total >= limits.total {
        return None;
    }
    state.total += 1;
    *state.by_ip.entry(ip).or_insert(0) += 1;
    Some(Slot {
        open: open.clone(),
        ip,
    })
}

/// Serves `app` on `listener` until `shutdown` completes, then waits up to the grace period
/// for the requests in flight.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let open = Arc::new(Mutex::new(Open::default()));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let service = app.into_service::<Incoming>();
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before it was taken: wait a
                    // little rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = take(&open, peer.ip(), &limits) else {
            tracing::debug!(peer = %peer, "connection refused: too many open from this address or in all");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tasks.spawn(async move {
            let _slot = slot;
            let _ = connection.await;
        });
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    if tokio::time::timeout(limits.grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?limits.grace,
            "connections still open after the grace period were closed"
        );
    }
    tasks.abort_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_per_address_and_in_all_and_come_back() {
        let limits = ConnectionLimits {
            per_ip: 2,
            total: 3,
            ..ConnectionLimits::default()
        };
        let open = Arc::new(Mutex::new(Open::default()));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let first = take(&open, a, &limits).unwrap();
        let _second = take(&open, a, &limits).unwrap();
        assert!(take(&open, a, &limits).is_none(), "per address");
        let _third = take(&open, b, &limits).unwrap();
        assert!(take(&open, b, &limits).is_none(), "in all");
        drop(first);
        assert!(
            take(&open, a, &limits).is_some(),
            "a closed connection frees its slot"
        );
    }
}
