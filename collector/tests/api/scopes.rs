//! Credentials with scopes: an admin creates API keys for what each client needs, a key does
//! only what its scopes allow (every route is checked, from the one table the server reads),
//! a revoked key stops at once, and the OpenAPI description names the same scope per route.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use wasmtrack_collector::scopes::{Scope, ROUTES};

use crate::common::*;

/// Creates a key with `scopes` and returns its secret.
async fn key(app: &TestApp, scopes: &[Scope]) -> String {
    let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let created = app
        .post(
            "/v1/keys",
            json!({"name": format!("key {names:?}"), "scopes": names}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.body["key"].as_str().expect("secret").to_owned()
}

fn with(token: Option<&str>, method: &Method, path: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
    .then(|| Body::from("{}"))
    .unwrap_or_else(Body::empty);
    builder.body(body).expect("request")
}

fn concrete(path: &str) -> String {
    path.replace("{event}", "signup")
        .replace("{property}", "plan")
        .replace("{site}", "shop")
        .replace("{id}", "999")
}

#[tokio::test]
async fn every_route_needs_its_scope_and_names_it_when_missing() {
    let app = test_app().with_fixtures().await;
    let mut keys = Vec::new();
    for scope in Scope::ALL {
        // Every scope but this one (and never `admin`, which implies all).
        let others: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|s| *s != scope && *s != Scope::Admin)
            .collect();
        keys.push((scope, key(&app, &others).await, key(&app, &[scope]).await));
    }
    for (method, path, scope) in ROUTES {
        let path = concrete(path);
        let (_, without, with_it) = keys.iter().find(|(s, _, _)| s == scope).unwrap();
        let none = app.call(with(None, method, &path)).await;
        assert_eq!(
            none.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            none.text
        );
        let lacking = app.call(with(Some(without), method, &path)).await;
        assert_eq!(
            lacking.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            lacking.text
        );
        assert_eq!(lacking.error_category(), "MISSING_SCOPES");
        assert!(
            lacking.body["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{}`", scope.as_str())),
            "{}",
            lacking.text
        );
        let allowed = app.call(with(Some(with_it), method, &path)).await;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&allowed.status),
            "{method} {path} with `{}`: {}",
            scope.as_str(),
            allowed.text
        );
    }
}

/// `{eventName}` and `{event}` are the same path: parameters are compared by position.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_description_names_each_routes_scope_and_describes_every_route() {
    let app = test_app();
    let spec = app.get("/openapi.json").await.body;
    let mut described = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let scopes: Vec<&str> = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|req| req["bearer"].as_array())
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            // The visualizer's routes take a visualizer token too, and check either
            // themselves (see the last test here): they are not in the table.
            let visualizer = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|req| req.get("visualizer").is_some());
            if !visualizer {
                described.insert((
                    method.to_uppercase(),
                    shape(path),
                    scopes.first().map(|s| s.to_string()),
                ));
            }
        }
    }
    for (method, path, scope) in ROUTES {
        let entry = (
            method.to_string(),
            shape(path),
            Some(scope.as_str().to_owned()),
        );
        assert!(
            described.contains(&entry),
            "{method} {path} (scope {}) is not described with that scope",
            scope.as_str()
        );
    }
    // And every described operation that takes a key is in the table.
    for (method, path, scope) in &described {
        if let Some(scope) = scope {
            assert!(
                ROUTES.iter().any(|(m, p, s)| m.as_str() == method
                    && shape(p) == *path
                    && s.as_str() == scope),
                "{method} {path} is described with `{scope}` but not in scopes::ROUTES"
            );
        }
    }
}

#[tokio::test]
async fn a_back_end_key_sends_events_until_it_is_revoked() {
    let app = test_app().with_fixtures().await;
    let created = app
        .post(
            "/v1/keys",
            json!({"name": "billing back end", "scopes": ["send"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("wtk_") && secret.len() == 68);
    assert_eq!(created.body["hint"], secret[64..]);
    let send = |token: String| {
        Request::builder()
            .method(Method::POST)
            .uri("/events/v3/send")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(
                json!({"eventName": "signup", "email": "ada@example.com"}).to_string(),
            ))
            .unwrap()
    };
    assert_eq!(
        app.call(send(secret.clone())).await.status,
        StatusCode::NO_CONTENT
    );
    let listed = app.get("/v1/keys").await;
    assert_eq!(listed.body["results"][0]["name"], "billing back end");
    assert!(
        !listed.text.contains(&secret[4..]),
        "the secret is never listed"
    );
    let stored = app.stored().await;
    assert!(
        !stored.windows(64).any(|w| w == &secret.as_bytes()[4..]),
        "stored in clear"
    );
    let id = created.body["id"].as_i64().unwrap();
    let revoked = app.delete(&format!("/v1/keys/{id}")).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call(send(secret)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.delete(&format!("/v1/keys/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    for bad in [
        json!({"name": "x", "scopes": ["everything"]}),
        json!({"name": "", "scopes": ["read"]}),
        json!({"name": "x", "scopes": []}),
    ] {
        let answer = app.post("/v1/keys", bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    }
    assert_eq!(app.all_events().await.len(), 1);
}

#[tokio::test]
async fn a_key_with_definitions_saves_rules_and_one_without_is_told_what_it_lacks() {
    let app = test_app().with_fixtures().await;
    let editor = key(&app, &[Scope::Definitions]).await;
    let reader = key(&app, &[Scope::Read]).await;
    let rule = json!({"label": "Buy", "kind": "click", "selector": "#buy"}).to_string();
    let save = |token: &str| {
        Request::builder()
            .method(Method::POST)
            .uri("/v1/sites/shop/rules")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(rule.clone()))
            .unwrap()
    };
    assert_eq!(app.call(save(&editor)).await.status, StatusCode::CREATED);
    let refused = app.call(save(&reader)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.error_category(), "MISSING_SCOPES");
}
