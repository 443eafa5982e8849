//! Event definitions: a back-end developer defines events and their typed properties through
//! HubSpot's definitions API, and gets the JS snippet to paste.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

const DEFS: &str = "/events/v3/event-definitions";

#[tokio::test]
async fn a_definition_is_created_read_and_listed_in_hubspots_shape() {
    let app = test_app();
    let created = app.post(DEFS, signup_definition()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let def = &created.body;
    assert_eq!(def["name"], "signup");
    assert_eq!(def["fullyQualifiedName"], "signup");
    assert_eq!(def["labels"]["singular"], "Signed up");
    assert_eq!(def["primaryObject"], "CONTACT");
    assert_eq!(def["primaryObjectId"], "0-1");
    assert_eq!(def["archived"], false);
    assert!(
        def["id"].is_string()
            && def["objectTypeId"]
                .as_str()
                .is_some_and(|t| t.starts_with("6-"))
    );
    assert!(def["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(def["properties"].as_array().map(Vec::len), Some(5));
    assert_eq!(def["properties"][0]["type"], "enumeration");
    assert_eq!(def["properties"][0]["options"][1]["value"], "pro");
    assert_eq!(def["properties"][0]["options"][1]["displayOrder"], 1);

    let read = app.get(&format!("{DEFS}/signup")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, created.body);
    let qualified = app.get(&format!("{DEFS}/pe1234567_signup")).await;
    assert_eq!(qualified.body["name"], "signup");

    let list = app.get(DEFS).await;
    assert_eq!(list.body["total"], 1);
    assert_eq!(list.body["results"][0]["name"], "signup");
    assert!(list.body.get("paging").is_none());
}

#[tokio::test]
async fn paths_work_with_a_trailing_slash_as_hubspot_clients_send_them() {
    let app = test_app();
    assert_eq!(
        app.post(&format!("{DEFS}/"), signup_definition())
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.get(&format!("{DEFS}/signup/")).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get(&format!("{DEFS}/?limit=1")).await.body["total"], 1);
}

#[tokio::test]
async fn a_missing_name_is_derived_from_the_label() {
    let app = test_app();
    let created = app
        .post(DEFS, json!({"label": "Clicked Pricing Button"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["name"], "clicked_pricing_button");
    // The one label rule the overlay and the API share (`wasmtrack_core::event::name_from_label`).
    let digit = app.post(DEFS, json!({"label": "2nd step"})).await;
    assert_eq!(digit.status, StatusCode::CREATED);
    assert_eq!(digit.body["name"], "e_2nd_step");
    let bad = app.post(DEFS, json!({"label": "!!!"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_category(), "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_duplicate_definition_is_a_conflict() {
    let app = test_app();
    app.post(DEFS, signup_definition()).await;
    let again = app.post(DEFS, signup_definition()).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_category(), "CONFLICT");
    assert!(again.body["message"]
        .as_str()
        .is_some_and(|m| m.contains("signup")));
}

#[tokio::test]
async fn invalid_definitions_are_refused_with_every_problem() {
    let app = test_app();
    let bad = app
        .post(
            DEFS,
            json!({"label": "X", "name": "Bad-Name", "primaryObject": "LEAD", "propertyDefinitions": [
                {"name": "level", "label": "Level", "type": "enumeration"},
                {"name": "2x", "label": "Two", "type": "string"},
                {"name": "c", "label": "C", "type": "colour"}
            ]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_category(), "VALIDATION_ERROR");
    let places: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["in"].as_str())
        .collect();
    assert_eq!(
        places,
        [
            "name",
            "primaryObject",
            "propertyDefinitions[0].options",
            "propertyDefinitions[1].name",
            "propertyDefinitions[2].type"
        ]
    );
    assert_eq!(app.get(DEFS).await.body["total"], 0);
}

#[tokio::test]
async fn definitions_page_with_an_opaque_cursor_and_search() {
    let app = test_app();
    for label in ["Alpha", "Beta", "Gamma"] {
        app.post(DEFS, json!({"label": label})).await;
    }
    let first = app.get(&format!("{DEFS}?limit=2")).await;
    assert_eq!(first.body["results"].as_array().map(Vec::len), Some(2));
    let after = first.body["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app.get(&format!("{DEFS}?limit=2&after={after}")).await;
    assert_eq!(second.body["results"][0]["name"], "gamma");
    assert!(second.body.get("paging").is_none());
    let found = app.get(&format!("{DEFS}?searchString=bet")).await;
    assert_eq!(found.body["total"], 1);
}

#[tokio::test]
async fn label_and_description_change_but_name_does_not() {
    let app = test_app();
    app.post(DEFS, signup_definition()).await;
    let changed = app
        .patch(
            &format!("{DEFS}/signup"),
            json!({"label": "Account created", "description": "New text"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["labels"]["singular"], "Account created");
    assert_eq!(changed.body["description"], "New text");
    let renamed = app
        .patch(&format!("{DEFS}/signup"), json!({"name": "other"}))
        .await;
    assert_eq!(renamed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.patch(&format!("{DEFS}/nothing"), json!({"label": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn properties_are_added_updated_and_deleted() {
    let app = test_app();
    app.post(DEFS, signup_definition()).await;
    let prop = format!("{DEFS}/signup/property");
    let added = app
        .post(&prop, json!({"name": "source", "label": "Source", "type": "enumeration", "options": [{"label": "Ads", "value": "ads"}]}))
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert_eq!(added.body["name"], "source");
    assert_eq!(
        app.post(
            &prop,
            json!({"name": "source", "label": "Source", "type": "string"})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );

    let options = json!({"options": [{"label": "Ads", "value": "ads"}, {"label": "Email", "value": "email", "hidden": true}]});
    let updated = app.patch(&format!("{prop}/source"), options).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["options"][1]["hidden"], true);
    let by_body = app
        .patch(&prop, json!({"name": "source", "label": "Traffic source"}))
        .await;
    assert_eq!(by_body.body["label"], "Traffic source");
    let retyped = app
        .patch(&format!("{prop}/seats"), json!({"type": "string"}))
        .await;
    assert_eq!(retyped.status, StatusCode::BAD_REQUEST);
    let options_on_number = app
        .patch(
            &format!("{prop}/seats"),
            json!({"options": [{"label": "1", "value": "1"}]}),
        )
        .await;
    assert_eq!(options_on_number.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        app.delete(&format!("{prop}/source")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("{prop}/source")).await.status,
        StatusCode::NOT_FOUND
    );
    let def = app.get(&format!("{DEFS}/signup")).await;
    assert_eq!(def.body["properties"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn the_snippet_is_ready_to_paste() {
    let app = test_app();
    app.post(DEFS, signup_definition()).await;
    let snippet = app.get(&format!("{DEFS}/signup/snippet")).await;
    assert_eq!(snippet.status, StatusCode::OK);
    assert!(snippet
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain")));
    assert_eq!(
        snippet.text,
        "_wtq.push(['trackCustomBehavioralEvent', { name: 'signup', properties: { plan: 'free', seats: 42, \
         trial_end: new Date().toISOString(), note: 'example text', landing_url: 'example text' } }]);\n"
    );
}

#[tokio::test]
async fn deleting_a_definition_deletes_its_completions() {
    let app = test_app().with_fixtures().await;
    let sent = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "a@b.example", "properties": {}}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.delete(&format!("{DEFS}/signup")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("{DEFS}/signup")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(app.all_events().await.is_empty());
}

#[tokio::test]
async fn management_needs_the_admin_token() {
    let app = test_app();
    for (method, path) in [
        (Method::GET, DEFS),
        (Method::POST, DEFS),
        (Method::POST, "/events/v3/send"),
        (Method::GET, "/events/v3/events"),
        (Method::GET, "/v1/sites"),
        (Method::GET, "/v1/rejected"),
    ] {
        let mut req = admin(method.clone(), path, Some("{}".into()));
        req.headers_mut().remove("authorization");
        let answer = app.call(req).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(answer.error_category(), "INVALID_AUTHENTICATION");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    }
    let mut wrong = admin(Method::GET, DEFS, None);
    wrong
        .headers_mut()
        .insert("authorization", "Bearer nope".parse().unwrap());
    assert_eq!(app.call(wrong).await.status, StatusCode::UNAUTHORIZED);
    let health = app
        .call(
            axum::http::Request::get("/healthz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(health.status, StatusCode::OK);
}
