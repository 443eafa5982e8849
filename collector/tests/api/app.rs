//! The analyst app at `/app/` over HTTP: signing in opens a session kept in an `HttpOnly`,
//! `SameSite=Strict` cookie (the token never reaches the browser again), every form is
//! checked against the session's CSRF token, signing out ends the session on the server, a
//! key sees what its scopes allow, and every page shows what visitors sent as text. The
//! pages' user flows run in headless Chromium (`tests/e2e/app.test.mjs`).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::common::*;

pub(crate) fn form(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

pub(crate) fn page(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(Method::GET).uri(path);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).expect("request")
}

pub(crate) fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Signs in with `token`; returns the `name=value` of the session cookie.
pub(crate) async fn sign_in(app: &TestApp, token: &str) -> String {
    let answer = app
        .call(form(
            "/app/sign-in",
            &format!("token={}&next=%2Fapp%2Fevents", encode(token)),
            None,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text);
    let set = answer.header("set-cookie").expect("a session cookie");
    set.split(';').next().expect("name=value").to_owned()
}

/// The page's CSRF token (every form of a signed-in page carries it).
pub(crate) fn csrf(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[at..at + html[at..].find('"').expect("end")].to_owned()
}

#[tokio::test]
async fn a_page_asked_for_without_a_session_sends_to_sign_in_and_back() {
    let app = test_app().with_fixtures().await;
    let answer = app.call(page("/app/events/signup?range=7d", None)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        answer.header("location"),
        Some("/app/sign-in?next=%2Fapp%2Fevents%2Fsignup%3Frange%3D7d")
    );
    let form_page = app
        .call(page(
            "/app/sign-in?next=%2Fapp%2Fevents%2Fsignup%3Frange%3D7d",
            None,
        ))
        .await;
    assert_eq!(form_page.status, StatusCode::OK);
    assert!(
        form_page
            .text
            .contains("value=\"/app/events/signup?range=7d\""),
        "{}",
        form_page.text
    );
    let signed = app
        .call(form(
            "/app/sign-in",
            &format!("token={TOKEN}&next=%2Fapp%2Fevents%2Fsignup%3Frange%3D7d"),
            None,
        ))
        .await;
    assert_eq!(
        signed.header("location"),
        Some("/app/events/signup?range=7d")
    );
}

#[tokio::test]
async fn signing_in_sets_a_private_cookie_and_never_echoes_the_token() {
    let app = test_app().with_fixtures().await;
    let wrong = app.call(form("/app/sign-in", "token=nope", None)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong
        .text
        .contains("neither the admin token nor an API key"));
    assert!(wrong.header("set-cookie").is_none());
    assert!(
        !wrong.text.contains("nope"),
        "the typed token is not put back in the page"
    );

    let answer = app
        .call(form("/app/sign-in", &format!("token={TOKEN}"), None))
        .await;
    let cookie = answer.header("set-cookie").expect("cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/app"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain http: a Secure cookie would never come back"
    );
    assert!(!cookie.contains(TOKEN) && !answer.header("location").unwrap_or("").contains(TOKEN));

    let mut behind_tls = form("/app/sign-in", &format!("token={TOKEN}"), None);
    behind_tls
        .headers_mut()
        .insert("x-forwarded-proto", "https".parse().unwrap());
    let answer = app.call(behind_tls).await;
    assert!(answer
        .header("set-cookie")
        .is_some_and(|c| c.contains("; Secure")));

    // Another site's form cannot sign anyone in.
    let mut cross = form("/app/sign-in", &format!("token={TOKEN}"), None);
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let refused = app.call(cross).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.header("set-cookie").is_none());
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_changes_nothing_and_signing_out_ends_the_session() {
    let app = test_app().with_fixtures().await;
    let cookie = sign_in(&app, TOKEN).await;
    let events = app.call(page("/app/events", Some(&cookie))).await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.text);
    let token = csrf(&events.text);

    let forged = app
        .call(form("/app/sign-out", "csrf=guess", Some(&cookie)))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.text.contains("stale or came from another site"));
    assert_eq!(
        app.call(page("/app/events", Some(&cookie))).await.status,
        StatusCode::OK,
        "still signed in"
    );

    let out = app
        .call(form(
            "/app/sign-out",
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out
        .header("set-cookie")
        .is_some_and(|c| c.contains("Max-Age=0")));
    let after = app.call(page("/app/events", Some(&cookie))).await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the old cookie opens nothing"
    );
}

