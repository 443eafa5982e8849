//! The OpenAPI description at `/openapi.json`: public, OpenAPI 3.1, every operation it
//! describes is routed, and what the server really answers validates against the schemas the
//! description gives those answers, so a client generated from it reads real answers.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

/// The description, fetched as a client would: without a credential.
async fn description(app: &TestApp) -> Value {
    let answer = app
        .call(
            Request::builder()
                .uri("/openapi.json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    answer.body
}

/// Validates `answer` against the schema the description gives the answer of `method path`
/// with its status.
fn conforms(spec: &Value, method: &str, path: &str, answer: &Answer) {
    let status = answer.status.as_u16().to_string();
    let operation = &spec["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not described");
    let response = &operation["responses"][&status];
    assert!(
        response.is_object(),
        "{method} {path} answered {status}, which its description does not list: {}",
        answer.text
    );
    let Some(schema) = response["content"]["application/json"]["schema"].as_object() else {
        assert!(
            answer.text.is_empty() || response["content"].is_object(),
            "{method} {path} {status} has a body its description does not mention: {}",
            answer.text
        );
        return;
    };
    let mut document = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": spec["components"],
    });
    for (key, value) in schema {
        document[key] = value.clone();
    }
    let validator = jsonschema::draft202012::new(&document).expect("a valid schema");
    let problems: Vec<String> = validator
        .iter_errors(&answer.body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{method} {path} {status}: the answer does not match its schema: {problems:?}\n{}",
        answer.text
    );
}

#[tokio::test]
async fn the_description_is_public_openapi_3_1_with_unique_operation_ids() {
    let app = test_app();
    let spec = description(&app).await;
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    let mut ids = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(
                !ids.contains(&id.to_owned()),
                "operationId {id} is used twice"
            );
            ids.push(id.to_owned());
            assert!(
                operation["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} has no summary"
            );
        }
    }
    assert!(ids.len() >= 13, "{ids:?}");
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// A path of the description with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{eventName}", "signup")
        .replace("{propertyName}", "plan")
        .replace("{site}", "shop")
        .replace("{id}", "1")
        .replace("{name}", "signup")
}

#[tokio::test]
async fn every_described_operation_is_routed() {
    let app = test_app().with_fixtures().await;
    let spec = description(&app).await;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let body = matches!(method, Method::POST | Method::PUT | Method::PATCH)
                .then(|| "{}".to_owned());
            let answer = app.call(admin(method.clone(), &concrete(path), body)).await;
            assert_ne!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is described but not routed"
            );
            assert!(
                !(answer.status == StatusCode::NOT_FOUND
                    && answer.body["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("no endpoint"))),
                "{method} {path} is described but not routed: {}",
                answer.text
            );
        }
    }
}

