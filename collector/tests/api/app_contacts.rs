//! The analyst app's contacts over HTTP: the list (search by email, most recently active
//! first, 50 a page), a contact's page (identity, visitor ids, the timeline with its visitors'
//! anonymous events, filtered by event type and paged), what visitors sent shown as text with
//! only web addresses as links, and the `read` scope these pages need. The flow in a browser
//! is `tests/e2e/app-contacts.test.mjs`.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::app::{encode, page, sign_in};
use crate::common::*;

/// Sends a completion of `signup` for `email` at `at` (epoch ms).
async fn signup(app: &TestApp, email: &str, at: i64, plan: &str) {
    let sent = app
        .post(
            "/events/v3/send",
            json!({"eventName": "signup", "email": email, "occurredAt": at, "properties": {"plan": plan}}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::NO_CONTENT, "{}", sent.text);
}

/// The contact id of `email`, through the API's timeline.
async fn contact_id(app: &TestApp, email: &str) -> i64 {
    let found = app
        .get(&format!(
            "/events/v3/events?objectType=contact&objectProperty.email={}&limit=1",
            encode(email)
        ))
        .await;
    found.body["results"][0]["objectId"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{email} has events: {}", found.text))
}

/// The `href`s of the links of `html` whose text is `text`.
fn links_named<'a>(html: &'a str, text: &str) -> Vec<&'a str> {
    html.match_indices(&format!("\">{text}</a>"))
        .filter_map(|(end, _)| {
            let start = html[..end].rfind("href=\"")? + "href=\"".len();
            Some(&html[start..end])
        })
        .map(|h| h.split('"').next().unwrap_or(h))
        .collect()
}

/// The rows of the first table's body.
fn rows(html: &str) -> Vec<&str> {
    let Some(start) = html.find("<tbody>") else {
        return Vec::new();
    };
    let body = &html[start..start + html[start..].find("</tbody>").expect("end")];
    body.split("<tr>").skip(1).collect()
}

