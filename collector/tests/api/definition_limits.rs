//! An event definition's size and end: a definition collects every property its completions
//! may carry (more than the 50 one completion may hold), and deleting it never leaves an
//! auto-tracking rule firing into the void.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

const DEFS: &str = "/events/v3/event-definitions";

fn wide_definition(properties: usize) -> Value {
    let props: Vec<Value> = (0..properties)
        .map(|i| json!({"name": format!("p{i}"), "label": format!("P {i}"), "type": "string"}))
        .collect();
    json!({"label": "Checkout", "name": "checkout", "propertyDefinitions": props})
}

fn completion(properties: usize) -> Value {
    let props: serde_json::Map<String, Value> = (0..properties)
        .map(|i| (format!("p{i}"), json!("x")))
        .collect();
    json!({"eventName": "checkout", "email": "ada@example.com", "properties": props})
}

#[tokio::test]
async fn a_definition_holds_more_than_fifty_properties_while_a_completion_holds_fifty() {
    let app = test_app();
    let created = app.post(DEFS, wide_definition(120)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.body["properties"].as_array().map(Vec::len),
        Some(120)
    );
    let more = app
        .post(
            &format!("{DEFS}/checkout/property"),
            json!({"name": "coupon", "label": "Coupon", "type": "string"}),
        )
        .await;
    assert_eq!(more.status, StatusCode::CREATED, "{}", more.text);

    let fifty = app.post("/events/v3/send", completion(50)).await;
    assert_eq!(fifty.status, StatusCode::NO_CONTENT, "{}", fifty.text);
    let over = app.post("/events/v3/send", completion(51)).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST, "{}", over.text);
    assert_eq!(over.body["errors"][0]["code"], "TOO_MANY_PROPERTIES");
    assert_eq!(app.all_events().await.len(), 1);
}

#[tokio::test]
async fn a_definition_is_bounded_at_five_hundred_properties() {
    let app = test_app();
    let refused = app.post(DEFS, wide_definition(501)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(refused.error_category(), "VALIDATION_ERROR");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains("at most 500 properties"),
        "{}",
        refused.text
    );
    let full = app.post(DEFS, wide_definition(500)).await;
    assert_eq!(full.status, StatusCode::CREATED, "{}", full.text);
    let one_more = app
        .post(
            &format!("{DEFS}/checkout/property"),
            json!({"name": "coupon", "label": "Coupon", "type": "string"}),
        )
        .await;
    assert_eq!(
        one_more.status,
        StatusCode::BAD_REQUEST,
        "{}",
        one_more.text
    );
    assert!(
        one_more.text.contains("500 properties"),
        "{}",
        one_more.text
    );
}

async fn with_click_rule(app: &TestApp) -> Value {
    let site = app
        .post("/v1/sites", json!({"id": "shop", "origins": [ORIGIN]}))
        .await;
    assert_eq!(site.status, StatusCode::CREATED, "{}", site.text);
    let rule = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": "Pricing CTA clicked", "kind": "click", "selector": "#buy-pro"}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text);
    rule.body
}

#[tokio::test]
async fn deleting_an_event_that_rules_fire_is_refused_naming_them() {
    let app = test_app();
    let rule = with_click_rule(&app).await;
    let before = app.get("/v1/sites/shop/rules").await;

    let refused = app.delete(&format!("{DEFS}/pricing_cta_clicked")).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert_eq!(refused.error_category(), "CONFLICT");
    let message = refused.body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "rule {} \"Pricing CTA clicked\" of site \"shop\"",
            rule["id"]
        )),
        "{message}"
    );
    assert!(message.contains("deleteRules=true"), "{message}");
    // Nothing changed: the definition, the rule and the list's version are as they were.
    assert_eq!(
        app.get(&format!("{DEFS}/pricing_cta_clicked")).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/v1/sites/shop/rules").await.body, before.body);
}

#[tokio::test]
async fn deleting_an_event_with_its_rules_stops_the_trackers_firing_it() {
    let app = test_app();
    with_click_rule(&app).await;
    let before = app.get("/v1/sites/shop/rules").await;
    let tag = before.header("etag").map(str::to_owned);

    let bad = app
        .delete(&format!("{DEFS}/pricing_cta_clicked?deleteRules=maybe"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);

    let deleted = app
        .delete(&format!("{DEFS}/pricing_cta_clicked?deleteRules=true"))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(
        app.get(&format!("{DEFS}/pricing_cta_clicked")).await.status,
        StatusCode::NOT_FOUND
    );
    let after = app.get("/v1/sites/shop/rules").await;
    assert_eq!(after.body["rules"], json!([]), "{}", after.text);
    assert_ne!(
        after.header("etag").map(str::to_owned),
        tag,
        "trackers must see a new list"
    );
    let text = app.get("/v1/sites/shop/rules?format=text").await;
    assert!(!text.text.contains("pricing_cta_clicked"), "{}", text.text);
}

#[tokio::test]
async fn deleting_an_event_without_rules_needs_no_flag() {
    let app = test_app();
    with_click_rule(&app).await;
    assert_eq!(
        app.post(DEFS, wide_definition(3)).await.status,
        StatusCode::CREATED
    );
    let deleted = app.delete(&format!("{DEFS}/checkout")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    // The other event's rule is untouched.
    assert_eq!(
        app.get("/v1/sites/shop/rules").await.body["rules"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
