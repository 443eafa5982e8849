//! Connections are bounded: a client that trickles its headers is cut off, one address cannot
//! hold more than its share of connections, and a shutdown finishes within its grace period
//! even while a client holds a connection open.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wasmtrack_collector::connections::ConnectionLimits;
use wasmtrack_collector::Config;

use crate::server::{http, start};

fn config(dir: &std::path::Path, limits: ConnectionLimits) -> Config {
    let mut config = Config::new(dir);
    config.connections = limits;
    config
}

/// Reads until the server closes the connection (or 10 s pass); how long that took.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => return started.elapsed(),
        }
    }
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(
        dir.path(),
        ConnectionLimits {
            header_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
    ))
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let waited = closed_after(&mut stream).await;
    assert!(
        waited < Duration::from_secs(4),
        "still open after {waited:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(
        dir.path(),
        ConnectionLimits {
            per_ip: 3,
            ..ConnectionLimits::default()
        },
    ))
    .await;
    let (status, _) = http(server.addr, Method::GET, "/healthz", None, None, None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // Let the server take the three before the fourth comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = TcpStream::connect(server.addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let waited = closed_after(&mut fourth).await;
    assert!(
        waited < Duration::from_secs(2),
        "the fourth was served or kept: {waited:?}"
    );
    // A connection that closes frees its place.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, _) = http(server.addr, Method::GET, "/healthz", None, None, None)
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    drop(held);
    server.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_within_its_grace_while_a_client_trickles() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(
        dir.path(),
        ConnectionLimits {
            header_timeout: Duration::from_secs(120),
            grace: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
    ))
    .await;
    let mut trickler = TcpStream::connect(server.addr).await.unwrap();
    trickler
        .write_all(b"POST /v1/collect HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("the server stopped within the grace period");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(config(
        dir.path(),
        ConnectionLimits {
            header_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
    ))
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // The connection is kept alive, and then idle: it is not kept forever.
    let waited = closed_after(&mut stream).await;
    assert!(
        waited < Duration::from_secs(4),
        "idle for {waited:?} and still open"
    );
    server.stop().await;
}
