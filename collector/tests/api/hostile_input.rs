//! Input that is not what it claims to be, from a browser or a client: a body with malformed
//! JSON in a field nobody reads, impossible time offsets, control characters in an address,
//! events of records a browser cannot name. Each gets a clear answer and stores nothing wrong.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::common::*;

fn raw_admin(method: Method, path: &str, body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn malformed_json_in_a_field_nobody_reads_is_refused_whole() {
    let app = test_app().with_fixtures().await;
    let invalid_utf8 =
        b"{\"eventName\":\"signup\",\"email\":\"ada@example.com\",\"junk\":\"\xff\xfe\"}".to_vec();
    let lone_surrogate =
        br#"{"eventName":"signup","email":"ada@example.com","junk":"\ud800"}"#.to_vec();
    for body in [invalid_utf8.clone(), lone_surrogate] {
        let answer = app
            .call(raw_admin(Method::POST, "/events/v3/send", body))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
        assert_eq!(answer.error_category(), "VALIDATION_ERROR");
        assert_eq!(answer.body["errors"][0]["code"], "MALFORMED_JSON");
    }
    let definition = app
        .call(raw_admin(
            Method::POST,
            "/events/v3/event-definitions",
            b"{\"label\":\"Trial\",\"customMatchingId\":\"\xc3\x28\"}".to_vec(),
        ))
        .await;
    assert_eq!(
        definition.status,
        StatusCode::BAD_REQUEST,
        "{}",
        definition.text
    );
    let mut beacon = br#"{"site":"shop","junk":""#.to_vec();
    beacon.extend_from_slice(b"\xff");
    beacon.extend_from_slice(
        format!(
            r#"","events":[{{"id":"{}","name":"signup","ts":{}}}]}}"#,
            uuid(1),
            now_ms()
        )
        .as_bytes(),
    );
    let refused = app.call(beacon_request_bytes(beacon)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(app.all_events().await.len(), 0);
    assert_eq!(
        app.get("/events/v3/event-definitions?searchString=trial")
            .await
            .body["total"],
        0
    );
}

fn beacon_request_bytes(body: Vec<u8>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/v1/collect")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn times_with_offsets_no_clock_shows_are_refused() {
    let app = test_app().with_fixtures().await;
    for at in ["2024-01-31T10:00:00+25:00", "2024-01-31T10:00:00-19:00"] {
        let answer = app
            .post(
                "/events/v3/send",
                json!({"eventName": "signup", "email": "ada@example.com", "occurredAt": at}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{at}: {}",
            answer.text
        );
        assert_eq!(answer.body["errors"][0]["in"], "occurredAt");
    }
    let fine = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "ada@example.com", "occurredAt": "2024-01-31T10:00:00+14:00"}),
        )
        .await;
    assert_eq!(fine.status, StatusCode::NO_CONTENT, "{}", fine.text);
}

#[tokio::test]
async fn an_address_with_control_characters_is_no_address() {
    let app = test_app().with_fixtures().await;
    let sent = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "ada\u{0}@example.com"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::BAD_REQUEST, "{}", sent.text);
    // From a browser the event is kept, as the visitor's, and the dropped identity named.
    let mut event = wire_event(1, "signup", now_ms(), "v-1", json!({}));
    event["email"] = json!("ada\u{0}@example.com");
    let beacon = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [event]}))
        .await;
    assert_eq!(beacon.body["stored"], 1, "{}", beacon.text);
    assert_eq!(beacon.body["dropped"][0]["code"], "INVALID_EMAIL");
    let stored = app.all_events().await;
    assert_eq!(stored[0]["objectId"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_nul_in_a_value_or_a_visitor_id_loses_no_event() {
    let app = test_app().with_fixtures().await;
    // SQLite keeps the NUL; PostgreSQL, which cannot store one, keeps U+FFFD in its place.
    let mut event = wire_event(1, "signup", now_ms(), "v\u{0}1", json!({"note": "a\u{0}b"}));
    event["d"]["title"] = json!("t\u{0}");
    let beacon = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [event]}))
        .await;
    assert_eq!(beacon.status, StatusCode::OK, "{}", beacon.text);
    assert_eq!(beacon.body["stored"], 1, "{}", beacon.text);
    let stored = app.all_events().await;
    assert_eq!(stored.len(), 1);
    let note = stored[0]["properties"]["note"].as_str().unwrap_or_default();
    assert!(note == "a\u{0}b" || note == "a\u{FFFD}b", "{note:?}");
}

