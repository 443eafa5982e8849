//! One site's flood or one client's loop cannot take the collector from the others: over
//! their limits they are answered 429 with `Retry-After` and HubSpot's error body (readable
//! by the tracker across origins), while other sites carry on.

use axum::http::StatusCode;
use serde_json::{json, Value};
use wasmtrack_collector::rate_limit::{Limit, RateLimits};

use crate::common::*;

fn events(from: u32, n: u32) -> Vec<Value> {
    (from..from + n)
        .map(|i| wire_event(i, "signup", now_ms(), "v", json!({})))
        .collect()
}

#[tokio::test]
async fn a_site_over_its_event_rate_is_told_when_to_retry_and_others_carry_on() {
    let app = test_app_with_limits(RateLimits::new(Limit::per_second(10), Limit::NONE))
        .with_fixtures()
        .await;
    app.post("/v1/sites", json!({"id": "blog", "origins": [ORIGIN]}))
        .await;
    let first = app
        .beacon(json!({"site": "shop", "events": events(1, 20)}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let over = app
        .beacon(json!({"site": "shop", "events": events(21, 5)}))
        .await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.text);
    assert_eq!(over.error_category(), "RATE_LIMITS");
    let wait: u32 = over.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_eq!(over.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        over.header("access-control-expose-headers"),
        Some("Retry-After")
    );
    let other = app
        .beacon(json!({"site": "blog", "events": events(30, 5)}))
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another site is not limited by this one"
    );
    assert_eq!(
        app.all_events().await.len(),
        25,
        "nothing of the refused beacon"
    );
}

#[tokio::test]
async fn a_credential_over_its_request_rate_gets_429() {
    let app = test_app_with_limits(RateLimits::new(Limit::NONE, Limit::per_second(5)));
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.get("/v1/sites").await.status);
    }
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let limited = app.get("/v1/sites").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error_category(), "RATE_LIMITS");
    assert!(limited.header("retry-after").is_some());
}
