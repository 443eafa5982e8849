//! The visualizer's API (issue 5): tokens issued by an admin, the session check, a site's
//! auto-tracking rules (public list with ETag and CORS; saving and deleting with the admin
//! token or a visualizer token of the same site), the definitions saving creates or extends,
//! beacons of an auto-tracked event, and rules across a restart and a site's deletion.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use wasmtrack_collector::config::parse_site;
use wasmtrack_collector::store::EventStore;
use wasmtrack_collector::Config;

use crate::common::{
    call_at, now_ms, test_app, test_app_with_store, wire_event, Answer, TestApp, ORIGIN, TOKEN,
};
use crate::server::start;

const OTHER_ORIGIN: &str = "https://other.example";
const RULES: &str = "/v1/sites/shop/rules";

/// A request with an optional bearer token, `Origin` and JSON body.
fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    origin: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(origin) = origin {
        builder = builder.header(header::ORIGIN, origin);
    }
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    builder
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request")
}

/// A CORS preflight as a browser sends it before an authorized request.
fn preflight(path: &str, origin: &str, method: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .expect("request")
}

fn click_rule() -> Value {
    json!({"label": "Pricing CTA clicked", "eventName": "pricing_cta_clicked", "kind": "click",
           "selector": "#buy-pro", "properties": [{"name": "plan", "source": "attr:data-plan"}]})
}

fn page_view_rule() -> Value {
    json!({"label": "Viewed pricing", "kind": "pageview", "match": "startsWith", "value": "/pricing"})
}

/// The app with the sites `shop` (for `ORIGIN`) and `other` (for `OTHER_ORIGIN`), and the
/// `signup` definition.
async fn app() -> TestApp {
    let app = test_app().with_fixtures().await;
    add_other_site(&app).await;
    app
}