#[tokio::test]
async fn definitions_answers_match_the_description() {
    let app = test_app();
    let spec = description(&app).await;
    const DEFS: &str = "/events/v3/event-definitions";
    let created = app.post(DEFS, signup_definition()).await;
    conforms(&spec, "post", DEFS, &created);
    let again = app.post(DEFS, signup_definition()).await;
    conforms(&spec, "post", DEFS, &again);
    let invalid = app.post(DEFS, json!({"label": "!!!"})).await;
    conforms(&spec, "post", DEFS, &invalid);
    app.post(DEFS, json!({"label": "Trial started"})).await;
    let page = app.get(&format!("{DEFS}?limit=1")).await;
    assert!(page.body["paging"]["next"]["after"].is_string());
    conforms(&spec, "get", DEFS, &page);
    let one = "/events/v3/event-definitions/{eventName}";
    conforms(&spec, "get", one, &app.get(&format!("{DEFS}/signup")).await);
    conforms(&spec, "get", one, &app.get(&format!("{DEFS}/nope")).await);
    let relabeled = app
        .patch(&format!("{DEFS}/signup"), json!({"label": "Signed up!"}))
        .await;
    conforms(&spec, "patch", one, &relabeled);
    let added = app
        .post(
            &format!("{DEFS}/signup/property"),
            json!({"name": "source", "label": "Source", "type": "string"}),
        )
        .await;
    conforms(
        &spec,
        "post",
        "/events/v3/event-definitions/{eventName}/property",
        &added,
    );
    let prop = "/events/v3/event-definitions/{eventName}/property/{propertyName}";
    let options = app
        .patch(
            &format!("{DEFS}/signup/property/plan"),
            json!({"options": [{"label": "Free", "value": "free"}]}),
        )
        .await;
    conforms(&spec, "patch", prop, &options);
    conforms(
        &spec,
        "delete",
        prop,
        &app.delete(&format!("{DEFS}/signup/property/source")).await,
    );
    let unauthorized = app
        .call(
            Request::builder()
                .uri(DEFS)
                .header(header::AUTHORIZATION, "Bearer wrong")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    conforms(&spec, "get", DEFS, &unauthorized);
    conforms(
        &spec,
        "delete",
        one,
        &app.delete(&format!("{DEFS}/trial_started")).await,
    );
}

#[tokio::test]
async fn event_answers_match_the_description() {
    let app = test_app().with_fixtures().await;
    let spec = description(&app).await;
    for n in 1..=3 {
        let sent = app
            .post(
                "/events/v3/send",
                json!({"eventName": "signup", "email": "ada@example.com", "uuid": uuid(n),
                       "properties": {"plan": "pro", "seats": 3}}),
            )
            .await;
        assert_eq!(sent.status, StatusCode::NO_CONTENT, "{}", sent.text);
    }
    let beacon = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [
            wire_event(9, "signup", now_ms(), "v-1", json!({"plan": "free"}))]}))
        .await;
    assert_eq!(beacon.status, StatusCode::OK, "{}", beacon.text);
    let page = app.get("/events/v3/events?limit=2").await;
    assert!(
        page.body["paging"]["next"]["after"].is_string(),
        "{}",
        page.text
    );
    conforms(&spec, "get", "/events/v3/events", &page);
    conforms(
        &spec,
        "get",
        "/events/v3/events",
        &app.get("/events/v3/events?sort=sideways").await,
    );
    conforms(
        &spec,
        "get",
        "/events/v3/events/event-types",
        &app.get("/events/v3/events/event-types").await,
    );
    let completions = "/v1/events/{eventName}/completions";
    conforms(
        &spec,
        "get",
        completions,
        &app.get("/v1/events/signup/completions?interval=hour&property=plan&value=pro")
            .await,
    );
    conforms(
        &spec,
        "get",
        completions,
        &app.get("/v1/events/nope/completions").await,
    );
}

#[tokio::test]
async fn beacon_data_quality_and_site_answers_match_the_description() {
    let app = test_app().with_fixtures().await;
    let spec = description(&app).await;
    let now = now_ms();
    let beacon = app
        .beacon(json!({"site": "shop", "sent": now, "events": [
            wire_event(1, "signup", now, "v-1", json!({"plan": "gold", "coupon": "X"})),
            wire_event(2, "checkout", now, "v-1", json!({})),
            {"id": "bad", "name": "signup", "ts": now},
        ]}))
        .await;
    assert_eq!(beacon.body["stored"], 1, "{}", beacon.text);
    conforms(&spec, "post", "/v1/collect", &beacon);
    let unknown_site = app.beacon(json!({"site": "nope", "events": []})).await;
    conforms(&spec, "post", "/v1/collect", &unknown_site);
    conforms(
        &spec,
        "get",
        "/v1/data-quality",
        &app.get("/v1/data-quality").await,
    );
    conforms(&spec, "get", "/v1/held", &app.get("/v1/held").await);
    conforms(
        &spec,
        "get",
        "/v1/rejected",
        &app.get("/v1/rejected?limit=1").await,
    );
    let replay = "/v1/held/{eventName}/replay";
    conforms(
        &spec,
        "post",
        replay,
        &app.post("/v1/held/checkout/replay", json!({})).await,
    );
    app.post(
        "/events/v3/event-definitions",
        json!({"label": "Checkout", "name": "checkout"}),
    )
    .await;
    conforms(
        &spec,
        "post",
        replay,
        &app.post("/v1/held/checkout/replay", json!({})).await,
    );

    let send = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "ada@example.com"}),
        )
        .await;
    conforms(&spec, "post", "/events/v3/send", &send);
    let batch = app
        .post(
            "/events/v3/send/batch",
            json!({"inputs": [{"eventName": "nope"}]}),
        )
        .await;
    conforms(&spec, "post", "/events/v3/send/batch", &batch);

    conforms(&spec, "get", "/v1/sites", &app.get("/v1/sites").await);
    conforms(
        &spec,
        "get",
        "/v1/sites/{site}",
        &app.get("/v1/sites/shop").await,
    );
    let put = app
        .put(
            "/v1/sites/blog",
            json!({"origins": ["https://blog.example"]}),
        )
        .await;
    conforms(&spec, "put", "/v1/sites/{site}", &put);
    conforms(
        &spec,
        "delete",
        "/v1/sites/{site}",
        &app.delete("/v1/sites/blog").await,
    );
    conforms(&spec, "get", "/healthz", &app.get("/healthz").await);
}

