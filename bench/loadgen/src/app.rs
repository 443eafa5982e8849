//! `app ADDR TOKEN RUNS`: how long the analyst app's pages take on the database `fill` made,
//! at the collector (a request on 127.0.0.1, the whole answer read): signs in as a browser
//! does, then loads each page once to warm it and `RUNS` times measured; prints the median and
//! the slowest per page as JSON. A page the collector does not serve (404) is left out; one
//! that fails (another status, or no answer) is recorded as failed, with its status (0 when
//! none came), the time it took and the reason, and the other pages are measured still: one
//! slow page must not cost the benchmark its other figures.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

/// The pages the issue names: the events list, an event's page with its 30-day daily chart,
/// its 90-day hourly chart, and a contact's timeline; and the contacts list, reports filtered
/// and broken down by an enumeration, and one filtered by a number property (all from the
/// per-value hourly counts).
const PAGES: [(&str, &str); 8] = [
    ("events list", "/app/events"),
    (
        "event page, 30 days by day",
        "/app/events/bench_event_0?range=30d&by=day",
    ),
    (
        "event page, 90 days by hour",
        "/app/events/bench_event_0?range=90d&by=hour",
    ),
    ("contact timeline", "/app/contacts/1"),
    ("contacts list", "/app/contacts"),
    (
        "event page, 30 days, filtered by an enumeration",
        "/app/events/bench_event_0?range=30d&prop=plan&value=pro",
    ),
    (
        "event page, 30 days, broken down by an enumeration",
        "/app/events/bench_event_0?range=30d&split=plan",
    ),
    (
        "event page, 30 days, filtered by a number property",
        "/app/events/bench_event_0?range=30d&prop=seats&value=7",
    ),
];

/// One HTTP/1.1 request on its own connection: (status, headers, body length).
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Result<(u16, String, usize), String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, head.to_owned(), rest.len()))
}

/// Signs in and measures every page; prints JSON.
pub fn run(addr: &str, token: &str, runs: usize) -> Result<serde_json::Value, String> {
    let form = format!("token={token}");
    let (status, head, _) = request(
        addr,
        "POST",
        "/app/sign-in",
        "Content-Type: application/x-www-form-urlencoded\r\nSec-Fetch-Site: same-origin\r\n",
        &form,
    )?;
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .ok_or_else(|| format!("signing in answered {status} without a session cookie"))?
        .to_owned();
    let headers = format!("Cookie: {cookie}\r\n");
    let mut pages = Vec::new();
    for (name, path) in PAGES {
        if let Some(page) = measure(addr, &headers, name, path, runs) {
            pages.push(page);
        }
    }
    Ok(json!({ "runs": runs, "pages": pages }))
}

/// One page's figures: `None` for a 404; `"failed"` with the status, time and reason when a
/// load of it failed (the runs after a failure are not made: a page that times out would
/// only time out again).
fn measure(
    addr: &str,
    headers: &str,
    name: &str,
    path: &str,
    runs: usize,
) -> Option<serde_json::Value> {
    let failed = |status: u16, ms: f64, reason: String| {
        Some(json!({
            "page": name, "path": path, "failed": true, "status": status, "ms": ms,
            "reason": reason,
        }))
    };
    let load = || {
        let started = Instant::now();
        let answer = request(addr, "GET", path, headers, "");
        (answer, started.elapsed().as_secs_f64() * 1000.0)
    };
    let (warm, warm_ms) = load();
    let status = match warm {
        Ok((status, _, _)) => status,
        Err(e) => return failed(0, warm_ms, e),
    };
    if status == 404 {
        return None;
    }
    if status != 200 {
        return failed(status, warm_ms, format!("answered {status}"));
    }
    // A page that takes seconds (a filter that reads the completions) is measured 3 times,
    // not `runs`: its median is as clear, and the run minutes shorter.
    let runs = if warm_ms > 2000.0 { runs.min(3) } else { runs }.max(1);
    let mut ms: Vec<f64> = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        match load() {
            (Ok((200, _, len)), took) => {
                ms.push(took);
                bytes = len;
            }
            (Ok((status, _, _)), took) => {
                return failed(status, took, format!("answered {status}"))
            }
            (Err(e), took) => return failed(0, took, e),
        }
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    Some(json!({
        "page": name, "path": path, "median_ms": ms[ms.len() / 2],
        "max_ms": ms[ms.len() - 1], "bytes": bytes, "runs": runs,
    }))
}
