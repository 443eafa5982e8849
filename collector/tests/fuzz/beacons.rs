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
    runner::run(TARGET, 1000, json_inputs(seeds), |input| post(&app, &input));
}

#[test]
fn the_tracker_seed_is_byte_for_byte_what_the_tracker_sends() {
    use std::rc::Rc;
    use wasmtrack_core::batch::{encode_batch, Entry};
    use wasmtrack_core::payload::{encode_context, encode_event_body};

    let props = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    let (vid, sid) = (
        "3f2b9c1e-7a4d-4e8b-9c2a-1d5e6f708192",
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    );
    let home = Rc::new(encode_context(
        vid,
        sid,
        &None,
        &None,
        &props(&[
            ("url", "https://shop.example/"),
            ("path", "/"),
            ("title", "Shop"),
            ("referrer", "https://www.google.com/"),
            ("screen", "1920x1080"),
            ("language", "en-US"),
        ]),
    ));
    let pricing = Rc::new(encode_context(
        vid,
        sid,
        &None,
        &None,
        &props(&[
            (
                "url",
                "https://shop.example/pricing?utm_source=ad&utm_campaign=spring",
            ),
            ("path", "/pricing"),
            ("title", "Pricing"),
            ("utm_source", "ad"),
            ("utm_campaign", "spring"),
        ]),
    ));
    let entries = [
        Entry {
            ctx: home,
            body: encode_event_body(
                "0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d11",
                "$pageview",
                1_714_564_790_000,
                &vec![],
            ),
        },
        Entry {
            ctx: pricing.clone(),
            body: encode_event_body(
                "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                "$pageview",
                1_714_564_795_000,
                &vec![],
            ),
        },
        Entry {
            ctx: pricing,
            body: encode_event_body(
                "7e6d5c4b-3a2f-4e1d-9c0b-a1b2c3d4e5f6",
                "signup",
                1_714_564_799_000,
                &props(&[
                    ("plan", "pro"),
                    ("seats", "3"),
                    ("trial_end", "2024-06-01T00:00:00Z"),
                    ("note", "from the pricing page"),
                    ("landing_url", "https://shop.example/pricing"),
                ]),
            ),
        },
    ];
    let sent = encode_batch("shop", 1_714_564_800_000, &entries);
    let seed = corpus::seeds(TARGET)
        .iter()
        .find(|s| s.name == "tracker-batch-two-contexts.json")
        .map(|s| String::from_utf8_lossy(&s.bytes).into_owned())
        .expect("seed");
    assert_eq!(seed, sent, "the seed is the tracker's wire format of today");
}
