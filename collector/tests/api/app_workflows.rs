//! The app's workflow pages over HTTP (issue 17, point 6): the editor's buttons add and remove
//! rows without losing what was typed, saving refuses a bad definition with each problem next
//! to its field, a saved workflow is the one the API then shows, switching on clears a pause,
//! and deleting asks first. The pages are the admin's alone, their forms need the session's
//! CSRF token, and names, filter values and receivers' answers show as text. The flow in a
//! browser is `tests/e2e/app-workflows.test.mjs`.

use axum::http::StatusCode;
use serde_json::{json, Value};
use wasmtrack_collector::store::{
    ContactKey, EnrollmentBatch, EventStore, HistoryEntry, StepChange,
};

use crate::app::{csrf, encode, form, page, sign_in};
use crate::common::*;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// A form body from its fields.
fn body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `value` of the input named `name` in `html`.
fn value_of(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag = &html[html[..at].rfind('<')?..];
    let tag = &tag[..tag.find('>')?];
    let v = tag.find("value=\"")? + "value=\"".len();
    Some(tag[v..v + tag[v..].find('"')?].to_owned())
}

async fn signed_in_admin(app: &TestApp) -> (String, String) {
    let cookie = sign_in(app, TOKEN).await;
    let new = app.call(page("/app/workflows/new", Some(&cookie))).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text);
    let token = csrf(&new.text);
    (cookie, token)
}

