//! `/events/v3/event-definitions`: create, list, read, edit and delete event definitions and
//! their properties (HubSpot's paths and shapes), plus `…/{eventName}/snippet`, the
//! ready-to-paste JS call ("JS code" creation, SPEC §2).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::definition_body::{
    self as body, DefinitionBody, Problems, PropertyBody, MAX_EVENT_LABEL, MAX_PROPERTY_LABEL,
};
use super::openapi::schemas;
use super::{bounded, cursor};
use crate::error::{ApiError, AppJson};
use crate::model::{DefinitionChange, EventDefinition, Rule};
use crate::store::StoreError;
use crate::timestamp::now_ms;
use crate::validate::strip_portal_prefix;
use crate::AppState;

/// The definition a path names, by name or HubSpot's fully qualified name.
fn find(state: &AppState, event: &str) -> Result<Arc<EventDefinition>, ApiError> {
    state
        .store
        .definition(event)
        .or_else(|| strip_portal_prefix(event).and_then(|name| state.store.definition(name)))
        .ok_or_else(|| ApiError::NotFound(format!("event definition \"{event}\" does not exist")))
}

/// `POST /events/v3/event-definitions` → 201 with the definition; 409 if the name exists.
#[utoipa::path(
    post, path = "/events/v3/event-definitions", tag = "Event definitions",
    operation_id = "createEventDefinition",
    summary = "Create an event definition",
    request_body = DefinitionBody,
    responses(
        (status = 201, description = "Created", body = schemas::Definition),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 409, description = "A definition of that name exists", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn create(
    State(state): State<AppState>,
    AppJson(req): AppJson<DefinitionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let def = body::new_definition(req, now_ms())?;
    let def = state.store.create_definition(def).await?;
    Ok((
        StatusCode::CREATED,
        AppJson(body::definition_json(&def, true)),
    ))
}

/// `GET /events/v3/event-definitions?limit&after&searchString&includeProperties` →
/// `{"total","results":[…],"paging":{"next":{"after"}}}`, by name.
#[utoipa::path(
    get, path = "/events/v3/event-definitions", tag = "Event definitions",
    operation_id = "listEventDefinitions",
    summary = "List event definitions, by name",
    params(
        ("limit" = Option<usize>, Query, description = "Page size, 1 to 500 (default 100)"),
        ("after" = Option<String>, Query, description = "The cursor of the previous page's `paging.next.after`"),
        ("searchString" = Option<String>, Query, description = "Only definitions whose name or label contains this (any case)"),
        ("includeProperties" = Option<bool>, Query, description = "false leaves out every definition's properties (default true)"),
    ),
    responses(
        (status = 200, description = "A page of definitions", body = schemas::DefinitionPage),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<AppJson<Value>, ApiError> {
    let limit = bounded(q.get("limit"), "limit", 100, 1, 500)?;
    let after = q.get("after").map(|c| cursor::decode(c)).transpose()?;
    let include_properties = q.get("includeProperties").is_none_or(|v| v != "false");
    let search = q.get("searchString").map(|s| s.to_lowercase());
    let matching: Vec<_> = state
        .store
        .definitions()
        .into_iter()
        .filter(|d| {
            search
                .as_deref()
                .is_none_or(|s| d.name.contains(s) || d.label.to_lowercase().contains(s))
        })
        .collect();
    let page: Vec<_> = matching
        .iter()
        .filter(|d| after.as_deref().is_none_or(|a| d.name.as_str() > a))
        .take(limit + 1)
        .collect();
    let mut out = json!({
        "total": matching.len(),
        "results": page.iter().take(limit).map(|d| body::definition_json(d, include_properties)).collect::<Vec<_>>(),
    });
    if page.len() > limit {
        out["paging"] = json!({ "next": { "after": cursor::encode(&page[limit - 1].name) } });
    }
    Ok(AppJson(out))
}

/// `GET /events/v3/event-definitions/{eventName}`.
#[utoipa::path(
    get, path = "/events/v3/event-definitions/{eventName}", tag = "Event definitions",
    operation_id = "readEventDefinition",
    summary = "Read an event definition",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`")),
    responses(
        (status = 200, description = "The definition", body = schemas::Definition),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event definition", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn read(
    State(state): State<AppState>,
    Path(event): Path<String>,
) -> Result<AppJson<Value>, ApiError> {
    let def = find(&state, &event)?;
    Ok(AppJson(body::definition_json(&def, true)))
}

/// `PATCH /events/v3/event-definitions/{eventName}` with `label` and/or `description`; the
/// name and the primary object cannot change.
#[utoipa::path(
    patch, path = "/events/v3/event-definitions/{eventName}", tag = "Event definitions",
    operation_id = "updateEventDefinition",
    summary = "Change an event's label or description",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`")),
    request_body = DefinitionBody,
    responses(
        (status = 200, description = "The definition as it now is", body = schemas::Definition),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event definition", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn update(
    State(state): State<AppState>,
    Path(event): Path<String>,
    AppJson(req): AppJson<DefinitionBody>,
) -> Result<AppJson<Value>, ApiError> {
    let def = find(&state, &event)?;
    let mut problems = Problems::default();
    if req.name.as_ref().is_some_and(|n| *n != def.name) {
        problems.add(
            "name",
            "an event's name cannot change; create a new definition",
        );
    }
    if req
        .primary_object
        .as_deref()
        .is_some_and(|p| p != def.primary_object.as_str())
    {
        problems.add("primaryObject", "an event's primary object cannot change");
    }
    if req.property_definitions.is_some() {
        problems.add(
            "propertyDefinitions",
            "edit properties through …/{eventName}/property",
        );
    }
    let label = req
        .label
        .as_deref()
        .map(|l| body::label(Some(l), "label", MAX_EVENT_LABEL, &mut problems));
    problems.finish()?;
    let change = DefinitionChange::Relabel {
        label,
        description: req.description.map(|d| Some(d).filter(|d| !d.is_empty())),
    };
    let def = state
        .store
        .change_definition(def.name.clone(), change)
        .await?;
    Ok(AppJson(body::definition_json(&def, true)))
}

/// Query of a definition's deletion.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteQuery {
    delete_rules: Option<String>,
}

/// Most rules a 409 names one by one; it counts the rest.
const RULES_NAMED: usize = 10;

/// `DELETE /events/v3/event-definitions/{eventName}` → 204; its completions go too. While
/// auto-tracking rules fire the event, 409 naming them, unless `?deleteRules=true`, which
/// deletes them with it (trackers stop firing them at their next rule-list fetch).
#[utoipa::path(
    delete, path = "/events/v3/event-definitions/{eventName}", tag = "Event definitions",
    operation_id = "deleteEventDefinition",
    summary = "Delete an event definition and its completions",
    params(
        ("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`"),
        ("deleteRules" = Option<bool>, Query, description = "true deletes the auto-tracking rules that fire the event with it (default false: 409 while there are some)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event definition", body = schemas::Error),
        (status = 409, description = "Auto-tracking rules fire the event; the message names them", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(event): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let with_rules = match q.delete_rules.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::field(
                "deleteRules",
                "deleteRules must be true or false",
            ))
        }
    };
    let def = find(&state, &event)?;
    match state
        .store
        .delete_definition(def.name.clone(), with_rules)
        .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::RulesFire(rules)) => Err(ApiError::Conflict(rules_fire(&def.name, &rules))),
        Err(other) => Err(other.into()),
    }
}

