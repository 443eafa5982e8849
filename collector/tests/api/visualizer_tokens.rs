//! Visualizer tokens are kept only as hashes, and an admin revokes them: one, or every token
//! of a site, after which the visualizer they opened can neither start nor save.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::common::*;

async fn issue(app: &TestApp, site: &str) -> String {
    let issued = app
        .post("/v1/visualizer/tokens", json!({ "site": site }))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    issued.body["token"].as_str().expect("token").to_owned()
}

async fn session(app: &TestApp, token: &str) -> StatusCode {
    app.call(
        Request::builder()
            .uri("/v1/visualizer/session")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .status
}

async fn revoke(app: &TestApp, body: serde_json::Value) -> Answer {
    app.call(admin(
        Method::DELETE,
        "/v1/visualizer/tokens",
        Some(body.to_string()),
    ))
    .await
}

#[tokio::test]
async fn a_token_is_stored_as_its_hash_only() {
    let (app, _store) = test_app_with_store();
    let app = app.with_fixtures().await;
    let token = issue(&app, "shop").await;
    assert_eq!(session(&app, &token).await, StatusCode::OK);
    let stored = app.stored().await;
    let hex = token.trim_start_matches("vt_");
    assert!(
        !stored.windows(hex.len()).any(|w| w == hex.as_bytes()),
        "the token is in the file"
    );
}

#[tokio::test]
async fn an_admin_revokes_a_token_or_every_token_of_a_site() {
    let app = test_app().with_fixtures().await;
    let other = app
        .post(
            "/v1/sites",
            json!({"id": "blog", "origins": ["https://blog.example"]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    let (first, second, blog) = (
        issue(&app, "shop").await,
        issue(&app, "shop").await,
        issue(&app, "blog").await,
    );
    let one = revoke(&app, json!({"token": first})).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    assert_eq!(one.body, json!({"revoked": 1}));
    assert_eq!(session(&app, &first).await, StatusCode::UNAUTHORIZED);
    assert_eq!(session(&app, &second).await, StatusCode::OK);
    let saved = app
        .call(
            Request::builder()
                .method(Method::POST)
                .uri("/v1/sites/shop/rules")
                .header(header::AUTHORIZATION, format!("Bearer {first}"))
                .body(Body::from(
                    json!({"label": "Buy", "kind": "click", "selector": "#buy"}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(saved.status, StatusCode::UNAUTHORIZED, "{}", saved.text);

    let again = revoke(&app, json!({"token": first})).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let site = revoke(&app, json!({"site": "shop"})).await;
    assert_eq!(site.body, json!({"revoked": 1}));
    assert_eq!(session(&app, &second).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        session(&app, &blog).await,
        StatusCode::OK,
        "another site's token stays"
    );
    for body in [json!({}), json!({"token": blog, "site": "blog"})] {
        let bad = revoke(&app, body).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    }
}
