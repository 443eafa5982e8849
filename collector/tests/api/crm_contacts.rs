//! HubSpot's CRM contact reads: one contact by id or by email (any case), the list paged by
//! `after`, the search by email, in HubSpot's shapes, with imported properties shown and the
//! defaults always there; what cannot be answered is a 400 or 404 naming it.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use wasmtrack_collector::store::{ContactUpdate, Ingest};

use crate::common::*;

const CONTACTS: &str = "/crm/v3/objects/contacts";

/// Five contacts made by completions sent by email (in mixed case), and properties set on
/// two of them as an import does.
async fn five_contacts() -> TestApp {
    let (app, store) = test_app_with_store();
    assert_eq!(
        app.post("/events/v3/event-definitions", signup_definition())
            .await
            .status,
        201
    );
    for i in 1..=5 {
        let sent = app
            .post(
                "/events/v3/send",
                json!({"eventName": "signup", "email": format!("Person{i}@Example.COM")}),
            )
            .await;
        assert_eq!(sent.status, 204, "{}", sent.text);
    }
    let set = |email: &str, props: &[(&str, &str)]| ContactUpdate {
        email: email.into(),
        properties: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        at: now_ms(),
    };
    store
        .ingest(Ingest {
            contacts: vec![
                set(
                    "person2@example.com",
                    &[("firstname", "Ada"), ("company", "<b>Acme</b>")],
                ),
                set("person2@example.com", &[("lastname", "Lovelace")]),
                set("new@example.com", &[("firstname", "Grace")]),
            ],
            ..Ingest::default()
        })
        .await
        .unwrap();
    app
}

fn emails(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["properties"]["email"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn a_contact_reads_by_id_or_by_email_in_hubspots_shape_with_its_imported_properties() {
    let app = five_contacts().await;
    let by_email = app
        .get(&format!("{CONTACTS}/PERSON2@example.com?idProperty=email"))
        .await;
    assert_eq!(by_email.status, 200, "{}", by_email.text);
    let c = &by_email.body;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["archived"], false);
    assert_eq!(c["properties"]["email"], "person2@example.com");
    assert_eq!(c["properties"]["firstname"], "Ada");
    assert_eq!(c["properties"]["lastname"], "Lovelace", "updates merge");
    assert_eq!(
        c["properties"]["company"], "<b>Acme</b>",
        "stored as sent: JSON is not HTML"
    );
    assert_eq!(c["properties"]["hs_object_id"], id.as_str());
    assert!(c["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(c["properties"]["lastmodifieddate"].is_string());

    let by_id = app
        .get(&format!("{CONTACTS}/{id}?properties=firstname"))
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["properties"]["firstname"], "Ada");
    assert!(
        by_id.body["properties"].get("company").is_none(),
        "only those asked, and the defaults"
    );
    assert_eq!(by_id.body["properties"]["email"], "person2@example.com");

    // An import may create a contact that never completed anything.
    let grace = app
        .get(&format!("{CONTACTS}/new@example.com?idProperty=email"))
        .await;
    assert_eq!(grace.body["properties"]["firstname"], "Grace");

    let missing = app.get(&format!("{CONTACTS}/999999")).await;
    assert_eq!(missing.status, 404);
    let bad = app.get(&format!("{CONTACTS}/ada")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("idProperty=email"), "{}", bad.text);
    let bad_email = app.get(&format!("{CONTACTS}/nope?idProperty=email")).await;
    assert_eq!(bad_email.status, 400);
    let bad_property = app.get(&format!("{CONTACTS}/1?idProperty=phone")).await;
    assert_eq!(bad_property.status, 400);
    assert!(bad_property.text.contains("phone"));
}

#[tokio::test]
async fn the_list_pages_by_id_and_the_search_finds_by_email() {
    let app = five_contacts().await;
    let mut seen = Vec::new();
    let mut path = format!("{CONTACTS}?limit=2");
    loop {
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.body["results"].as_array().unwrap().len() <= 2);
        seen.extend(emails(&page.body));
        match page.body["paging"]["next"]["after"].as_str() {
            Some(after) => path = format!("{CONTACTS}?limit=2&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "five senders and one imported: {seen:?}");
    assert_eq!(
        seen.iter().collect::<std::collections::BTreeSet<_>>().len(),
        6
    );

    let search = |body: Value| {
        let app = &app;
        async move { app.post(&format!("{CONTACTS}/search"), body).await }
    };
    let eq = search(json!({"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "EQ", "value": "Person3@EXAMPLE.com"}]}]}))
    .await;
    assert_eq!(eq.status, 200, "{}", eq.text);
    assert_eq!(
        (eq.body["total"].as_u64(), emails(&eq.body)),
        (Some(1), vec!["person3@example.com".to_owned()])
    );
    let part = search(json!({"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*son*"}]}], "limit": 2}))
    .await;
    assert_eq!(part.body["total"], 5);
    assert_eq!(emails(&part.body).len(), 2);
    assert!(part.body["paging"]["next"]["after"].is_string());
    let all = search(json!({})).await;
    assert_eq!(all.body["total"], 6);
    let by_name = search(json!({"filterGroups": [{"filters": [
        {"propertyName": "firstname", "operator": "EQ", "value": "Ada"}]}]}))
    .await;
    assert_eq!(by_name.status, 400);
    assert!(by_name.text.contains("firstname"), "{}", by_name.text);
    let operator = search(json!({"filterGroups": [{"filters": [
        {"propertyName": "email", "operator": "GT", "value": "a"}]}]}))
    .await;
    assert_eq!(operator.status, 400);
    assert!(operator.text.contains("GT"));
    let not_json = app
        .call(admin(
            axum::http::Method::POST,
            &format!("{CONTACTS}/search"),
            Some("{".into()),
        ))
        .await;
    assert_eq!(not_json.status, 400);
}
