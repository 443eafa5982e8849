//! Sending completions over HTTP: every limit and type rule answers a 400 that names the
//! event, the property and the rule, and nothing of a failing request is stored.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

const SEND: &str = "/events/v3/send";
const BATCH: &str = "/events/v3/send/batch";

fn completion(props: Value) -> Value {
    json!({"eventName": "signup", "email": "ada@example.com", "properties": props})
}

/// Sends one completion that must fail, and returns the first error entry.
async fn refused(app: &TestApp, body: Value) -> Value {
    let answer = app.post(SEND, body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(answer.error_category(), "VALIDATION_ERROR");
    assert!(
        app.all_events().await.is_empty(),
        "nothing of a refused request is stored"
    );
    answer.body["errors"][0].clone()
}

#[tokio::test]
async fn a_valid_completion_is_stored_for_its_contact() {
    let app = test_app().with_fixtures().await;
    let props = json!({"plan": "pro;team", "seats": 3, "trial_end": "2024-02-01T00:00:00Z", "note": "hi", "landing_url": "u".repeat(1024)});
    let body = json!({"eventName": "signup", "email": "Ada@Example.com", "occurredAt": 1_700_000_000_000i64, "properties": props});
    let answer = app.post(SEND, body).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    let events = app
        .get("/events/v3/events?objectType=contact&objectProperty.email=ada@example.com")
        .await;
    let event = &events.body["results"][0];
    assert_eq!(event["eventType"], "signup");
    assert_eq!(event["objectType"], "CONTACT");
    assert_eq!(event["occurredAt"], "2023-11-14T22:13:20.000Z");
    assert_eq!(event["properties"]["seats"], "3");
    assert_eq!(event["properties"]["plan"], "pro;team");
    assert!(event["objectId"]
        .as_str()
        .is_some_and(|id| id.parse::<i64>().is_ok()));
}

#[tokio::test]
async fn a_property_name_of_51_characters_is_refused() {
    let app = test_app().with_fixtures().await;
    let name = "a".repeat(51);
    let error = refused(&app, completion(json!({ name.clone(): "x" }))).await;
    assert_eq!(error["code"], "PROPERTY_NAME_TOO_LONG");
    assert_eq!(error["context"]["eventName"], json!(["signup"]));
    assert_eq!(error["context"]["propertyName"], json!([name]));
    assert_eq!(error["context"]["limit"], json!(["50"]));
}

#[tokio::test]
async fn a_value_of_257_characters_is_refused_and_256_accepted() {
    let app = test_app().with_fixtures().await;
    let error = refused(&app, completion(json!({"note": "v".repeat(257)}))).await;
    assert_eq!(error["code"], "PROPERTY_VALUE_TOO_LONG");
    assert_eq!(error["in"], "properties.note");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("signup") && message.contains("note") && message.contains("256"),
        "{message}"
    );
    assert_eq!(
        app.post(SEND, completion(json!({"note": "v".repeat(256)})))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_url_value_of_1025_characters_is_refused_and_1024_accepted() {
    let app = test_app().with_fixtures().await;
    let error = refused(&app, completion(json!({"landing_url": "u".repeat(1025)}))).await;
    assert_eq!(error["code"], "PROPERTY_VALUE_TOO_LONG");
    assert_eq!(error["context"]["limit"], json!(["1024"]));
    assert_eq!(
        app.post(SEND, completion(json!({"landing_url": "u".repeat(1024)})))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn characters_count_as_javascript_counts_them() {
    let app = test_app().with_fixtures().await;
    // 128 emoji are 256 UTF-16 code units: at the limit. One more character is over.
    assert_eq!(
        app.post(SEND, completion(json!({"note": "😀".repeat(128)})))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let error = refused_after_one(
        &app,
        completion(json!({"note": format!("{}x", "😀".repeat(128))})),
    )
    .await;
    assert_eq!(error["code"], "PROPERTY_VALUE_TOO_LONG");
}

async fn refused_after_one(app: &TestApp, body: Value) -> Value {
    let answer = app.post(SEND, body).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.all_events().await.len(), 1);
    answer.body["errors"][0].clone()
}

#[tokio::test]
async fn fifty_one_properties_are_refused() {
    let app = test_app().with_fixtures().await;
    let mut props = serde_json::Map::new();
    for i in 0..51 {
        props.insert(format!("p{i}"), json!("x"));
    }
    let answer = app.post(SEND, completion(Value::Object(props))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let codes: Vec<&str> = answer.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(codes[0], "TOO_MANY_PROPERTIES");
    assert!(answer.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("51"));
}

#[tokio::test]
async fn an_invalid_property_name_is_refused() {
    let app = test_app().with_fixtures().await;
    for name in ["Plan", "2fa", "plan-b", "_x", ""] {
        let answer = app.post(SEND, completion(json!({ name: "x" }))).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            answer.body["errors"][0]["code"], "INVALID_PROPERTY_NAME",
            "{name}"
        );
    }
}

#[tokio::test]
async fn wrong_types_are_refused() {
    let app = test_app().with_fixtures().await;
    assert_eq!(
        refused(&app, completion(json!({"seats": "three"}))).await["code"],
        "INVALID_NUMBER"
    );
    assert_eq!(
        refused(&app, completion(json!({"trial_end": "next tuesday"}))).await["code"],
        "INVALID_DATETIME"
    );
    assert_eq!(
        refused(&app, completion(json!({"note": {"nested": 1}}))).await["code"],
        "INVALID_FIELD"
    );
    for ok in [
        json!({"seats": "2.5"}),
        json!({"trial_end": "1700000000000"}),
        json!({"trial_end": "2024-01-31"}),
    ] {
        assert_eq!(
            app.post(SEND, completion(ok.clone())).await.status,
            StatusCode::NO_CONTENT,
            "{ok}"
        );
    }
}

#[tokio::test]
async fn an_enumeration_value_outside_the_options_is_refused() {
    let app = test_app().with_fixtures().await;
    let error = refused(&app, completion(json!({"plan": "gold"}))).await;
    assert_eq!(error["code"], "INVALID_ENUMERATION_VALUE");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("free, pro, team"));
    assert_eq!(
        refused(&app, completion(json!({"plan": "pro;gold"}))).await["code"],
        "INVALID_ENUMERATION_VALUE"
    );
    assert_eq!(
        app.post(SEND, completion(json!({"plan": "free;team"})))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn an_unknown_event_or_property_is_refused() {
    let app = test_app().with_fixtures().await;
    let error = refused(
        &app,
        json!({"eventName": "checkout", "email": "a@b.example", "properties": {}}),
    )
    .await;
    assert_eq!(error["code"], "UNKNOWN_EVENT");
    assert!(error["message"].as_str().unwrap().contains("checkout"));
    assert_eq!(
        refused(&app, completion(json!({"color": "red"}))).await["code"],
        "PROPERTY_NOT_DEFINED"
    );
    assert_eq!(
        refused(&app, json!({"properties": {}})).await["code"],
        "UNKNOWN_EVENT"
    );
}

#[tokio::test]
async fn a_completion_needs_someone_it_is_about() {
    let app = test_app().with_fixtures().await;
    let error = refused(&app, json!({"eventName": "signup", "properties": {}})).await;
    assert_eq!(error["in"], "objectId");
    assert_eq!(
        refused(
            &app,
            json!({"eventName": "signup", "email": "nobody", "properties": {}})
        )
        .await["in"],
        "email"
    );
    let by_utk = app
        .post(
            SEND,
            json!({"eventName": "signup", "utk": "visitor-1", "properties": {}}),
        )
        .await;
    assert_eq!(by_utk.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_repeated_uuid_is_stored_once() {
    let app = test_app().with_fixtures().await;
    let body = json!({"eventName": "signup", "email": "a@b.example", "uuid": "order-42", "properties": {}});
    assert_eq!(
        app.post(SEND, body.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.post(SEND, body.clone()).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.post(BATCH, json!({"inputs": [body.clone(), body]}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let events = app.all_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], "order-42");
}

#[tokio::test]
async fn a_batch_is_all_or_nothing() {
    let app = test_app().with_fixtures().await;
    let good = completion(json!({"plan": "pro"}));
    let bad = completion(json!({"seats": "many"}));
    let answer = app
        .post(BATCH, json!({"inputs": [good.clone(), bad, good.clone()]}))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.body["errors"][0]["in"], "inputs[1].properties.seats");
    assert!(app.all_events().await.is_empty());
    assert_eq!(
        app.post(BATCH, json!({"inputs": [good.clone(), good]}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.all_events().await.len(), 2);
}

#[tokio::test]
async fn a_batch_holds_one_to_five_hundred_inputs() {
    let app = test_app().with_fixtures().await;
    assert_eq!(
        app.post(BATCH, json!({"inputs": []})).await.status,
        StatusCode::BAD_REQUEST
    );
    let inputs: Vec<Value> = (0..501).map(|_| completion(json!({}))).collect();
    assert_eq!(
        app.post(BATCH, json!({ "inputs": inputs })).await.status,
        StatusCode::BAD_REQUEST
    );
    let inputs: Vec<Value> = (0..500).map(|_| completion(json!({}))).collect();
    assert_eq!(
        app.post(BATCH, json!({ "inputs": inputs })).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.all_events().await.len(), 500);
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = test_app().with_fixtures().await;
    let answer = app
        .call(admin(
            axum::http::Method::POST,
            SEND,
            Some("{\"eventName\": ".into()),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.error_category(), "VALIDATION_ERROR");
    assert_eq!(answer.body["errors"][0]["code"], "MALFORMED_JSON");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_a_413() {
    let app = test_app().with_fixtures().await;
    let big = format!("{{\"inputs\":[],\"pad\":\"{}\"}}", "x".repeat(1024 * 1024));
    let answer = app
        .call(admin(axum::http::Method::POST, BATCH, Some(big)))
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error_category(), "PAYLOAD_TOO_LARGE");
    assert!(answer.body["message"].as_str().unwrap().contains("1 MiB"));
}

#[tokio::test]
async fn an_object_id_names_a_contact_and_other_objects_need_one() {
    let app = test_app().with_fixtures().await;
    let deal = app
        .post(
            "/events/v3/event-definitions",
            json!({"label": "Deal won", "primaryObject": "DEAL"}),
        )
        .await;
    assert_eq!(deal.status, StatusCode::CREATED);
    let refused = app
        .post(
            SEND,
            json!({"eventName": "deal_won", "email": "a@b.example"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.post(SEND, json!({"eventName": "deal_won", "objectId": "77"}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let deals = app
        .get("/events/v3/events?objectType=deal&objectId=77")
        .await;
    assert_eq!(deals.body["results"][0]["objectType"], "DEAL");
    assert_eq!(deals.body["results"][0]["objectId"], "77");
    assert_eq!(
        app.get("/events/v3/events?objectType=contact&objectId=77")
            .await
            .body["results"],
        json!([])
    );
}
