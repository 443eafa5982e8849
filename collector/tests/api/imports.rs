//! Spreadsheet imports over HTTP: an upload becomes a draft with its header mapped by the
//! language chosen, starts with the mapping a person settled, stores each row once as a
//! completion of its contact (created or updated by email), and reports refused rows as a CSV
//! to fix; every bad file is a 400 naming the problem with nothing stored. The kill-and-resume
//! story runs the real binary (`import_resume.rs`).

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/import")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A multipart upload of `file` named `name`, with text `fields`.
pub fn upload(name: &str, file: &[u8], fields: &[(&str, &str)]) -> Request<Body> {
    let boundary = "XyZwasmtrackBoundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .bytes(),
        );
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    Request::builder()
        .method(Method::POST)
        .uri("/v1/imports")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request")
}

/// `attended`: an event with an enumeration and a number, for imports.
pub async fn define_attended(app: &TestApp) {
    let created = app
        .post(
            "/events/v3/event-definitions",
            json!({"label": "Attended", "name": "attended", "propertyDefinitions": [
                {"name": "category", "label": "Catégorie", "type": "enumeration",
                 "options": [{"label": "Web", "value": "web"}, {"label": "Boutique", "value": "boutique"}]},
                {"name": "amount", "label": "Amount", "type": "number"}
            ]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
}

/// Polls the import until it has ended.
pub async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..600 {
        let s = app.get(&format!("/v1/imports/{id}")).await;
        if s.body["state"] != "running" {
            return s.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import {id} did not end");
}

#[tokio::test]
async fn a_french_workbook_is_mapped_by_its_headers_then_imported_with_its_contacts_once() {
    let app = test_app();
    define_attended(&app).await;
    let draft = app
        .call(upload(
            "inscriptions.xlsx",
            &fixture("fr_two_sheets.xlsx"),
            &[("event", "attended"), ("language", "fr")],
        ))
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text);
    let d = &draft.body;
    assert_eq!(d["state"], "draft");
    assert_eq!(d["kind"], "xlsx");
    assert_eq!(d["sheets"], json!(["Événements", "Notes"]));
    assert_eq!(
        d["header"],
        json!([
            "Adresse e-mail",
            "Date",
            "Prénom",
            "Nom",
            "Montant",
            "Catégorie"
        ])
    );
    assert_eq!(
        d["mapping"],
        json!([
            "email",
            "occurred_at",
            "contact:firstname",
            "contact:lastname",
            "skip",
            "event:category"
        ])
    );
    let id = d["id"].as_str().unwrap().to_owned();

    // A mapping without the email column is refused before any row is read.
    let missing = app
        .post(
            &format!("/v1/imports/{id}/start"),
            json!({"mapping": ["skip", "occurred_at", "skip", "skip", "skip", "skip"]}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.text);
    assert!(missing.text.contains("email"), "{}", missing.text);
    assert!(app.all_events().await.is_empty());

    let started = app
        .post(
            &format!("/v1/imports/{id}/start"),
            json!({
                "mapping": ["email", "occurred_at", "contact:firstname", "contact:lastname", "new:number:Montant", "event:category"],
                "timeZone": "Europe/Paris"
            }),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let done = finished(&app, &id).await;
    assert_eq!(done["state"], "done", "{done}");
    let stored = done["stored"].as_u64().unwrap();
    assert!(stored >= 2, "{done}");
    assert_eq!(
        done["rowsRead"].as_u64().unwrap(),
        stored + done["refused"].as_u64().unwrap()
    );
    assert_eq!(done["bytesRead"], done["totalBytes"]);

    // Anne's completion: her contact by email, the date in Paris time (01:30 CET = 00:30 UTC),
    // the new property added to the definition and filled.
    let anne = app
        .get("/events/v3/events?objectType=contact&objectProperty.email=anne@example.fr")
        .await;
    let event = &anne.body["results"][0];
    assert_eq!(event["eventType"], "attended", "{}", anne.text);
    assert_eq!(event["occurredAt"], "2024-03-31T00:30:00.000Z");
    assert_eq!(event["properties"]["montant"], "12.5");
    assert_eq!(event["properties"]["category"], "web");
    let contact = app
        .get("/crm/v3/objects/contacts/anne@example.fr?idProperty=email")
        .await;
    assert_eq!(contact.body["properties"]["firstname"], "Anne");
    assert_eq!(contact.body["properties"]["lastname"], "Dupont");
    let def = app.get("/events/v3/event-definitions/attended").await;
    assert!(def.text.contains("\"montant\""), "{}", def.text);

    // The same file again: every row is already there.
    let again = app
        .call(upload(
            "inscriptions-copy.xlsx",
            &fixture("fr_two_sheets.xlsx"),
            &[
                ("event", "attended"),
                ("language", "fr"),
                ("start", "true"),
                ("timeZone", "Europe/Paris"),
                ("mapping", r#"["email","occurred_at","contact:firstname","contact:lastname","event:montant","event:category"]"#),
            ],
        ))
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    let again = finished(&app, again.body["id"].as_str().unwrap()).await;
    assert_eq!(
        (again["stored"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(stored)),
        "{again}"
    );
    assert_eq!(app.all_events().await.len() as u64, stored);
    let list = app.get("/v1/imports").await;
    assert_eq!(list.body["results"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn refused_rows_never_stop_an_import_and_come_back_as_a_csv_with_their_reasons() {
    let app = test_app();
    define_attended(&app).await;
    let csv = "Email,Date,Catégorie,Amount,Note\n\
               ok@example.com,2024-01-02,web,3,fine\n\
               not-an-email,2024-01-02,web,3,=HYPERLINK(\"http://evil\")\n\
               late@example.com,2999-01-01,web,3,future\n\
               bad@example.com,2024-01-02,gold,3,no such option\n\
               short@example.com,2024-01-02\n\
               two@example.com,2024-01-03,boutique,x,not a number\n\
               fine@example.com,2024-01-04,boutique,4,last\n";
    let started = app
        .call(upload(
            "rows.csv",
            csv.as_bytes(),
            &[
                ("event", "attended"),
                ("start", "true"),
                (
                    "mapping",
                    r#"["email","occurred_at","event:category","event:amount","skip"]"#,
                ),
            ],
        ))
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let id = started.body["id"].as_str().unwrap().to_owned();
    let done = finished(&app, &id).await;
    assert_eq!(
        (
            done["state"].as_str(),
            done["stored"].as_u64(),
            done["refused"].as_u64()
        ),
        (Some("done"), Some(2), Some(5)),
        "{done}"
    );
    let refused = app.get(&format!("/v1/imports/{id}/refused.csv")).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(
        refused.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let text = refused.text;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Email,Date,Catégorie,Amount,Note,Line,Column,Reason"
    );
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[1].starts_with("not-an-email,2024-01-02,web,3,"),
        "{text}"
    );
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "a formula is neutralised: {text}"
    );
    assert!(
        lines[1].contains(",3,Email,"),
        "line 3, column Email: {text}"
    );
    assert!(text.contains(",4,Date,"), "{text}");
    assert!(
        text.contains(",5,Catégorie,") && text.contains("gold"),
        "{text}"
    );
    assert!(
        text.contains("\n,,,,,6,,"),
        "a ragged row, its cells unknown: {text}"
    );
    assert!(text.contains(",7,Amount,"), "{text}");
}

#[tokio::test]
async fn bad_files_are_refused_with_the_problem_named_and_nothing_kept() {
    let app = test_app();
    define_attended(&app).await;
    for (name, file, says) in [
        ("empty.csv", fixture("empty.csv"), "empty"),
        ("image.xlsx", fixture("image.xlsx"), "PNG"),
        ("csv_named.xlsx", fixture("csv_named.xlsx"), ".xlsx"),
        ("password.xlsx", fixture("password.xlsx"), "password"),
        ("truncated.xlsx", fixture("truncated.xlsx"), "damaged"),
        (
            "duplicate_headers.csv",
            fixture("duplicate_headers.csv"),
            "two columns are named",
        ),
        ("notes.pdf", b"%PDF-1.4".to_vec(), ".pdf"),
    ] {
        let answer = app
            .call(upload(name, &file, &[("event", "attended")]))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            answer.text
        );
        assert!(
            answer.text.to_lowercase().contains(&says.to_lowercase()),
            "{name} should say {says}: {}",
            answer.text
        );
    }
    let no_event = app
        .call(upload(
            "rows.csv",
            b"Email,Date\na@b.c,2024-01-01\n",
            &[("event", "nope")],
        ))
        .await;
    assert_eq!(no_event.status, StatusCode::BAD_REQUEST);
    assert!(no_event.text.contains("nope"));
    let no_file = app
        .call(upload("rows.csv", b"", &[("event", "attended")]))
        .await;
    assert_eq!(no_file.status, StatusCode::BAD_REQUEST);
    assert!(
        app.get("/v1/imports").await.body["results"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing kept"
    );
    assert!(app.all_events().await.is_empty());
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_and_the_collector_answers_on() {
    let (mut state, _store, dir) = test_state();
    state.imports = std::sync::Arc::new(wasmtrack_collector::import::Imports::empty(
        dir.path().join("imports"),
        10_000,
    ));
    let app = test_app_with_state(state, dir);
    define_attended(&app).await;
    let big = "Email,Date\n".to_owned() + &"someone@example.com,2024-01-01\n".repeat(1000);
    let answer = app
        .call(upload("big.csv", big.as_bytes(), &[("event", "attended")]))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    assert!(answer.text.contains("10000 bytes"), "{}", answer.text);
    // A declared 2 GB body is refused before it is read.
    let declared = Request::builder()
        .method(Method::POST)
        .uri("/v1/imports")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
        .header(header::CONTENT_LENGTH, "2000000000")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        app.call(declared).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    assert!(app.get("/v1/imports").await.body["results"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_import_can_be_cancelled_and_reading_needs_a_key_with_the_scope() {
    let app = test_app();
    define_attended(&app).await;
    let draft = app
        .call(upload(
            "rows.csv",
            b"Email,Date\na@example.com,2024-01-01\n",
            &[("event", "attended")],
        ))
        .await;
    let id = draft.body["id"].as_str().unwrap().to_owned();
    let cancelled = app
        .post(&format!("/v1/imports/{id}/cancel"), json!({}))
        .await;
    assert_eq!(cancelled.body["state"], "cancelled", "{}", cancelled.text);
    assert_eq!(
        app.post(&format!("/v1/imports/{id}/cancel"), json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post(&format!("/v1/imports/{id}/start"), json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.get("/v1/imports/nope").await.status,
        StatusCode::NOT_FOUND
    );
    let key = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await;
    let secret = key.body["key"].as_str().unwrap().to_owned();
    let mut as_reader = upload("rows.csv", b"Email,Date\n", &[("event", "attended")]);
    as_reader.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {secret}").parse().unwrap(),
    );
    assert_eq!(app.call(as_reader).await.status, StatusCode::FORBIDDEN);
}
