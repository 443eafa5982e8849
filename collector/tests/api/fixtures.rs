//! HubSpot's own documentation examples (`tests/fixtures/`) are accepted unchanged: a client
//! written against HubSpot's docs works against the collector.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn the_documented_definition_examples_are_accepted() {
    let app = test_app();
    let created = app
        .post(
            "/events/v3/event-definitions",
            fixture("event-definition.json"),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["name"], "unique_event_name");
    assert_eq!(created.body["primaryObject"], "COMPANY");
    assert_eq!(created.body["includeDefaultProperties"], false);
    assert_eq!(created.body["properties"][0]["options"][1]["value"], "2");

    let added = app
        .post(
            "/events/v3/event-definitions/unique_event_name/property",
            fixture("event-definition-property.json"),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    let updated = app
        .patch(
            "/events/v3/event-definitions/unique_event_name",
            fixture("event-definition-update.json"),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["labels"]["singular"], "Event label");

    assert_eq!(
        app.delete("/events/v3/event-definitions/unique_event_name")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let matching = app
        .post(
            "/events/v3/event-definitions",
            fixture("event-definition-custom-matching.json"),
        )
        .await;
    assert_eq!(matching.status, StatusCode::CREATED, "{}", matching.text);
}

#[tokio::test]
async fn the_documented_send_examples_are_accepted() {
    let app = test_app();
    for label in ["Login event", "Manually tracked event", "Account login"] {
        let def = app
            .post("/events/v3/event-definitions", json!({ "label": label }))
            .await;
        assert_eq!(def.status, StatusCode::CREATED, "{}", def.text);
    }
    for file in ["send.json", "send-by-email.json", "send-asset-title.json"] {
        let answer = app.post("/events/v3/send", fixture(file)).await;
        assert_eq!(
            answer.status,
            StatusCode::NO_CONTENT,
            "{file}: {}",
            answer.text
        );
    }
    let batch = app
        .post("/events/v3/send/batch", fixture("send-batch.json"))
        .await;
    assert_eq!(batch.status, StatusCode::NO_CONTENT, "{}", batch.text);

    let login = app
        .get("/events/v3/events?objectType=contact&objectId=608051")
        .await;
    let event = &login.body["results"][0];
    assert_eq!(event["eventType"], "login_event");
    assert_eq!(event["properties"]["hs_device_type"], "PDA;Smartphone");
    let batch_event = app
        .get("/events/v3/events?objectType=contact&objectId=89274502")
        .await;
    assert_eq!(batch_event.body["results"][0]["id"], "<string>");
    assert_eq!(
        batch_event.body["results"][0]["occurredAt"],
        "2023-11-07T05:31:56.000Z"
    );
    assert_eq!(
        batch_event.body["results"][0]["properties"]["hs_element_id"],
        "login-button"
    );
    assert_eq!(app.all_events().await.len(), 4);
}

#[tokio::test]
async fn default_properties_follow_their_types_and_can_be_turned_off() {
    let app = test_app();
    app.post(
        "/events/v3/event-definitions",
        json!({"label": "Login event"}),
    )
    .await;
    let mut wrong = fixture("send.json");
    wrong["properties"]["hs_page_content_type"] = json!("PODCAST");
    let answer = app.post("/events/v3/send", wrong).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.body["errors"][0]["code"],
        "INVALID_ENUMERATION_VALUE"
    );

    app.post(
        "/events/v3/event-definitions",
        json!({"label": "Bare", "includeDefaultProperties": false}),
    )
    .await;
    let bare = app
        .post(
            "/events/v3/send",
            json!({"eventName": "bare", "objectId": 1, "properties": {"hs_city": "Oslo"}}),
        )
        .await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert_eq!(bare.body["errors"][0]["code"], "PROPERTY_NOT_DEFINED");
}