async fn add_other_site(app: &TestApp) {
    let other = app
        .post(
            "/v1/sites",
            json!({"id": "other", "origins": [OTHER_ORIGIN]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
}

/// Issues a visualizer token for `site` with the admin token.
async fn token_for(app: &TestApp, site: &str) -> String {
    let issued = app
        .post("/v1/visualizer/tokens", json!({ "site": site }))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    issued.body["token"].as_str().expect("token").to_owned()
}

async fn save(app: &TestApp, token: &str, rule: Value) -> Answer {
    app.call(request(
        Method::POST,
        RULES,
        Some(token),
        Some(ORIGIN),
        Some(rule),
    ))
    .await
}

async fn list(app: &TestApp) -> Answer {
    let answer = app
        .call(request(Method::GET, RULES, None, Some(ORIGIN), None))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer
}

fn etag(answer: &Answer) -> String {
    answer.header("etag").expect("ETag").to_owned()
}

fn is_iso(value: &Value) -> bool {
    value
        .as_str()
        .and_then(wasmtrack_collector::timestamp::parse)
        .is_some()
}

/// Asserts a 400 naming `field` in its first error.
fn assert_invalid(answer: &Answer, field: &str, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "{what}: {}",
        answer.text
    );
    assert_eq!(answer.error_category(), "VALIDATION_ERROR", "{what}");
    assert_eq!(
        answer.body["errors"][0]["in"], field,
        "{what}: {}",
        answer.text
    );
}

#[tokio::test]
async fn tokens_are_issued_by_the_admin_for_a_known_site() {
    let app = app().await;
    let before = now_ms();
    let issued = app
        .post("/v1/visualizer/tokens", json!({"site": "shop"}))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let token = issued.body["token"].as_str().unwrap();
    let hex = token.strip_prefix("vt_").expect("vt_ prefix");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    assert_eq!(issued.body["site"], "shop");
    let expires = wasmtrack_collector::timestamp::parse(issued.body["expiresAt"].as_str().unwrap())
        .expect("ISO 8601 expiresAt");
    let hour = 60 * 60 * 1000;
    assert!(
        (before + hour - 1000..=now_ms() + hour).contains(&expires),
        "60 minutes by default"
    );

    let short = app
        .post(
            "/v1/visualizer/tokens",
            json!({"site": "shop", "ttlMinutes": 1}),
        )
        .await;
    assert_eq!(short.status, StatusCode::CREATED, "{}", short.text);
    let expires =
        wasmtrack_collector::timestamp::parse(short.body["expiresAt"].as_str().unwrap()).unwrap();
    assert!(expires <= now_ms() + 60_000 && expires > before);
    assert_ne!(
        short.body["token"], issued.body["token"],
        "every token is new"
    );

    for ttl in [json!(0), json!(1441), json!("ten"), json!(1.5)] {
        let bad = app
            .post(
                "/v1/visualizer/tokens",
                json!({"site": "shop", "ttlMinutes": ttl}),
            )
            .await;
        assert_invalid(&bad, "ttlMinutes", &format!("ttlMinutes {ttl}"));
    }
    let no_site = app.post("/v1/visualizer/tokens", json!({})).await;
    assert_invalid(&no_site, "site", "no site");

    let unknown = app
        .post("/v1/visualizer/tokens", json!({"site": "nope"}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.text);
    assert_eq!(unknown.error_category(), "OBJECT_NOT_FOUND");

    let body = Some(json!({"site": "shop"}));
    let anonymous = app
        .call(request(
            Method::POST,
            "/v1/visualizer/tokens",
            None,
            None,
            body.clone(),
        ))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.error_category(), "INVALID_AUTHENTICATION");
    let by_visualizer = app
        .call(request(
            Method::POST,
            "/v1/visualizer/tokens",
            Some(token),
            None,
            body,
        ))
        .await;
    assert_eq!(
        by_visualizer.status,
        StatusCode::UNAUTHORIZED,
        "a visualizer token cannot issue tokens"
    );
}

#[tokio::test]
async fn the_session_answers_valid_visualizer_tokens_only() {
    let (app, store) = test_app_with_store();
    let app = app.with_fixtures().await;
    let token = token_for(&app, "shop").await;
    let session = app
        .call(request(
            Method::GET,
            "/v1/visualizer/session",
            Some(&token),
            Some(ORIGIN),
            None,
        ))
        .await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    assert_eq!(session.body["site"], "shop");
    assert!(is_iso(&session.body["expiresAt"]), "{}", session.text);
    assert_eq!(session.header("access-control-allow-origin"), Some(ORIGIN));

    let expired = store
        .issue_visualizer_token("shop".into(), now_ms() - 1)
        .await
        .expect("issue an expired token");
    let unknown = format!("vt_{}", "0".repeat(64));
    for (what, presented) in [
        ("no token", None),
        ("the admin token", Some(TOKEN)),
        ("an expired token", Some(expired.token.as_str())),
        ("an unknown token", Some(unknown.as_str())),
        ("not a token", Some("vt_nope")),
    ] {
        let answer = app
            .call(request(
                Method::GET,
                "/v1/visualizer/session",
                presented,
                Some(ORIGIN),
                None,
            ))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            answer.text
        );
        assert_eq!(answer.error_category(), "INVALID_AUTHENTICATION", "{what}");
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{what}: the page can read the 401"
        );
    }
    // The expired token is refused when saving rules too.
    let refused = save(&app, &expired.token, click_rule()).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
}

