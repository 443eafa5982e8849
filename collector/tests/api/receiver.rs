//! A webhook receiver for the workflow tests: a real HTTP server on 127.0.0.1 that records
//! every request (headers, body, which connection) and answers from a script: by default
//! 204, or what a test queued (a status with headers, a slow answer, a huge body).

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One answer the receiver gives.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with these headers.
    Status(u16, Vec<(&'static str, String)>),
    /// This status after a pause.
    Slow(Duration, u16),
    /// 200 with a body of this many bytes.
    Big(usize),
}

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    /// Its headers.
    pub headers: HeaderMap,
    /// Its raw body.
    pub raw: Bytes,
    /// Its body as JSON.
    pub body: Value,
}

impl Got {
    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Default)]
struct Inner {
    got: Mutex<Vec<Got>>,
    script: Mutex<VecDeque<Reply>>,
    peers: Mutex<HashSet<SocketAddr>>,
    running: AtomicUsize,
    most_running: AtomicUsize,
}

/// The receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

async fn hook(
    State(inner): State<Arc<Inner>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let now = inner.running.fetch_add(1, Ordering::SeqCst) + 1;
    inner.most_running.fetch_max(now, Ordering::SeqCst);
    inner.peers.lock().unwrap().insert(peer);
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    inner.got.lock().unwrap().push(Got { headers, raw, body });
    let reply = inner.script.lock().unwrap().pop_front();
    let response = match reply {
        None => Response::builder().status(204).body(Body::empty()),
        Some(Reply::Status(status, headers)) => {
            let mut r = Response::builder().status(status);
            for (name, value) in headers {
                r = r.header(name, value);
            }
            r.body(Body::from("receiver says no"))
        }
        Some(Reply::Slow(pause, status)) => {
            tokio::time::sleep(pause).await;
            Response::builder().status(status).body(Body::empty())
        }
        Some(Reply::Big(bytes)) => Response::builder()
            .status(200)
            .body(Body::from(vec![b'x'; bytes])),
    };
    inner.running.fetch_sub(1, Ordering::SeqCst);
    response.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

impl Receiver {
    /// Starts one on a free port.
    pub async fn start() -> Receiver {
        let inner = Arc::new(Inner::default());
        let app = axum::Router::new().fallback(hook).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Receiver { addr, inner }
    }

    /// Its URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Queues answers, given in order to the next requests.
    pub fn answer(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }

    /// Every request so far.
    pub fn got(&self) -> Vec<Got> {
        self.inner.got.lock().unwrap().clone()
    }

    /// The requests, once there are at least `n` (waiting up to 10 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Got> {
        for _ in 0..1_000 {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.got().len());
    }

    /// The most requests it was answering at once.
    pub fn most_at_once(&self) -> usize {
        self.inner.most_running.load(Ordering::SeqCst)
    }

    /// How many connections were made to it.
    pub fn connections(&self) -> usize {
        self.inner.peers.lock().unwrap().len()
    }
}
