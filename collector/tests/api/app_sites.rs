//! The analyst app's sites and data-quality pages over HTTP: a site's origins are added and
//! removed with the model's checks (a refused origin is said next to its field), a form
//! without the session's CSRF token or from a key without the `definitions` scope changes
//! nothing, the install snippets carry this collector's address and the site's id as text,
//! the visualizer opens only on an http(s) origin, what visitors and rule authors wrote shows
//! escaped, and "Define this event" defines a held event and stores its held events. The
//! pages' flows run in headless Chromium (`tests/e2e/app-sites.test.mjs`).

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::app::{csrf, encode, form, page, sign_in};
use crate::common::*;

/// Signs in as the admin; returns the cookie and a page's CSRF token.
async fn admin_session(app: &TestApp) -> (String, String) {
    let cookie = sign_in(app, TOKEN).await;
    let sites = app.call(page("/app/sites", Some(&cookie))).await;
    assert_eq!(sites.status, StatusCode::OK, "{}", sites.text);
    let token = csrf(&sites.text);
    (cookie, token)
}

async fn origins(app: &TestApp, site: &str) -> Value {
    let answer = app.get(&format!("/v1/sites/{site}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["origins"].clone()
}

#[tokio::test]
async fn origins_are_added_and_removed_and_a_refused_one_is_said_next_to_its_field() {
    let app = test_app().with_fixtures().await;
    let (cookie, token) = admin_session(&app).await;
    let site = app.call(page("/app/sites/shop", Some(&cookie))).await;
    assert_eq!(site.status, StatusCode::OK, "{}", site.text);
    assert!(site.text.contains("<code>https://shop.example</code>"));

    let bad = app
        .call(form(
            "/app/sites/shop/origins",
            &format!("csrf={token}&origin={}", encode("shop.example/<b>path</b>")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(
        bad.text.contains("id=\"origin-error\"") && bad.text.contains("This is not an origin"),
        "{}",
        bad.text
    );
    assert!(bad.text.contains("aria-invalid=\"true\""));
    assert!(
        bad.text
            .contains("aria-describedby=\"origin-hint origin-error\""),
        "the message is tied to its field"
    );
    assert!(
        bad.text
            .contains("value=\"shop.example/&lt;b&gt;path&lt;/b&gt;\""),
        "what was typed stays in the field, as text: {}",
        bad.text
    );
    assert_eq!(origins(&app, "shop").await, json!([ORIGIN]));

    let added = app
        .call(form(
            "/app/sites/shop/origins",
            &format!("csrf={token}&origin={}", encode(" HTTPS://Blog.Example/ ")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    assert_eq!(
        added.header("location"),
        Some("/app/sites/shop?done=origin-added")
    );
    assert_eq!(
        origins(&app, "shop").await,
        json!([ORIGIN, "https://blog.example"])
    );
    let after = app
        .call(page("/app/sites/shop?done=origin-added", Some(&cookie)))
        .await;
    assert!(
        after.text.contains("The origin was added"),
        "{}",
        after.text
    );
    let arbitrary = app
        .call(page(
            "/app/sites/shop?done=%3Cscript%3Ealert(1)%3C/script%3E",
            Some(&cookie),
        ))
        .await;
    assert!(!arbitrary.text.contains("alert(1)") && !arbitrary.text.contains("role=\"status\""));

    let again = app
        .call(form(
            "/app/sites/shop/origins",
            &format!("csrf={token}&origin={}", encode("https://blog.example")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.text.contains("is allowed already"), "{}", again.text);

    let removed = app
        .call(form(
            "/app/sites/shop/origins/remove",
            &format!("csrf={token}&origin={}", encode(ORIGIN)),
            Some(&cookie),
        ))
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text);
    assert_eq!(origins(&app, "shop").await, json!(["https://blog.example"]));
    let last = app
        .call(form(
            "/app/sites/shop/origins/remove",
            &format!("csrf={token}&origin={}", encode("https://blog.example")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(last.status, StatusCode::BAD_REQUEST);
    assert!(last.text.contains("at least one origin"), "{}", last.text);
    assert_eq!(origins(&app, "shop").await, json!(["https://blog.example"]));
}

#[tokio::test]
async fn a_site_is_created_with_its_first_origin_and_a_bad_id_is_said_next_to_its_field() {
    let app = test_app().with_fixtures().await;
    let (cookie, token) = admin_session(&app).await;
    let bad = app
        .call(form(
            "/app/sites",
            &format!(
                "csrf={token}&id={}&origin={}",
                encode("my site"),
                encode(ORIGIN)
            ),
            Some(&cookie),
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("id=\"id-error\""), "{}", bad.text);
    assert!(
        bad.text.contains("value=\"https://shop.example\""),
        "the other field keeps what was typed"
    );
    let taken = app
        .call(form(
            "/app/sites",
            &format!("csrf={token}&id=shop&origin={}", encode(ORIGIN)),
            Some(&cookie),
        ))
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST);
    assert!(taken.text.contains("exists already"), "{}", taken.text);
    let created = app
        .call(form(
            "/app/sites",
            &format!(
                "csrf={token}&id=blog&origin={}",
                encode("https://blog.example")
            ),
            Some(&cookie),
        ))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    assert_eq!(
        created.header("location"),
        Some("/app/sites/blog?done=created")
    );
    assert_eq!(origins(&app, "blog").await, json!(["https://blog.example"]));
    let list = app.call(page("/app/sites", Some(&cookie))).await;
    assert!(
        list.text.contains("href=\"/app/sites/blog\""),
        "{}",
        list.text
    );
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_changes_nothing() {
    let app = test_app().with_fixtures().await;
    let rule = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": "Buy", "kind": "click", "selector": "#buy"}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text);
    app.beacon(json!({"site": "shop", "sent": now_ms(), "events": [
        wire_event(1, "trial_started", now_ms(), "v-1", json!({}))]}))
        .await;
    let (cookie, _) = admin_session(&app).await;
    for (path, body) in [
        (
            "/app/sites/shop/origins",
            format!("origin={}", encode("https://blog.example")),
        ),
        (
            "/app/sites/shop/origins/remove",
            format!("origin={}", encode(ORIGIN)),
        ),
        (
            "/app/sites",
            format!("id=blog&origin={}", encode("https://blog.example")),
        ),
        (
            &format!("/app/sites/shop/rules/{}/delete", rule.body["id"]),
            String::new(),
        ),
        ("/app/sites/shop/visualizer", String::new()),
        ("/app/quality/define", "event=trial_started".to_owned()),
        (
            "/app/quality/add-property",
            "event=signup&property=coupon".to_owned(),
        ),
    ] {
        for csrf_field in ["", "csrf=guess&"] {
            let answer = app
                .call(form(path, &format!("{csrf_field}{body}"), Some(&cookie)))
                .await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path}: {}",
                answer.text
            );
            assert!(answer.text.contains("stale or came from another site"));
        }
    }
    assert_eq!(origins(&app, "shop").await, json!([ORIGIN]));
    assert_eq!(
        app.get("/v1/sites/blog").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/sites/shop/rules").await.body["rules"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.get("/events/v3/event-definitions/trial_started")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let signup = app.get("/events/v3/event-definitions/signup").await;
    assert!(!signup.text.contains("coupon"));
}

#[tokio::test]
async fn a_read_only_key_sees_the_sites_and_data_quality_but_changes_nothing() {
    let app = test_app().with_fixtures().await;
    let created = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let cookie = sign_in(&app, created.body["key"].as_str().unwrap()).await;
    let site = app.call(page("/app/sites/shop", Some(&cookie))).await;
    assert_eq!(site.status, StatusCode::OK, "{}", site.text);
    assert!(
        site.text.contains("data-site=&quot;shop&quot;"),
        "the snippet is there"
    );
    assert!(
        !site.text.contains("action=\"/app/sites/shop/origins\"")
            && !site.text.contains("Open the visualizer"),
        "no form it could not use"
    );
    assert!(site.text.contains("needs a key with the"));
    let token = csrf(&site.text);
    let refused = app
        .call(form(
            "/app/sites/shop/origins",
            &format!("csrf={token}&origin={}", encode("https://blog.example")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .text
            .contains("lacks the &quot;definitions&quot; scope"),
        "{}",
        refused.text
    );
    assert_eq!(origins(&app, "shop").await, json!([ORIGIN]));
    let create = app
        .call(form(
            "/app/sites",
            &format!(
                "csrf={token}&id=blog&origin={}",
                encode("https://blog.example")
            ),
            Some(&cookie),
        ))
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/v1/sites/blog").await.status,
        StatusCode::NOT_FOUND
    );

    app.beacon(json!({"site": "shop", "sent": now_ms(), "events": [
        wire_event(1, "trial_started", now_ms(), "v-1", json!({}))]}))
        .await;
    let quality = app.call(page("/app/quality", Some(&cookie))).await;
    assert_eq!(quality.status, StatusCode::OK, "{}", quality.text);
    assert!(quality.text.contains("<code>trial_started</code>"));
    assert!(
        !quality.text.contains("Define this event</button>")
            && !quality.text.contains("action=\"/app/quality/define\"")
    );
    let define = app
        .call(form(
            "/app/quality/define",
            &format!("csrf={token}&event=trial_started"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(define.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/events/v3/event-definitions/trial_started")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_snippets_carry_this_collectors_address_and_the_site_id_as_text() {
    let app = test_app().with_fixtures().await;
    let cookie = sign_in(&app, TOKEN).await;
    let mut request = page("/app/sites/shop", Some(&cookie));
    request
        .headers_mut()
        .insert("host", "Collect.Example:8443".parse().unwrap());
    request
        .headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let site = app.call(request).await;
    assert_eq!(site.status, StatusCode::OK, "{}", site.text);
    let tag = "&lt;script async src=&quot;https://collect.example:8443/dist/wasmtrack.js&quot;\n        data-collector=&quot;https://collect.example:8443&quot; data-site=&quot;shop&quot;&gt;&lt;/script&gt;";
    assert!(site.text.contains(tag), "{}", site.text);
    assert!(
        site.text.contains("window._wtq = window._wtq || [];"),
        "the stub comes first"
    );
    assert!(site
        .text
        .contains("init({ collector: 'https://collect.example:8443', site: 'shop' });"));
    assert!(site.text.contains("<pre><code id=\"snippet-tag\">"));
    assert!(site.text.contains("data-copy=\"snippet-tag\""));
    assert!(!site.text.contains("<script>"), "no markup from a snippet");

    // A host that is no host is never put in the page: the placeholder is, with a word.
    let mut hostile = page("/app/sites/shop", Some(&cookie));
    hostile.headers_mut().insert(
        "host",
        "evil.example\"><script>alert(1)</script>".parse().unwrap(),
    );
    let site = app.call(hostile).await;
    assert_eq!(site.status, StatusCode::OK, "{}", site.text);
    assert!(!site.text.contains("evil.example") && !site.text.contains("alert(1)"));
    assert!(site
        .text
        .contains("data-collector=&quot;https://collect.example.com&quot;"));
    assert!(site.text.contains("did not say the collector"));
}

#[tokio::test]
async fn the_visualizer_opens_only_on_an_http_origin_of_the_site() {
    let app = test_app().with_fixtures().await;
    for (id, list) in [
        ("anywhere", json!(["*"])),
        ("local", json!(["*", "http://localhost:8080"])),
    ] {
        let created = app
            .post("/v1/sites", json!({"id": id, "origins": list}))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    }
    let (cookie, token) = admin_session(&app).await;
    let anywhere = app.call(page("/app/sites/anywhere", Some(&cookie))).await;
    assert!(!anywhere.text.contains("Open the visualizer on this site"));
    assert!(anywhere
        .text
        .contains("add an origin with http:// or https:// first"));
    let refused = app
        .call(form(
            "/app/sites/anywhere/visualizer",
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(!refused.text.contains("wt_visualize"));

    let local = app.call(page("/app/sites/local", Some(&cookie))).await;
    assert!(local.text.contains("Open the visualizer on this site"));
    let opened = app
        .call(form(
            "/app/sites/local/visualizer",
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert_eq!(opened.header("cache-control"), Some("no-store"));
    let prefix = "href=\"http://localhost:8080/?wt_visualize=";
    let at = opened.text.find(prefix).expect("a link to the site") + prefix.len();
    let visualizer_token = &opened.text[at..at + opened.text[at..].find('"').unwrap()];
    assert!(visualizer_token.starts_with("vt_"), "{visualizer_token}");
    assert!(opened.text.contains("rel=\"noopener\""));
    assert!(opened
        .text
        .contains("Open http://localhost:8080 with the visualizer"));
    let session = app
        .call(
            axum::http::Request::builder()
                .uri("/v1/visualizer/session")
                .header("authorization", format!("Bearer {visualizer_token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    assert_eq!(session.body["site"], "local");
}

#[tokio::test]
async fn rule_labels_selectors_and_quality_examples_show_as_text_and_a_rule_is_deleted() {
    let app = test_app().with_fixtures().await;
    let hostile_label = "<img src=x onerror=alert(1)>";
    let hostile_selector = "a[title=\"</code><script>alert(2)</script>\"]";
    let rule = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": hostile_label, "eventName": "hostile_click", "kind": "click",
                "selector": hostile_selector, "properties": [{"name": "plan", "source": "attr:data-plan"}]}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.text);
    let page_rule = app
        .post(
            "/v1/sites/shop/rules",
            json!({"label": "Pricing viewed", "kind": "pageview", "match": "contains", "value": "/pricing?<b>"}),
        )
        .await;
    assert_eq!(page_rule.status, StatusCode::CREATED, "{}", page_rule.text);
    let answer = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [
            wire_event(1, "signup", now_ms(), "v-1", json!({"seats": "<script>alert(3)</script>", "<b>bad</b>": "x"})),
            {"id": "<script>alert(4)</script>", "name": "signup", "ts": now_ms(), "vid": "v", "sid": "s", "p": {}},
        ]}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);

    let (cookie, token) = admin_session(&app).await;
    let site = app.call(page("/app/sites/shop", Some(&cookie))).await;
    assert_eq!(site.status, StatusCode::OK, "{}", site.text);
    assert!(
        !site.text.contains(hostile_label)
            && site.text.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        site.text
    );
    assert!(!site.text.contains("<script>alert(2)"));
    assert!(site
        .text
        .contains("&lt;/code&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    assert!(site
        .text
        .contains("A page view whose URL contains <code>/pricing?&lt;b&gt;</code>"));
    assert!(site
        .text
        .contains("<code>plan</code> from <code>data-plan</code>"));

    let quality = app.call(page("/app/quality", Some(&cookie))).await;
    assert_eq!(quality.status, StatusCode::OK, "{}", quality.text);
    for raw in ["<script>alert(3)", "<script>alert(4)", "<b>bad</b>"] {
        assert!(
            !quality.text.contains(raw),
            "{raw} shows as markup: {}",
            quality.text
        );
    }
    assert!(
        quality
            .text
            .contains("&lt;script&gt;alert(3)&lt;/script&gt;"),
        "{}",
        quality.text
    );
    assert!(
        quality
            .text
            .contains("&lt;script&gt;alert(4)&lt;/script&gt;"),
        "the refused event's reason"
    );
    assert!(quality.text.contains("INVALID_NUMBER"));

    let deleted = app
        .call(form(
            &format!("/app/sites/shop/rules/{}/delete", rule.body["id"]),
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.text);
    assert_eq!(
        deleted.header("location"),
        Some("/app/sites/shop?done=rule-deleted")
    );
    let rules = app.get("/v1/sites/shop/rules").await;
    assert_eq!(rules.body["rules"].as_array().map(Vec::len), Some(1));
    assert_eq!(rules.body["rules"][0]["label"], "Pricing viewed");
    assert_eq!(
        app.get("/events/v3/event-definitions/hostile_click")
            .await
            .status,
        StatusCode::OK,
        "the event stays"
    );
    let missing = app
        .call(form(
            &format!("/app/sites/shop/rules/{}/delete", rule.body["id"]),
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn define_this_event_creates_its_definition_and_stores_its_held_events() {
    let app = test_app().with_fixtures().await;
    let trial = |n: u32| {
        let mut event = wire_event(n, "trial_started", now_ms(), "v-7", json!({"coupon": "X1"}));
        event["email"] = json!("ada@example.com");
        event
    };
    let held = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [trial(1), trial(2)]}))
        .await;
    assert_eq!(
        held.body["held"].as_array().map(Vec::len),
        Some(2),
        "{}",
        held.text
    );

    let (cookie, token) = admin_session(&app).await;
    let quality = app.call(page("/app/quality", Some(&cookie))).await;
    assert_eq!(quality.status, StatusCode::OK, "{}", quality.text);
    assert!(
        quality
            .text
            .contains("<th scope=\"row\"><code>trial_started</code></th><td class=\"num\">2</td>"),
        "{}",
        quality.text
    );
    assert!(quality.text.contains("Define this event"));
    assert!(quality.text.contains("EVENT_NOT_DEFINED"));

    let defined = app
        .call(form(
            "/app/quality/define",
            &format!("csrf={token}&event=trial_started"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(defined.status, StatusCode::SEE_OTHER, "{}", defined.text);
    assert_eq!(
        defined.header("location"),
        Some("/app/quality?done=defined&event=trial_started&stored=2")
    );
    let def = app.get("/events/v3/event-definitions/trial_started").await;
    assert_eq!(def.status, StatusCode::OK, "{}", def.text);
    assert_eq!(def.body["label"], "Trial started");
    assert_eq!(def.body["primaryObject"], "CONTACT");
    let stored: Vec<Value> = app
        .all_events()
        .await
        .into_iter()
        .filter(|e| e["eventType"] == "trial_started")
        .collect();
    assert_eq!(stored.len(), 2, "the held events are stored events now");
    assert_eq!(app.get("/v1/held").await.body["results"], json!([]));

    let after = app
        .call(page(
            "/app/quality?done=defined&event=trial_started&stored=2",
            Some(&cookie),
        ))
        .await;
    assert!(
        after.text.contains("stored its 2 held events"),
        "{}",
        after.text
    );
    assert!(after
        .text
        .contains("No event is waiting for its definition."));
    assert!(
        after.text.contains("Add this property"),
        "coupon was dropped: {}",
        after.text
    );
    let events = app.call(page("/app/events", Some(&cookie))).await;
    assert!(events
        .text
        .contains("href=\"/app/events/trial_started\">Trial started</a>"));

    // Defining it again replays nothing and stores nothing twice.
    let again = app
        .call(form(
            "/app/quality/define",
            &format!("csrf={token}&event=trial_started"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(
        again.header("location"),
        Some("/app/quality?done=defined&event=trial_started&stored=0")
    );

    let added = app
        .call(form(
            "/app/quality/add-property",
            &format!("csrf={token}&event=trial_started&property=coupon"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    assert_eq!(
        added.header("location"),
        Some("/app/quality?done=property-added&event=trial_started&property=coupon")
    );
    let def = app.get("/events/v3/event-definitions/trial_started").await;
    assert_eq!(def.body["properties"][0]["name"], "coupon");
    assert_eq!(def.body["properties"][0]["type"], "string");
    app.beacon(json!({"site": "shop", "sent": now_ms(), "events": [trial(3)]}))
        .await;
    let latest = app
        .get("/events/v3/events?eventType=trial_started&sort=-occurredAt&limit=1")
        .await;
    assert_eq!(
        latest.body["results"][0]["properties"],
        json!({"coupon": "X1"})
    );
    let quality = app.call(page("/app/quality", Some(&cookie))).await;
    assert!(
        !quality.text.contains("Add this property"),
        "nothing left to add"
    );

    let bad = app
        .call(form(
            "/app/quality/define",
            &format!("csrf={token}&event={}", encode("<b>Bad</b>")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(!bad.text.contains("<b>Bad</b>"));
}
