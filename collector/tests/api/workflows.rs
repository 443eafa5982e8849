//! Workflow definitions over HTTP (issue 17, point 1): created with a signing secret made by
//! the collector, off until enabled, listed, read, replaced (the secret and creation time
//! stay) and deleted by the admin only; a bad definition is one 400 naming every field at
//! fault, and webhook URLs to private addresses are refused unless the collector allows them.

use serde_json::{json, Value};

use crate::common::*;

fn welcome(url: &str) -> Value {
    json!({
        "name": "Welcome pro sign-ups",
        "triggers": [{"event": "signup", "filters": [{"property": "plan", "operator": "EQ", "value": "pro"}]}],
        "actions": [
            {"type": "webhook", "url": url},
            {"type": "delayUntil", "event": "signup", "filters": [{"property": "seats", "operator": "GT", "value": 5}], "maxWaitMs": 604800000},
            {"type": "delay", "ms": 3600000},
            {"type": "webhook", "url": url}
        ]
    })
}

#[tokio::test]
async fn a_workflow_is_created_off_with_its_secret_then_enabled_read_and_deleted() {
    let app = test_app();
    assert_eq!(
        app.post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        201
    );
    let created = app
        .post(
            "/v1/workflows",
            welcome("https://hooks.example.com/welcome"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let w = &created.body;
    let id = w["id"].as_u64().unwrap();
    assert!(id > 0);
    assert_eq!(w["enabled"], false, "off until switched on");
    let secret = w["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));

    let mut enabled = welcome("https://hooks.example.com/welcome");
    enabled["enabled"] = json!(true);
    enabled["secret"] = json!("an attempt to choose the secret, which is ignored");
    let replaced = app.put(&format!("/v1/workflows/{id}"), enabled).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["enabled"], true);
    assert_eq!(replaced.body["secret"], secret.as_str());
    assert_eq!(replaced.body["createdAt"], w["createdAt"]);

    let list = app.get("/v1/workflows").await;
    assert_eq!(list.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("/v1/workflows/{id}")).await.body["name"],
        "Welcome pro sign-ups"
    );
    assert_eq!(app.delete(&format!("/v1/workflows/{id}")).await.status, 204);
    assert_eq!(app.get(&format!("/v1/workflows/{id}")).await.status, 404);
    assert_eq!(app.delete(&format!("/v1/workflows/{id}")).await.status, 404);
    assert_eq!(
        app.put("/v1/workflows/77", welcome("https://a.example/"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_bad_definition_is_one_400_naming_every_field_at_fault() {
    let app = test_app();
    app.post("/events/v3/event-definitions", signup_definition())
        .await;
    let bad = app
        .post(
            "/v1/workflows",
            json!({
                "name": "",
                "triggers": [{"event": "nope"}, {"event": "signup", "filters": [{"property": "colour", "operator": "EQ", "value": "red"}]}],
                "actions": [{"type": "webhook", "url": "ftp://hooks.example.com/"}, {"type": "delay", "ms": 0}]
            }),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["in"].as_str().unwrap_or(""))
        .collect();
    for field in [
        "name",
        "triggers[0].event",
        "triggers[1].filters[0].property",
        "actions[0].url",
        "actions[1].ms",
    ] {
        assert!(
            fields.contains(&field),
            "{field} in {fields:?}: {}",
            bad.text
        );
    }
    let no_triggers = app
        .post(
            "/v1/workflows",
            json!({"name": "x", "triggers": [], "actions": [{"type": "delay", "ms": 1000}]}),
        )
        .await;
    assert_eq!(no_triggers.status, 400);
    assert!(
        no_triggers.text.contains("triggers"),
        "{}",
        no_triggers.text
    );
    let not_json = app.post("/v1/workflows", json!({"name": 3})).await;
    assert_eq!(not_json.status, 400);
    assert!(app.get("/v1/workflows").await.body["results"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn webhooks_to_private_addresses_need_the_collector_to_allow_them() {
    let app = test_app();
    app.post("/events/v3/event-definitions", signup_definition())
        .await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://169.254.169.254/latest",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost/hook",
    ] {
        let refused = app.post("/v1/workflows", welcome(url)).await;
        assert_eq!(refused.status, 400, "{url}: {}", refused.text);
        assert!(
            refused.text.contains("actions[0].url"),
            "{url}: {}",
            refused.text
        );
    }
    let (mut state, _store, dir) = test_state();
    state.webhooks.allow_private = true;
    let allowed = test_app_with_state(state, dir);
    allowed
        .post("/events/v3/event-definitions", signup_definition())
        .await;
    let created = allowed
        .post("/v1/workflows", welcome("http://127.0.0.1:9000/hook"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
}

#[tokio::test]
async fn workflows_are_the_admins_only() {
    let app = test_app();
    let key = app
        .post(
            "/v1/keys",
            json!({"name": "editor", "scopes": ["read", "send", "definitions"]}),
        )
        .await;
    let secret = key.body["key"].as_str().unwrap();
    let answer = app
        .call(
            axum::http::Request::builder()
                .uri("/v1/workflows")
                .header("authorization", format!("Bearer {secret}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_collector_enrolls_a_contact_once_its_completion_is_stored() {
    use super::import_resume::{get, healthy, start};
    use axum::http::Method;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start(dir.path());
    healthy(addr).await;
    let post = |path: &'static str, body: Value| async move {
        call_at(addr, admin(Method::POST, path, Some(body.to_string()))).await
    };
    assert_eq!(
        post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        201
    );
    let mut body = welcome("https://hooks.example.com/welcome");
    body["enabled"] = json!(true);
    let created = post("/v1/workflows", body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_u64().unwrap();
    let path = format!("/v1/workflows/{id}/enrollments");
    assert_eq!(get(addr, &path).await.body["results"], json!([]));
    for plan in ["free", "pro", "pro"] {
        let sent = post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "ada@example.com", "properties": {"plan": plan}}),
        )
        .await;
        assert_eq!(sent.status, 204, "{}", sent.text);
    }
    for _ in 0..200 {
        let results = get(addr, &path).await.body["results"].clone();
        if results.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A moment more: a second enrollment, were there one, would have come by now.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let enrolled = get(addr, &path).await.body["results"].clone();
    assert_eq!(
        enrolled.as_array().map(Vec::len),
        Some(1),
        "once, for the first pro sign-up: {enrolled}"
    );
    assert_eq!(enrolled[0]["eventType"], "signup");
    assert_eq!(enrolled[0]["state"], "active");
    assert_eq!(get(addr, "/v1/workflows/99/enrollments").await.status, 404);

    // An import may opt out: its matching rows enroll nobody; the same rows imported again
    // without opting out are already stored, so a new file is used for the second.
    let import = |name: &'static str, email: &'static str, opt_out: bool| async move {
        let csv = format!("Email,Date,Plan\n{email},2024-01-02,pro\n");
        let mut fields = vec![
            ("event", "signup"),
            ("start", "true"),
            ("mapping", r#"["email","occurred_at","event:plan"]"#),
        ];
        if opt_out {
            fields.push(("enrollInWorkflows", "false"));
        }
        let started = call_at(addr, super::imports::upload(name, csv.as_bytes(), &fields)).await;
        assert_eq!(started.status, 202, "{}", started.text);
        assert_eq!(started.body["workflows"], !opt_out);
        let id = started.body["id"].as_str().unwrap().to_owned();
        for _ in 0..200 {
            if get(addr, &format!("/v1/imports/{id}")).await.body["state"] == "done" {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("import {id} did not end");
    };
    import("quiet.csv", "quiet@example.com", true).await;
    import("loud.csv", "loud@example.com", false).await;
    let mut count = 0;
    for _ in 0..200 {
        count = get(addr, &path).await.body["results"]
            .as_array()
            .map_or(0, Vec::len);
        if count >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let enrolled = get(addr, &path).await.body["results"].clone();
    assert_eq!(
        (count, enrolled.as_array().map(Vec::len)),
        (2, Some(2)),
        "Ada and the loud import's contact: {enrolled}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_collector_delivers_after_a_kill_shows_the_history_and_replays_a_failure() {
    use super::import_resume::{get, healthy, start_with};
    use crate::receiver::{Receiver, Reply};
    use axum::http::Method;
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--allow-private-webhooks"];
    let (mut child, addr) = start_with(dir.path(), &flags);
    healthy(addr).await;
    let post = |addr, path: String, body: Value| async move {
        call_at(addr, admin(Method::POST, &path, Some(body.to_string()))).await
    };
    let receiver = Receiver::start().await;
    receiver.answer([Reply::Status(404, vec![])]);
    assert_eq!(
        post(
            addr,
            "/events/v3/event-definitions".into(),
            signup_definition()
        )
        .await
        .status,
        201
    );
    let created = post(
        addr,
        "/v1/workflows".into(),
        json!({
            "name": "Kill me", "enabled": true,
            "triggers": [{"event": "signup"}],
            "actions": [{"type": "delay", "ms": 1500}, {"type": "webhook", "url": receiver.url("/hook")}]
        }),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_u64().unwrap();
    let sent = post(
        addr,
        "/events/v3/send".into(),
        json!({"eventName": "signup", "email": "ada@example.com", "properties": {"plan": "pro"}}),
    )
    .await;
    assert_eq!(sent.status, 204, "{}", sent.text);
    let list = format!("/v1/workflows/{id}/enrollments");
    let mut eid = None;
    for _ in 0..200 {
        eid = get(addr, &list).await.body["results"][0]["id"].as_i64();
        if eid.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let one = format!("/v1/workflows/{id}/enrollments/{}", eid.expect("enrolled"));
    // Once its delay has begun (well within its 1.5 s).
    let mut history = Value::Null;
    for _ in 0..100 {
        history = get(addr, &one).await.body["history"].clone();
        if history[1]["kind"] == "delayed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(history[1]["kind"], "delayed", "{history}");
    // Killed during the delay, restarted on the same directory.
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, addr) = start_with(dir.path(), &flags);
    healthy(addr).await;
    receiver.wait_for(1).await;
    let mut failed = Value::Null;
    for _ in 0..200 {
        failed = get(addr, &one).await.body;
        if failed["state"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(failed["finishedAt"].is_string());
    let last = &failed["history"][2];
    assert_eq!(last["kind"], "failed", "{failed}");
    assert_eq!(last["status"], 404);
    assert!(last["latencyMs"].is_i64());
    assert!(last["detail"]
        .as_str()
        .unwrap()
        .contains("receiver says no"));

    // Replayed by hand: the same delivery again, now accepted.
    let replayed = post(addr, format!("{one}/replay"), json!({})).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    let got = receiver.wait_for(2).await;
    assert_eq!(
        got[1].header("idempotency-key"),
        got[0].header("idempotency-key")
    );
    let mut done = Value::Null;
    for _ in 0..200 {
        done = get(addr, &one).await.body;
        if done["state"] == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let kinds: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "enrolled",
            "delayed",
            "failed",
            "replayed",
            "delivered",
            "completed"
        ]
    );
    let again = post(addr, format!("{one}/replay"), json!({})).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(
        get(addr, &format!("/v1/workflows/{id}/enrollments/999"))
            .await
            .status,
        404
    );
    assert_eq!(
        get(addr, &format!("/v1/workflows/{id}/enrollments/x"))
            .await
            .status,
        404
    );
    assert_eq!(
        receiver.got().len(),
        2,
        "the delay's webhook once, and its replay"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
