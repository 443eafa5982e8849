//! The import benchmark (issue 16): a spreadsheet of a million rows × 10 columns imported
//! through a running collector, timed from its start to its end (the upload apart), with the
//! collector's resident memory sampled against its idle size, while beacons keep arriving at
//! a steady pace and their latency is recorded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::app::request;

/// The columns of the file: the contact, when, and eight more (three contact properties,
/// five event properties).
const HEADER: [&str; 10] = [
    "Email",
    "Occurred at",
    "First name",
    "Last name",
    "Company",
    "Plan",
    "Seats",
    "Source",
    "Campaign",
    "Note",
];

/// Each row's cells.
fn row(i: usize) -> [String; 10] {
    [
        format!("person{}@example.com", i % 200_000),
        format!(
            "2024-{:02}-{:02} {:02}:{:02}",
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 60
        ),
        format!("First{}", i % 5000),
        format!("Last{}", i % 7000),
        format!("Company {}", i % 3000),
        ["free", "pro", "team"][i % 3].to_owned(),
        (i % 50).to_string(),
        ["fair", "webinar", "partner", "call"][i % 4].to_owned(),
        format!("campaign-{}", i % 40),
        format!("row {i} of the offline list"),
    ]
}

/// Writes `rows` rows to `path`: CSV, or XLSX (in constant memory) when it ends in `.xlsx`.
pub fn write_file(path: &Path, rows: usize) -> Result<Value, String> {
    let started = Instant::now();
    if path.extension().is_some_and(|e| e == "xlsx") {
        let mut book = rust_xlsxwriter::Workbook::new();
        let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
        let sheet = book.add_worksheet_with_constant_memory().map_err(e)?;
        for (c, h) in HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).map_err(e)?;
        }
        for i in 0..rows {
            for (c, cell) in row(i).iter().enumerate() {
                sheet
                    .write_string(i as u32 + 1, c as u16, cell)
                    .map_err(e)?;
            }
        }
        book.save(path).map_err(e)?;
    } else {
        let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
        let mut out = std::io::BufWriter::new(file);
        writeln!(out, "{}", HEADER.join(",")).map_err(|e| e.to_string())?;
        for i in 0..rows {
            writeln!(out, "{}", row(i).join(",")).map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
    }
    let bytes = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    Ok(json!({"rows": rows, "bytes": bytes, "seconds": started.elapsed().as_secs_f64()}))
}

/// Resident memory of `pid`, KiB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A JSON request with the token; the answer's body as JSON.
fn call(addr: &str, token: &str, method: &str, path: &str, body: &str) -> Result<Value, String> {
    let headers = format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n");
    let (status, _, _) = request(addr, method, path, &headers, body)?;
    if !(200..300).contains(&status) && status != 409 {
        return Err(format!("{method} {path} answered {status}"));
    }
    Ok(Value::Null)
}

/// `GET` a JSON answer.
fn get(addr: &str, token: &str, path: &str) -> Result<Value, String> {
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).map_err(|e| format!("GET {path}: {e}: {body}"))
}

