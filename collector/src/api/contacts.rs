//! HubSpot's CRM contact reads, in HubSpot's shapes: `GET /crm/v3/objects/contacts/{id}`
//! (also `?idProperty=email`), the list paged by `after`, and `POST …/contacts/search` by
//! email. Contacts are created by the completions that name them and by imports, which also
//! set their properties; these endpoints only read.
//!
//! A contact's `properties` are what imports set (`firstname`, `company`…) and HubSpot's
//! defaults: `email`, `hs_object_id`, `createdate`, `lastmodifieddate`. With `properties=a,b`
//! only those are shown, with the defaults, as HubSpot does.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use super::bounded;
use super::openapi::schemas;
use crate::error::{ApiError, AppJson};
use crate::store::{ContactKey, ContactRecord, ContactRecordQuery};
use crate::timestamp;
use crate::validate::normalize_email;
use crate::AppState;

/// Page size unless `limit` says otherwise, and its bounds (HubSpot's: 10, at most 100).
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

/// A contact in HubSpot's shape, with only `wanted` properties when given (and the defaults).
fn contact_json(c: &ContactRecord, wanted: Option<&[String]>) -> Value {
    let mut properties = Map::new();
    for (name, value) in &c.properties {
        if wanted.is_none_or(|w| w.contains(name)) {
            properties.insert(name.clone(), Value::String(value.clone()));
        }
    }
    let created = timestamp::format(c.created_at);
    let updated = timestamp::format(c.updated_at);
    properties.insert(
        "email".into(),
        c.email.clone().map(Value::String).unwrap_or(Value::Null),
    );
    properties.insert("hs_object_id".into(), Value::String(c.id.to_string()));
    properties.insert("createdate".into(), Value::String(created.clone()));
    properties.insert("lastmodifieddate".into(), Value::String(updated.clone()));
    json!({
        "id": c.id.to_string(),
        "properties": properties,
        "createdAt": created,
        "updatedAt": updated,
        "archived": false,
    })
}

