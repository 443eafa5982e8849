//! A server whose request slots are all held by slow clients still answers `/healthz` (its
//! supervisor must not restart a server that is alive), sheds the rest with a 503, and logs
//! that as a warning, not an error: it is the server protecting itself.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::*;

#[derive(Clone)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn health_answers_while_slow_clients_hold_every_slot_and_shedding_is_a_warning() {
    let logs = Logs(Arc::new(Mutex::new(Vec::new())));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (mut state, _store, dir) = test_state();
    state.max_in_flight = 2;
    let app = test_app_with_state(state, dir);
    // Two clients start a request and never finish its body: they hold both slots.
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(app.addr()).await.unwrap();
        stream
            .write_all(
                format!("POST /events/v3/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n{{").as_bytes(),
            )
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shed = app.get("/v1/sites").await;
    assert_eq!(
        shed.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        shed.text
    );
    assert!(shed.header("retry-after").is_some());
    let health = app
        .call(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text);
    drop(slow);

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let shed_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("on_failure") && l.contains("503"))
        .collect();
    assert!(!shed_lines.is_empty(), "the 503 is logged: {text}");
    assert!(
        shed_lines.iter().all(|l| l.contains("WARN")),
        "{shed_lines:?}"
    );
    assert!(!text.contains("ERROR"), "{text}");
}
