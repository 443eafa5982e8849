//! Definition bodies under fuzzing: `POST /events/v3/event-definitions` and
//! `POST /events/v3/event-definitions/{event}/property` answer a 201 or a 4xx for any body; a
//! 201 stores what it answered (read back, then deleted so that the seed can be created again),
//! a 4xx changes no definition.

use axum::body::Body;
use axum::http::{Method, StatusCode};
use proptest::prop_assert_eq;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

use crate::app::{check_answer, fail, FuzzApp};
use crate::corpus;
use crate::mutations::{as_is, json_inputs, Input};
use crate::runner;

const DEFS: &str = "/events/v3/event-definitions";

/// Every definition, in full.
fn all_definitions(app: &FuzzApp) -> Result<Value, TestCaseError> {
    Ok(app.get(&format!("{DEFS}?limit=500"))?["results"].clone())
}

fn create(app: &FuzzApp, input: &Input) -> Result<(), TestCaseError> {
    let before = all_definitions(app)?;
    let answer = app.admin(Method::POST, DEFS, input.bytes.clone())?;
    check_answer(&format!("POST {DEFS}"), &answer)?;
    if !answer.status.is_success() {
        prop_assert_eq!(
            &all_definitions(app)?,
            &before,
            "a {} answer changed the definitions: {}",
            answer.status,
            answer.text
        );
        return Ok(());
    }
    prop_assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let name = answer.json["name"]
        .as_str()
        .ok_or_else(|| fail(format!("a 201 without a name: {}", answer.text)))?;
    let stored = app.get(&format!("{DEFS}/{name}"))?;
    prop_assert_eq!(
        &stored["properties"],
        &answer.json["properties"],
        "stored is not what was answered"
    );
    let deleted = app.admin(Method::DELETE, &format!("{DEFS}/{name}"), Body::empty())?;
    prop_assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    prop_assert_eq!(
        &all_definitions(app)?,
        &before,
        "deleting the new definition restores the list"
    );
    Ok(())
}

#[test]
fn any_definition_body_answers_201_or_4xx_and_a_4xx_changes_nothing() {
    let app = FuzzApp::new();
    // A definition that exists, so that seeds and mutations can collide with it (409).
    app.setup(
        Method::POST,
        DEFS,
        json!({"label": "Signed up", "name": "signup"}),
    );
    let seeds = corpus::seeds("definition");
    let mut created = 0;
    for input in as_is(&seeds) {
        create(&app, &input).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
        created += 1;
    }
    assert!(created > 0);
    runner::run("definition", 600, json_inputs(seeds), |input| {
        create(&app, &input)
    });
}

const HOST: &str = "/events/v3/event-definitions/host";

fn add_property(app: &FuzzApp, input: &Input) -> Result<(), TestCaseError> {
    let before = app.get(HOST)?["properties"].clone();
    let path = format!("{HOST}/property");
    let answer = app.admin(Method::POST, &path, input.bytes.clone())?;
    check_answer(&format!("POST {path}"), &answer)?;
    let after = app.get(HOST)?["properties"].clone();
    if !answer.status.is_success() {
        prop_assert_eq!(
            &after,
            &before,
            "a {} answer changed the properties: {}",
            answer.status,
            answer.text
        );
        return Ok(());
    }
    prop_assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let name = answer.json["name"]
        .as_str()
        .ok_or_else(|| fail(format!("a 201 without a name: {}", answer.text)))?;
    let listed = after
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p == &answer.json);
    proptest::prop_assert!(
        listed,
        "the new property {} is not stored as answered: {}",
        answer.text,
        after
    );
    let deleted = app.admin(Method::DELETE, &format!("{path}/{name}"), Body::empty())?;
    prop_assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    prop_assert_eq!(
        &app.get(HOST)?["properties"],
        &before,
        "deleting the new property restores the list"
    );
    Ok(())
}

#[test]
fn any_property_body_answers_201_or_4xx_and_a_4xx_changes_nothing() {
    let app = FuzzApp::new();
    app.setup(
        Method::POST,
        DEFS,
        json!({"label": "Host", "name": "host", "propertyDefinitions": [
            {"name": "existing", "label": "Existing", "type": "string"}]}),
    );
    let seeds = corpus::seeds("property");
    for input in as_is(&seeds) {
        add_property(&app, &input).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
    }
    runner::run("property", 500, json_inputs(seeds), |input| {
        add_property(&app, &input)
    });
}