#[tokio::test]
async fn rule_and_visualizer_answers_match_the_description() {
    let app = test_app().with_fixtures().await;
    let spec = description(&app).await;
    let token = app
        .post("/v1/visualizer/tokens", json!({"site": "shop"}))
        .await;
    conforms(&spec, "post", "/v1/visualizer/tokens", &token);
    let session = app
        .call(
            Request::builder()
                .uri("/v1/visualizer/session")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", token.body["token"].as_str().unwrap()),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    conforms(&spec, "get", "/v1/visualizer/session", &session);
    let rules = "/v1/sites/{site}/rules";
    let saved = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": "Buy", "kind": "click", "selector": "#buy", "properties": [{"name": "plan", "source": "attr:data-plan"}]}),
        )
        .await;
    conforms(&spec, "post", rules, &saved);
    let page_view = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": "Pricing", "kind": "pageview", "match": "startsWith", "value": "/pricing"}),
        )
        .await;
    conforms(&spec, "post", rules, &page_view);
    conforms(
        &spec,
        "post",
        rules,
        &app.post("/v1/sites/shop/rules", json!({})).await,
    );
    conforms(&spec, "get", rules, &app.get("/v1/sites/shop/rules").await);
    let delete = format!("/v1/sites/shop/rules/{}", saved.body["id"]);
    conforms(
        &spec,
        "delete",
        "/v1/sites/{site}/rules/{id}",
        &app.delete(&delete).await,
    );
}

#[tokio::test]
async fn contact_answers_match_the_description() {
    let app = test_app();
    let spec = description(&app).await;
    app.post("/events/v3/event-definitions", signup_definition())
        .await;
    app.post(
        "/events/v3/send",
        json!({"eventName": "signup", "email": "ada@example.com"}),
    )
    .await;
    const LIST: &str = "/crm/v3/objects/contacts";
    let one = "/crm/v3/objects/contacts/{contactId}";
    let page = app.get(&format!("{LIST}?limit=1")).await;
    conforms(&spec, "get", LIST, &page);
    let id = page.body["results"][0]["id"].as_str().unwrap().to_owned();
    conforms(&spec, "get", one, &app.get(&format!("{LIST}/{id}")).await);
    conforms(&spec, "get", one, &app.get(&format!("{LIST}/424242")).await);
    conforms(&spec, "get", one, &app.get(&format!("{LIST}/x")).await);
    let search = format!("{LIST}/search");
    let found = app
        .post(
            &search,
            json!({"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "ada@example.com"}]}]}),
        )
        .await;
    assert_eq!(found.body["total"], 1, "{}", found.text);
    conforms(&spec, "post", &search, &found);
    conforms(
        &spec,
        "post",
        &search,
        &app.post(&search, json!({"limit": 0})).await,
    );
}

#[tokio::test]
async fn workflow_answers_match_the_description() {
    let app = test_app();
    let spec = description(&app).await;
    app.post("/events/v3/event-definitions", signup_definition())
        .await;
    let body = json!({"name": "w", "triggers": [{"event": "signup"}], "actions": [{"type": "webhook", "url": "https://hooks.example.com/"}]});
    let created = app.post("/v1/workflows", body.clone()).await;
    conforms(&spec, "post", "/v1/workflows", &created);
    conforms(
        &spec,
        "post",
        "/v1/workflows",
        &app.post(
            "/v1/workflows",
            json!({"name": "", "triggers": [], "actions": []}),
        )
        .await,
    );
    conforms(
        &spec,
        "get",
        "/v1/workflows",
        &app.get("/v1/workflows").await,
    );
    let one = "/v1/workflows/{id}";
    let id = created.body["id"].as_u64().unwrap();
    conforms(
        &spec,
        "get",
        one,
        &app.get(&format!("/v1/workflows/{id}")).await,
    );
    conforms(
        &spec,
        "put",
        one,
        &app.put(&format!("/v1/workflows/{id}"), body).await,
    );
    conforms(
        &spec,
        "delete",
        one,
        &app.delete(&format!("/v1/workflows/{id}")).await,
    );
    conforms(
        &spec,
        "get",
        one,
        &app.get(&format!("/v1/workflows/{id}")).await,
    );
}