#[tokio::test]
async fn the_editors_buttons_keep_what_was_typed_and_a_saved_workflow_is_the_apis() {
    let app = test_app();
    assert_eq!(
        app.post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        201
    );
    let (cookie, token) = signed_in_admin(&app).await;
    let post = |fields: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form("/app/workflows/new", &body(&pairs), Some(&cookie))
    };
    let typed = |op: &str, filters: &[(&str, &str, &str)]| {
        let mut f = vec![
            ("csrf", token.clone()),
            ("name", "Welcome pro sign-ups".to_owned()),
            ("t0-event", "signup".to_owned()),
        ];
        let names = [
            ("t0-f0-property", "t0-f0-operator", "t0-f0-value"),
            ("t0-f1-property", "t0-f1-operator", "t0-f1-value"),
        ];
        for (k, (p, o, v)) in filters.iter().enumerate() {
            f.push((names[k].0, (*p).to_owned()));
            f.push((names[k].1, (*o).to_owned()));
            f.push((names[k].2, (*v).to_owned()));
        }
        f.extend([
            ("a0-type", "webhook".to_owned()),
            ("a0-url", "https://hooks.example.com/welcome".to_owned()),
            ("op", op.to_owned()),
        ]);
        f
    };

    // "Add a filter" posts the form: it comes back with the name and a new, focused row.
    let added = app.call(post(typed("add_filter:t0", &[]))).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(
        value_of(&added.text, "name").as_deref(),
        Some("Welcome pro sign-ups")
    );
    assert!(
        added.text.contains("name=\"t0-f0-property\" type=\"text\" value=\"\" autocomplete=\"off\" spellcheck=\"false\" list=\"t0-properties\" autofocus"),
        "{}",
        added.text
    );
    // Removing the first of two filters keeps the second as typed.
    let removed = app
        .call(post(typed(
            "remove_filter:t0-f0",
            &[("seats", "GT", "2"), ("plan", "EQ", "pro")],
        )))
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(
        value_of(&removed.text, "t0-f0-property").as_deref(),
        Some("plan")
    );
    assert_eq!(
        value_of(&removed.text, "t0-f0-value").as_deref(),
        Some("pro")
    );
    assert_eq!(value_of(&removed.text, "t0-f1-property"), None);
    // A step added and moved up: the delay is now step 1, the webhook step 2.
    let mut fields = typed("add_action:delay", &[("plan", "EQ", "pro")]);
    let with_delay = app.call(post(fields.clone())).await;
    assert_eq!(
        value_of(&with_delay.text, "a1-type").as_deref(),
        Some("delay")
    );
    fields.retain(|(k, _)| *k != "op");
    fields.extend([
        ("a1-type", "delay".to_owned()),
        ("a1-amount", "2".to_owned()),
        ("a1-unit", "hours".to_owned()),
        ("op", "up:1".to_owned()),
    ]);
    let moved = app.call(post(fields)).await;
    assert_eq!(value_of(&moved.text, "a0-type").as_deref(), Some("delay"));
    assert_eq!(value_of(&moved.text, "a0-amount").as_deref(), Some("2"));
    assert_eq!(
        value_of(&moved.text, "a1-url").as_deref(),
        Some("https://hooks.example.com/welcome")
    );

    // Saving a bad definition: each problem next to its field and in the summary, nothing
    // stored, everything typed still there.
    let mut bad = typed("save", &[("nope", "EQ", "x"), ("seats", "GT", "many")]);
    bad.retain(|(k, _)| *k != "a0-url");
    bad.push(("a0-url", "ftp://hooks.example.com".to_owned()));
    let refused = app.call(post(bad)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    for id in ["t0-f0-property", "t0-f1-value", "a0-url"] {
        assert!(
            refused.text.contains(&format!("id=\"{id}-error\"")),
            "{id}: {}",
            refused.text
        );
        assert!(
            refused
                .text
                .contains(&format!("aria-describedby=\"{id}-error\"")),
            "{id}"
        );
        assert!(refused.text.contains(&format!("href=\"#{id}\"")), "{id}");
    }
    assert!(refused.text.contains("has no property &quot;nope&quot;"));
    assert!(refused.text.contains("3 problems"), "{}", refused.text);
    assert_eq!(
        value_of(&refused.text, "t0-f1-value").as_deref(),
        Some("many")
    );
    assert_eq!(
        value_of(&refused.text, "a0-url").as_deref(),
        Some("ftp://hooks.example.com")
    );
    assert_eq!(app.get("/v1/workflows").await.body["results"], json!([]));

    // Saved: off, with its secret, as typed.
    let saved = app
        .call(post(typed(
            "save",
            &[("plan", "IN", "pro, team"), ("seats", "GT", "2")],
        )))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let location = saved.header("location").unwrap().to_owned();
    assert!(location.ends_with("?done=created"), "{location}");
    let id = location
        .trim_start_matches("/app/workflows/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let stored = app.get(&format!("/v1/workflows/{id}")).await.body;
    assert_eq!(stored["enabled"], false);
    assert_eq!(stored["secret"].as_str().map(str::len), Some(64));
    assert_eq!(
        stored["triggers"],
        json!([{"event": "signup", "filters": [
            {"property": "plan", "operator": "IN", "values": ["pro", "team"]},
            {"property": "seats", "operator": "GT", "value": 2.0}]}])
    );
    assert_eq!(
        stored["actions"],
        json!([{"type": "webhook", "url": "https://hooks.example.com/welcome"}])
    );

    // Its page, then switched on from the list.
    let shown = app.call(page(&location, Some(&cookie))).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("The workflow was created."));
    assert!(shown.text.contains(stored["secret"].as_str().unwrap()));
    let on = app
        .call(form(
            &format!("/app/workflows/{id}/enabled"),
            &body(&[("csrf", &token), ("enabled", "on"), ("from", "list")]),
            Some(&cookie),
        ))
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(on.header("location"), Some("/app/workflows?done=on"));
    assert_eq!(
        app.get(&format!("/v1/workflows/{id}")).await.body["enabled"],
        true
    );

    // Edited: the form opens with the stored definition; the secret stays.
    let edit_path = format!("/app/workflows/{id}/edit");
    let edit = app.call(page(&edit_path, Some(&cookie))).await;
    assert_eq!(
        value_of(&edit.text, "t0-f0-value").as_deref(),
        Some("pro, team")
    );
    let mut renamed = typed("save", &[("plan", "EQ", "pro")]);
    renamed[1].1 = "Renamed".into();
    let pairs: Vec<(&str, &str)> = renamed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let edited = app
        .call(form(&edit_path, &body(&pairs), Some(&cookie)))
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.text);
    let after = app.get(&format!("/v1/workflows/{id}")).await.body;
    assert_eq!(
        (&after["name"], &after["secret"], &after["enabled"]),
        (&json!("Renamed"), &stored["secret"], &json!(true))
    );

    // Deleting asks first.
    let confirm = app
        .call(page(&format!("/app/workflows/{id}/delete"), Some(&cookie)))
        .await;
    assert!(confirm.text.contains("Delete the workflow"));
    let deleted = app
        .call(form(
            &format!("/app/workflows/{id}/delete"),
            &body(&[("csrf", &token)]),
            Some(&cookie),
        ))
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/v1/workflows/{id}")).await.status, 404);
}

