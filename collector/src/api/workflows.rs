//! Workflow definitions (issue 17, SPEC §7), admin only: `GET`/`POST /v1/workflows`,
//! `GET`/`PUT`/`DELETE /v1/workflows/{id}`. A definition is checked whole before it is stored
//! ([`Workflow::validate`]): every problem is listed in one 400, each naming its field (an
//! unknown event, a filter on an undefined property, a webhook URL to a private address…).
//!
//! The signing secret is made here, 32 random bytes as hex, when a workflow is created, and
//! kept when it is replaced; receivers verify signatures with it, so it is part of the answer
//! (the routes need the admin scope). Contacts are enrolled by [`crate::workflows::enroller`]
//! and listed at `/v1/workflows/{id}/enrollments`; running their steps (webhooks, delays) is
//! not built yet.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::openapi::schemas;
use crate::error::{ApiError, AppJson, ErrorDetail};
use crate::timestamp::now_ms;
use crate::workflows::{FieldError, Workflow};
use crate::AppState;

/// A 400 listing every problem of a definition.
fn refused(errors: Vec<FieldError>) -> ApiError {
    let details: Vec<ErrorDetail> = errors
        .into_iter()
        .map(|e| ErrorDetail::new("INVALID_FIELD", e.message).at(e.field))
        .collect();
    ApiError::Validation {
        message: match details.as_slice() {
            [one] => one.message.clone(),
            many => format!("the workflow has {} problems", many.len()),
        },
        errors: details,
    }
}

/// Checks `workflow` against the definitions and the collector's webhook policy.
fn check(state: &AppState, workflow: &Workflow) -> Result<(), ApiError> {
    workflow
        .validate(|name| state.store.definition(name), &state.webhooks)
        .map_err(refused)
}

fn read_id(id: &str) -> Result<u64, ApiError> {
    id.parse::<u64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| ApiError::NotFound(format!("no workflow \"{id}\" exists")))
}

/// `GET /v1/workflows`.
#[utoipa::path(
    get, path = "/v1/workflows", tag = "Workflows",
    operation_id = "listWorkflows",
    summary = "Every workflow, by id",
    responses((status = 200, description = "The workflows", body = schemas::WorkflowList)),
    security(("bearer" = ["admin"])),
)]
pub async fn list(State(state): State<AppState>) -> AppJson<Value> {
    let results: Vec<Value> = state
        .store
        .workflows()
        .iter()
        .map(|w| json!(w.as_ref()))
        .collect();
    AppJson(json!({ "results": results }))
}

/// `POST /v1/workflows` → 201.
#[utoipa::path(
    post, path = "/v1/workflows", tag = "Workflows",
    operation_id = "createWorkflow",
    summary = "Create a workflow (checked whole; its signing secret is made here)",
    request_body = schemas::Workflow,
    responses(
        (status = 201, description = "Created, with its id and secret", body = schemas::Workflow),
        (status = 400, description = "Every problem of the definition, each naming its field", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn create(
    State(state): State<AppState>,
    AppJson(mut workflow): AppJson<Workflow>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let now = now_ms();
    workflow.id = 0;
    workflow.secret = crate::random::hex(2);
    workflow.created_at = now;
    workflow.updated_at = now;
    check(&state, &workflow)?;
    let saved = state.store.save_workflow(workflow).await?;
    Ok((StatusCode::CREATED, AppJson(json!(saved.as_ref()))))
}

/// `GET /v1/workflows/{id}`.
#[utoipa::path(
    get, path = "/v1/workflows/{id}", tag = "Workflows",
    operation_id = "getWorkflow",
    summary = "One workflow",
    params(("id" = u64, Path, description = "The workflow")),
    responses(
        (status = 200, description = "The workflow", body = schemas::Workflow),
        (status = 404, description = "No such workflow", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<Value>, ApiError> {
    let id = read_id(&id)?;
    let workflow = state
        .store
        .workflow(id)
        .ok_or_else(|| ApiError::NotFound(format!("no workflow {id} exists")))?;
    Ok(AppJson(json!(workflow.as_ref())))
}

/// `PUT /v1/workflows/{id}`: replaces the definition (its id, secret and creation time stay).
#[utoipa::path(
    put, path = "/v1/workflows/{id}", tag = "Workflows",
    operation_id = "replaceWorkflow",
    summary = "Replace a workflow's definition (enable or disable it with `enabled`)",
    params(("id" = u64, Path, description = "The workflow")),
    request_body = schemas::Workflow,
    responses(
        (status = 200, description = "Replaced", body = schemas::Workflow),
        (status = 400, description = "Every problem of the definition, each naming its field", body = schemas::Error),
        (status = 404, description = "No such workflow", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(mut workflow): AppJson<Workflow>,
) -> Result<AppJson<Value>, ApiError> {
    let id = read_id(&id)?;
    let old = state
        .store
        .workflow(id)
        .ok_or_else(|| ApiError::NotFound(format!("no workflow {id} exists")))?;
    workflow.id = id;
    workflow.secret = old.secret.clone();
    workflow.created_at = old.created_at;
    workflow.updated_at = now_ms();
    check(&state, &workflow)?;
    let saved = state.store.save_workflow(workflow).await?;
    Ok(AppJson(json!(saved.as_ref())))
}

/// `DELETE /v1/workflows/{id}` → 204.
#[utoipa::path(
    delete, path = "/v1/workflows/{id}", tag = "Workflows",
    operation_id = "deleteWorkflow",
    summary = "Delete a workflow",
    params(("id" = u64, Path, description = "The workflow")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such workflow", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.store.delete_workflow(read_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/workflows/{id}/enrollments`: who enrolled, newest first (the last 100).
#[utoipa::path(
    get, path = "/v1/workflows/{id}/enrollments", tag = "Workflows",
    operation_id = "listWorkflowEnrollments",
    summary = "A workflow's enrollments, newest first (the last 100)",
    params(("id" = u64, Path, description = "The workflow")),
    responses(
        (status = 200, description = "The enrollments", body = schemas::EnrollmentList),
        (status = 404, description = "No such workflow", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn enrollments(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<Value>, ApiError> {
    let id = read_id(&id)?;
    if state.store.workflow(id).is_none() {
        return Err(ApiError::NotFound(format!("no workflow {id} exists")));
    }
    let results: Vec<Value> = state
        .store
        .enrollments(id, 100)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id, "contactId": e.contact, "eventType": e.event_name,
                "step": e.step, "state": e.state,
                "createdAt": crate::timestamp::format(e.created_at),
            })
        })
        .collect();
    Ok(AppJson(json!({ "results": results })))
}