#[tokio::test]
async fn the_rule_list_is_public_with_an_etag_and_answers_304() {
    let app = app().await;
    let empty = list(&app).await;
    assert_eq!(empty.body, json!({"version": 0, "rules": []}));
    assert_eq!(empty.header("content-type"), Some("application/json"));
    assert_eq!(empty.header("cache-control"), Some("no-cache"));
    let tag = etag(&empty);
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"),
        "strong: {tag}"
    );

    let mut revalidate = request(Method::GET, RULES, None, Some(ORIGIN), None);
    revalidate
        .headers_mut()
        .insert(header::IF_NONE_MATCH, tag.parse().unwrap());
    let not_modified = app.call(revalidate).await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    assert_eq!(not_modified.text, "");
    assert_eq!(etag(&not_modified), tag);
    assert_eq!(
        not_modified.header("access-control-allow-origin"),
        Some(ORIGIN)
    );

    let saved = save(&app, TOKEN, click_rule()).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let after_post = list(&app).await;
    let tag_after_post = etag(&after_post);
    assert_ne!(tag_after_post, tag, "saving a rule changes the ETag");
    assert!(after_post.body["version"].as_i64().unwrap() > 0);
    assert_eq!(after_post.body["rules"], json!([saved.body]));

    let mut stale = request(Method::GET, RULES, None, Some(ORIGIN), None);
    stale
        .headers_mut()
        .insert(header::IF_NONE_MATCH, tag.parse().unwrap());
    let refreshed = app.call(stale).await;
    assert_eq!(
        refreshed.status,
        StatusCode::OK,
        "a stale tag gets the list"
    );
    assert_eq!(refreshed.body, after_post.body);

    let id = saved.body["id"].as_i64().unwrap();
    let deleted = app.delete(&format!("{RULES}/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let after_delete = list(&app).await;
    let tag_after_delete = etag(&after_delete);
    assert_ne!(
        tag_after_delete, tag_after_post,
        "deleting changes the ETag"
    );
    assert_ne!(tag_after_delete, tag, "and never back to an earlier one");
    assert_eq!(after_delete.body["rules"], json!([]));

    let unknown = app
        .call(request(
            Method::GET,
            "/v1/sites/nope/rules",
            None,
            None,
            None,
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_category(), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn trackers_read_the_rule_list_as_text_with_its_own_etag() {
    let app = app().await;
    let text_path = format!("{RULES}?format=text");
    let get_text = || request(Method::GET, &text_path, None, Some(ORIGIN), None);
    let empty = app.call(get_text()).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.text);
    assert_eq!(empty.text, "wr2");
    assert_eq!(
        empty.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(empty.header("access-control-allow-origin"), Some(ORIGIN));
    assert_ne!(
        etag(&empty),
        etag(&list(&app).await),
        "one tag per representation"
    );

    let click = save(&app, TOKEN, click_rule()).await;
    let view = save(&app, TOKEN, page_view_rule()).await;
    assert_eq!(click.status, StatusCode::CREATED, "{}", click.text);
    assert_eq!(view.status, StatusCode::CREATED, "{}", view.text);
    let listed = app.call(get_text()).await;
    assert_eq!(listed.status, StatusCode::OK);
    let (c, v) = (
        click.body["id"].as_i64().unwrap(),
        view.body["id"].as_i64().unwrap(),
    );
    let view_name = view.body["eventName"].as_str().unwrap();
    assert_eq!(
        listed.text,
        format!("wr2\n{c}\tc\tpricing_cta_clicked\t#buy-pro\tplan\tattr:data-plan\n{v}\ts\t{view_name}\t/pricing")
    );
    // What the tracker reads out of it.
    let rules = wasmtrack_core::autotrack::decode_rules(&listed.text);
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].event_name, "pricing_cta_clicked");

    let mut revalidate = get_text();
    revalidate
        .headers_mut()
        .insert(header::IF_NONE_MATCH, etag(&listed).parse().unwrap());
    assert_eq!(app.call(revalidate).await.status, StatusCode::NOT_MODIFIED);

    let json = app
        .call(request(
            Method::GET,
            &format!("{RULES}?format=json"),
            None,
            Some(ORIGIN),
            None,
        ))
        .await;
    assert_eq!(json.body["rules"].as_array().map(Vec::len), Some(2));
    let other = app
        .call(request(
            Method::GET,
            &format!("{RULES}?format=xml"),
            None,
            Some(ORIGIN),
            None,
        ))
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "{}", other.text);
    assert!(other.text.contains("format"), "{}", other.text);
}

#[tokio::test]
async fn cors_follows_the_origins_of_the_site_in_the_path() {
    let app = app().await;
    let allowed = list(&app).await;
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(allowed
        .header("access-control-expose-headers")
        .is_some_and(|h| h.contains("ETag")));
    assert!(allowed.header("vary").is_some_and(|v| v.contains("Origin")));

    let foreign = app
        .call(request(Method::GET, RULES, None, Some(OTHER_ORIGIN), None))
        .await;
    assert_eq!(foreign.status, StatusCode::OK, "the list itself is public");
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    assert!(foreign.header("vary").is_some_and(|v| v.contains("Origin")));

    let id_path = format!("{RULES}/1");
    for path in [RULES, id_path.as_str(), "/v1/visualizer/session"] {
        let ok = app.call(preflight(path, ORIGIN, "POST")).await;
        assert_eq!(ok.status, StatusCode::NO_CONTENT, "{path}: {}", ok.text);
        assert_eq!(
            ok.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{path}"
        );
        assert_eq!(
            ok.header("access-control-allow-methods"),
            Some("GET, POST, DELETE"),
            "{path}"
        );
        assert_eq!(
            ok.header("access-control-allow-headers"),
            Some("authorization, content-type"),
            "{path}"
        );
        assert_eq!(ok.header("access-control-max-age"), Some("600"), "{path}");
    }
    for path in [RULES, id_path.as_str()] {
        let refused = app.call(preflight(path, OTHER_ORIGIN, "POST")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            refused.header("access-control-allow-origin"),
            None,
            "{path}"
        );
    }
    // The session serves any origin some site lists (the token says which site).
    let other = app
        .call(preflight("/v1/visualizer/session", OTHER_ORIGIN, "GET"))
        .await;
    assert_eq!(other.status, StatusCode::NO_CONTENT);
    assert_eq!(
        other.header("access-control-allow-origin"),
        Some(OTHER_ORIGIN)
    );
    let nobody = app
        .call(preflight(
            "/v1/visualizer/session",
            "https://evil.example",
            "GET",
        ))
        .await;
    assert_eq!(nobody.status, StatusCode::FORBIDDEN);
    assert_eq!(nobody.header("access-control-allow-origin"), None);

    // Errors of actual requests carry the header too, so the page can read them.
    let unauthorized = app
        .call(request(
            Method::POST,
            RULES,
            None,
            Some(ORIGIN),
            Some(click_rule()),
        ))
        .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    let invalid = save(&app, TOKEN, json!({"label": "x"})).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.header("access-control-allow-origin"), Some(ORIGIN));
    let malformed = app
        .call(
            Request::builder()
                .method(Method::POST)
                .uri(RULES)
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .header(header::ORIGIN, ORIGIN)
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.error_category(), "VALIDATION_ERROR");
    assert_eq!(
        malformed.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
}

#[tokio::test]
async fn a_click_rule_saved_with_the_admin_token_defines_its_event_and_its_beacons_are_accepted() {
    let app = app().await;
    let before = now_ms();
    let saved = save(&app, TOKEN, click_rule()).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let id = saved.body["id"].as_i64().expect("numeric id");
    assert!(is_iso(&saved.body["createdAt"]), "{}", saved.text);
    let created =
        wasmtrack_collector::timestamp::parse(saved.body["createdAt"].as_str().unwrap()).unwrap();
    assert!(created >= before - 1000);
    let mut expected = json!({"id": id, "eventName": "pricing_cta_clicked", "label": "Pricing CTA clicked",
        "kind": "click", "selector": "#buy-pro", "properties": [{"name": "plan", "source": "attr:data-plan"}]});
    expected["createdAt"] = saved.body["createdAt"].clone();
    assert_eq!(saved.body, expected);

    let def = app
        .get("/events/v3/event-definitions/pricing_cta_clicked")
        .await;
    assert_eq!(def.status, StatusCode::OK, "{}", def.text);
    assert_eq!(def.body["label"], "Pricing CTA clicked");
    assert_eq!(def.body["primaryObject"], "CONTACT");
    let properties: Vec<(&str, &str)> = def.body["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        properties,
        [
            ("element_text", "string"),
            ("selector", "string"),
            ("plan", "string")
        ]
    );

    // What a tracker sends when a visitor clicks the button.
    let click = wire_event(
        1,
        "pricing_cta_clicked",
        now_ms(),
        "v-1",
        json!({"element_text": "Buy Pro", "selector": "#buy-pro", "plan": "pro"}),
    );
    let beacon = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [click]}))
        .await;
    assert_eq!(beacon.status, StatusCode::OK, "{}", beacon.text);
    assert_eq!(beacon.body["stored"], 1, "{}", beacon.text);
    assert_eq!(beacon.body["rejected"], json!([]));
    let events = app.all_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["eventType"], "pricing_cta_clicked");
    assert_eq!(events[0]["properties"]["plan"], "pro");
    assert_eq!(events[0]["properties"]["element_text"], "Buy Pro");
}

