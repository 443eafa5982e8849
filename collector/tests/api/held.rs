//! A site tracks events before anyone defines them, and properties nobody added to the
//! definition: nothing is lost. Events of undefined names are held and replayed once their
//! definition exists; dropped properties and held events are counted where an analyst sees
//! them (data quality); what is held or refused is bounded in number and age.

use axum::http::StatusCode;
use serde_json::{json, Value};
use wasmtrack_collector::store::Retention;

use crate::common::*;

fn beacon_of(events: Vec<Value>) -> Value {
    json!({"site": "shop", "sent": now_ms(), "events": events})
}

fn trial(n: u32, props: Value) -> Value {
    let mut event = wire_event(n, "trial_started", now_ms(), "v-7", props);
    event["email"] = json!("ada@example.com");
    event
}

fn held_count(list: &Answer, name: &str) -> Option<u64> {
    list.body["results"]
        .as_array()?
        .iter()
        .find(|h| h["name"] == name)
        .and_then(|h| h["count"].as_u64())
}

#[tokio::test]
async fn events_of_an_undefined_name_are_held_then_replayed_into_their_new_definition() {
    let app = test_app().with_fixtures().await;
    let first = app
        .beacon(beacon_of(vec![
            trial(1, json!({"plan": "pro", "coupon": "X1"})),
            trial(2, json!({"plan": "gold"})),
        ]))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["stored"], 0);
    assert_eq!(first.body["rejected"], json!([]));
    assert_eq!(first.body["held"].as_array().map(Vec::len), Some(2));
    // The browser retries the same beacon: held once.
    app.beacon(beacon_of(vec![trial(2, json!({"plan": "gold"}))]))
        .await;

    let held = app.get("/v1/held").await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.text);
    assert_eq!(held_count(&held, "trial_started"), Some(2), "{}", held.text);
    assert_eq!(held.body["results"][0]["defined"], false);

    let early = app.post("/v1/held/trial_started/replay", json!({})).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND, "{}", early.text);
    assert!(early.text.contains("create it"), "{}", early.text);

    let def = app
        .post(
            "/events/v3/event-definitions",
            json!({"label": "Trial started", "name": "trial_started", "propertyDefinitions": [
                {"name": "plan", "label": "Plan", "type": "enumeration",
                 "options": [{"label": "Free", "value": "free"}, {"label": "Pro", "value": "pro"}]}]}),
        )
        .await;
    assert_eq!(def.status, StatusCode::CREATED, "{}", def.text);
    assert_eq!(
        app.get("/v1/held").await.body["results"][0]["defined"],
        true
    );

    let replay = app.post("/v1/held/trial_started/replay", json!({})).await;
    assert_eq!(replay.status, StatusCode::OK, "{}", replay.text);
    assert_eq!(
        replay.body,
        json!({"name": "trial_started", "replayed": 2, "stored": 2, "duplicates": 0, "dropped": 2, "refused": 0})
    );
    let timeline = app
        .get("/events/v3/events?objectProperty.email=ada%40example.com&eventType=trial_started&sort=occurredAt")
        .await;
    let results = timeline.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{}", timeline.text);
    assert_eq!(
        results[0]["properties"],
        json!({"plan": "pro"}),
        "coupon is not defined"
    );
    assert_eq!(results[1]["properties"], json!({}), "gold is not an option");
    assert_eq!(results[0]["defaultProperties"]["path"], "/pricing");

    // Idempotent: nothing is left to replay, and nothing is stored twice.
    assert_eq!(
        held_count(&app.get("/v1/held").await, "trial_started"),
        None
    );
    let again = app.post("/v1/held/trial_started/replay", json!({})).await;
    assert_eq!(again.body["replayed"], 0);
    assert_eq!(app.all_events().await.len(), 2);
}

#[tokio::test]
async fn a_definition_made_by_a_visualizer_rule_takes_the_events_held_for_it() {
    let app = test_app().with_fixtures().await;
    let click = wire_event(
        1,
        "pricing_cta_clicked",
        now_ms(),
        "v-1",
        json!({"element_text": "Buy", "selector": "#buy-pro"}),
    );
    let answer = app.beacon(beacon_of(vec![click])).await;
    assert_eq!(answer.body["held"].as_array().map(Vec::len), Some(1));
    let rule = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": "Pricing CTA clicked", "kind": "click", "selector": "#buy-pro"}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text);
    let replay = app
        .post("/v1/held/pricing_cta_clicked/replay", json!({}))
        .await;
    assert_eq!(replay.body["stored"], 1, "{}", replay.text);
    let events = app.all_events().await;
    assert_eq!(
        events[0]["properties"],
        json!({"element_text": "Buy", "selector": "#buy-pro"})
    );
}

