//! `/v1/sites`: the sites (tenants) whose trackers may post beacons, and their allowed
//! origins. A site is `{"id","origins":[…],"publicKey","createdAt","updatedAt"}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;

use super::openapi::schemas;
use serde_json::{json, Value};

use crate::error::{ApiError, AppJson};
use crate::model::site::{normalize_origin, valid_id, MAX_ORIGINS};
use crate::model::Site;
use crate::AppState;

/// Body of POST (with `id`) and PUT (id from the path).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SiteBody {
    /// The site id (POST only): 1 to 64 of `A-Z a-z 0-9 _ - .`.
    id: Option<String>,
    /// 1 to 100 origins (`scheme://host[:port]`), or `*` for any origin and server-side posts.
    #[schema(required = true)]
    origins: Option<Vec<String>>,
}

fn site_json(site: &Site) -> Value {
    json!({
        "id": site.id,
        "origins": site.origins,
        "publicKey": site.public_key,
        "createdAt": crate::timestamp::format(site.created_at),
        "updatedAt": crate::timestamp::format(site.updated_at),
    })
}

fn origins(list: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let list = list.unwrap_or_default();
    if list.is_empty() || list.len() > MAX_ORIGINS {
        return Err(ApiError::field(
            "origins",
            format!("origins must list 1 to {MAX_ORIGINS} origins"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for origin in list {
        let normalized = normalize_origin(&origin).ok_or_else(|| {
            ApiError::field(
                "origins",
                format!("\"{origin}\" is not an origin (scheme://host[:port], or * for any)"),
            )
        })?;
        if !out.contains(&normalized) {
            out.push(normalized);
        }
    }
    Ok(out)
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::field(
            "id",
            format!("site id \"{id}\" must be 1-64 characters of A-Z a-z 0-9 _ - . starting with a letter or digit"),
        ))
    }
}

/// `GET /v1/sites` → `{"results":[site…]}`.
#[utoipa::path(
    get, path = "/v1/sites", tag = "Sites",
    operation_id = "listSites",
    summary = "Every site",
    responses(
        (status = 200, description = "By id", body = schemas::SiteList),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn list(State(state): State<AppState>) -> AppJson<Value> {
    let sites: Vec<Value> = state.store.sites().iter().map(|s| site_json(s)).collect();
    AppJson(json!({ "results": sites }))
}

/// `POST /v1/sites` with `{"id","origins"}` → 201; 409 if the id exists.
#[utoipa::path(
    post, path = "/v1/sites", tag = "Sites",
    operation_id = "createSite",
    summary = "Create a site with its allowed origins",
    request_body = SiteBody,
    responses(
        (status = 201, description = "Created", body = schemas::Site),
        (status = 400, description = "An id or origin is invalid", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 409, description = "The id exists", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn create(
    State(state): State<AppState>,
    AppJson(body): AppJson<SiteBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = body.id.unwrap_or_default();
    check_id(&id)?;
    let origins = origins(body.origins)?;
    let (site, _) = state.store.put_site(id, origins, true).await?;
    Ok((StatusCode::CREATED, AppJson(site_json(&site))))
}

/// `GET /v1/sites/{id}`.
#[utoipa::path(
    get, path = "/v1/sites/{site}", tag = "Sites",
    operation_id = "readSite",
    summary = "Read a site",
    params(("site" = String, Path, description = "The site id")),
    responses(
        (status = 200, description = "The site", body = schemas::Site),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such site", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<Value>, ApiError> {
    let site = state
        .store
        .site(&id)
        .ok_or_else(|| ApiError::NotFound(format!("site \"{id}\" does not exist")))?;
    Ok(AppJson(site_json(&site)))
}

/// `PUT /v1/sites/{id}` with `{"origins"}`: replaces the origins (the public key stays), or
/// creates the site (201).
#[utoipa::path(
    put, path = "/v1/sites/{site}", tag = "Sites",
    operation_id = "putSite",
    summary = "Replace a site's origins, or create the site",
    params(("site" = String, Path, description = "The site id")),
    request_body = SiteBody,
    responses(
        (status = 200, description = "Replaced", body = schemas::Site),
        (status = 201, description = "Created", body = schemas::Site),
        (status = 400, description = "An origin is invalid", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn put(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<SiteBody>,
) -> Result<impl IntoResponse, ApiError> {
    check_id(&id)?;
    if body.id.as_ref().is_some_and(|b| *b != id) {
        return Err(ApiError::field(
            "id",
            "the id in the body differs from the path",
        ));
    }
    let origins = origins(body.origins)?;
    let (site, created) = state.store.put_site(id, origins, false).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(site_json(&site))))
}

/// `DELETE /v1/sites/{id}` → 204.
#[utoipa::path(
    delete, path = "/v1/sites/{site}", tag = "Sites",
    operation_id = "deleteSite",
    summary = "Delete a site, its rules and its visualizer tokens",
    params(("site" = String, Path, description = "The site id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such site", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_site(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