#[tokio::test]
async fn a_browser_cannot_send_events_of_records_it_cannot_name() {
    let app = test_app().with_fixtures().await;
    let created = app
        .post(
            "/events/v3/event-definitions",
            json!({"label": "Deal won", "name": "deal_won", "primaryObject": "DEAL"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let beacon = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [
            wire_event(1, "deal_won", now_ms(), "v-1", json!({}))]}))
        .await;
    assert_eq!(beacon.body["stored"], 0, "{}", beacon.text);
    assert!(beacon.body["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("DEAL records"));
    assert_eq!(app.all_events().await.len(), 0);
}

#[tokio::test]
async fn a_public_beacon_cannot_claim_the_id_a_back_end_will_send() {
    let app = test_app().with_fixtures().await;
    let claimed = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [
            wire_event(1, "signup", now_ms(), "v-1", json!({"note": "from a page"}))]}))
        .await;
    assert_eq!(claimed.body["stored"], 1, "{}", claimed.text);
    let send = json!({"eventName": "signup", "email": "ada@example.com", "uuid": uuid(1),
                      "properties": {"note": "from the back end"}});
    let sent = app.post("/events/v3/send", send.clone()).await;
    assert_eq!(sent.status, StatusCode::NO_CONTENT, "{}", sent.text);
    // The back end's retry is still one event, and so is the page's.
    assert_eq!(
        app.post("/events/v3/send", send).await.status,
        StatusCode::NO_CONTENT
    );
    let again = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [
            wire_event(1, "signup", now_ms(), "v-1", json!({}))]}))
        .await;
    assert_eq!(again.body["duplicates"], 1, "{}", again.text);
    let notes: Vec<String> = app
        .all_events()
        .await
        .iter()
        .map(|e| {
            e["properties"]["note"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes.contains(&"from the back end".to_owned()));
}

#[tokio::test]
async fn a_site_holds_a_bounded_rule_list_that_every_page_view_can_afford() {
    let app = test_app().with_fixtures().await;
    let save = |selector: String, n: usize| json!({"label": format!("Rule {n}"), "eventName": "clicked", "kind": "click", "selector": selector});
    // Long selectors: the list's bytes are the bound.
    let mut saved = 0;
    loop {
        let answer = app
            .post(
                "/v1/sites/shop/rules",
                save(format!("#{}", "a".repeat(1000)), saved),
            )
            .await;
        if answer.status != StatusCode::CREATED {
            assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
            assert!(answer.text.contains("bytes"), "{}", answer.text);
            break;
        }
        saved += 1;
        assert!(saved < 100, "the byte bound never came");
    }
    assert!((55..=64).contains(&saved), "{saved}");
    let list = app.get("/v1/sites/shop/rules?format=text").await;
    assert!(list.text.len() <= 64 * 1024, "{}", list.text.len());

    // Short ones: the count is the bound.
    let other = app
        .post(
            "/v1/sites",
            json!({"id": "blog", "origins": ["https://blog.example"]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    for n in 0..200 {
        let answer = app
            .post("/v1/sites/blog/rules", save(format!("#b{n}"), n))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{n}: {}", answer.text);
    }
    let refused = app
        .post("/v1/sites/blog/rules", save("#one-more".into(), 200))
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(refused.text.contains("200 rules"), "{}", refused.text);
    assert_eq!(
        app.get("/v1/sites/blog/rules").await.body["rules"]
            .as_array()
            .map(Vec::len),
        Some(200)
    );
}

#[tokio::test]
async fn site_ids_that_read_as_paths_and_endless_origins_are_refused() {
    let app = test_app();
    for id in [".", ".."] {
        let answer = app
            .post(
                "/v1/sites",
                json!({"id": id, "origins": ["https://shop.example"]}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{id}: {}",
            answer.text
        );
    }
    let origin = format!("https://{}.example", "a".repeat(100_000));
    let answer = app
        .post("/v1/sites", json!({"id": "shop", "origins": [origin]}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.text.len() < 4_000,
        "the answer echoes a bounded part"
    );
    assert_eq!(app.get("/v1/sites").await.body["results"], json!([]));
}