/// "event "x" is fired by 2 auto-tracking rules: rule 3 "Buy" of site "shop", …".
fn rules_fire(event: &str, rules: &[Arc<Rule>]) -> String {
    let mut named: Vec<String> = rules
        .iter()
        .take(RULES_NAMED)
        .map(|r| format!("rule {} \"{}\" of site \"{}\"", r.id, r.label, r.site))
        .collect();
    if rules.len() > RULES_NAMED {
        named.push(format!("and {} more", rules.len() - RULES_NAMED));
    }
    format!(
        "event \"{event}\" is fired by {} auto-tracking rule{}: {}; delete {} first (DELETE /v1/sites/{{site}}/rules/{{id}}), or delete the definition with `?deleteRules=true`",
        rules.len(),
        if rules.len() == 1 { "" } else { "s" },
        named.join(", "),
        if rules.len() == 1 { "it" } else { "them" },
    )
}

/// `GET /events/v3/event-definitions/{eventName}/snippet` → `text/plain` JS.
#[utoipa::path(
    get, path = "/events/v3/event-definitions/{eventName}/snippet", tag = "Event definitions",
    operation_id = "readEventSnippet",
    summary = "The JavaScript call to paste, every property filled with an example",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`")),
    responses(
        (status = 200, description = "JavaScript", body = String, content_type = "text/plain"),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event definition", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn snippet(
    State(state): State<AppState>,
    Path(event): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let def = find(&state, &event)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body::snippet(&def),
    ))
}

/// `POST /events/v3/event-definitions/{eventName}/property` → 201 with the property.
#[utoipa::path(
    post, path = "/events/v3/event-definitions/{eventName}/property", tag = "Event definitions",
    operation_id = "addEventProperty",
    summary = "Add a property to an event",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`")),
    request_body = PropertyBody,
    responses(
        (status = 201, description = "The property", body = schemas::Property),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event definition", body = schemas::Error),
        (status = 409, description = "The event has a property of that name", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn add_property(
    State(state): State<AppState>,
    Path(event): Path<String>,
    AppJson(req): AppJson<PropertyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let def = find(&state, &event)?;
    let mut problems = Problems::default();
    let property = body::property(req, "", now_ms(), &mut problems);
    problems.finish()?;
    let name = property.name.clone();
    let def = state
        .store
        .change_definition(def.name.clone(), DefinitionChange::AddProperty(property))
        .await?;
    let added = def
        .property(&name)
        .map(body::property_json)
        .unwrap_or(Value::Null);
    Ok((StatusCode::CREATED, AppJson(added)))
}

/// Body of a property update: label, description and options may change, the type not.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PropertyUpdate {
    /// The property (the body form only; must match the path's otherwise).
    name: Option<String>,
    /// Shown to people; 1 to 50 characters.
    label: Option<String>,
    /// Help text.
    description: Option<String>,
    /// The property's type, if given, must be the one it has.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// An enumeration's new options (all of them).
    options: Option<Vec<body::OptionBody>>,
}

/// `PATCH /events/v3/event-definitions/{eventName}/property/{propertyName}`.
#[utoipa::path(
    patch, path = "/events/v3/event-definitions/{eventName}/property/{propertyName}", tag = "Event definitions",
    operation_id = "updateEventProperty",
    summary = "Change a property's label, description or options",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`"), ("propertyName" = String, Path, description = "The property's internal name")),
    request_body = PropertyUpdate,
    responses(
        (status = 200, description = "The property as it now is", body = schemas::Property),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event or property", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn update_property(
    State(state): State<AppState>,
    Path((event, property)): Path<(String, String)>,
    AppJson(req): AppJson<PropertyUpdate>,
) -> Result<AppJson<Value>, ApiError> {
    change_property(&state, &event, property, req).await
}

/// `PATCH /events/v3/event-definitions/{eventName}/property` with the property's `name` in
/// the body (the form HubSpot's guide shows).
#[utoipa::path(
    patch, path = "/events/v3/event-definitions/{eventName}/property", tag = "Event definitions",
    operation_id = "updateEventPropertyByBody",
    summary = "Change a property named in the body (HubSpot's form)",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`")),
    request_body = PropertyUpdate,
    responses(
        (status = 200, description = "The property as it now is", body = schemas::Property),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event or property", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn update_property_by_body(
    State(state): State<AppState>,
    Path(event): Path<String>,
    AppJson(req): AppJson<PropertyUpdate>,
) -> Result<AppJson<Value>, ApiError> {
    let Some(property) = req.name.clone() else {
        return Err(ApiError::field(
            "name",
            "name is required: which property to update",
        ));
    };
    change_property(&state, &event, property, req).await
}

async fn change_property(
    state: &AppState,
    event: &str,
    name: String,
    req: PropertyUpdate,
) -> Result<AppJson<Value>, ApiError> {
    let def = find(state, event)?;
    let Some(current) = def.property(&name) else {
        return Err(ApiError::NotFound(format!(
            "event \"{}\" has no property \"{name}\"",
            def.name
        )));
    };
    let mut problems = Problems::default();
    if req.name.as_ref().is_some_and(|n| *n != name) {
        problems.add("name", "a property's name cannot change");
    }
    if req
        .kind
        .as_deref()
        .is_some_and(|k| k != current.kind.as_str())
    {
        problems.add(
            "type",
            "a property's type cannot change; delete it and add it again",
        );
    }
    let label = req
        .label
        .as_deref()
        .map(|l| body::label(Some(l), "label", MAX_PROPERTY_LABEL, &mut problems));
    let options = req
        .options
        .map(|list| body::options(list, "options", &mut problems));
    problems.finish()?;
    let change = DefinitionChange::UpdateProperty {
        name: name.clone(),
        label,
        description: req.description.map(|d| Some(d).filter(|d| !d.is_empty())),
        options,
    };
    let def = state
        .store
        .change_definition(def.name.clone(), change)
        .await?;
    Ok(AppJson(
        def.property(&name)
            .map(body::property_json)
            .unwrap_or(Value::Null),
    ))
}

/// `DELETE /events/v3/event-definitions/{eventName}/property/{propertyName}` → 204; stored
/// completions keep their values.
#[utoipa::path(
    delete, path = "/events/v3/event-definitions/{eventName}/property/{propertyName}", tag = "Event definitions",
    operation_id = "deleteEventProperty",
    summary = "Delete a property (stored completions keep their values)",
    params(("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`"), ("propertyName" = String, Path, description = "The property's internal name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event or property", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn delete_property(
    State(state): State<AppState>,
    Path((event, property)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let def = find(&state, &event)?;
    state
        .store
        .change_definition(def.name.clone(), DefinitionChange::RemoveProperty(property))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
