//! Path segments and query strings under fuzzing: an event, property or site name, a rule id
//! or a query that no route expects still answers a 2xx or a 4xx in HubSpot's error body.
//!
//! Two tests: one with what decodes to valid UTF-8, sent with each route's own method; one
//! with any bytes (invalid UTF-8 and broken escapes after percent-decoding, repeated query
//! keys) and any method. Both answer only 2xx or 4xx, every 4xx with HubSpot's error body.

use axum::body::Body;
use axum::http::{header, Method, Request, Uri};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::json;

use crate::app::{check_answer, fail, FuzzApp, ORIGIN, TOKEN};
use crate::corpus;
use crate::mutations::{as_is, text_inputs, Input};
use crate::runner;

const TARGET: &str = "path";

/// Routes with a segment (`{}`) or a query (`?{}`) from the input, the method each answers,
/// and a body it reads. None deletes the site or the definition the others use.
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/events/v3/event-definitions/{}", ""),
    (
        "PATCH",
        "/events/v3/event-definitions/{}",
        r#"{"label":"Renamed"}"#,
    ),
    ("GET", "/events/v3/event-definitions/{}/snippet", ""),
    (
        "POST",
        "/events/v3/event-definitions/{}/property",
        r#"{"name":"p","label":"P","type":"string"}"#,
    ),
    (
        "PATCH",
        "/events/v3/event-definitions/signup/property/{}",
        r#"{"label":"Renamed"}"#,
    ),
    (
        "DELETE",
        "/events/v3/event-definitions/signup/property/{}",
        "",
    ),
    ("GET", "/v1/events/{}/completions", ""),
    ("GET", "/v1/sites/{}", ""),
    (
        "PUT",
        "/v1/sites/{}",
        r#"{"origins":["https://x.example"]}"#,
    ),
    ("GET", "/v1/sites/{}/rules", ""),
    ("DELETE", "/v1/sites/shop/rules/{}", ""),
    ("GET", "/v1/sites/shop/rules?{}", ""),
    ("GET", "/events/v3/events?{}", ""),
];

#[derive(Debug, Clone)]
struct PathRequest {
    route: usize,
    method: Option<&'static str>,
    input: Input,
}

/// Bytes for a URI: `valid` percent-encodes what is not unreserved in the UTF-8 of the
/// input read as text (so it decodes to that text); otherwise every byte a URI may hold
/// stays as is (`%`, `&`, `=` included) and the others are percent-encoded.
fn encode(input: &Input, valid: bool) -> String {
    let text;
    let bytes: &[u8] = if valid {
        text = input.text();
        text.as_bytes()
    } else {
        &input.bytes
    };
    let mut out = String::new();
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~".contains(&b)
            || (!valid && b"!$%&'()*+,;=:@/".contains(&b));
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn requests(
    seeds: std::sync::Arc<[corpus::Seed]>,
    any_method: bool,
) -> impl Strategy<Value = PathRequest> {
    let method = if any_method {
        proptest::option::weighted(0.3, select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]))
            .boxed()
    } else {
        Just(None).boxed()
    };
    (0..ROUTES.len(), method, text_inputs(seeds)).prop_map(|(route, method, input)| PathRequest {
        route,
        method,
        input,
    })
}

fn app() -> FuzzApp {
    let app = FuzzApp::new();
    app.setup(
        Method::POST,
        "/v1/sites",
        json!({"id": "shop", "origins": [ORIGIN]}),
    );
    app.setup(
        Method::POST,
        "/events/v3/event-definitions",
        json!({"label": "Signed up", "name": "signup", "propertyDefinitions": [
            {"name": "plan", "label": "Plan", "type": "string"}]}),
    );
    app
}

fn send(app: &FuzzApp, request: &PathRequest, valid: bool) -> Result<(), TestCaseError> {
    let (method, template, body) = ROUTES[request.route];
    let segment = encode(&request.input, valid);
    // An empty name makes another route's path (its trailing slash is dropped), answered
    // 405 for this method: part of the bug of the second test.
    if valid && segment.is_empty() {
        return Ok(());
    }
    let path = template.replace("{}", &segment);
    // What a URI cannot hold never reaches a server.
    let Ok(uri) = path.parse::<Uri>() else {
        return Ok(());
    };
    let method = request.method.unwrap_or(method);
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(body))
        .map_err(|e| fail(e.to_string()))?;
    let answer = app.call(req)?;
    check_answer(&format!("{method} {path}"), &answer)
}

fn fuzz(valid: bool, cases: u32) {
    let app = app();
    let seeds = corpus::seeds(TARGET);
    for input in as_is(&seeds) {
        for route in 0..ROUTES.len() {
            let request = PathRequest {
                route,
                method: None,
                input: input.clone(),
            };
            send(&app, &request, valid).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
        }
    }
    let target = if valid { "path" } else { "path_any_bytes" };
    runner::run(target, cases, requests(seeds, !valid), |request| {
        send(&app, &request, valid)
    });
}

#[test]
fn any_name_or_query_in_a_url_answers_2xx_or_4xx_with_hubspots_error_body() {
    fuzz(true, 600);
}

#[test]
fn any_bytes_and_method_in_a_url_answer_2xx_or_4xx_with_hubspots_error_body() {
    fuzz(false, 600);
}
