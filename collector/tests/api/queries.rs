//! Reading events back: HubSpot's event listing with its cursors and filters, event types,
//! completions per hour/day/week, and the rejected list's paging.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common::*;

const DAY: i64 = 86_400_000;
/// 2024-01-01T00:00:00Z, a Monday.
const JAN_1: i64 = 1_704_067_200_000;

async fn send(app: &TestApp, email: &str, at: i64, props: Value) {
    let body =
        json!({"eventName": "signup", "email": email, "occurredAt": at, "properties": props});
    let answer = app.post("/events/v3/send", body).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
}

fn ids(answer: &Answer) -> Vec<String> {
    answer.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["occurredAt"].as_str().unwrap()[..10].to_owned())
        .collect()
}

#[tokio::test]
async fn events_page_forward_with_opaque_cursors_in_both_orders() {
    let app = test_app().with_fixtures().await;
    for day in 0..5 {
        send(&app, "a@b.example", JAN_1 + day * DAY, json!({})).await;
    }
    let base = "/events/v3/events?objectType=contact&objectProperty.email=a@b.example&limit=2";
    let mut seen = Vec::new();
    let mut path = format!("{base}&sort=occurredAt");
    let mut pages = 0;
    loop {
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        seen.extend(ids(&page));
        pages += 1;
        match page.body["paging"]["next"]["after"].as_str() {
            Some(after) => path = format!("{base}&sort=occurredAt&after={after}"),
            None => {
                assert!(
                    page.body.get("paging").is_none(),
                    "no paging on the last page"
                );
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "2024-01-01",
            "2024-01-02",
            "2024-01-03",
            "2024-01-04",
            "2024-01-05"
        ]
    );

    let newest = app.get(base).await;
    assert_eq!(
        ids(&newest),
        ["2024-01-05", "2024-01-04"],
        "newest first by default"
    );
    let after = newest.body["paging"]["next"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        ids(&app.get(&format!("{base}&after={after}")).await),
        ["2024-01-03", "2024-01-02"]
    );
    assert_eq!(
        app.get(&format!("{base}&after=garbage")).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn events_filter_by_type_and_time() {
    let app = test_app().with_fixtures().await;
    app.post("/events/v3/event-definitions", json!({"label": "Login"}))
        .await;
    for day in 0..4 {
        send(&app, "a@b.example", JAN_1 + day * DAY, json!({})).await;
    }
    app.post(
        "/events/v3/send",
        json!({"eventName": "login", "email": "a@b.example", "occurredAt": JAN_1}),
    )
    .await;
    let q = |query: &str| format!("/events/v3/events?sort=occurredAt&{query}");
    assert_eq!(ids(&app.get(&q("eventType=login")).await), ["2024-01-01"]);
    assert_eq!(
        ids(&app.get(&q("eventType=pe99_login")).await),
        ["2024-01-01"]
    );
    let window = app
        .get(&q(
            "eventType=signup&occurredAfter=2024-01-02T00:00:00Z&occurredBefore=2024-01-04",
        ))
        .await;
    assert_eq!(ids(&window), ["2024-01-02", "2024-01-03"]);
    assert_eq!(
        app.get(&q("occurredAfter=yesterday")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&q("objectType=lead&objectId=1")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&q("limit=1001")).await.status,
        StatusCode::BAD_REQUEST
    );
    let other = app
        .get(&q(
            "objectType=contact&objectProperty.email=nobody@b.example",
        ))
        .await;
    assert_eq!(other.body["results"], json!([]));
}

#[tokio::test]
async fn event_types_list_defined_and_builtin_events() {
    let app = test_app().with_fixtures().await;
    let types = app.get("/events/v3/events/event-types").await;
    assert_eq!(types.status, StatusCode::OK);
    assert_eq!(
        types.body["eventTypes"],
        json!(["signup", "$pageview", "$identify"])
    );
}

#[tokio::test]
async fn completions_count_per_bucket_with_empty_buckets_and_a_property_filter() {
    let app = test_app().with_fixtures().await;
    send(
        &app,
        "a@b.example",
        JAN_1 + 3_600_000,
        json!({"plan": "pro"}),
    )
    .await;
    send(
        &app,
        "b@b.example",
        JAN_1 + 7_200_000,
        json!({"plan": "free;pro"}),
    )
    .await;
    send(
        &app,
        "c@b.example",
        JAN_1 + 2 * DAY,
        json!({"plan": "free"}),
    )
    .await;
    send(
        &app,
        "d@b.example",
        JAN_1 + 9 * DAY,
        json!({"plan": "team"}),
    )
    .await;

    let path = "/v1/events/signup/completions?interval=day&from=2024-01-01&to=2024-01-04";
    let days = app.get(path).await;
    assert_eq!(days.status, StatusCode::OK, "{}", days.text);
    let counts: Vec<u64> = days.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [2, 0, 1]);
    assert_eq!(days.body["buckets"][1]["start"], "2024-01-02T00:00:00.000Z");
    assert_eq!(days.body["total"], 3);

    let pro = app.get(&format!("{path}&property=plan&value=pro")).await;
    let counts: Vec<u64> = pro.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(
        counts,
        [2, 0, 0],
        "a multi-value counts for each of its values"
    );

    let weeks = app
        .get("/v1/events/signup/completions?interval=week&from=2024-01-03&to=2024-01-15")
        .await;
    assert_eq!(
        weeks.body["from"], "2024-01-01T00:00:00.000Z",
        "weeks start on Monday"
    );
    let counts: Vec<u64> = weeks.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [3, 1]);

    let hours = app.get("/v1/events/signup/completions?interval=hour&from=2024-01-01T00:00:00Z&to=2024-01-01T03:00:00Z").await;
    let counts: Vec<u64> = hours.body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [0, 1, 1]);

    assert_eq!(
        app.get("/v1/events/nothing/completions").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/events/signup/completions?interval=month")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/v1/events/signup/completions?property=plan")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let default = app.get("/v1/events/signup/completions").await;
    assert_eq!(
        default.body["buckets"].as_array().map(Vec::len),
        Some(31),
        "30 days back from now, partial day included"
    );
}

