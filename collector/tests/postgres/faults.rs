//! Issue 19, point 5: faults under load, with real collector processes on one throw-away
//! cluster. Killing one collector mid-load loses nothing it answered; the database
//! restarting mid-load makes the collectors answer 503 with `Retry-After` and recover without
//! a restart; and afterwards every event answered as stored is in the database.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;

use super::*;

const TOKEN: &str = "faults-admin-token-0123456789abcdef";

/// A collector process on the cluster's database `url`, on a free port.
struct Collector {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Collector {
    fn start(url: &str) -> Collector {
        let dir = tempfile::tempdir().expect("temp dir");
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_wasmtrack-collector"))
            .args([
                "--listen",
                &addr.to_string(),
                "--database",
                url,
                "--data-dir",
            ])
            .arg(dir.path())
            // The load is one credential sending as fast as it is answered: no rate limit.
            .args(["--beacon-rate", "0", "--api-rate", "0"])
            .env("WASMTRACK_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the collector starts");
        Collector {
            child,
            addr,
            _dir: dir,
        }
    }

    /// Waits until it answers.
    async fn ready(&self) {
        for _ in 0..300 {
            if let Some((200, _, _)) = request(self.addr, "GET", "/healthz", None).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the collector on {} did not start", self.addr);
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request with the admin token: status, `Retry-After`, body; `None` when the connection
/// failed.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
) -> Option<(u16, Option<String>, String)> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .expect("request");
    let answer = tokio::time::timeout(Duration::from_secs(20), client.request(req))
        .await
        .ok()?
        .ok()?;
    let status = answer.status().as_u16();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = answer.into_body().collect().await.ok()?.to_bytes();
    Some((
        status,
        retry_after,
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// Event ids of batches answered as stored.
    stored: BTreeSet<String>,
    /// 503 answers, and how many of them said when to retry.
    unavailable: usize,
    retry_after: usize,
    /// Requests that got no answer (the collector was killed).
    no_answer: usize,
}

/// Sends batches of 20 events to `addr` until `stop`, each batch retried (as a client does)
/// until answered, recording what was answered as stored.
async fn load(
    addr: SocketAddr,
    worker: usize,
    seen: Arc<Mutex<Seen>>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut batch_no = 0;
    while !*stop.borrow() {
        batch_no += 1;
        let ids: Vec<String> = (0..20)
            .map(|i| format!("f{worker}-{batch_no}-{i}"))
            .collect();
        let inputs: Vec<_> = ids
            .iter()
            .map(|id| {
                json!({
                    "eventName": "signup",
                    "uuid": id,
                    "email": format!("{worker}@faults.example"),
                    "occurredAt": "2026-12-04T10:00:00Z",
                    "properties": {"plan": "pro"},
                })
            })
            .collect();
        let body = json!({ "inputs": inputs }).to_string();
        let answer = request(addr, "POST", "/events/v3/send/batch", Some(body)).await;
        {
            let mut seen = seen.lock().unwrap();
            match answer {
                Some((status, _, _)) if status < 300 => seen.stored.extend(ids),
                Some((503, retry_after, _)) => {
                    seen.unavailable += 1;
                    seen.retry_after += usize::from(retry_after.is_some());
                }
                Some((status, _, text)) => panic!("answered {status}: {text}"),
                None => seen.no_answer += 1,
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The ids of every stored event.
async fn stored_ids(cluster: &Cluster) -> BTreeSet<String> {
    let client = connect(cluster, "faults").await;
    client
        .query("SELECT id FROM events", &[])
        .await
        .expect("read the events")
        .into_iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_a_killed_collector_and_a_restarted_database_lose_nothing_answered() {
    let cluster = Cluster::start().expect("a throw-away cluster");
    cluster.create_database("faults").expect("database");
    let url = cluster.url("faults");
    let a = Collector::start(&url);
    let b = Collector::start(&url);
    a.ready().await;
    b.ready().await;
    let created = request(
        a.addr,
        "POST",
        "/events/v3/event-definitions",
        Some(
            json!({"label": "Signed up", "name": "signup", "propertyDefinitions": [
                {"name": "plan", "label": "Plan", "type": "string"}]})
            .to_string(),
        ),
    )
    .await
    .expect("answer");
    assert_eq!(created.0, 201, "{}", created.2);
    // B hears of the definition through the database's notification.
    let mut b_knows = false;
    for _ in 0..100 {
        if let Some((200, _, _)) =
            request(b.addr, "GET", "/events/v3/event-definitions/signup", None).await
        {
            b_knows = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(b_knows, "B sees the definition made through A");

    let seen = Arc::new(Mutex::new(Seen::default()));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for worker in 0..4 {
        let addr = if worker % 2 == 0 { a.addr } else { b.addr };
        workers.push(tokio::spawn(load(addr, worker, seen.clone(), stop.clone())));
    }
    let mut a = a;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A dies mid-load, as a crashed process would: no shutdown, no goodbye.
    a.child.kill().expect("kill A");
    let _ = a.child.wait();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let before_restart = seen.lock().unwrap().stored.len();
    // The database goes away under B, then comes back.
    cluster.kill().expect("stop the database");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.restart().expect("start the database again");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    stop_tx.send(true).unwrap();
    for w in workers {
        w.await.expect("load worker");
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(before_restart > 0, "events were stored before the faults");
    assert!(
        seen.stored.len() > before_restart,
        "B stored events again after the database came back, without a restart \
         ({} before, {} after)",
        before_restart,
        seen.stored.len()
    );
    assert!(
        seen.unavailable > 0,
        "the database's absence was answered 503"
    );
    assert_eq!(
        seen.retry_after, seen.unavailable,
        "every 503 says when to retry"
    );
    assert!(
        seen.no_answer > 0,
        "A was killed while requests were on their way"
    );
    let stored = stored_ids(&cluster).await;
    let missing: Vec<_> = seen.stored.difference(&stored).take(5).collect();
    assert!(
        missing.is_empty(),
        "{} events answered as stored are missing, e.g. {missing:?}",
        seen.stored.difference(&stored).count()
    );
    // B still answers reads and writes, as it did before.
    let again = request(
        b.addr,
        "POST",
        "/events/v3/send",
        Some(
            json!({"eventName": "signup", "uuid": "after-all", "email": "x@faults.example",
                   "occurredAt": "2026-12-04T10:00:00Z", "properties": {"plan": "pro"}})
            .to_string(),
        ),
    )
    .await
    .expect("answer");
    assert!(
        again.0 < 300,
        "B works after the faults: {} {}",
        again.0,
        again.2
    );
}