#[tokio::test]
async fn workflow_pages_are_the_admins_only_and_their_forms_need_the_csrf_token() {
    let app = test_app();
    let key = app
        .post(
            "/v1/keys",
            json!({"name": "analyst", "scopes": ["read", "definitions"]}),
        )
        .await;
    let analyst = sign_in(&app, key.body["key"].as_str().unwrap()).await;
    let events = app.call(page("/app/events", Some(&analyst))).await;
    assert!(
        !events.text.contains("href=\"/app/workflows\""),
        "no Workflows in the navigation without the admin scope"
    );
    let refused = app.call(page("/app/workflows", Some(&analyst))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.text.contains("&quot;admin&quot; scope"),
        "{}",
        refused.text
    );
    let analyst_token = csrf(&events.text);
    let posted = app
        .call(form(
            "/app/workflows/new",
            &body(&[("csrf", &analyst_token), ("name", "x"), ("op", "save")]),
            Some(&analyst),
        ))
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);

    let (admin, _) = signed_in_admin(&app).await;
    let events = app.call(page("/app/events", Some(&admin))).await;
    assert!(events.text.contains("href=\"/app/workflows\""));
    let forged = app
        .call(form(
            "/app/workflows/new",
            &body(&[("csrf", "forged"), ("name", "x"), ("op", "save")]),
            Some(&admin),
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/v1/workflows").await.body["results"], json!([]));
    assert_eq!(
        app.call(page("/app/workflows/77", Some(&admin)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A contact enrolled in workflow `id` by the store, as the follower would, its enrollment
/// then failed with `detail` as the receiver's answer; returns the enrollment's id.
async fn failed_enrollment(app: &TestApp, store: &dyn EventStore, id: u64, detail: &str) -> i64 {
    let sent = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "ada@example.com", "properties": {"plan": "pro"}}),
        )
        .await;
    assert_eq!(sent.status, 204, "{}", sent.text);
    let contact = store
        .contact_record(ContactKey::Email("ada@example.com".into()))
        .await
        .unwrap()
        .expect("a contact")
        .id;
    let now = now_ms();
    let made = store
        .enroll(EnrollmentBatch {
            through: 1,
            enroll: vec![(id, contact, 1, "signup".into())],
            now,
            ..EnrollmentBatch::default()
        })
        .await
        .unwrap();
    assert_eq!(made, 1);
    let e = store.enrollments(id, 1).await.unwrap().remove(0);
    let failed = StepChange {
        id: e.id,
        from_step: e.step,
        from_attempts: e.attempts,
        from_state: e.state.clone(),
        step: 0,
        attempts: 1,
        state: "failed".into(),
        wake_at: None,
        step_started_at: Some(now),
        begins_wait: false,
        last_wait: None,
        finished_at: Some(now),
        history: vec![HistoryEntry {
            step: 0,
            at: now,
            kind: "failed".into(),
            status: Some(404),
            latency_ms: Some(12),
            detail: Some(detail.into()),
        }],
    };
    assert_eq!(store.change_steps(vec![failed]).await.unwrap(), [true]);
    e.id
}

#[tokio::test]
async fn names_values_and_receivers_answers_show_as_text_and_a_failed_enrollment_replays() {
    let (app, store) = test_app_with_store();
    assert_eq!(
        app.post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        201
    );
    let created = app
        .post(
            "/v1/workflows",
            json!({
                "name": HOSTILE, "enabled": true,
                "triggers": [{"event": "signup", "filters": [{"property": "note", "operator": "EQ", "value": HOSTILE}]}],
                "actions": [{"type": "webhook", "url": "https://hooks.example.com/welcome"}]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_u64().unwrap();
    let eid = failed_enrollment(
        &app,
        store.as_ref(),
        id,
        "<script>alert(3)</script> receiver says no",
    )
    .await;
    let (cookie, token) = signed_in_admin(&app).await;

    let escaped = "&lt;img src=x onerror=alert(1)&gt;";
    let list = app.call(page("/app/workflows", Some(&cookie))).await.text;
    let workflow = app
        .call(page(&format!("/app/workflows/{id}"), Some(&cookie)))
        .await
        .text;
    let edit = app
        .call(page(&format!("/app/workflows/{id}/edit"), Some(&cookie)))
        .await
        .text;
    let one = format!("/app/workflows/{id}/enrollments/{eid}");
    let history = app.call(page(&one, Some(&cookie))).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    for (name, html) in [
        ("list", &list),
        ("workflow", &workflow),
        ("edit", &edit),
        ("history", &history.text),
    ] {
        assert!(!html.contains("<img src=x"), "{name}: {html}");
        assert!(!html.contains("<script>alert"), "{name}: {html}");
        assert!(html.contains(escaped), "{name}: {html}");
    }
    assert!(history
        .text
        .contains("&lt;script&gt;alert(3)&lt;/script&gt; receiver says no"));
    assert!(workflow.contains("ada@example.com"));
    assert!(workflow.contains("href=\"/app/contacts/"));
    assert!(
        workflow.contains("1 of 1 \u{2014} Send a webhook"),
        "{workflow}"
    );

    // Replay: without the token nothing happens; with it the step runs again.
    let replay = format!("{one}/replay");
    let forged = app
        .call(form(&replay, &body(&[("csrf", "forged")]), Some(&cookie)))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        store.enrollment(eid).await.unwrap().unwrap().state,
        "failed"
    );
    let replayed = app
        .call(form(&replay, &body(&[("csrf", &token)]), Some(&cookie)))
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{}", replayed.text);
    let e = store.enrollment(eid).await.unwrap().unwrap();
    assert_eq!((e.state.as_str(), e.attempts), ("active", 0));
    let kinds: Vec<String> = store
        .enrollment_history(eid)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.kind)
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("replayed"));
    let again = app
        .call(form(&replay, &body(&[("csrf", &token)]), Some(&cookie)))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn switching_a_paused_workflow_on_clears_its_pause() {
    let (app, store) = test_app_with_store();
    assert_eq!(
        app.post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        201
    );
    let created = app
        .post(
            "/v1/workflows",
            json!({"name": "Gone", "triggers": [{"event": "signup"}],
                   "actions": [{"type": "webhook", "url": "https://hooks.example.com/x"}]}),
        )
        .await;
    let id = created.body["id"].as_u64().unwrap();
    // What the runner does on a 410 Gone.
    let mut w = (*store.workflow(id).unwrap()).clone();
    w.paused_reason = Some("the receiver answered 410 Gone".into());
    store.save_workflow(w).await.unwrap();
    let (cookie, token) = signed_in_admin(&app).await;
    let list = app.call(page("/app/workflows", Some(&cookie))).await.text;
    assert!(list.contains("Paused"), "{list}");
    assert!(list.contains("the receiver answered 410 Gone"));
    let on = app
        .call(form(
            &format!("/app/workflows/{id}/enabled"),
            &body(&[("csrf", &token), ("enabled", "on")]),
            Some(&cookie),
        ))
        .await;
    assert_eq!(
        on.header("location"),
        Some(format!("/app/workflows/{id}?done=on").as_str())
    );
    let after: Value = app.get(&format!("/v1/workflows/{id}")).await.body;
    assert_eq!(after["enabled"], true);
    assert!(after.get("pausedReason").is_none(), "{after}");
    // Off again: nothing to clear, and the page says it is off.
    let off = app
        .call(form(
            &format!("/app/workflows/{id}/enabled"),
            &body(&[("csrf", &token), ("enabled", "off")]),
            Some(&cookie),
        ))
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    let page_text = app
        .call(page(&format!("/app/workflows/{id}"), Some(&cookie)))
        .await
        .text;
    assert!(page_text.contains("Switch on"));
}