/// Uploads `file` to `POST /v1/imports`, started at once with the benchmark's mapping.
fn upload(addr: &str, token: &str, file: &Path) -> Result<Value, String> {
    let boundary = "wasmtrack-bench-boundary";
    let mapping = json!([
        "email",
        "occurred_at",
        "contact:firstname",
        "contact:lastname",
        "contact:company",
        "event:plan",
        "event:seats",
        "event:source",
        "event:campaign",
        "event:note"
    ]);
    let mut fields = String::new();
    for (k, v) in [
        ("event", "offline_purchase".to_owned()),
        ("start", "true".to_owned()),
        ("timeZone", "Europe/Copenhagen".to_owned()),
        ("mapping", mapping.to_string()),
    ] {
        fields.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("rows.csv");
    let head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n");
    let tail = format!("\r\n--{boundary}--\r\n");
    let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
    let length = fields.len() as u64 + head.len() as u64 + size + tail.len() as u64;
    let mut stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let e = |e: std::io::Error| e.to_string();
    write!(stream, "POST /v1/imports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").map_err(e)?;
    stream.write_all(fields.as_bytes()).map_err(e)?;
    stream.write_all(head.as_bytes()).map_err(e)?;
    std::io::copy(&mut std::fs::File::open(file).map_err(e)?, &mut stream).map_err(e)?;
    stream.write_all(tail.as_bytes()).map_err(e)?;
    let mut text = String::new();
    stream.read_to_string(&mut text).map_err(e)?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let value: Value = serde_json::from_str(body).map_err(|e| format!("upload: {e}: {text}"))?;
    if value["id"].is_null() {
        return Err(format!("the upload was refused: {body}"));
    }
    Ok(value)
}

/// Imports `file` through the collector at `addr` (process `pid`, with a site `bench`
/// accepting any origin), with beacons at 1,000 events/s meanwhile.
pub fn run(addr: &str, token: &str, file: &Path, pid: u32) -> Result<Value, String> {
    call(
        addr,
        token,
        "POST",
        "/events/v3/event-definitions",
        &crate::beacon::definition(),
    )?;
    let definition = json!({
        "label": "Offline purchase", "name": "offline_purchase",
        "propertyDefinitions": [
            {"name": "plan", "label": "Plan", "type": "enumeration",
             "options": [{"label": "Free", "value": "free"}, {"label": "Pro", "value": "pro"}, {"label": "Team", "value": "team"}]},
            {"name": "seats", "label": "Seats", "type": "number"},
            {"name": "source", "label": "Source", "type": "string"},
            {"name": "campaign", "label": "Campaign", "type": "string"},
            {"name": "note", "label": "Note", "type": "string"}
        ]
    });
    call(
        addr,
        token,
        "POST",
        "/events/v3/event-definitions",
        &definition.to_string(),
    )?;
    std::thread::sleep(Duration::from_millis(500));
    let idle_kb = rss_kb(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let load = crate::load::Load {
        addr: addr.to_owned(),
        site: "bench".into(),
        connections: 4,
        batch: 10,
        seconds: 3600.0,
        rate: Some(1000.0),
        stop: Some(stop.clone()),
        visits: None,
        gzip: false,
    };
    let beacons = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(crate::load::run(load)))
    });
    let upload_started = Instant::now();
    let job = upload(addr, token, file)?;
    let upload_seconds = upload_started.elapsed().as_secs_f64();
    let id = job["id"].as_str().unwrap_or_default().to_owned();
    let mut peak_kb = rss_kb(pid);
    let status = loop {
        std::thread::sleep(Duration::from_millis(100));
        peak_kb = peak_kb.max(rss_kb(pid));
        let s = get(addr, token, &format!("/v1/imports/{id}"))?;
        if s["state"] != "running" {
            break s;
        }
    };
    stop.store(true, Ordering::Relaxed);
    let beacons = beacons
        .join()
        .map_err(|_| "the beacon thread failed".to_owned())??;
    let seconds = (status["finishedAt"].as_i64().unwrap_or(0)
        - status["startedAt"].as_i64().unwrap_or(0)) as f64
        / 1000.0;
    let rows = status["rowsRead"].as_u64().unwrap_or(0);
    Ok(json!({
        "file": file.file_name().and_then(|n| n.to_str()),
        "bytes": status["totalBytes"],
        "state": status["state"],
        "error": status["error"],
        "rows": rows,
        "stored": status["stored"],
        "refused": status["refused"],
        "upload_seconds": upload_seconds,
        "seconds": seconds,
        "rows_per_s": rows as f64 / seconds.max(0.001),
        "idle_rss_mb": idle_kb as f64 / 1024.0,
        "peak_rss_mb": peak_kb as f64 / 1024.0,
        "above_idle_mb": peak_kb.saturating_sub(idle_kb) as f64 / 1024.0,
        "beacons": beacons,
    }))
}