#[tokio::test]
async fn pages_are_html_with_a_strict_content_security_policy() {
    let app = test_app().with_fixtures().await;
    let cookie = sign_in(&app, TOKEN).await;
    let events = app.call(page("/app/events", Some(&cookie))).await;
    assert!(events
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    let csp = events.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(events.header("x-frame-options"), Some("DENY"));
    assert_eq!(events.header("cache-control"), Some("no-store"));
    assert!(!events.text.contains("<script>"), "no inline script");
    let missing = app.call(page("/app/events/nope", Some(&cookie))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "an error page, not JSON"
    );
    assert!(missing.text.contains("There is no event"));
    let mut bad_form = form("/app/events/new", "csrf=x", Some(&cookie));
    bad_form
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    let refused = app.call(bad_form).await;
    assert!(refused.status.is_client_error());
    assert!(
        refused
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{}",
        refused.text
    );
    assert!(
        refused.text.contains("could not be handled"),
        "{}",
        refused.text
    );
    let nowhere = app.call(page("/app/no/such/page", Some(&cookie))).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert!(
        nowhere
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{}",
        nowhere.text
    );
}

#[tokio::test]
async fn what_visitors_send_shows_as_text_on_the_events_pages_and_the_csv_is_no_formula() {
    let app = test_app().with_fixtures().await;
    let hostile = "<img src=x onerror=alert(1)>";
    let created = app
        .post(
            "/events/v3/event-definitions",
            json!({"label": hostile, "name": "hostile_event",
            "propertyDefinitions": [{"name": "note", "label": "<b>Note</b>", "type": "string"}]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let sent = app
        .post("/events/v3/send", json!({"eventName": "hostile_event", "email": "ada@example.com",
            "properties": {"note": "=HYPERLINK(\"http://evil.example\")<script>alert(1)</script>"}}))
        .await;
    assert!(sent.status.is_success(), "{}", sent.text);
    let cookie = sign_in(&app, TOKEN).await;
    let list = app.call(page("/app/events?q=hostile", Some(&cookie))).await;
    assert!(
        !list.text.contains(hostile) && list.text.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        list.text
    );
    let event = app
        .call(page("/app/events/hostile_event", Some(&cookie)))
        .await;
    assert_eq!(event.status, StatusCode::OK, "{}", event.text);
    assert!(
        !event.text.contains("<script>alert(1)") && event.text.contains("&lt;script&gt;alert(1)")
    );
    assert!(!event.text.contains("<b>Note</b>"));
    let csv = app
        .call(page(
            "/app/events/hostile_event/completions.csv",
            Some(&cookie),
        ))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/csv")));
    assert!(csv.text.contains("\"'=HYPERLINK("), "{}", csv.text);
    assert!(!csv.text.contains(",=HYPERLINK"));
}

#[tokio::test]
async fn an_event_page_reports_completions_per_bucket_with_zeros_and_a_property_filter() {
    let app = test_app().with_fixtures().await;
    for plan in ["pro", "pro", "free"] {
        let sent = app
            .post("/events/v3/send", json!({"eventName": "signup", "email": "ada@example.com", "properties": {"plan": plan}}))
            .await;
        assert!(sent.status.is_success(), "{}", sent.text);
    }
    let cookie = sign_in(&app, TOKEN).await;
    let all = app
        .call(page("/app/events/signup?range=7d&by=day", Some(&cookie)))
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.text);
    assert!(
        all.text.contains("<strong>3</strong> completions"),
        "{}",
        all.text
    );
    assert_eq!(
        all.text.matches("<g class=\"bar\"").count(),
        7,
        "a bar per day, empty days too"
    );
    let pro = app
        .call(page(
            "/app/events/signup?range=7d&by=day&prop=plan&value=pro",
            Some(&cookie),
        ))
        .await;
    assert!(
        pro.text.contains("<strong>2</strong> completions"),
        "{}",
        pro.text
    );
    let list = app.call(page("/app/events", Some(&cookie))).await;
    assert!(
        list.text.contains("<td class=\"num\">3</td>"),
        "{}",
        list.text
    );
    assert!(
        all.text.contains("<strong>1</strong> contact(s)"),
        "one contact sent all three: {}",
        all.text
    );
    let split = app
        .call(page(
            "/app/events/signup?range=7d&by=day&split=plan",
            Some(&cookie),
        ))
        .await;
    assert_eq!(split.status, StatusCode::OK, "{}", split.text);
    assert!(
        split.text.contains("pro (2)") && split.text.contains("free (1)"),
        "{}",
        split.text
    );
    assert!(split.text.contains("class=\"s1\""), "a second series");
    assert!(
        !split.text.contains("style="),
        "no inline style: the CSP would refuse it"
    );
}

#[tokio::test]
async fn a_key_sees_what_its_scopes_allow_and_a_revoked_key_ends_its_session() {
    let app = test_app().with_fixtures().await;
    let created = app
        .post("/v1/keys", json!({"name": "sender", "scopes": ["send"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["key"].as_str().unwrap().to_owned();
    let id = created.body["id"].clone();
    let cookie = sign_in(&app, &secret).await;
    let events = app.call(page("/app/events", Some(&cookie))).await;
    assert_eq!(events.status, StatusCode::FORBIDDEN);
    assert!(
        events.text.contains("lacks the &quot;read&quot; scope"),
        "{}",
        events.text
    );
    assert!(
        events.text.contains("action=\"/app/sign-out\""),
        "a way out: the page keeps its sign-out form"
    );
    let revoked = app.delete(&format!("/v1/keys/{id}")).await;
    assert!(revoked.status.is_success(), "{}", revoked.text);
    let after = app.call(page("/app/events", Some(&cookie))).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "back to sign in");
}

#[tokio::test]
async fn the_wizard_creates_an_event_with_its_properties_and_shows_the_js_block() {
    let app = test_app().with_fixtures().await;
    let cookie = sign_in(&app, TOKEN).await;
    let form_page = app.call(page("/app/events/new", Some(&cookie))).await;
    assert_eq!(form_page.status, StatusCode::OK, "{}", form_page.text);
    let token = csrf(&form_page.text);
    let body = format!(
        "csrf={token}&how=js&label={}&name=&description=From+the+wizard&object=CONTACT\
         &p0.label=Plan&p0.name=&p0.type=enumeration&p0.options={}\
         &p1.label=Seats&p1.name=&p1.type=number&p1.options=",
        encode("Chose a plan"),
        encode("Free = free\nPro = pro")
    );
    let created = app
        .call(form("/app/events/new", &body, Some(&cookie)))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text);
    assert_eq!(
        created.header("location"),
        Some("/app/events/chose_a_plan?created=js")
    );
    let def = app.get("/events/v3/event-definitions/chose_a_plan").await;
    assert_eq!(def.status, StatusCode::OK, "{}", def.text);
    assert_eq!(def.body["description"], "From the wizard");
    assert_eq!(def.body["properties"][0]["options"][1]["value"], "pro");
    let next = app
        .call(page("/app/events/chose_a_plan?created=js", Some(&cookie)))
        .await;
    assert!(
        next.text.contains("trackCustomBehavioralEvent"),
        "{}",
        next.text
    );
    assert!(
        next.text.contains("plan: &#39;free&#39;") || next.text.contains("plan: 'free'"),
        "{}",
        next.text
    );
    assert!(next.text.contains("data-copy=\"snippet\""));
}

#[tokio::test]
async fn the_wizard_shows_each_problem_next_to_its_field_and_keeps_what_was_typed() {
    let app = test_app().with_fixtures().await;
    let cookie = sign_in(&app, TOKEN).await;
    let token = csrf(&app.call(page("/app/events/new", Some(&cookie))).await.text);
    let body = format!(
        "csrf={token}&how=js&label=Signed+up&name=signup&object=CONTACT&p0.label=Plan&p0.type=enumeration&p0.options="
    );
    let taken = app
        .call(form("/app/events/new", &body, Some(&cookie)))
        .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST, "{}", taken.text);
    assert!(
        taken
            .text
            .contains("an enumeration property needs at least one option"),
        "{}",
        taken.text
    );
    assert!(
        taken.text.contains("value=\"Signed up\""),
        "what was typed stays"
    );
    let bad_name = format!("csrf={token}&how=js&label=X&name=Bad+Name&object=CONTACT");
    let bad = app
        .call(form("/app/events/new", &bad_name, Some(&cookie)))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text.contains("id=\"name-check\"") && bad.text.contains("is invalid"),
        "{}",
        bad.text
    );
    let dup = format!("csrf={token}&how=js&label=Signed+up&name=signup&object=CONTACT");
    let conflict = app.call(form("/app/events/new", &dup, Some(&cookie))).await;
    assert_eq!(conflict.status, StatusCode::BAD_REQUEST);
    assert!(conflict.text.contains("signup"), "{}", conflict.text);
    // The live check answers as the API would.
    let check = app
        .call(page("/app/events/new/check?label=2nd+step", Some(&cookie)))
        .await;
    assert_eq!(check.body, json!({"name": "e_2nd_step", "problem": null}));
    let check = app
        .call(page(
            "/app/events/new/check?label=x&name=signup",
            Some(&cookie),
        ))
        .await;
    assert!(check.body["problem"]
        .as_str()
        .is_some_and(|p| p.contains("already exists")));
}

#[tokio::test]
async fn properties_are_added_edited_and_deleted_and_deleting_an_event_says_what_is_lost() {
    let app = test_app().with_fixtures().await;
    let cookie = sign_in(&app, TOKEN).await;
    let event = app.call(page("/app/events/signup", Some(&cookie))).await;
    let token = csrf(&event.text);
    let added = app
        .call(form(
            "/app/events/signup/properties",
            &format!("csrf={token}&label=Coupon&name=&type=string&options="),
            Some(&cookie),
        ))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
    let edited = app
        .call(form(
            "/app/events/signup/properties/plan",
            &format!(
                "csrf={token}&label=Plan+chosen&description=&options={}",
                encode("Free = free\nPro = pro\nTeam = team\nEnterprise = enterprise")
            ),
            Some(&cookie),
        ))
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.text);
    let removed = app
        .call(form(
            "/app/events/signup/properties/note/delete",
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.text);
    let def = app.get("/events/v3/event-definitions/signup").await;
    let names: Vec<&str> = def.body["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"coupon") && !names.contains(&"note"),
        "{names:?}"
    );
    let plan = def.body["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "plan")
        .unwrap()
        .clone();
    assert_eq!(plan["label"], "Plan chosen");
    assert_eq!(plan["options"].as_array().unwrap().len(), 4);

    let sent = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": "ada@example.com", "properties": {}}),
        )
        .await;
    assert!(sent.status.is_success());
    let confirm = app
        .call(page("/app/events/signup/delete", Some(&cookie)))
        .await;
    assert!(
        confirm.text.contains("1 stored completion(s)"),
        "{}",
        confirm.text
    );
    let gone = app
        .call(form(
            "/app/events/signup/delete",
            &format!("csrf={token}"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/events/v3/event-definitions/signup").await.status,
        StatusCode::NOT_FOUND
    );
    // Defined again, it starts from nothing: the old completions' hourly counts went too.
    assert_eq!(
        app.post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        StatusCode::CREATED
    );
    let again = app.call(page("/app/events/signup", Some(&cookie))).await;
    assert!(
        again.text.contains("<strong>0</strong> completions"),
        "{}",
        again.text
    );
}
