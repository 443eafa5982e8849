//! Exactly once across a crash: the real collector binary is killed (SIGKILL) in the middle of
//! an import, started again on the same data directory, resumes the import from its last
//! checkpoint, and ends with every row stored once; importing the same file again then stores
//! nothing. Also the CLI, into a data directory, with the same engine.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::{header, Method};
use serde_json::{json, Value};

use super::imports::upload;
use crate::common::*;

const ROWS: usize = 60_000;

pub(crate) fn start(dir: &std::path::Path) -> (Child, SocketAddr) {
    start_with(dir, &[])
}

/// [`start`], with more flags.
pub(crate) fn start_with(dir: &std::path::Path, flags: &[&str]) -> (Child, SocketAddr) {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let child = Command::new(env!("CARGO_BIN_EXE_wasmtrack-collector"))
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(dir)
        .args(flags)
        .env("WASMTRACK_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the collector starts");
    (child, addr)
}

pub(crate) async fn get(addr: SocketAddr, path: &str) -> Answer {
    call_at(addr, admin(Method::GET, path, None)).await
}

pub(crate) async fn healthy(addr: SocketAddr) {
    for _ in 0..200 {
        let up = tokio::time::timeout(Duration::from_millis(200), async {
            tokio::net::TcpStream::connect(addr).await
        })
        .await;
        if matches!(up, Ok(Ok(_))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the collector on {addr} did not start");
}

fn rows_csv() -> String {
    let mut csv = String::from("Email,Occurred at,Amount\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "p{}@example.com,2024-01-{:02} 10:00,{}\n",
            i % 5000,
            1 + i % 28,
            i
        ));
    }
    csv
}

fn count(dir: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.join("wasmtrack.db"))
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_resumes_after_a_restart_and_stores_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path());
    healthy(addr).await;
    let defined = call_at(
        addr,
        admin(
            Method::POST,
            "/events/v3/event-definitions",
            Some(json!({"label": "Paid", "name": "paid", "propertyDefinitions": [{"name": "amount", "label": "Amount", "type": "number"}]}).to_string()),
        ),
    )
    .await;
    assert_eq!(defined.status, 201, "{}", defined.text);
    let csv = rows_csv();
    let mut request = upload(
        "payments.csv",
        csv.as_bytes(),
        &[
            ("event", "paid"),
            ("start", "true"),
            ("timeZone", "Europe/Copenhagen"),
        ],
    );
    request.headers_mut().remove(header::CONTENT_LENGTH);
    let started = call_at(addr, request).await;
    assert_eq!(started.status, 202, "{}", started.text);
    let id = started.body["id"].as_str().unwrap().to_owned();
    // Killed once some rows are stored, and before all are.
    let mut at_kill = Value::Null;
    for _ in 0..2000 {
        let s = get(addr, &format!("/v1/imports/{id}")).await.body;
        if s["stored"].as_u64().unwrap_or(0) >= 4_000 {
            at_kill = s;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    assert_eq!(at_kill["state"], "running", "killed mid-import: {at_kill}");
    assert!(
        at_kill["stored"].as_u64().unwrap() < ROWS as u64,
        "{at_kill}"
    );
    let stored_before = count(dir.path(), "SELECT COUNT(*) FROM events");
    assert!(stored_before < ROWS as i64, "{stored_before}");

    let (mut child, addr) = start(dir.path());
    healthy(addr).await;
    let mut done = Value::Null;
    for _ in 0..3000 {
        done = get(addr, &format!("/v1/imports/{id}")).await.body;
        if done["state"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["refused"], 0, "{done}");
    // The CLI through the running collector: a small file in Danish, uploaded and followed.
    let small = dir.path().join("betalinger.csv");
    std::fs::write(&small, "E-mailadresse;Dato;Beløb\nsøren@example.dk;31-03-2024 01:30;12\nikke-en-email;01-01-2024;3\n").unwrap();
    let cli = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_wasmtrack-collector"))
            .args([
                "import",
                "--collector",
                &format!("http://{addr}"),
                "--token",
                TOKEN,
            ])
            .arg(&small)
            .args([
                "--event",
                "paid",
                "--language",
                "da",
                "--date-format",
                "DD/MM/YYYY",
                "--time-zone",
                "Europe/Copenhagen",
                "--map",
                "Beløb=event:amount",
            ])
            .output()
            .expect("the CLI runs")
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&cli.stdout);
    assert!(
        cli.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert!(
        out.contains("2 rows read, 1 stored, 0 already stored, 1 refused"),
        "{out}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // The rows of the file, and the Danish file's one valid row.
    let imported = ROWS as i64 + 1;
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM events"), imported);
    assert_eq!(
        count(dir.path(), "SELECT COUNT(DISTINCT id) FROM events"),
        imported
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM contacts"), 5001);

    // The CLI, into the same data directory (the collector stopped), with the same file:
    // every row is already there.
    let file = dir.path().join("payments.csv");
    std::fs::write(&file, &csv).unwrap();
    let cli = Command::new(env!("CARGO_BIN_EXE_wasmtrack-collector"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["import"])
        .arg(&file)
        .args([
            "--event",
            "paid",
            "--time-zone",
            "Europe/Copenhagen",
            "--map",
            "Amount=event:amount",
        ])
        .output()
        .expect("the CLI runs");
    let out = String::from_utf8_lossy(&cli.stdout);
    assert!(
        cli.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert!(
        out.contains(&format!(
            "{ROWS} rows read, 0 stored, {ROWS} already stored, 0 refused"
        )),
        "{out}"
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM events"), imported);

    // A mapping the CLI cannot apply: the error names it, exit 1.
    let bad = Command::new(env!("CARGO_BIN_EXE_wasmtrack-collector"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("import")
        .arg(&file)
        .args(["--event", "paid", "--map", "Colour=skip"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no column \"Colour\""),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
