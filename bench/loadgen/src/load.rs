//! The load: `connections` keep-alive HTTP/1.1 connections, each sending one beacon of
//! `batch` events at a time to `POST /v1/collect` and waiting for its answer (closed loop), or
//! paced to a total of `rate` events per second. Counts what the collector says it stored and
//! records each request's latency (request written → response body read). Each connection is
//! one anonymous visitor, or a series of visitors of which some identify (`visits.rs`).

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::beacon::{self, Ids, Sender};
use crate::visits::{Turn, Visits};

/// What to send.
pub struct Load {
    /// `host:port` of the collector, or of several separated by commas.
    pub addr: String,
    /// Site id of the beacons (the collector must accept it without an `Origin`: `ID=*`).
    pub site: String,
    /// Keep-alive connections, each with one request in flight.
    pub connections: usize,
    /// Events per beacon.
    pub batch: usize,
    /// How long to send.
    pub seconds: f64,
    /// Total events per second to pace to; `None` sends as fast as answers come.
    pub rate: Option<f64>,
    /// Stops the load before `seconds` when set (the import benchmark's beacons stop with the
    /// import).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Visitors following one another on each connection, some identifying; `None`: one
    /// anonymous visitor per connection.
    pub visits: Option<Visits>,
    /// Sends each beacon gzip-compressed (compressed here, before the request's clock starts).
    pub gzip: bool,
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    requests: u64,
    stored: u64,
    failed: u64,
    visitors: u64,
    identified: u64,
    latencies_us: Vec<u32>,
}

/// Runs the load and returns its figures as one JSON object.
pub async fn run(load: Load) -> Result<serde_json::Value, String> {
    let (name, props) = beacon::event();
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(load.seconds);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let interval = load
        .rate
        .map(|r| Duration::from_secs_f64(load.connections as f64 * load.batch as f64 / r.max(1.0)));
    let mut tasks = Vec::new();
    // Several collectors (`ADDR,ADDR`): the connections are dealt to them in turn, as a load
    // balancer would.
    let targets: Vec<String> = load.addr.split(',').map(str::to_owned).collect();
    for worker in 0..load.connections {
        let target = &targets[worker % targets.len()];
        let stream = TcpStream::connect(target)
            .await
            .map_err(|e| format!("connect {target}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(conn);
        let (addr, site, name, props, batch, gzip) = (
            target.clone(),
            load.site.clone(),
            name.clone(),
            props.clone(),
            load.batch,
            load.gzip,
        );
        let mut ids = Ids::new(seed ^ ((worker as u64 + 1) << 40));
        let stop = load.stop.clone();
        let visits = load.visits;
        let stopped = move || {
            stop.as_ref()
                .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
        };
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let (mut visitor, mut email) = (String::new(), String::new());
            // The visitor number of the current visitor, and whether it has sent its email.
            let (mut current, mut sent_email) = (None, false);
            let mut beacon_no = 0;
            let mut ticker = interval.map(|i| {
                // Spread the connections' sends over one interval.
                let offset = i.mul_f64(worker as f64 / 64.0_f64.max(worker as f64 + 1.0));
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + offset, i);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            while Instant::now() < deadline && !stopped() {
                if let Some(t) = ticker.as_mut() {
                    t.tick().await;
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0);
                let turn = visits.map(|v| v.turn(beacon_no)).unwrap_or(Turn {
                    visitor: 0,
                    identified: false,
                });
                beacon_no += 1;
                if current != Some(turn.visitor) {
                    visitor = ids.uuid();
                    email = format!("{visitor}@bench.example.com");
                    (current, sent_email) = (Some(turn.visitor), false);
                    tally.visitors += 1;
                }
                if turn.identified && !sent_email {
                    sent_email = true;
                    tally.identified += 1;
                }
                let from = Sender {
                    visitor: &visitor,
                    email: turn.identified.then_some(email.as_str()),
                };
                let body = beacon::body(&site, &name, &props, now_ms, from, batch, &mut ids);
                let body = if gzip {
                    beacon::gzip(body.as_bytes())
                } else {
                    body.into_bytes()
                };
                let request = hyper::Request::post("/v1/collect")
                    .header("host", &addr)
                    .header("content-type", "text/plain;charset=UTF-8")
                    .body(Full::new(Bytes::from(body)))
                    .expect("a valid request");
                let sent = Instant::now();
                if sender.ready().await.is_err() {
                    tally.failed += 1;
                    break;
                }
                match sender.send_request(request).await {
                    Ok(response) => {
                        let ok = response.status() == hyper::StatusCode::OK;
                        let body = response.into_body().collect().await.map(|b| b.to_bytes());
                        tally
                            .latencies_us
                            .push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                        tally.requests += 1;
                        let stored = body
                            .ok()
                            .filter(|_| ok)
                            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                            .and_then(|v| v["stored"].as_u64());
                        match stored {
                            Some(n) => tally.stored += n,
                            None => tally.failed += 1,
                        }
                    }
                    Err(_) => {
                        tally.failed += 1;
                        break;
                    }
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for task in tasks {
        let t = task.await.map_err(|e| e.to_string())?;
        all.requests += t.requests;
        all.stored += t.stored;
        all.failed += t.failed;
        all.visitors += t.visitors;
        all.identified += t.identified;
        all.latencies_us.extend(t.latencies_us);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((all.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(all.latencies_us[i]) / 1000.0
    };
    Ok(serde_json::json!({
        "seconds": elapsed,
        "connections": load.connections,
        "batch": load.batch,
        "rate": load.rate,
        "requests": all.requests,
        "failed": all.failed,
        "stored": all.stored,
        "stored_per_s": all.stored as f64 / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "visits": load.visits.map(|v| serde_json::json!({
            "beacons": v.beacons, "identified_percent": v.identified_percent,
        })),
        "visitors": all.visitors,
        "identified_visitors": all.identified,
    }))
}
