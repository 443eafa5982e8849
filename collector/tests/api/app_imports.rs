//! The app's import pages over HTTP: the upload form posts with the session's CSRF token
//! (without it nothing is kept), what a spreadsheet holds (its file name, its headers) shows
//! as text on the mapping page, a mapping the collector refuses is shown on the page with
//! the choices kept, and the pages need their scopes. The flow in a browser is
//! `tests/e2e/app-imports.test.mjs`.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use super::imports::define_attended;
use crate::app::{csrf, form, page, sign_in};
use crate::common::*;

/// The app's upload form as a browser posts it.
fn app_upload(name: &str, file: &[u8], csrf: &str, cookie: &str) -> Request<Body> {
    let boundary = "appBoundary42";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf), ("event", "attended"), ("language", "en")] {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").bytes());
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    Request::builder()
        .method(Method::POST)
        .uri("/app/imports")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn what_a_spreadsheet_holds_shows_as_text_and_a_refused_mapping_keeps_the_choices() {
    let app = test_app();
    define_attended(&app).await;
    let cookie = sign_in(&app, TOKEN).await;
    let list = app
        .call(page("/app/imports?event=attended", Some(&cookie)))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(
        list.text.contains("<option value=\"attended\" selected>"),
        "{}",
        list.text
    );
    let token = csrf(&list.text);

    // Without the session's token: refused, nothing kept.
    let forged = app
        .call(app_upload(
            "rows.csv",
            b"Email,Date\na@example.com,2024-01-01\n",
            "forged",
            &cookie,
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(app.get("/v1/imports").await.body["results"]
        .as_array()
        .unwrap()
        .is_empty());

    let hostile = "Email,<img src=x onerror=alert(1)>,Date\na@example.com,x,2024-01-01\n";
    let uploaded = app
        .call(app_upload(
            "<b onmouseover=alert(2)>rows.csv",
            hostile.as_bytes(),
            &token,
            &cookie,
        ))
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.text);
    let location = uploaded.header("location").unwrap().to_owned();
    let mapping = app.call(page(&location, Some(&cookie))).await.text;
    assert!(!mapping.contains("<img src=x"), "{mapping}");
    assert!(!mapping.contains("<b onmouseover"), "{mapping}");
    assert!(mapping.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(
        mapping.contains("&lt;b onmouseover=alert(2)&gt;rows.csv"),
        "{mapping}"
    );

    // Email skipped: the page says why, and keeps the other choices.
    let id = location.rsplit('/').next().unwrap().to_owned();
    let refused = app
        .call(form(
            &format!("/app/imports/{id}/start"),
            &format!("csrf={token}&col0=skip&col1=new%3Astring%3ANote&col2=occurred_at&date_format=YYYY-MM-DD&time_zone=UTC"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.text.contains("role=\"alert\""), "{}", refused.text);
    assert!(refused.text.contains("email"), "{}", refused.text);
    assert!(
        refused
            .text
            .contains("<option value=\"new:string:Note\" selected>"),
        "{}",
        refused.text
    );
    let started = app
        .call(form(
            &format!("/app/imports/{id}/start"),
            &format!("csrf={token}&col0=email&col1=skip&col2=occurred_at&date_format=YYYY-MM-DD&time_zone=UTC"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text);
    let done = super::imports::finished(&app, &id).await;
    assert_eq!(
        (done["state"].as_str(), done["stored"].as_u64()),
        (Some("done"), Some(1)),
        "{done}"
    );
    let progress = app
        .call(page(&format!("/app/imports/{id}/status"), Some(&cookie)))
        .await;
    assert_eq!(progress.body["state"], "done");
    assert_eq!(progress.body["percent"], 100);
}

#[tokio::test]
async fn reading_imports_needs_read_and_importing_needs_definitions() {
    let app = test_app();
    define_attended(&app).await;
    let key = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await;
    let cookie = sign_in(&app, key.body["key"].as_str().unwrap()).await;
    let list = app.call(page("/app/imports", Some(&cookie))).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        !list.text.contains("enctype=\"multipart/form-data\""),
        "no upload form without the scope"
    );
    let token = csrf(&list.text);
    let refused = app
        .call(app_upload("rows.csv", b"Email,Date\n", &token, &cookie))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