#[tokio::test]
async fn rejected_events_page_newest_first() {
    let app = test_app().with_fixtures().await;
    let events: Vec<Value> = (1..=5)
        .map(|n| wire_event(n, "Not A Name", now_ms(), "v", json!({})))
        .collect();
    app.beacon(json!({"site": "shop", "events": events})).await;
    let first = app.get("/v1/rejected?limit=3").await;
    let names: Vec<&str> = first.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(names, [uuid(5), uuid(4), uuid(3)]);
    let after = first.body["paging"]["next"]["after"].as_str().unwrap();
    let second = app
        .get(&format!("/v1/rejected?limit=3&after={after}"))
        .await;
    assert_eq!(second.body["results"].as_array().map(Vec::len), Some(2));
    assert!(second.body.get("paging").is_none());
}

#[tokio::test]
async fn sites_are_managed_over_the_api() {
    let app = test_app();
    let created = app
        .post(
            "/v1/sites",
            json!({"id": "blog", "origins": ["https://Blog.example/", "http://localhost:3000"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(
        created.body["origins"],
        json!(["https://blog.example", "http://localhost:3000"])
    );
    let key = created.body["publicKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pk_"));
    assert_eq!(
        app.post("/v1/sites", json!({"id": "blog", "origins": ["*"]}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post("/v1/sites", json!({"id": "x y", "origins": ["*"]}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.post("/v1/sites", json!({"id": "x", "origins": ["blog.example"]}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let updated = app
        .put(
            "/v1/sites/blog",
            json!({"origins": ["https://blog.example"]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["publicKey"], key.as_str(), "the key stays");
    assert_eq!(
        app.put("/v1/sites/shop", json!({"origins": ["*"]}))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.get("/v1/sites").await.body["results"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        app.get("/v1/sites/blog").await.body["origins"],
        json!(["https://blog.example"])
    );
    assert_eq!(
        app.delete("/v1/sites/blog").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/v1/sites/blog").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete("/v1/sites/blog").await.status,
        StatusCode::NOT_FOUND
    );
}
