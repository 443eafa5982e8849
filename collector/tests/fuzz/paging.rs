//! Paging cursors, `limit` and time bounds of the list endpoints under fuzzing: any `after=`,
//! `limit=`, `occurredAfter=`/`occurredBefore=` or `from=`/`to=` text, percent-encoded or raw,
//! answers a 200 or a 4xx; a cursor the server itself returned is always accepted; and paging
//! with any page size visits every event exactly once.

use axum::body::Body;
use axum::http::{header, Method, Request, Uri};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::json;

use crate::app::{check_answer, fail, Answer, FuzzApp, ORIGIN, TOKEN};
use crate::corpus;
use crate::mutations::{as_is, text_inputs, Input};
use crate::runner;

/// A store with events (two of them at the same instant, so cursors need their tie-breaker),
/// definitions and refused beacon events to page through.
fn app() -> FuzzApp {
    let app = FuzzApp::new();
    app.setup(
        Method::POST,
        "/v1/sites",
        json!({"id": "shop", "origins": [ORIGIN]}),
    );
    for name in ["signup", "checkout", "renewal"] {
        app.setup(
            Method::POST,
            "/events/v3/event-definitions",
            json!({"label": name, "name": name}),
        );
    }
    let inputs: Vec<_> = (0..12)
        .map(|i| {
            json!({"eventName": if i % 2 == 0 { "signup" } else { "checkout" }, "utk": format!("v{}", i % 3),
                   "occurredAt": 1_714_564_799_000_i64 + (i / 2) * 1000})
        })
        .collect();
    app.setup(
        Method::POST,
        "/events/v3/send/batch",
        json!({ "inputs": inputs }),
    );
    let beacon = json!({"site": "shop", "events": [
        {"id": "not-a-uuid", "name": "signup", "ts": 1_714_564_799_000_i64},
        {"id": "00000000-0000-4000-8000-000000000001", "name": "Not A Name", "ts": 1_714_564_799_000_i64}]});
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/collect")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(beacon.to_string()))
        .expect("request");
    let answer = app.call(req).expect("beacon");
    assert!(answer.status.is_success(), "{}", answer.text);
    app
}

