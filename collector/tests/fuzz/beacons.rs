//! `POST /v1/collect` under fuzzing: whatever a page (or anyone) posts, the answer is a 200
//! or a 4xx, and the store grows by exactly the `stored` count the answer gives (none on a
//! 4xx): a beacon is never stored in part behind the tracker's back.

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::json;

use crate::app::{check_answer, fail, FuzzApp, ORIGIN};
use crate::corpus;
use crate::mutations::{as_is, json_inputs, Input};
use crate::runner;

const TARGET: &str = "beacon";
const DEFS: &str = "/events/v3/event-definitions";

/// Sites `shop` (the seeds' origin) and `open` (`*`), and the definitions the seeds use.
fn app() -> FuzzApp {
    let app = FuzzApp::new();
    app.setup(
        Method::POST,
        "/v1/sites",
        json!({"id": "shop", "origins": [ORIGIN]}),
    );
    app.setup(
        Method::POST,
        "/v1/sites",
        json!({"id": "open", "origins": ["*"]}),
    );
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
    app.setup(
        Method::POST,
        "/v1/sites/open/rules",
        json!({"label": "Pricing CTA clicked", "eventName": "pricing_cta_clicked", "kind": "click",
               "selector": "#buy-pro", "properties": [{"name": "plan", "source": "attr:data-plan"}]}),
    );
    app
}

fn post(app: &FuzzApp, input: &Input) -> Result<(), proptest::test_runner::TestCaseError> {
    let before = app.event_count()?;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/collect")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(input.bytes.clone()))
        .map_err(|e| fail(e.to_string()))?;
    let answer = app.call(req)?;
    check_answer("POST /v1/collect", &answer)?;
    let grew = app.event_count()? - before;
    if answer.status.is_success() {
        let stored = answer.json["stored"].as_u64().ok_or_else(|| {
            fail(format!(
                "a {} answer without `stored`: {}",
                answer.status, answer.text
            ))
        })?;
        proptest::prop_assert_eq!(
            grew as u64,
            stored,
            "the store grew by {} events, the answer says {}: {}",
            grew,
            stored,
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

#[test]
fn any_beacon_body_answers_200_or_4xx_and_stores_exactly_what_the_answer_says() {
    let app = app();
    let seeds = corpus::seeds(TARGET);
    for input in as_is(&seeds) {
        post(&app, &input).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
    }
    assert!(
        app.event_count().expect("count") >= 5,
        "the valid seeds store their events (else the fuzzing only ever meets refusals)"
    );
    runner::run(TARGET, 150, json_inputs(seeds), |input| post(&app, &input));
}
