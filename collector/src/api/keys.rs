//! `/v1/keys`: named API keys with scopes (`read`, `send`, `definitions`, `admin`), created
//! and revoked by an admin, so that a back end that sends events, a dashboard that reads them
//! and a person who edits definitions each hold only what they need, and each can be revoked
//! alone. The secret is shown once, when the key is created; the store keeps its hash.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::openapi::schemas;
use crate::auth::{hash_secret, KEY_PREFIX};
use crate::error::{ApiError, AppJson};
use crate::scopes::Scope;
use crate::store::ApiKey;
use crate::timestamp::{self, now_ms};
use crate::AppState;

/// Longest key name.
const MAX_NAME: usize = 100;

/// Body of `POST /v1/keys`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct KeyBody {
    /// Says what the key is for, e.g. "billing back end"; 1 to 100 characters.
    #[schema(required = true)]
    name: Option<String>,
    /// One or more of `read`, `send`, `definitions`, `admin`.
    #[schema(required = true)]
    scopes: Option<Vec<String>>,
}

fn key_json(key: &ApiKey) -> Value {
    json!({
        "id": key.id,
        "name": key.name,
        "scopes": key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "hint": key.hint,
        "createdAt": timestamp::format(key.created_at),
    })
}

/// `POST /v1/keys` → 201 with the key and its secret (`key`), shown this once.
#[utoipa::path(
    post, path = "/v1/keys", tag = "API keys",
    operation_id = "createApiKey",
    summary = "Create an API key with scopes; its secret is shown once",
    request_body = KeyBody,
    responses(
        (status = 201, description = "Created; `key` is the secret, shown this once", body = schemas::NewApiKey),
        (status = 400, description = "A name or scope is invalid", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["admin"]))
)]
pub async fn create(
    State(state): State<AppState>,
    AppJson(body): AppJson<KeyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let name = body.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::field(
            "name",
            format!("name is required, 1 to {MAX_NAME} characters"),
        ));
    }
    let mut scopes = Vec::new();
    for text in body.scopes.unwrap_or_default() {
        let scope = Scope::parse(&text).ok_or_else(|| {
            ApiError::field(
                "scopes",
                format!("scope \"{text}\" is not one of read, send, definitions, admin"),
            )
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(ApiError::field(
            "scopes",
            "scopes must name at least one of read, send, definitions, admin",
        ));
    }
    scopes.sort();
    let secret = format!("{KEY_PREFIX}{}", crate::random::hex(2));
    let key = ApiKey {
        id: 0,
        name: name.to_owned(),
        scopes,
        hint: secret[secret.len() - 4..].to_owned(),
        created_at: now_ms(),
    };
    let key = state.store.create_key(key, hash_secret(&secret)).await?;
    let mut out = key_json(&key);
    out["key"] = json!(secret);
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// `GET /v1/keys` → `{"results":[key…]}`, without secrets.
#[utoipa::path(
    get, path = "/v1/keys", tag = "API keys",
    operation_id = "listApiKeys",
    summary = "Every API key (never its secret)",
    responses(
        (status = 200, description = "Oldest first", body = schemas::ApiKeyList),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["admin"]))
)]
pub async fn list(State(state): State<AppState>) -> AppJson<Value> {
    let keys: Vec<Value> = state.store.keys().iter().map(|k| key_json(k)).collect();
    AppJson(json!({ "results": keys }))
}

/// `DELETE /v1/keys/{id}` → 204: the key stops working at once.
#[utoipa::path(
    delete, path = "/v1/keys/{id}", tag = "API keys",
    operation_id = "revokeApiKey",
    summary = "Revoke an API key; it stops working at once",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such key", body = schemas::Error),
    ),
    security(("bearer" = ["admin"]))
)]
pub async fn revoke(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path
        .ok()
        .and_then(|Path(id)| id.parse::<i64>().ok())
        .ok_or_else(|| ApiError::NotFound("no such API key".into()))?;
    state.store.revoke_key(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