#[tokio::test]
async fn data_quality_counts_drops_and_holds_by_event_property_and_rule() {
    let app = test_app().with_fixtures().await;
    let before = now_ms();
    let events: Vec<Value> = (1..=3)
        .map(|n| {
            wire_event(
                n,
                "signup",
                now_ms(),
                "v",
                json!({"plan": "pro", "coupon": format!("C{n}")}),
            )
        })
        .chain([
            wire_event(4, "signup", now_ms(), "v", json!({"seats": "many"})),
            wire_event(5, "checkout", now_ms(), "v", json!({})),
        ])
        .collect();
    let answer = app.beacon(beacon_of(events)).await;
    assert_eq!(answer.body["stored"], 4, "{}", answer.text);

    let quality = app.get("/v1/data-quality").await;
    assert_eq!(quality.status, StatusCode::OK, "{}", quality.text);
    let rows = quality.body["results"].as_array().unwrap();
    let find = |event: &str, property: Value, code: &str| -> Value {
        rows.iter()
            .find(|r| r["event"] == event && r["property"] == property && r["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{event} {property} {code} in {}", quality.text))
    };
    let coupon = find("signup", json!("coupon"), "PROPERTY_NOT_DEFINED");
    assert_eq!(coupon["count"], 3);
    assert_eq!(coupon["site"], "shop");
    let first =
        wasmtrack_collector::timestamp::parse(coupon["firstSeen"].as_str().unwrap()).unwrap();
    assert!(first >= before - 1000);
    assert!(coupon["example"].as_str().unwrap().contains("coupon"));
    assert_eq!(find("signup", json!("seats"), "INVALID_NUMBER")["count"], 1);
    assert_eq!(
        find("checkout", Value::Null, "EVENT_NOT_DEFINED")["count"],
        1
    );
    assert_eq!(rows.len(), 3);

    // A second beacon adds to the same rows.
    app.beacon(beacon_of(vec![wire_event(
        6,
        "signup",
        now_ms(),
        "v",
        json!({"coupon": "C6"}),
    )]))
    .await;
    let again = app.get("/v1/data-quality?event=signup&site=shop").await;
    let coupon = again.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["property"] == "coupon")
        .cloned()
        .unwrap();
    assert_eq!(coupon["count"], 4);
    assert!(coupon["example"].as_str().unwrap().starts_with(&uuid(6)));
    let future = app
        .get(&format!("/v1/data-quality?since={}", now_ms() + 60_000))
        .await;
    assert_eq!(future.body["results"], json!([]));
    let other = app.get("/v1/data-quality?site=elsewhere").await;
    assert_eq!(other.body["results"], json!([]));
    let bad = app.get("/v1/data-quality?since=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_category(), "VALIDATION_ERROR");
}

#[tokio::test]
async fn held_and_refused_events_are_bounded_in_number() {
    let app = test_app_with_retention(Retention {
        held_rows: 3,
        rejected_rows: 2,
        ..Retention::default()
    })
    .with_fixtures()
    .await;
    for n in 1..=5 {
        let answer = app
            .beacon(beacon_of(vec![
                wire_event(n, "checkout", now_ms(), "v", json!({})),
                json!({"id": format!("bad-{n}"), "name": "signup", "ts": now_ms()}),
            ]))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    assert_eq!(held_count(&app.get("/v1/held").await, "checkout"), Some(3));
    let refused = app.get("/v1/rejected").await;
    let ids: Vec<&str> = refused.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["bad-5", "bad-4"], "the newest are kept");
    app.post(
        "/events/v3/event-definitions",
        json!({"label": "Checkout", "name": "checkout"}),
    )
    .await;
    let replay = app.post("/v1/held/checkout/replay", json!({})).await;
    assert_eq!(replay.body["stored"], 3, "{}", replay.text);
    let stored: Vec<String> = app
        .all_events()
        .await
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert!(stored.contains(&uuid(5)) && !stored.contains(&uuid(1)));
}

#[tokio::test]
async fn held_events_expire_after_the_retention_period() {
    let app = test_app_with_retention(Retention {
        held_ms: 50,
        ..Retention::default()
    })
    .with_fixtures()
    .await;
    app.beacon(beacon_of(vec![wire_event(
        1,
        "checkout",
        now_ms(),
        "v",
        json!({}),
    )]))
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    app.beacon(beacon_of(vec![wire_event(
        2,
        "checkout",
        now_ms(),
        "v",
        json!({}),
    )]))
    .await;
    assert_eq!(
        held_count(&app.get("/v1/held").await, "checkout"),
        Some(1),
        "the first is past the retention"
    );
}