#[tokio::test]
async fn a_page_view_rule_saved_with_a_visualizer_token_derives_its_event_name() {
    let app = app().await;
    let token = token_for(&app, "shop").await;
    let saved = save(&app, &token, page_view_rule()).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    assert_eq!(saved.header("access-control-allow-origin"), Some(ORIGIN));
    let mut expected = json!({"id": saved.body["id"], "eventName": "viewed_pricing", "label": "Viewed pricing",
        "kind": "pageview", "match": "startsWith", "value": "/pricing", "properties": []});
    expected["createdAt"] = saved.body["createdAt"].clone();
    assert_eq!(saved.body, expected);
    assert!(is_iso(&saved.body["createdAt"]));

    let def = app.get("/events/v3/event-definitions/viewed_pricing").await;
    assert_eq!(def.status, StatusCode::OK, "{}", def.text);
    assert_eq!(def.body["label"], "Viewed pricing");
    assert_eq!(def.body["primaryObject"], "CONTACT");
    assert_eq!(def.body["properties"], json!([]));

    let with_capture = save(
        &app,
        &token,
        json!({"label": "Viewed docs", "kind": "pageview", "match": "pattern", "value": "/docs/*",
               "properties": [{"name": "heading", "source": "text"}]}),
    )
    .await;
    assert_eq!(
        with_capture.status,
        StatusCode::CREATED,
        "{}",
        with_capture.text
    );
    let docs = app.get("/events/v3/event-definitions/viewed_docs").await;
    assert_eq!(docs.body["properties"][0]["name"], "heading");
    assert_eq!(docs.body["properties"].as_array().unwrap().len(), 1);

    let beacon = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [
            wire_event(1, "viewed_pricing", now_ms(), "v-1", json!({}))]}))
        .await;
    assert_eq!(beacon.body["stored"], 1, "{}", beacon.text);

    let rules = list(&app).await;
    let kinds: Vec<&str> = rules.body["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["pageview", "pageview"]);
}

