//! Beacons from the tracker: each event judged on its own, refused ones kept with their
//! reason, duplicates stored once, origins enforced, clocks corrected, visitors linked.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

fn batch(events: Vec<Value>) -> Value {
    json!({"site": "shop", "sent": now_ms(), "events": events})
}

#[tokio::test]
async fn events_keep_what_fits_their_definition_and_only_unstorable_ones_are_refused() {
    let app = test_app().with_fixtures().await;
    let now = now_ms();
    let events = vec![
        wire_event(1, "$pageview", now, "v1", json!({})),
        wire_event(2, "signup", now, "v1", json!({"plan": "pro", "seats": 2})),
        wire_event(3, "signup", now, "v1", json!({"plan": "gold", "seats": 1})),
        wire_event(4, "checkout", now, "v1", json!({})),
        json!({"id": uuid(5), "name": "signup"}),
        wire_event(6, "signup", now, "v1", json!({"note": "n".repeat(257)})),
        wire_event(7, "Not A Name", now, "v1", json!({})),
    ];
    let answer = app.beacon(batch(events)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["stored"], 4, "{}", answer.text);
    assert_eq!(answer.body["duplicates"], 0);
    let rejected = answer.body["rejected"].as_array().unwrap();
    let ids: Vec<&str> = rejected.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, [uuid(5), uuid(7)]);
    assert!(rejected[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("malformed event"));
    assert!(rejected[1]["reason"]
        .as_str()
        .unwrap()
        .contains("Not A Name"));
    assert_eq!(
        answer.body["held"],
        json!([{"id": uuid(4), "name": "checkout"}])
    );
    let dropped = answer.body["dropped"].as_array().unwrap();
    assert_eq!(dropped.len(), 2, "{}", answer.text);
    assert_eq!(
        (
            &dropped[0]["id"],
            &dropped[0]["property"],
            &dropped[0]["code"]
        ),
        (
            &json!(uuid(3)),
            &json!("plan"),
            &json!("INVALID_ENUMERATION_VALUE")
        )
    );
    assert!(dropped[0]["reason"].as_str().unwrap().contains("gold"));
    assert_eq!(
        (
            &dropped[1]["id"],
            &dropped[1]["property"],
            &dropped[1]["code"]
        ),
        (
            &json!(uuid(6)),
            &json!("note"),
            &json!("PROPERTY_VALUE_TOO_LONG")
        )
    );

    let listed = app.get("/v1/rejected").await;
    assert_eq!(listed.status, StatusCode::OK);
    let listed = listed.body["results"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], uuid(7), "newest first");
    assert_eq!(listed[1]["site"], "shop");

    let stored = app.all_events().await;
    assert_eq!(stored.len(), 4);
    let by_id = |n: u32| {
        stored
            .iter()
            .find(|e| e["id"] == uuid(n))
            .unwrap_or_else(|| panic!("event {n} stored"))
    };
    assert_eq!(by_id(2)["properties"], json!({"plan": "pro", "seats": "2"}));
    assert_eq!(by_id(2)["defaultProperties"]["path"], "/pricing");
    assert_eq!(
        by_id(3)["properties"],
        json!({"seats": "1"}),
        "the bad value is dropped, the event kept"
    );
    assert_eq!(
        by_id(6)["properties"]["note"].as_str().map(str::len),
        Some(256),
        "cut at the limit, as the tracker cuts"
    );
}

