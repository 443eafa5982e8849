//! What a client meets at the HTTP level: every error in HubSpot's body (also those axum
//! makes itself), a body declared too large refused before it is read, messages that name
//! neither the server's types nor more of the request than needed, and `nosniff` on every
//! answer.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// Writes `head` (request line and headers) and reads what the server answers within 5 s.
async fn raw(app: &TestApp, head: &str) -> String {
    let mut stream = TcpStream::connect(app.addr()).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_it_is_sent() {
    let app = test_app().with_fixtures().await;
    let started = Instant::now();
    let answer = raw(
        &app,
        "POST /v1/collect HTTP/1.1\r\nHost: x\r\nOrigin: https://shop.example\r\nContent-Length: 50000000\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"PAYLOAD_TOO_LARGE\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let expecting = raw(
        &app,
        &format!("POST /events/v3/send HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n"),
    )
    .await;
    assert!(
        expecting.starts_with("HTTP/1.1 413"),
        "not `100 Continue`: {expecting}"
    );
}

#[tokio::test]
async fn errors_axum_makes_itself_have_hubspots_body() {
    let app = test_app().with_fixtures().await;
    for (method, path, status) in [
        (Method::GET, "/v1/sites/%FF", StatusCode::BAD_REQUEST),
        (
            Method::GET,
            "/v1/sites/shop/rules?format=text&format=json",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::DELETE,
            "/events/v3/event-definitions/x/snippet",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (Method::GET, "/v1/nothing-here", StatusCode::NOT_FOUND),
    ] {
        let answer = app.call(admin(method.clone(), path, None)).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text);
        assert!(!answer.error_category().is_empty());
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    }
    let not_allowed = app
        .call(admin(
            Method::DELETE,
            "/events/v3/event-definitions/x/snippet",
            None,
        ))
        .await;
    assert_eq!(not_allowed.header("allow"), Some("GET,HEAD"));
}

#[tokio::test]
async fn every_answer_says_nosniff() {
    let app = test_app().with_fixtures().await;
    let health = app
        .call(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(health.header("x-content-type-options"), Some("nosniff"));
    let beacon = app.beacon(json!({"site": "shop", "events": []})).await;
    assert_eq!(beacon.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn messages_name_json_types_and_echo_a_bounded_part_of_the_request() {
    let app = test_app().with_fixtures().await;
    let typed = app
        .call(admin(
            Method::POST,
            "/events/v3/send",
            Some("\"hello\"".into()),
        ))
        .await;
    assert_eq!(typed.status, StatusCode::BAD_REQUEST);
    let message = typed.body["message"].as_str().unwrap();
    assert!(!message.contains("struct"), "{message}");
    assert!(!message.contains("SendInput"), "{message}");
    assert!(message.contains("an object"), "{message}");
    let long = "a".repeat(100_000);
    let named = app
        .post(
            "/events/v3/send",
            json!({"eventName": long, "email": "ada@example.com"}),
        )
        .await;
    assert_eq!(named.status, StatusCode::BAD_REQUEST);
    assert!(named.text.len() < 4_000, "{} bytes", named.text.len());
    let message = named.body["message"].as_str().unwrap();
    assert!(message.ends_with('…'), "{message}");
    let _ = header::ALLOW;
}