#[tokio::test]
async fn an_existing_definition_gains_the_properties_it_lacks_and_events_share_rules() {
    let app = app().await;
    let token = token_for(&app, "shop").await;
    let rule = json!({"label": "Signup button", "eventName": "signup", "kind": "click",
        "selector": "button.signup", "properties": [
            {"name": "plan", "source": "attr:data-plan"},
            {"name": "button_label", "source": "text"}]});
    let saved = save(&app, &token, rule).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let def = app.get("/events/v3/event-definitions/signup").await;
    assert_eq!(
        def.body["label"], "Signed up",
        "the definition keeps its label"
    );
    let properties: Vec<(&str, &str)> = def.body["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        properties,
        [
            ("plan", "enumeration"),
            ("seats", "number"),
            ("trial_end", "datetime"),
            ("note", "string"),
            ("landing_url", "string"),
            ("element_text", "string"),
            ("selector", "string"),
            ("button_label", "string"),
        ]
    );

    let second = save(
        &app,
        &token,
        json!({"label": "Signup link", "eventName": "signup", "kind": "click", "selector": "a.signup"}),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    assert_ne!(second.body["id"], saved.body["id"]);
    let def_again = app.get("/events/v3/event-definitions/signup").await;
    assert_eq!(def_again.body["properties"], def.body["properties"]);
    let rules = list(&app).await;
    assert_eq!(rules.body["rules"].as_array().unwrap().len(), 2);
    assert!(rules.body["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["eventName"] == "signup"));

    // A rule cannot feed an event of another object: its completions would all be refused.
    let company = app
        .post(
            "/events/v3/event-definitions",
            json!({"label": "Renewed", "primaryObject": "COMPANY"}),
        )
        .await;
    assert_eq!(company.status, StatusCode::CREATED, "{}", company.text);
    let refused = save(
        &app,
        &token,
        json!({"label": "Renew", "eventName": "renewed", "kind": "click", "selector": "#renew"}),
    )
    .await;
    assert_invalid(&refused, "eventName", "a company event");
}

#[tokio::test]
async fn only_the_admin_or_a_token_of_the_same_site_changes_rules() {
    let app = app().await;
    let other_token = token_for(&app, "other").await;
    let forbidden = save(&app, &other_token, click_rule()).await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.text
    );
    assert_eq!(forbidden.error_category(), "FORBIDDEN");

    let anonymous = app
        .call(request(
            Method::POST,
            RULES,
            None,
            Some(ORIGIN),
            Some(click_rule()),
        ))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.error_category(), "INVALID_AUTHENTICATION");
    let wrong = save(&app, "not-the-token", click_rule()).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    let saved = save(&app, TOKEN, click_rule()).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    let path = format!("{RULES}/{}", saved.body["id"]);
    for (what, token, status) in [
        ("no token", None, StatusCode::UNAUTHORIZED),
        (
            "another site's token",
            Some(other_token.as_str()),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let answer = app
            .call(request(Method::DELETE, &path, token, Some(ORIGIN), None))
            .await;
        assert_eq!(answer.status, status, "{what}: {}", answer.text);
    }
    assert_eq!(list(&app).await.body["rules"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/v1/sites/other/rules").await.body["rules"],
        json!([]),
        "nothing was saved for the other site either"
    );
}

#[tokio::test]
async fn invalid_rules_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = app().await;
    let token = token_for(&app, "shop").await;
    let long = "x".repeat(1025);
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"name": format!("p{i}"), "source": "text"}))
        .collect();
    let click = |extra: Value| {
        let mut rule = json!({"label": "Clicked buy", "kind": "click", "selector": "#buy"});
        for (k, v) in extra.as_object().unwrap() {
            rule[k] = v.clone();
        }
        rule
    };
    let cases = [
        ("empty label", click(json!({"label": ""})), "label"),
        ("blank label", click(json!({"label": "   "})), "label"),
        ("no kind", json!({"label": "L", "selector": "#a"}), "kind"),
        ("unknown kind", click(json!({"kind": "hover"})), "kind"),
        (
            "invalid eventName",
            click(json!({"eventName": "Bad Name"})),
            "eventName",
        ),
        (
            "underivable eventName",
            click(json!({"label": "!!!"})),
            "eventName",
        ),
        (
            "no selector",
            json!({"label": "L", "kind": "click"}),
            "selector",
        ),
        (
            "empty selector",
            click(json!({"selector": " "})),
            "selector",
        ),
        (
            "long selector",
            click(json!({"selector": long})),
            "selector",
        ),
        (
            "no match",
            json!({"label": "L", "kind": "pageview", "value": "/a"}),
            "match",
        ),
        (
            "unknown match",
            json!({"label": "L", "kind": "pageview", "match": "regex", "value": "/a"}),
            "match",
        ),
        (
            "no value",
            json!({"label": "L", "kind": "pageview", "match": "exact"}),
            "value",
        ),
        (
            "empty value",
            json!({"label": "L", "kind": "pageview", "match": "exact", "value": ""}),
            "value",
        ),
        (
            "long value",
            json!({"label": "L", "kind": "pageview", "match": "contains", "value": long}),
            "value",
        ),
        (
            "invalid property name",
            click(json!({"properties": [{"name": "Plan", "source": "text"}]})),
            "properties[0].name",
        ),
        (
            "long property name",
            click(json!({"properties": [{"name": "p".repeat(51), "source": "text"}]})),
            "properties[0].name",
        ),
        (
            "reserved element_text",
            click(json!({"properties": [{"name": "element_text", "source": "text"}]})),
            "properties[0].name",
        ),
        (
            "reserved selector",
            click(json!({"properties": [{"name": "selector", "source": "attr:id"}]})),
            "properties[0].name",
        ),
        (
            "twice",
            click(
                json!({"properties": [{"name": "a", "source": "text"}, {"name": "a", "source": "attr:id"}]}),
            ),
            "properties[1].name",
        ),
        (
            "unknown source",
            click(json!({"properties": [{"name": "a", "source": "html"}]})),
            "properties[0].source",
        ),
        (
            "empty attribute",
            click(json!({"properties": [{"name": "a", "source": "attr:"}]})),
            "properties[0].source",
        ),
        (
            "bad attribute",
            click(json!({"properties": [{"name": "a", "source": "attr:data plan"}]})),
            "properties[0].source",
        ),
        (
            "no source",
            click(json!({"properties": [{"name": "a"}]})),
            "properties[0].source",
        ),
        (
            "21 properties",
            click(json!({"properties": many})),
            "properties",
        ),
        ("not JSON types", click(json!({"selector": 5})), "body"),
    ];
    for (what, body, field) in cases {
        let answer = save(&app, &token, body).await;
        assert_invalid(&answer, field, what);
        assert_eq!(
            answer.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{what}"
        );
    }
    let rules = list(&app).await;
    assert_eq!(rules.body, json!({"version": 0, "rules": []}));
    let defs = app.get("/events/v3/event-definitions").await;
    assert_eq!(
        defs.body["total"], 1,
        "only the fixture's signup: {}",
        defs.text
    );

    let twenty: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("p{i}"), "source": "text"}))
        .collect();
    let at_limit = save(&app, &token, click(json!({"properties": twenty}))).await;
    assert_eq!(
        at_limit.status,
        StatusCode::CREATED,
        "20 properties are fine: {}",
        at_limit.text
    );
    let unknown_site = app
        .call(request(
            Method::POST,
            "/v1/sites/nope/rules",
            Some(TOKEN),
            None,
            Some(click(json!({}))),
        ))
        .await;
    assert_eq!(unknown_site.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_site.error_category(), "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn deleting_a_rule_keeps_its_definition() {
    let app = app().await;
    let token = token_for(&app, "shop").await;
    let first = save(&app, &token, click_rule()).await;
    let second = save(&app, &token, page_view_rule()).await;
    let id = first.body["id"].as_i64().unwrap();
    let path = format!("{RULES}/{id}");
    let deleted = app
        .call(request(
            Method::DELETE,
            &path,
            Some(&token),
            Some(ORIGIN),
            None,
        ))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(deleted.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(list(&app).await.body["rules"], json!([second.body]));
    let def = app
        .get("/events/v3/event-definitions/pricing_cta_clicked")
        .await;
    assert_eq!(def.status, StatusCode::OK, "the definition stays");

    let again = app
        .call(request(
            Method::DELETE,
            &path,
            Some(&token),
            Some(ORIGIN),
            None,
        ))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error_category(), "OBJECT_NOT_FOUND");
    for missing in [
        format!("{RULES}/99999"),
        format!("{RULES}/abc"),
        "/v1/sites/nope/rules/1".to_owned(),
        format!("/v1/sites/other/rules/{}", second.body["id"]),
    ] {
        let answer = app.delete(&missing).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{missing}: {}",
            answer.text
        );
        assert_eq!(answer.error_category(), "OBJECT_NOT_FOUND", "{missing}");
    }
    assert_eq!(
        list(&app).await.body["rules"].as_array().unwrap().len(),
        1,
        "a rule of another site is not deleted through this one"
    );
}

