//! Changing an event from its page: add a property, edit one (label, description, options),
//! delete one, and delete the event after a confirmation that says what is lost. Every change
//! goes through the store's own checks (the API's), and its problems are shown on the page.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::html;

use super::wizard::{field, non_empty, parse_options, Fields};
use super::{allowed, allowed_form, page};
use crate::api::definition_body::{self, Problems, PropertyBody};
use crate::model::{DefinitionChange, EventDefinition, PropertyType};
use crate::scopes::Scope;
use crate::store::{EventQuery, StoreError};
use crate::timestamp::now_ms;
use crate::AppState;

/// `POST /app/events/{name}/properties`: adds a property.
pub async fn add_property(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, field(&fields, "csrf"), Scope::Definitions).await
    {
        return r;
    }
    let mut problems = Problems::default();
    let property = definition_body::property(
        PropertyBody {
            name: non_empty(field(&fields, "name")),
            label: non_empty(field(&fields, "label")),
            description: non_empty(field(&fields, "description")),
            kind: non_empty(field(&fields, "type")),
            options: non_empty(field(&fields, "options")).map(|o| parse_options(&o)),
        },
        "",
        now_ms(),
        &mut problems,
    );
    if let Some(message) = problems.first_message() {
        return page::error(
            StatusCode::BAD_REQUEST,
            &format!("The property was not added: {message}."),
        );
    }
    match state
        .store
        .change_definition(name.clone(), DefinitionChange::AddProperty(property))
        .await
    {
        Ok(_) => page::see_other(&format!("/app/events/{name}#props")),
        Err(e) => page::store_error(e),
    }
}

/// `GET /app/events/{name}/properties/{property}`: the edit form of a property.
pub async fn edit_property(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path((name, property)): Path<(String, String)>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(def) = state.store.definition(&name) else {
        return page::no_event(&name);
    };
    let Some(p) = def.property(&property) else {
        return page::error(
            StatusCode::NOT_FOUND,
            &format!("The event has no property \u{201c}{property}\u{201d}."),
        );
    };
    let options: Vec<String> = p
        .options
        .iter()
        .map(|o| format!("{} = {}", o.label, o.value))
        .collect();
    let body = html! {
        p { "Of the event " a href=(format!("/app/events/{}", def.name)) { (def.label) } "; internal name " code { (p.name) } ", type " (p.kind.as_str()) " (neither can change)." }
        form.card method="post" action=(format!("/app/events/{}/properties/{}", def.name, p.name)) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            label for="label" { "Label" }
            input #label name="label" value=(p.label) required;
            label for="description" { "Description" }
            textarea #description name="description" rows="2" { (p.description.clone().unwrap_or_default()) }
            @if p.kind == PropertyType::Enumeration {
                label for="options" { "Options, a line each: Label = value" }
                textarea #options name="options" rows="5" { (options.join("\n")) }
            }
            button.primary type="submit" { "Save the property" }
        }
    };
    page::page(
        &format!("Edit {}", p.label),
        "/app/events",
        &signed.session,
        body,
    )
}

/// `POST /app/events/{name}/properties/{property}`: saves the edit form.
pub async fn update_property(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, property)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, field(&fields, "csrf"), Scope::Definitions).await
    {
        return r;
    }
    let mut problems = Problems::default();
    let label = definition_body::label(
        Some(field(&fields, "label")),
        "label",
        definition_body::MAX_PROPERTY_LABEL,
        &mut problems,
    );
    let options = fields.iter().any(|(k, _)| k == "options").then(|| {
        definition_body::options(
            parse_options(field(&fields, "options")),
            "options",
            &mut problems,
        )
    });
    if let Some(message) = problems.first_message() {
        return page::error(
            StatusCode::BAD_REQUEST,
            &format!("The property was not saved: {message}."),
        );
    }
    let change = DefinitionChange::UpdateProperty {
        name: property,
        label: Some(label),
        description: Some(non_empty(field(&fields, "description"))),
        options,
    };
    match state.store.change_definition(name.clone(), change).await {
        Ok(_) => page::see_other(&format!("/app/events/{name}#props")),
        Err(e) => page::store_error(e),
    }
}

/// `POST /app/events/{name}/properties/{property}/delete`.
pub async fn delete_property(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, property)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, field(&fields, "csrf"), Scope::Definitions).await
    {
        return r;
    }
    match state
        .store
        .change_definition(name.clone(), DefinitionChange::RemoveProperty(property))
        .await
    {
        Ok(_) => page::see_other(&format!("/app/events/{name}#props")),
        Err(e) => page::store_error(e),
    }
}

/// `GET /app/events/{name}/delete`: what deleting loses, and the button.
pub async fn confirm_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(def) = state.store.definition(&name) else {
        return page::no_event(&name);
    };
    let stored = count_completions(&state, &def).await;
    let rules: Vec<String> = state
        .store
        .sites()
        .iter()
        .filter_map(|site| state.store.rules(&site.id))
        .flat_map(|set| {
            set.rules
                .iter()
                .filter(|r| r.event_name == def.name)
                .map(|r| format!("{} (site {})", r.label, r.site))
                .collect::<Vec<_>>()
        })
        .collect();
    let body = html! {
        div.error role="alert" {
            p { "Deleting " strong { (def.label) } " (" code { (def.name) } ") also deletes:" }
            ul {
                li { (stored) " stored completion(s), for good" }
                @if !rules.is_empty() {
                    li { "the auto-tracking rule(s) that record it: " (rules.join(", ")) }
                }
            }
            p { "Trackers that still send it afterwards have their events held, not stored." }
        }
        form method="post" action=(format!("/app/events/{}/delete", def.name)) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            button.primary type="submit" { "Delete the event" }
            " "
            a.button href=(format!("/app/events/{}", def.name)) { "Keep it" }
        }
    };
    page::page(
        &format!("Delete {}?", def.label),
        "/app/events",
        &signed.session,
        body,
    )
}

/// How many completions of `def` are stored (counted a page at a time, up to a bound).
async fn count_completions(state: &AppState, def: &EventDefinition) -> String {
    const BOUND: usize = 100_000;
    let mut n = 0;
    let mut after = None;
    loop {
        let Ok(page) = state
            .store
            .events(EventQuery {
                object: None,
                name: Some(def.name.clone()),
                occurred_after: None,
                occurred_before: None,
                property: None,
                descending: false,
                after,
                limit: 1000,
            })
            .await
        else {
            return "its".to_owned();
        };
        n += page.events.len();
        match page.next {
            Some(next) if n < BOUND => after = Some(next),
            Some(_) => return format!("more than {}", super::page::thousands(BOUND as u64)),
            None => return super::page::thousands(n as u64),
        }
    }
}

/// `POST /app/events/{name}/delete`: deletes the event, its completions and its rules.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, field(&fields, "csrf"), Scope::Definitions).await
    {
        return r;
    }
    match state.store.delete_definition(name, true).await {
        Ok(_) => page::see_other("/app/events?deleted=1"),
        Err(StoreError::NotFound(what)) => page::error(StatusCode::NOT_FOUND, &what),
        Err(e) => page::store_error(e),
    }
}
