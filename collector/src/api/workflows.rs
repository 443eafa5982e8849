//! Workflow definitions (issue 17, SPEC §7), admin only: `GET`/`POST /v1/workflows`,
//! `GET`/`PUT`/`DELETE /v1/workflows/{id}`. A definition is checked whole before it is stored
//! ([`Workflow::validate`]): every problem is listed in one 400, each naming its field (an
//! unknown event, a filter on an undefined property, a webhook URL to a private address…).
//!
//! The signing secret is made here, 32 random bytes as hex, when a workflow is created, and
//! kept when it is replaced; receivers verify signatures with it, so it is part of the answer
//! (the routes need the admin scope). Contacts are enrolled by [`crate::workflows::enroller`]
//! and listed at `/v1/workflows/{id}/enrollments`; [`crate::workflows::runner`] runs their
//! steps, and `/v1/workflows/{id}/enrollments/{enrollment}` shows one with its history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::openapi::schemas;
use crate::error::{ApiError, AppJson, ErrorDetail};
use crate::store::{Enrollment, HistoryEntry};
use crate::timestamp::now_ms;
use crate::workflows::edit;
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
    AppJson(workflow): AppJson<Workflow>,
) -> Result<(StatusCode, AppJson<Value>), ApiError> {
    let workflow = edit::created(workflow, crate::random::hex(2), now_ms());
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
    AppJson(workflow): AppJson<Workflow>,
) -> Result<AppJson<Value>, ApiError> {
    let id = read_id(&id)?;
    let old = state
        .store
        .workflow(id)
        .ok_or_else(|| ApiError::NotFound(format!("no workflow {id} exists")))?;
    let workflow = edit::replacing(workflow, &old, now_ms());
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
        .iter()
        .map(enrollment_json)
        .collect();
    Ok(AppJson(json!({ "results": results })))
}

/// An enrollment as the API shows it.
pub fn enrollment_json(e: &Enrollment) -> Value {
    let at = |ms: Option<i64>| ms.map(crate::timestamp::format);
    let mut out = json!({
        "id": e.id, "contactId": e.contact, "eventType": e.event_name,
        "step": e.step, "state": e.state, "attempts": e.attempts,
        "createdAt": crate::timestamp::format(e.created_at),
    });
    if let Some(next) = at(e.wake_at).filter(|_| matches!(e.state.as_str(), "active" | "waiting")) {
        out["nextAt"] = json!(next);
    }
    if let Some(done) = at(e.finished_at) {
        out["finishedAt"] = json!(done);
    }
    if let Some(wait) = e
        .last_wait
        .as_deref()
        .and_then(|w| serde_json::from_str::<Value>(w).ok())
    {
        out["lastWait"] = wait;
    }
    out
}

/// A history line as the API shows it.
pub fn history_json(h: &HistoryEntry) -> Value {
    let mut out = json!({"step": h.step, "at": crate::timestamp::format(h.at), "kind": h.kind});
    if let Some(status) = h.status {
        out["status"] = json!(status);
    }
    if let Some(latency) = h.latency_ms {
        out["latencyMs"] = json!(latency);
    }
    if let Some(detail) = &h.detail {
        out["detail"] = json!(detail);
    }
    out
}

/// Workflow `id`'s enrollment `enrollment`, or a 404 naming which is missing.
async fn find_enrollment(
    state: &AppState,
    id: &str,
    enrollment: &str,
) -> Result<Enrollment, ApiError> {
    let id = read_id(id)?;
    let missing =
        || ApiError::NotFound(format!("workflow {id} has no enrollment \"{enrollment}\""));
    let number = enrollment.parse::<i64>().map_err(|_| missing())?;
    state
        .store
        .enrollment(number)
        .await?
        .filter(|e| e.workflow == id)
        .ok_or_else(missing)
}

/// `GET /v1/workflows/{id}/enrollments/{enrollment}`: one enrollment with its history.
#[utoipa::path(
    get, path = "/v1/workflows/{id}/enrollments/{enrollment}", tag = "Workflows",
    operation_id = "getWorkflowEnrollment",
    summary = "One enrollment with its history: each step, each webhook attempt's status and latency, the outcome",
    params(
        ("id" = u64, Path, description = "The workflow"),
        ("enrollment" = i64, Path, description = "The enrollment"),
    ),
    responses(
        (status = 200, description = "The enrollment", body = schemas::Enrollment),
        (status = 404, description = "No such workflow or enrollment", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn enrollment(
    State(state): State<AppState>,
    Path((id, enrollment)): Path<(String, String)>,
) -> Result<AppJson<Value>, ApiError> {
    let e = find_enrollment(&state, &id, &enrollment).await?;
    let history: Vec<Value> = state
        .store
        .enrollment_history(e.id)
        .await?
        .iter()
        .map(history_json)
        .collect();
    let mut out = enrollment_json(&e);
    out["history"] = json!(history);
    Ok(AppJson(out))
}

/// `POST /v1/workflows/{id}/enrollments/{enrollment}/replay`: a failed enrollment tries its
/// failed step again from its first attempt (a webhook is sent with the same idempotency key,
/// so a receiver that did handle it knows).
#[utoipa::path(
    post, path = "/v1/workflows/{id}/enrollments/{enrollment}/replay", tag = "Workflows",
    operation_id = "replayWorkflowEnrollment",
    summary = "Run a failed enrollment's failed step again",
    params(
        ("id" = u64, Path, description = "The workflow"),
        ("enrollment" = i64, Path, description = "The enrollment"),
    ),
    responses(
        (status = 200, description = "Scheduled now", body = schemas::Enrollment),
        (status = 404, description = "No such workflow or enrollment", body = schemas::Error),
        (status = 409, description = "The enrollment has not failed", body = schemas::Error),
    ),
    security(("bearer" = ["admin"])),
)]
pub async fn replay(
    State(state): State<AppState>,
    Path((id, enrollment)): Path<(String, String)>,
) -> Result<AppJson<Value>, ApiError> {
    let e = find_enrollment(&state, &id, &enrollment).await?;
    let refused = || {
        ApiError::Conflict(format!(
            "enrollment {} is {}; only a failed enrollment can be replayed",
            e.id, e.state
        ))
    };
    let change = edit::replay(&e, now_ms()).ok_or_else(refused)?;
    if state.store.change_steps(vec![change]).await? != [true] {
        return Err(refused());
    }
    let e = state.store.enrollment(e.id).await?.ok_or_else(refused)?;
    Ok(AppJson(enrollment_json(&e)))
}