#[tokio::test]
async fn a_retried_beacon_is_stored_once() {
    let app = test_app().with_fixtures().await;
    let now = now_ms();
    let body = batch(vec![
        wire_event(1, "signup", now, "v1", json!({})),
        wire_event(1, "signup", now, "v1", json!({})),
        wire_event(2, "signup", now, "v1", json!({"seats": "x"})),
        json!({"id": "not-a-uuid", "name": "signup", "ts": now}),
    ]);
    let first = app.beacon(body.clone()).await;
    assert_eq!(
        (
            first.body["stored"].clone(),
            first.body["duplicates"].clone()
        ),
        (json!(2), json!(1)),
        "{}",
        first.text
    );
    let again = app.beacon(body).await;
    assert_eq!(
        (
            again.body["stored"].clone(),
            again.body["duplicates"].clone()
        ),
        (json!(0), json!(3))
    );
    assert_eq!(app.all_events().await.len(), 2);
    assert_eq!(
        app.get("/v1/rejected").await.body["results"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn an_event_deleted_with_its_definition_may_be_sent_again() {
    let app = test_app().with_fixtures().await;
    let body = batch(vec![wire_event(1, "signup", now_ms(), "v1", json!({}))]);
    assert_eq!(app.beacon(body.clone()).await.body["stored"], 1);
    let deleted = app.delete("/events/v3/event-definitions/signup").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let created = app
        .post("/events/v3/event-definitions", signup_definition())
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let again = app.beacon(body).await;
    assert_eq!(
        (
            again.body["stored"].clone(),
            again.body["duplicates"].clone()
        ),
        (json!(1), json!(0)),
        "{}",
        again.text
    );
    assert_eq!(app.all_events().await.len(), 1);
}

#[tokio::test]
async fn the_origin_must_be_allowed_for_the_site() {
    let app = test_app().with_fixtures().await;
    let body = batch(vec![wire_event(1, "$pageview", now_ms(), "v1", json!({}))]).to_string();
    let wrong = app
        .call(beacon_request(&body, Some("https://evil.example")))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.error_category(), "FORBIDDEN");
    assert_eq!(
        wrong.header("access-control-allow-origin"),
        Some("https://evil.example"),
        "readable by the tracker"
    );
    let none = app.call(beacon_request(&body, None)).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let unknown = body.replace("\"shop\"", "\"nosuchsite\"");
    assert_eq!(
        app.call(beacon_request(&unknown, Some(ORIGIN)))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(app.all_events().await.is_empty());

    let ok = app.call(beacon_request(&body, Some(ORIGIN))).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(ok.header("vary"), Some("Origin"));
}

#[tokio::test]
async fn a_site_listing_star_accepts_any_origin_and_servers() {
    let app = test_app().with_fixtures().await;
    app.post("/v1/sites", json!({"id": "open", "origins": ["*"]}))
        .await;
    let body =
        json!({"site": "open", "events": [wire_event(1, "$pageview", now_ms(), "v1", json!({}))]})
            .to_string();
    assert_eq!(
        app.call(beacon_request(&body, None)).await.body["stored"],
        1
    );
    assert_eq!(
        app.call(beacon_request(&body, Some("https://any.example")))
            .await
            .body["duplicates"],
        1
    );
}

#[tokio::test]
async fn preflight_is_answered_for_known_origins() {
    let app = test_app().with_fixtures().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/collect")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let ok = app.call(preflight(ORIGIN)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        ok.header("access-control-allow-methods"),
        Some("POST, OPTIONS")
    );
    assert_eq!(
        ok.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert_eq!(
        app.call(preflight("https://evil.example")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn client_clock_skew_is_corrected_with_sent() {
    let app = test_app().with_fixtures().await;
    // The visitor's clock is an hour fast; the event happened 5 s before the beacon left.
    let hour = 3_600_000;
    let client_now = now_ms() + hour;
    let body = json!({"site": "shop", "sent": client_now, "events": [wire_event(1, "$pageview", client_now - 5_000, "v1", json!({}))]});
    app.beacon(body).await;
    let stored = app.all_events().await;
    let occurred =
        wasmtrack_collector::timestamp::parse(stored[0]["occurredAt"].as_str().unwrap()).unwrap();
    let expected = now_ms() - 5_000;
    assert!(
        (occurred - expected).abs() < 2_000,
        "occurred {occurred}, expected about {expected}"
    );
}

#[tokio::test]
async fn identify_brings_earlier_anonymous_events_into_the_contacts_timeline() {
    let app = test_app().with_fixtures().await;
    let t = now_ms() - 60_000;
    let anonymous = batch(vec![
        wire_event(1, "$pageview", t, "visitor-7", json!({})),
        wire_event(2, "signup", t + 1_000, "visitor-7", json!({"plan": "free"})),
        wire_event(9, "$pageview", t + 1_500, "someone-else", json!({})),
    ]);
    assert_eq!(app.beacon(anonymous).await.body["stored"], 3);
    let timeline = "/events/v3/events?objectType=contact&objectProperty.email=grace@example.com&sort=occurredAt";
    assert_eq!(app.get(timeline).await.body["results"], json!([]));

    let mut identify = wire_event(3, "$identify", t + 2_000, "visitor-7", json!({}));
    identify["email"] = json!("Grace@Example.com");
    identify["uid"] = json!("crm-42");
    assert_eq!(app.beacon(batch(vec![identify])).await.body["stored"], 1);
    let later = wire_event(4, "$pageview", t + 3_000, "visitor-7", json!({}));
    app.beacon(batch(vec![later])).await;

    let events = app.get(timeline).await.body["results"]
        .as_array()
        .unwrap()
        .clone();
    let ids: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, [uuid(1), uuid(2), uuid(3), uuid(4)]);
    let contact = events[0]["objectId"].as_str().unwrap().to_owned();
    assert!(events.iter().all(|e| e["objectId"] == contact));
    let by_id = app
        .get(&format!(
            "/events/v3/events?objectType=contact&objectId={contact}&eventType=signup"
        ))
        .await;
    assert_eq!(by_id.body["results"].as_array().map(Vec::len), Some(1));

    // A server-side completion for the same person lands on the same timeline.
    let sent = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "grace@example.com", "properties": {}}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::NO_CONTENT);
    let all = app
        .get(&format!(
            "/events/v3/events?objectType=contact&objectId={contact}"
        ))
        .await;
    assert_eq!(all.body["results"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn beacons_with_bad_json_or_too_many_bytes_are_refused_whole() {
    let app = test_app().with_fixtures().await;
    let bad = app
        .call(beacon_request(
            "{\"site\":\"shop\",\"events\":[",
            Some(ORIGIN),
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_category(), "VALIDATION_ERROR");
    assert_eq!(bad.header("access-control-allow-origin"), Some(ORIGIN));
    let big = format!(
        "{{\"site\":\"shop\",\"events\":[],\"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let too_big = app.call(beacon_request(&big, Some(ORIGIN))).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.error_category(), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn events_take_visitor_identity_and_page_from_the_batch_contexts() {
    let app = test_app().with_fixtures().await;
    let now = now_ms();
    let body = json!({
        "site": "shop",
        "sent": now,
        "ctx": [
            {"vid": "v-ctx", "sid": "s-ctx", "d": {"url": "https://shop.example/", "path": "/"}},
            {"vid": "v-ctx", "sid": "s-ctx", "email": "ctx@example.com", "d": {"url": "https://shop.example/pricing", "path": "/pricing"}}
        ],
        "events": [
            {"id": uuid(1), "name": "$pageview", "ts": now, "p": {}, "c": 0},
            {"id": uuid(2), "name": "signup", "ts": now + 1, "p": {"plan": "pro"}, "c": 1},
            {"id": uuid(3), "name": "signup", "ts": now + 2, "p": {"plan": "pro"}, "c": 7}
        ]
    });
    let answer = app.beacon(body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["stored"], 2);
    let rejected = answer.body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["id"], uuid(3));
    assert!(rejected[0]["reason"].as_str().unwrap().contains("context"));

    let timeline = app
        .get("/events/v3/events?objectType=contact&objectProperty.email=ctx%40example.com&sort=occurredAt")
        .await;
    assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.text);
    let results = timeline.body["results"].as_array().unwrap();
    let types: Vec<&str> = results
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .collect();
    assert_eq!(
        types,
        ["$pageview", "signup"],
        "the context's visitor links the earlier page view"
    );
    assert_eq!(results[1]["defaultProperties"]["path"], "/pricing");
}

#[tokio::test]
async fn a_contexts_page_over_the_limits_is_cut_and_bounded_for_each_event_that_takes_it() {
    let app = test_app().with_fixtures().await;
    let now = now_ms();
    let mut page: serde_json::Map<String, Value> = (0..60)
        .map(|i| (format!("extra_{i}"), json!("x")))
        .collect();
    page.insert("title".into(), json!("t".repeat(257)));
    let body = json!({
        "site": "shop",
        "sent": now,
        "ctx": [{"vid": "v1", "sid": "s1", "d": page}],
        "events": [
            {"id": uuid(1), "name": "$pageview", "ts": now, "p": {}, "c": 0},
            {"id": uuid(2), "name": "signup", "ts": now, "p": {}, "c": 0},
            {"id": uuid(3), "name": "signup", "ts": now, "p": {}, "c": 0, "d": {"path": "/own"}}
        ]
    });
    let answer = app.beacon(body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["stored"], 3, "{}", answer.text);
    assert_eq!(answer.body["rejected"], json!([]));
    let dropped = answer.body["dropped"].as_array().unwrap();
    let of_first: Vec<(Option<&str>, &str)> = dropped
        .iter()
        .filter(|d| d["id"] == uuid(1))
        .map(|d| (d["property"].as_str(), d["code"].as_str().unwrap()))
        .collect();
    // 61 page properties: the first 50 in the order sent are kept (the title, sent last, is
    // past them), the 11 others dropped and said in one report.
    assert_eq!(of_first, [(None, "TOO_MANY_PROPERTIES")], "{of_first:?}");
    assert!(
        dropped.iter().find(|d| d["id"] == uuid(1)).unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("event \"$pageview\" has more than 50 valid default properties; 11 past")
    );
    assert!(dropped.iter().all(|d| d["id"] != uuid(3)));
    let stored = app.all_events().await;
    let page_view = stored.iter().find(|e| e["id"] == uuid(1)).unwrap();
    let defaults = page_view["defaultProperties"].as_object().unwrap();
    assert_eq!(defaults.len(), 50);
    assert!(
        !defaults.contains_key("title"),
        "the title came after the first 50"
    );
    let own = stored.iter().find(|e| e["id"] == uuid(3)).unwrap();
    assert_eq!(own["defaultProperties"], json!({"path": "/own"}));
}

#[tokio::test]
async fn a_cross_origin_page_may_read_retry_after() {
    let app = test_app().with_fixtures().await;
    let answer = app.beacon(batch(vec![])).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer
            .headers
            .get("access-control-expose-headers")
            .and_then(|v| v.to_str().ok()),
        Some("Retry-After")
    );
}

/// A beacon as the tracker sends it where the browser has `CompressionStream`: gzip bytes, with
/// no header that says so (`Content-Encoding` would cost a preflight).
fn gzip_beacon(body: &[u8]) -> Request<Body> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).expect("in memory");
    gzip_request(gz.finish().expect("in memory"))
}

fn gzip_request(bytes: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/v1/collect")
        .header("content-type", "text/plain")
        .header("origin", ORIGIN)
        .body(Body::from(bytes))
        .expect("request")
}

#[tokio::test]
async fn a_gzip_beacon_is_stored_as_the_same_beacon_sent_plain() {
    let app = test_app().with_fixtures().await;
    let now = now_ms();
    let events = |from: u32| {
        (from..from + 200)
            .map(|n| wire_event(n, "signup", now, "v1", json!({"plan": "pro", "seats": n})))
            .collect::<Vec<_>>()
    };
    let plain = app.beacon(batch(events(1))).await;
    let compressed = app
        .call(gzip_beacon(batch(events(1001)).to_string().as_bytes()))
        .await;
    assert_eq!(compressed.status, StatusCode::OK, "{}", compressed.text);
    assert_eq!(compressed.body, plain.body, "the same answer either way");
    assert_eq!(compressed.body["stored"], 200);
    assert_eq!(
        compressed.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    let stored = app.all_events().await;
    assert_eq!(stored.len(), 400);
    let of = |n: u32| stored.iter().find(|e| e["id"] == uuid(n)).expect("stored");
    assert_eq!(
        of(1001)["properties"],
        json!({"plan": "pro", "seats": "1001"})
    );
    assert_eq!(of(1001)["defaultProperties"], of(1)["defaultProperties"]);
    let again = app
        .call(gzip_beacon(batch(events(1001)).to_string().as_bytes()))
        .await;
    assert_eq!(
        (
            again.body["stored"].clone(),
            again.body["duplicates"].clone()
        ),
        (json!(0), json!(200)),
        "a retried compressed beacon is stored once"
    );
}

#[tokio::test]
async fn a_gzip_beacon_that_decompresses_past_one_mebibyte_is_a_413_naming_the_limit() {
    let app = test_app().with_fixtures().await;
    // 64 MiB of spaces after a beacon's start: ~64 KiB on the wire.
    let mut bomb = b"{\"site\":\"shop\",\"events\":[]".to_vec();
    bomb.resize(64 * 1024 * 1024, b' ');
    let answer = app.call(gzip_beacon(&bomb)).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    assert_eq!(answer.error_category(), "PAYLOAD_TOO_LARGE");
    let message = answer.body["message"].as_str().unwrap_or("");
    assert!(
        message.contains("decompresses to more than the limit of 1048576 bytes"),
        "{message}"
    );
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(app.all_events().await.is_empty());
}

#[tokio::test]
async fn a_body_that_starts_like_gzip_and_does_not_decompress_is_a_400_saying_so() {
    let app = test_app().with_fixtures().await;
    let mut garbage = vec![0x1f, 0x8b];
    garbage.extend(b"not really gzip at all");
    let answer = app.call(gzip_request(garbage)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(answer.error_category(), "VALIDATION_ERROR");
    assert_eq!(answer.body["errors"][0]["code"], "MALFORMED_GZIP");
    let message = answer.body["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("The body starts like gzip (bytes 1f 8b) but does not decompress"),
        "{message}"
    );
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
}