/// A query parameter value from bytes: percent-encoded, or (`raw`) with every byte a URI
/// allows in a query left as is, so that `%`, `&`, `=` and `+` reach the query parser.
fn query_value(bytes: &[u8], raw: bool) -> String {
    let mut out = String::new();
    for &b in bytes {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~".contains(&b)
            || (raw && b"!$%&'()*+,/:;=?@".contains(&b));
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One request of the fuzzed list endpoints.
#[derive(Debug, Clone)]
struct ListRequest {
    endpoint: usize,
    cursor: Input,
    limit: Option<String>,
    from: Input,
    to: Input,
    interval: &'static str,
    raw: bool,
}

impl ListRequest {
    /// The path without `after=`, and whether the endpoint pages.
    fn base(&self) -> String {
        let v = |bytes: &[u8]| query_value(bytes, self.raw);
        let limit = self
            .limit
            .as_ref()
            .map(|l| format!("&limit={}", v(l.as_bytes())))
            .unwrap_or_default();
        match self.endpoint {
            0 => format!("/events/v3/events?sort=occurredAt{limit}"),
            1 => format!("/events/v3/events?sort=-occurredAt{limit}"),
            2 => format!("/events/v3/event-definitions?includeProperties=false{limit}"),
            3 => format!("/v1/rejected?x=1{limit}"),
            4 => format!(
                "/events/v3/events?occurredAfter={}&occurredBefore={}{limit}",
                v(&self.from.bytes),
                v(&self.to.bytes)
            ),
            _ => format!(
                "/v1/events/signup/completions?from={}&to={}&interval={}",
                v(&self.from.bytes),
                v(&self.to.bytes),
                self.interval
            ),
        }
    }

    fn path(&self) -> String {
        let after = query_value(&self.cursor.bytes, self.raw);
        match self.endpoint {
            0..=3 => format!("{}&after={after}", self.base()),
            _ => self.base(),
        }
    }
}

fn list_requests(
    cursors: std::sync::Arc<[corpus::Seed]>,
    times: std::sync::Arc<[corpus::Seed]>,
) -> impl Strategy<Value = ListRequest> {
    let limit = prop_oneof![
        3 => select(vec!["0", "1", "2", "100", "500", "501", "1000", "1001", "-1", "1.0", "1e3", " 1", "+1", "",
                         "18446744073709551616", "٣", "0x10"]).prop_map(String::from),
        1 => "[0-9]{1,25}",
        1 => any::<String>(),
    ];
    (
        0usize..6,
        text_inputs(cursors),
        proptest::option::weighted(0.7, limit),
        text_inputs(times.clone()),
        text_inputs(times),
        select(vec!["hour", "day", "week", "minute", ""]),
        any::<bool>(),
    )
        .prop_map(
            |(endpoint, cursor, limit, from, to, interval, raw)| ListRequest {
                endpoint,
                cursor,
                limit,
                from,
                to,
                interval,
                raw,
            },
        )
}

fn get(app: &FuzzApp, path: &str) -> Result<Option<Answer>, TestCaseError> {
    // A value a URI cannot hold never reaches the server; nothing to test then.
    let Ok(uri) = path.parse::<Uri>() else {
        return Ok(None);
    };
    let req = Request::builder()
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .map_err(|e| fail(e.to_string()))?;
    let answer = app.call(req)?;
    check_answer(&format!("GET {path}"), &answer)?;
    Ok(Some(answer))
}

fn list(app: &FuzzApp, request: &ListRequest) -> Result<(), TestCaseError> {
    let Some(answer) = get(app, &request.path())? else {
        return Ok(());
    };
    if let Some(next) = answer.json["paging"]["next"]["after"].as_str() {
        let path = format!("{}&after={next}", request.base());
        let followed = get(app, &path)?.ok_or_else(|| fail(format!("{path} is not a URI")))?;
        prop_assert!(
            followed.status.is_success(),
            "the server's own cursor is refused: GET {} → {}: {}",
            path,
            followed.status,
            followed.text
        );
    }
    Ok(())
}

#[test]
fn any_cursor_limit_or_time_bound_answers_200_or_4xx() {
    let app = app();
    let cursors = corpus::seeds("cursor");
    let times = corpus::seeds("timestamp");
    let some_time = as_is(&times)[0].clone();
    for cursor in as_is(&cursors) {
        for endpoint in 0..4 {
            let request = ListRequest {
                endpoint,
                cursor: cursor.clone(),
                limit: Some("1".into()),
                from: some_time.clone(),
                to: some_time.clone(),
                interval: "day",
                raw: false,
            };
            list(&app, &request).unwrap_or_else(|e| panic!("seed {}: {e}", cursor.made));
        }
    }
    for from in as_is(&times) {
        for endpoint in 4..6 {
            let request = ListRequest {
                endpoint,
                cursor: from.clone(),
                limit: None,
                from: from.clone(),
                to: from.clone(),
                interval: "hour",
                raw: false,
            };
            list(&app, &request).unwrap_or_else(|e| panic!("seed {}: {e}", from.made));
        }
    }
    runner::run("cursor", 1000, list_requests(cursors, times), |request| {
        list(&app, &request)
    });
}

#[test]
fn paging_with_any_page_size_visits_every_event_exactly_once() {
    let app = app();
    let all = app
        .get("/events/v3/events?sort=occurredAt&limit=1000")
        .expect("all events")["results"]
        .clone();
    let all: Vec<_> = all
        .as_array()
        .expect("results")
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert!(all.len() >= 12, "the events to page through are stored");
    let strategy = (1usize..8, any::<bool>());
    runner::run("paging", 24, strategy, |(limit, ascending)| {
        let sort = if ascending {
            "occurredAt"
        } else {
            "-occurredAt"
        };
        let mut seen = Vec::new();
        let mut path = format!("/events/v3/events?sort={sort}&limit={limit}");
        for _ in 0..=all.len() {
            let page = app.get(&path)?;
            seen.extend(
                page["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|e| e["id"].clone()),
            );
            match page["paging"]["next"]["after"].as_str() {
                Some(after) => {
                    path = format!("/events/v3/events?sort={sort}&limit={limit}&after={after}")
                }
                None => break,
            }
        }
        let mut sorted_seen = seen.clone();
        sorted_seen.sort_by_key(|v| v.to_string());
        let mut sorted_all = all.clone();
        sorted_all.sort_by_key(|v| v.to_string());
        prop_assert_eq!(
            sorted_seen,
            sorted_all,
            "pages of {} do not hold every event once: {:?}",
            limit,
            seen
        );
        Ok(())
    });
}
