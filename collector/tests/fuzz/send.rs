//! `POST /events/v3/send` and `/events/v3/send/batch` under fuzzing: HubSpot's HTTP semantics
//! hold for any body — a 2xx stores every input (each `uuid` once), a 4xx stores none.

use std::cell::RefCell;
use std::collections::HashSet;

use axum::http::Method;
use proptest::test_runner::TestCaseError;
use serde::Deserialize;
use serde_json::json;

use crate::app::{check_answer, fail, FuzzApp};
use crate::corpus;
use crate::mutations::{as_is, json_inputs, Input};
use crate::runner;

const DEFS: &str = "/events/v3/event-definitions";

/// The definitions the seeds send to: ours and those of HubSpot's documentation examples.
fn app() -> FuzzApp {
    let app = FuzzApp::new();
    app.setup(
        Method::POST,
        DEFS,
        json!({"label": "Signed up", "name": "signup", "propertyDefinitions": [
            {"name": "plan", "label": "Plan", "type": "enumeration",
             "options": [{"label": "Free", "value": "free"}, {"label": "Pro", "value": "pro"}, {"label": "Team", "value": "team"}]},
            {"name": "seats", "label": "Seats", "type": "number"},
            {"name": "trial_end", "label": "Trial end", "type": "datetime"},
            {"name": "note", "label": "Note", "type": "string"},
            {"name": "landing_url", "label": "Landing URL", "type": "string"}]}),
    );
    for label in ["Login event", "Manually tracked event", "Account login"] {
        app.setup(Method::POST, DEFS, json!({ "label": label }));
    }
    app.setup(
        Method::POST,
        DEFS,
        json!({"label": "Renewed", "name": "renewed", "primaryObject": "COMPANY"}),
    );
    app
}

/// What a request says about its events' ids, read as the handler reads it (other fields are
/// skipped the same way, whatever they hold).
#[derive(Deserialize)]
struct Ids {
    uuid: Option<String>,
}

#[derive(Deserialize)]
struct BatchIds {
    inputs: Option<Vec<Ids>>,
}

/// How many events a successful request stores: an input with a `uuid` the first time that
/// id is seen, an input without one (the collector draws its id) always.
fn new_ids(inputs: &[Ids], seen: &mut HashSet<String>) -> usize {
    inputs
        .iter()
        .filter(
            |input| match input.uuid.as_deref().filter(|u| !u.is_empty()) {
                Some(uuid) => seen.insert(uuid.to_owned()),
                None => true,
            },
        )
        .count()
}

fn post(
    app: &FuzzApp,
    path: &str,
    input: &Input,
    seen: &RefCell<HashSet<String>>,
) -> Result<(), TestCaseError> {
    let before = app.event_count()?;
    let answer = app.admin(Method::POST, path, input.bytes.clone())?;
    check_answer(&format!("POST {path}"), &answer)?;
    let grew = app.event_count()? - before;
    if answer.status.is_success() {
        let unreadable = |e: serde_json::Error| {
            fail(format!(
                "a {} answer to a body the handler cannot read ({e})",
                answer.status
            ))
        };
        let inputs = match path {
            "/events/v3/send" => {
                vec![serde_json::from_slice::<Ids>(&input.bytes).map_err(unreadable)?]
            }
            _ => serde_json::from_slice::<BatchIds>(&input.bytes)
                .map_err(unreadable)?
                .inputs
                .unwrap_or_default(),
        };
        let expected = new_ids(&inputs, &mut seen.borrow_mut());
        proptest::prop_assert_eq!(
            grew,
            expected,
            "a {} answer stored {} events of {} inputs ({} new ids): {}",
            answer.status,
            grew,
            inputs.len(),
            expected,
            answer.text
        );
    } else {
        proptest::prop_assert_eq!(
            grew,
            0,
            "a {} answer stored events: {}",
            answer.status,
            answer.text
        );
    }
    Ok(())
}

fn fuzz(target: &str, path: &str, cases: u32) {
    let app = app();
    let seen = RefCell::new(HashSet::new());
    let seeds = corpus::seeds(target);
    for input in as_is(&seeds) {
        post(&app, path, &input, &seen).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
    }
    assert!(
        app.event_count().expect("count") >= 3,
        "the valid seeds are stored"
    );
    runner::run(target, cases, json_inputs(seeds), |input| {
        post(&app, path, &input, &seen)
    });
}

#[test]
fn any_send_body_answers_204_or_4xx_and_stores_the_event_or_nothing() {
    fuzz("send", "/events/v3/send", 600);
}

#[test]
fn any_send_batch_body_answers_204_or_4xx_and_stores_every_input_or_none() {
    fuzz("send_batch", "/events/v3/send/batch", 500);
}