/// `properties=a,b` as a list.
fn wanted(q: &HashMap<String, String>) -> Option<Vec<String>> {
    q.get("properties").map(|p| {
        p.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// `GET /crm/v3/objects/contacts/{contactId}`.
#[utoipa::path(
    get, path = "/crm/v3/objects/contacts/{contactId}", tag = "Contacts",
    operation_id = "getContact",
    summary = "Read one contact by id, or by email with idProperty=email (HubSpot's shape)",
    params(
        ("contactId" = String, Path, description = "The contact's id, or its email with `idProperty=email`"),
        ("idProperty" = Option<String>, Query, description = "`email` to read `contactId` as an email"),
        ("properties" = Option<String>, Query, description = "Comma-separated properties to show (the defaults always are)"),
    ),
    responses(
        (status = 200, description = "The contact", body = schemas::Contact),
        (status = 400, description = "The id or email is malformed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such contact", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<AppJson<Value>, ApiError> {
    let key = match q.get("idProperty").map(String::as_str) {
        None | Some("hs_object_id") => ContactKey::Id(
            id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| {
                ApiError::field("contactId", format!("contact id \"{id}\" is not a positive integer; to read by email, add idProperty=email"))
            })?,
        ),
        Some("email") => ContactKey::Email(normalize_email(&id).ok_or_else(|| {
            ApiError::field("contactId", format!("\"{id}\" is not an email address"))
        })?),
        Some(other) => {
            return Err(ApiError::field(
                "idProperty",
                format!("idProperty \"{other}\" is not supported: use email or hs_object_id"),
            ))
        }
    };
    let found = state.store.contact_record(key).await?;
    let contact = found.ok_or_else(|| ApiError::NotFound(format!("no contact \"{id}\" exists")))?;
    Ok(AppJson(contact_json(&contact, wanted(&q).as_deref())))
}

/// `after` as the id the next page starts after.
fn after_id(after: Option<&str>) -> Result<i64, ApiError> {
    match after {
        None => Ok(0),
        Some(a) => {
            a.parse::<i64>().ok().filter(|i| *i >= 0).ok_or_else(|| {
                ApiError::field("after", "after is not a cursor this server returned")
            })
        }
    }
}

/// A page as HubSpot answers it: `results`, and `paging.next.after` when there is more.
fn page(records: &[ContactRecord], limit: usize, wanted: Option<&[String]>) -> Value {
    let results: Vec<Value> = records.iter().map(|c| contact_json(c, wanted)).collect();
    let mut out = json!({ "results": results });
    if records.len() == limit {
        if let Some(last) = records.last() {
            out["paging"] = json!({ "next": { "after": last.id.to_string() } });
        }
    }
    out
}

/// `GET /crm/v3/objects/contacts`.
#[utoipa::path(
    get, path = "/crm/v3/objects/contacts", tag = "Contacts",
    operation_id = "listContacts",
    summary = "List contacts by id, paged (HubSpot's shape)",
    params(
        ("limit" = Option<usize>, Query, description = "Page size, 1 to 100 (default 10)"),
        ("after" = Option<String>, Query, description = "The previous page's `paging.next.after`"),
        ("properties" = Option<String>, Query, description = "Comma-separated properties to show (the defaults always are)"),
    ),
    responses(
        (status = 200, description = "A page of contacts", body = schemas::ContactPage),
        (status = 400, description = "A parameter is malformed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<AppJson<Value>, ApiError> {
    let limit = bounded(q.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?;
    let (records, _) = state
        .store
        .contact_records(ContactRecordQuery {
            after: after_id(q.get("after").map(String::as_str))?,
            limit,
            ..ContactRecordQuery::default()
        })
        .await?;
    Ok(AppJson(page(&records, limit, wanted(&q).as_deref())))
}

/// The body of a search, as HubSpot's clients send it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchInput {
    /// Groups of filters; this collector searches by email: one group with one filter on
    /// `email`, operator `EQ` or `CONTAINS_TOKEN` (`*` at either end for a part of it).
    #[serde(default)]
    filter_groups: Vec<FilterGroup>,
    /// Properties to show (the defaults always are).
    properties: Option<Vec<String>>,
    /// Page size, 1 to 100 (default 10).
    limit: Option<usize>,
    /// The previous page's `paging.next.after`.
    after: Option<String>,
}

/// Filters that must all hold.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FilterGroup {
    #[serde(default)]
    filters: Vec<Filter>,
}

/// One condition.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    property_name: String,
    operator: String,
    value: Option<String>,
}

/// `POST /crm/v3/objects/contacts/search`.
#[utoipa::path(
    post, path = "/crm/v3/objects/contacts/search", tag = "Contacts",
    operation_id = "searchContacts",
    summary = "Search contacts by email (HubSpot's shape)",
    request_body = SearchInput,
    responses(
        (status = 200, description = "The matching contacts, paged, with their total", body = schemas::ContactSearchPage),
        (status = 400, description = "A filter this collector cannot apply, named", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn search(
    State(state): State<AppState>,
    AppJson(input): AppJson<SearchInput>,
) -> Result<AppJson<Value>, ApiError> {
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("limit must be an integer from 1 to {MAX_LIMIT}"),
        ));
    }
    let mut query = ContactRecordQuery {
        after: after_id(input.after.as_deref())?,
        limit,
        ..ContactRecordQuery::default()
    };
    let filters: Vec<&Filter> = input
        .filter_groups
        .iter()
        .flat_map(|g| &g.filters)
        .collect();
    if input.filter_groups.len() > 1 {
        return Err(ApiError::field(
            "filterGroups",
            "this collector searches contacts with one filter group",
        ));
    }
    for (i, f) in filters.iter().enumerate() {
        let at = format!("filterGroups[0].filters[{i}]");
        if f.property_name != "email" {
            return Err(ApiError::field(
                &format!("{at}.propertyName"),
                format!(
                    "contacts are searched by email; \"{}\" cannot be searched",
                    f.property_name
                ),
            ));
        }
        let value = f.value.as_deref().unwrap_or("").trim().to_lowercase();
        match f.operator.as_str() {
            "EQ" => query.email_is = Some(normalize_email(&value).unwrap_or(value)),
            "CONTAINS_TOKEN" => {
                let part = value.trim_matches('*').to_owned();
                if part.is_empty() {
                    return Err(ApiError::field(
                        &format!("{at}.value"),
                        "CONTAINS_TOKEN needs a value",
                    ));
                }
                query.email_contains = Some(part);
            }
            other => {
                return Err(ApiError::field(
                    &format!("{at}.operator"),
                    format!(
                        "operator \"{other}\" is not supported on email: use EQ or CONTAINS_TOKEN"
                    ),
                ))
            }
        }
    }
    let (records, total) = state.store.contact_records(query).await?;
    let mut out = page(&records, limit, input.properties.as_deref());
    out["total"] = json!(total);
    Ok(AppJson(out))
}