#[tokio::test]
async fn contacts_are_listed_newest_activity_first_searchable_by_email_and_paged() {
    let app = test_app().with_fixtures().await;
    let t = now_ms() - 3_600_000;
    // user00 acts first, user54 last; user03 acts again after everyone.
    for n in 0..55 {
        signup(
            &app,
            &format!("user{n:02}@example.com"),
            t + n * 1_000,
            "free",
        )
        .await;
    }
    signup(&app, "user03@example.com", t + 100_000, "pro").await;
    let cookie = sign_in(&app, TOKEN).await;

    let first = app.call(page("/app/contacts", Some(&cookie))).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert!(first.text.contains("aria-current=\"page\">Contacts</a>"));
    let listed = rows(&first.text);
    assert_eq!(listed.len(), 50, "50 a page");
    assert!(
        listed[0].contains(">user03@example.com</a>"),
        "{}",
        listed[0]
    );
    assert!(
        listed[0].contains("<td class=\"num\">2</td>"),
        "its events: {}",
        listed[0]
    );
    assert!(listed[1].contains(">user54@example.com</a>"));
    assert!(listed[49].contains(">user06@example.com</a>"));
    let next = links_named(&first.text, "Next page");
    assert_eq!(next.len(), 1, "{}", first.text);

    let second = app
        .call(page(&next[0].replace("&amp;", "&"), Some(&cookie)))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let rest: Vec<&str> = rows(&second.text);
    assert_eq!(rest.len(), 5, "{}", second.text);
    assert!(rest[0].contains(">user05@example.com</a>"));
    assert!(rest[4].contains(">user00@example.com</a>"));
    assert!(
        !rest.iter().any(|r| r.contains(">user03@")),
        "each contact once"
    );
    assert!(links_named(&second.text, "Next page").is_empty());
    assert_eq!(links_named(&second.text, "First page"), ["/app/contacts"]);

    // Search: a part of the email, in any case.
    let found = app.call(page("/app/contacts?q=USER1", Some(&cookie))).await;
    let found = rows(&found.text);
    assert_eq!(found.len(), 10, "user10 to user19");
    assert!(found[0].contains(">user19@example.com</a>"));
    let none = app
        .call(page("/app/contacts?q=nobody%25", Some(&cookie)))
        .await;
    assert!(
        none.text
            .contains("No contact has an email containing \u{201c}nobody%\u{201d}."),
        "{}",
        none.text
    );
    assert!(rows(&none.text).is_empty());

    let stale = app
        .call(page("/app/contacts?after=yesterday", Some(&cookie)))
        .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_contacts_page_shows_its_identity_and_a_timeline_with_its_visitors_events_filtered_and_paged(
) {
    let app = test_app().with_fixtures().await;
    let t = now_ms() - 600_000;
    // Anonymous page views, then identify: they join the contact's timeline.
    let mut events: Vec<Value> = (0..55u32)
        .map(|n| {
            wire_event(
                n + 1,
                "$pageview",
                t + i64::from(n) * 100,
                "visitor-7",
                json!({}),
            )
        })
        .collect();
    events.push(wire_event(
        99,
        "signup",
        t + 10_000,
        "visitor-7",
        json!({"plan": "pro", "seats": 3}),
    ));
    let mut identify = wire_event(100, "$identify", t + 11_000, "visitor-7", json!({}));
    identify["email"] = json!("grace@example.com");
    identify["uid"] = json!("crm-42");
    events.push(identify);
    let stored = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": events}))
        .await;
    assert_eq!(stored.body["stored"], 57, "{}", stored.text);
    signup(&app, "grace@example.com", t + 20_000, "free").await;
    let id = contact_id(&app, "grace@example.com").await;

    let cookie = sign_in(&app, TOKEN).await;
    let list = app.call(page("/app/contacts", Some(&cookie))).await;
    assert_eq!(
        links_named(&list.text, "grace@example.com"),
        [format!("/app/contacts/{id}")]
    );
    assert!(
        list.text.contains("<td class=\"num\">58</td>"),
        "{}",
        list.text
    );

    let contact = app
        .call(page(&format!("/app/contacts/{id}"), Some(&cookie)))
        .await;
    assert_eq!(contact.status, StatusCode::OK, "{}", contact.text);
    let html = &contact.text;
    assert!(html.contains("<h1>grace@example.com</h1>"), "{html}");
    assert!(html.contains("<dd>crm-42</dd>"), "{html}");
    assert!(
        html.contains("<code>visitor-7</code>"),
        "the linked visitor id"
    );
    assert!(
        html.contains("<option value=\"signup\">Signed up (2)</option>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"$pageview\">Page view (55)</option>"));
    assert!(html.contains("<option value=\"\">All events (58)</option>"));
    let timeline = rows(html);
    assert_eq!(timeline.len(), 50, "a page of the timeline");
    assert!(
        timeline[0].contains(">Signed up</a>") && timeline[0].contains("1 property"),
        "newest first: {}",
        timeline[0]
    );
    assert!(timeline[1].contains("Identified"), "{}", timeline[1]);
    assert!(timeline[2].contains(">Signed up</a>"));
    assert!(
        timeline[2].contains("<dt>Plan</dt><dd>pro</dd>")
            && timeline[2].contains("<dt>Seats</dt><dd>3</dd>"),
        "properties by their labels: {}",
        timeline[2]
    );
    assert!(
        timeline[2].contains("<dt>URL</dt><dd><a href=\"https://shop.example/pricing\" rel=\"noopener noreferrer\">https://shop.example/pricing</a></dd>"),
        "default properties, the URL a link: {}",
        timeline[2]
    );
    assert!(
        timeline[2].contains("<details><summary>"),
        "expandable rows"
    );

    // Older events: the rest of the page views, none twice.
    let older = links_named(html, "Older events");
    assert_eq!(older.len(), 1, "{html}");
    let second = app
        .call(page(&older[0].replace("&amp;", "&"), Some(&cookie)))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(rows(&second.text).len(), 8, "58 events: 50 then 8");
    assert!(links_named(&second.text, "Older events").is_empty());
    assert_eq!(
        links_named(&second.text, "Newest events"),
        [format!("/app/contacts/{id}")]
    );

    // Filtered by event type.
    let signups = app
        .call(page(
            &format!("/app/contacts/{id}?event=signup"),
            Some(&cookie),
        ))
        .await;
    let shown = rows(&signups.text);
    assert_eq!(shown.len(), 2, "{}", signups.text);
    assert!(shown.iter().all(|r| r.contains(">Signed up</a>")));
    assert!(signups
        .text
        .contains("<option value=\"signup\" selected>Signed up (2)</option>"));
    let views = app
        .call(page(
            &format!("/app/contacts/{id}?event=%24pageview"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(rows(&views.text).len(), 50);
    let more = links_named(&views.text, "Older events");
    assert_eq!(more.len(), 1);
    assert!(
        more[0].contains("event=%24pageview&amp;before="),
        "{}",
        more[0]
    );
    let rest = app
        .call(page(&more[0].replace("&amp;", "&"), Some(&cookie)))
        .await;
    assert_eq!(
        rows(&rest.text).len(),
        5,
        "the filter holds on the older page"
    );

    // The event's page links its completions to their contact.
    let event = app.call(page("/app/events/signup", Some(&cookie))).await;
    assert!(
        event
            .text
            .contains(&format!("<a href=\"/app/contacts/{id}\">#{id}</a>")),
        "{}",
        event.text
    );

    for missing in ["/app/contacts/999999", "/app/contacts/abc"] {
        let answer = app.call(page(missing, Some(&cookie))).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
        assert!(answer.text.contains("There is no contact"));
    }
    let stale = app
        .call(page(
            &format!("/app/contacts/{id}?before=soon"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn what_visitors_send_shows_as_text_and_only_web_addresses_become_links() {
    let app = test_app().with_fixtures().await;
    let email = "<script>alert(1)</script>@evil.example";
    let mut event = wire_event(
        1,
        "signup",
        now_ms() - 1_000,
        "v-evil",
        json!({"note": "<script>alert(2)</script>", "landing_url": "javascript:alert(4)"}),
    );
    event["email"] = json!(email);
    event["d"] = json!({
        "url": "javascript:alert(1)",
        "referrer": "https://ref.example/?a=\"><b>x",
        "title": "<img src=x onerror=alert(3)>",
        "path": "/<i>p</i>"
    });
    let stored = app
        .beacon(json!({"site": "shop", "sent": now_ms(), "events": [event]}))
        .await;
    assert_eq!(stored.body["stored"], 1, "{}", stored.text);
    let id = contact_id(&app, email).await;
    let cookie = sign_in(&app, TOKEN).await;

    let list = app
        .call(page(
            &format!("/app/contacts?q={}", encode("<script>")),
            Some(&cookie),
        ))
        .await;
    assert_eq!(rows(&list.text).len(), 1, "{}", list.text);
    assert!(!list.text.contains("<script>alert"), "{}", list.text);
    assert!(list
        .text
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;@evil.example"));

    let contact = app
        .call(page(&format!("/app/contacts/{id}"), Some(&cookie)))
        .await;
    let html = &contact.text;
    assert_eq!(contact.status, StatusCode::OK, "{html}");
    for raw in ["<script>alert", "<img src=x", "<b>x", "<i>p</i>"] {
        assert!(!html.contains(raw), "{raw} is markup in {html}");
    }
    assert!(html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;@evil.example</h1>"));
    assert!(html.contains("<dd>&lt;script&gt;alert(2)&lt;/script&gt;</dd>"));
    assert!(html.contains("<dd>&lt;img src=x onerror=alert(3)&gt;</dd>"));
    assert!(
        !html.contains("href=\"javascript:"),
        "a javascript: URL is never a link"
    );
    assert!(
        html.contains("<dt>URL</dt><dd>javascript:alert(1)</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt>Landing URL</dt><dd>javascript:alert(4)</dd>"));
    assert!(
        html.contains("<dt>Referrer</dt><dd><a href=\"https://ref.example/?a=&quot;&gt;&lt;b&gt;x\" rel=\"noopener noreferrer\">https://ref.example/?a=&quot;&gt;&lt;b&gt;x</a></dd>"),
        "{html}"
    );
    assert_eq!(
        html.matches("<a href=\"http").count(),
        html.matches("rel=\"noopener noreferrer\"").count(),
        "every outside link keeps the app's address to itself"
    );
}

#[tokio::test]
async fn imported_contact_properties_show_as_text_with_only_web_addresses_as_links() {
    use wasmtrack_collector::store::{ContactUpdate, Ingest};
    let (app, store) = test_app_with_store();
    let app = app.with_fixtures().await;
    signup(&app, "ada@example.com", now_ms() - 1_000, "pro").await;
    let properties = [
        ("company", "<img src=x onerror=alert(5)>"),
        ("website", "javascript:alert(6)"),
        ("homepage", "https://ada.example/"),
    ];
    store
        .ingest(Ingest {
            contacts: vec![ContactUpdate {
                email: "ada@example.com".into(),
                properties: properties
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                at: now_ms(),
            }],
            ..Ingest::default()
        })
        .await
        .unwrap();
    let id = contact_id(&app, "ada@example.com").await;
    let cookie = sign_in(&app, TOKEN).await;
    let html = app
        .call(page(&format!("/app/contacts/{id}"), Some(&cookie)))
        .await
        .text;
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("<dt><code>company</code></dt><dd>&lt;img src=x onerror=alert(5)&gt;</dd>"),
        "{html}"
    );
    assert!(html.contains("<dt><code>website</code></dt><dd>javascript:alert(6)</dd>"));
    assert!(html.contains("<dd><a href=\"https://ada.example/\" rel=\"noopener noreferrer\">https://ada.example/</a></dd>"));
}

#[tokio::test]
async fn the_contacts_pages_need_the_read_scope() {
    let app = test_app().with_fixtures().await;
    signup(&app, "ada@example.com", now_ms(), "pro").await;
    let id = contact_id(&app, "ada@example.com").await;
    let created = app
        .post("/v1/keys", json!({"name": "sender", "scopes": ["send"]}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let cookie = sign_in(&app, created.body["key"].as_str().unwrap()).await;
    for path in ["/app/contacts".to_owned(), format!("/app/contacts/{id}")] {
        let refused = app.call(page(&path, Some(&cookie))).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
        assert!(refused.text.contains("lacks the &quot;read&quot; scope"));
        assert!(!refused.text.contains("ada@example.com"), "{path}");
    }
    let reader = app
        .post("/v1/keys", json!({"name": "analyst", "scopes": ["read"]}))
        .await;
    let cookie = sign_in(&app, reader.body["key"].as_str().unwrap()).await;
    let allowed = app
        .call(page(&format!("/app/contacts/{id}"), Some(&cookie)))
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    let anonymous = app.call(page("/app/contacts", None)).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.header("location"),
        Some("/app/sign-in?next=%2Fapp%2Fcontacts")
    );
}