#[tokio::test]
async fn deleting_a_site_deletes_its_rules_and_tokens() {
    let app = app().await;
    let token = token_for(&app, "shop").await;
    let saved = save(&app, &token, click_rule()).await;
    assert_eq!(saved.status, StatusCode::CREATED);
    let tag = etag(&list(&app).await);
    assert_eq!(
        app.delete("/v1/sites/shop").await.status,
        StatusCode::NO_CONTENT
    );
    let gone = app
        .call(request(Method::GET, RULES, None, None, None))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    let again = app
        .post("/v1/sites", json!({"id": "shop", "origins": [ORIGIN]}))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    let fresh = list(&app).await;
    assert_eq!(fresh.body["rules"], json!([]));
    assert_ne!(
        etag(&fresh),
        tag,
        "a cached list of the old site is not revalidated"
    );
    let session = app
        .call(request(
            Method::GET,
            "/v1/visualizer/session",
            Some(&token),
            None,
            None,
        ))
        .await;
    assert_eq!(
        session.status,
        StatusCode::UNAUTHORIZED,
        "the site's tokens are gone"
    );
}

#[tokio::test]
async fn rules_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(dir.path());
    config.admin_token = Some(TOKEN.into());
    config
        .sites
        .push(parse_site(&format!("shop={ORIGIN}")).unwrap());
    let server = start(config.clone()).await;
    let addr = server.addr;
    let admin = |method, path: &str, body| request(method, path, Some(TOKEN), None, body);
    let issued = call_at(
        addr,
        admin(
            Method::POST,
            "/v1/visualizer/tokens",
            Some(json!({"site": "shop"})),
        ),
    )
    .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.text);
    let token = issued.body["token"].as_str().unwrap().to_owned();
    for rule in [click_rule(), page_view_rule()] {
        let saved = call_at(
            addr,
            request(Method::POST, RULES, Some(&token), Some(ORIGIN), Some(rule)),
        )
        .await;
        assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.text);
    }
    let before = call_at(addr, request(Method::GET, RULES, None, None, None)).await;
    assert_eq!(before.body["rules"].as_array().unwrap().len(), 2);
    server.stop().await;

    let server = start(config).await;
    let addr = server.addr;
    let after = call_at(addr, request(Method::GET, RULES, None, None, None)).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(after.body, before.body, "every rule survived the restart");
    assert_eq!(etag(&after), etag(&before), "and so did the version");
    let session = call_at(
        addr,
        request(
            Method::GET,
            "/v1/visualizer/session",
            Some(&token),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(
        session.status,
        StatusCode::OK,
        "the token survived: {}",
        session.text
    );
    let def = call_at(
        addr,
        admin(
            Method::GET,
            "/events/v3/event-definitions/pricing_cta_clicked",
            None,
        ),
    )
    .await;
    assert_eq!(def.body["properties"].as_array().unwrap().len(), 3);

    let first = before.body["rules"][0]["id"].as_i64().unwrap();
    let deleted = call_at(
        addr,
        request(
            Method::DELETE,
            &format!("{RULES}/{first}"),
            Some(&token),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let third = call_at(
        addr,
        request(Method::POST, RULES, Some(&token), None, Some(click_rule())),
    )
    .await;
    assert_eq!(third.status, StatusCode::CREATED);
    let last = before.body["rules"][1]["id"].as_i64().unwrap();
    assert!(
        third.body["id"].as_i64().unwrap() > last,
        "ids are never reused"
    );
    let changed = call_at(addr, request(Method::GET, RULES, None, None, None)).await;
    assert!(
        changed.body["version"].as_i64() > before.body["version"].as_i64(),
        "versions keep growing after a restart"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_version_1_database_gains_the_visualizer_tables_and_keeps_its_data() {
    use wasmtrack_collector::store::SqliteStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(wasmtrack_collector::DB_FILE);
    // What a collector before the visualizer left: schema version 1.
    SqliteStore::create_at_version(&path, 1).expect("version 1");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO sites (id, origins, public_key, created_at, updated_at) VALUES ('shop', ?1, 'pk_1', 0, 0)",
        [serde_json::json!([ORIGIN]).to_string()],
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(&path).expect("migrates");
    assert!(store.site("shop").is_some(), "the site is kept");
    assert_eq!(store.rules("shop").unwrap().version, 0);
    let token = store
        .issue_visualizer_token("shop".into(), now_ms() + 60_000)
        .await
        .expect("the token table exists");
    assert!(token.token.starts_with("vt_"));
    store.close().await;
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version as usize,
        wasmtrack_collector::store::SqliteStore::schema_version(),
        "and on to the latest version"
    );
}
