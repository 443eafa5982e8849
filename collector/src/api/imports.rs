//! Spreadsheet imports over HTTP (SPEC §6, [`crate::import`]):
//!
//! * `POST /v1/imports` — a multipart upload: `file`, `event`, and optionally `sheet`,
//!   `language` (`en`, `fr`, `da`), and to start at once `mapping` (a JSON array of column
//!   targets), `dateFormat`, `timeZone`, `enrollInWorkflows=false` with `start=true`. The file is streamed to disk (never
//!   held in memory), hashed as it goes, and refused past `--import-max-bytes`. Answers 201
//!   with the job: its header and proposed mapping (a draft), or 202 when started.
//! * `POST /v1/imports/{id}/start` — starts a draft with its mapping, date format and zone
//!   (JSON); a mapping without the email or "occurred at" column is refused here, before any
//!   row is read.
//! * `GET /v1/imports[/{id}]` — status: bytes and rows read, stored, refused, rows per second,
//!   time left, state.
//! * `POST /v1/imports/{id}/cancel` — stops it; the rows stored so far stay.
//! * `GET /v1/imports/{id}/refused.csv` — the refused rows with their line, column and
//!   reason, to fix and import again.
//!
//! The upload is exempt from the 30-second request timeout and the 1 MiB body limit that
//! every other request has (see [`crate::layers::is_upload`]); its own limit is
//! `--import-max-bytes`.

use std::collections::BTreeMap;
use std::io::Write;

use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::openapi::schemas;
use crate::auth::hex;
use crate::error::{ApiError, AppJson};
use crate::import::{ImportStatus, Imports, JobError, StartOptions};
use crate::timestamp::now_ms;
use crate::AppState;

impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        match e {
            JobError::NotFound(m) => ApiError::NotFound(m),
            JobError::Invalid(m) => ApiError::field("import", m),
            JobError::Conflict(m) => ApiError::Conflict(m),
            JobError::Io(m) => ApiError::Internal(m),
        }
    }
}

/// An upload received: the file saved in a new job's directory, and the form's text fields.
pub(crate) struct Upload {
    /// The job's id (its directory holds the file).
    pub id: String,
    /// The file's name as the browser sent it (without any path).
    pub name: String,
    /// SHA-256 of its bytes, hex.
    pub hash: String,
    /// Every other field, trimmed; empty ones left out.
    pub fields: BTreeMap<String, String>,
}

/// Why an upload was not received; nothing of it is kept.
#[derive(Debug)]
pub(crate) enum Refused {
    /// Past `--import-max-bytes`.
    TooLarge(u64),
    /// The form is not what an import needs: (field, what is wrong).
    Bad(&'static str, String),
    /// The data directory failed.
    Internal(String),
}

impl Refused {
    /// For a person.
    pub fn message(&self) -> String {
        match self {
            Refused::TooLarge(limit) => {
                format!("The file is larger than the import limit of {limit} bytes.")
            }
            Refused::Bad(_, m) | Refused::Internal(m) => m.clone(),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::TooLarge(limit) => ApiError::FileTooLarge(limit),
            Refused::Bad(field, m) => ApiError::field(field, m),
            Refused::Internal(m) => ApiError::Internal(m),
        }
    }
}

/// Reads a multipart form: the `file` part streamed to a new job's directory (hashed as it
/// goes, refused past `imports.max_bytes`), the other parts as text. Used by the API and by
/// the app's import page.
pub(crate) async fn receive(
    imports: &Imports,
    mut multipart: Multipart,
) -> Result<Upload, Refused> {
    let mut fields = BTreeMap::new();
    let mut file: Option<(String, String, String)> = None;
    let outcome = async {
        loop {
            let mut field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => return Ok(()),
                Err(e) => return Err(Refused::Bad("body", format!("not a multipart form: {e}"))),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                if file.is_some() {
                    return Err(Refused::Bad("file", "one file per import".into()));
                }
                let file_name = field
                    .file_name()
                    .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| Refused::Bad("file", "choose a file to import".into()))?;
                let (id, path) = imports
                    .new_upload(&file_name)
                    .map_err(|e| Refused::Internal(e.to_string()))?;
                // Known from here on, so that a failure below removes it.
                file = Some((id, file_name, String::new()));
                let hash = save(&path, &mut field, imports.max_bytes).await?;
                if let Some(f) = file.as_mut() {
                    f.2 = hash;
                }
                continue;
            }
            let text = field.text().await.map_err(|e| {
                Refused::Bad("body", format!("the field {name} is unreadable: {e}"))
            })?;
            if !text.trim().is_empty() {
                fields.insert(name, text.trim().to_owned());
            }
        }
    }
    .await;
    match (outcome, file) {
        (Ok(()), Some((id, name, hash))) => Ok(Upload {
            id,
            name,
            hash,
            fields,
        }),
        (Ok(()), None) => Err(Refused::Bad("file", "choose a file to import".into())),
        (Err(e), file) => {
            if let Some((id, _, _)) = file {
                imports.discard(&id);
            }
            Err(e)
        }
    }
}

/// Streams a file part to `path`; its SHA-256 (hex).
async fn save(
    path: &std::path::Path,
    field: &mut axum::extract::multipart::Field<'_>,
    max_bytes: u64,
) -> Result<String, Refused> {
    let mut out = std::fs::File::create(path).map_err(|e| Refused::Internal(e.to_string()))?;
    let mut hash = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| Refused::Bad("file", format!("the upload broke off: {e}")))?
    {
        size += chunk.len() as u64;
        if size > max_bytes {
            return Err(Refused::TooLarge(max_bytes));
        }
        hash.update(&chunk);
        out.write_all(&chunk)
            .map_err(|e| Refused::Internal(format!("saving the upload: {e}")))?;
    }
    Ok(hex(&hash.finalize()))
}

/// Makes the draft of an upload (its header read, a mapping proposed), off the async threads;
/// the upload is removed when refused.
pub(crate) async fn draft(
    state: &AppState,
    upload: &Upload,
) -> Result<std::sync::Arc<crate::import::Job>, JobError> {
    let Some(event) = upload.fields.get("event").cloned() else {
        state.imports.discard(&upload.id);
        return Err(JobError::Invalid(
            "choose the event each row completes".into(),
        ));
    };
    let (imports, store) = (state.imports.clone(), state.store.clone());
    let (id, name, hash) = (upload.id.clone(), upload.name.clone(), upload.hash.clone());
    let sheet = upload.fields.get("sheet").cloned();
    let language = upload.fields.get("language").cloned();
    tokio::task::spawn_blocking(move || {
        imports.create(
            store.as_ref(),
            &id,
            &name,
            hash,
            &event,
            sheet.as_deref(),
            language.as_deref(),
            now_ms(),
        )
    })
    .await
    .map_err(|e| JobError::Io(e.to_string()))?
}

/// `POST /v1/imports`.
#[utoipa::path(
    post, path = "/v1/imports", tag = "Imports",
    operation_id = "createImport",
    summary = "Upload a spreadsheet (multipart): a draft with its header and proposed mapping, or started at once",
    request_body(content_type = "multipart/form-data", description = "`file`, `event`; optional `sheet`, `language`, `mapping` (JSON array), `dateFormat`, `timeZone`, `start=true`"),
    responses(
        (status = 201, description = "A draft: its header and proposed mapping", body = schemas::Import),
        (status = 202, description = "Started", body = schemas::Import),
        (status = 400, description = "The file or a choice is refused, with the reason; nothing is stored", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 413, description = "The file is over the import limit", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Refused before a byte of it is read.
    if declared.is_some_and(|n| n > state.imports.max_bytes.saturating_add(64 * 1024)) {
        return Err(ApiError::FileTooLarge(state.imports.max_bytes));
    }
    let upload = receive(&state.imports, multipart).await?;
    let mapping = match upload
        .fields
        .get("mapping")
        .map(|m| serde_json::from_str::<Vec<String>>(m))
    {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(_)) => {
            state.imports.discard(&upload.id);
            return Err(ApiError::field(
                "mapping",
                "mapping is a JSON array of column targets, one per column",
            ));
        }
    };
    let job = draft(&state, &upload).await?;
    if upload.fields.get("start").map(String::as_str) != Some("true") {
        return Ok((StatusCode::CREATED, AppJson(job.status())).into_response());
    }
    let started = state.imports.start(
        state.store.clone(),
        &upload.id,
        StartOptions {
            mapping,
            date_format: upload.fields.get("dateFormat").cloned(),
            time_zone: upload.fields.get("timeZone").cloned(),
            workflows: upload.fields.get("enrollInWorkflows").map(|v| v != "false"),
        },
    );
    match started {
        Ok(job) => Ok((StatusCode::ACCEPTED, AppJson(job.status())).into_response()),
        Err(e) => {
            state.imports.discard(&upload.id);
            Err(e.into())
        }
    }
}

/// The body of a start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartInput {
    /// One target per column: `email`, `occurred_at`, `contact:NAME`, `event:NAME`,
    /// `new:TYPE:LABEL` or `skip` (default: the proposed mapping).
    mapping: Option<Vec<String>>,
    /// `YYYY-MM-DD`, `DD/MM/YYYY`, `MM/DD/YYYY` (each with an optional time), `iso8601`,
    /// `epoch-ms` or `excel`.
    date_format: Option<String>,
    /// The zone of dates without one, e.g. `Europe/Copenhagen` (default UTC).
    time_zone: Option<String>,
    /// `false`: the rows enroll nobody in workflows (default true).
    enroll_in_workflows: Option<bool>,
}

/// `POST /v1/imports/{id}/start`.
#[utoipa::path(
    post, path = "/v1/imports/{id}/start", tag = "Imports",
    operation_id = "startImport",
    summary = "Start a draft import with its mapping, date format and time zone",
    params(("id" = String, Path, description = "The import")),
    request_body = StartInput,
    responses(
        (status = 202, description = "Started", body = schemas::Import),
        (status = 400, description = "The mapping, format or zone is refused, with the reason", body = schemas::Error),
        (status = 404, description = "No such import", body = schemas::Error),
        (status = 409, description = "Already started", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(input): AppJson<StartInput>,
) -> Result<(StatusCode, AppJson<ImportStatus>), ApiError> {
    let job = state.imports.start(
        state.store.clone(),
        &id,
        StartOptions {
            mapping: input.mapping,
            date_format: input.date_format,
            time_zone: input.time_zone,
            workflows: input.enroll_in_workflows,
        },
    )?;
    Ok((StatusCode::ACCEPTED, AppJson(job.status())))
}

/// `GET /v1/imports`.
#[utoipa::path(
    get, path = "/v1/imports", tag = "Imports",
    operation_id = "listImports",
    summary = "Every import, newest first",
    responses((status = 200, description = "The imports", body = schemas::ImportList)),
    security(("bearer" = ["read"])),
)]
pub async fn list(State(state): State<AppState>) -> AppJson<serde_json::Value> {
    AppJson(serde_json::json!({ "results": state.imports.list() }))
}

fn job_of(state: &AppState, id: &str) -> Result<std::sync::Arc<crate::import::Job>, ApiError> {
    state
        .imports
        .get(id)
        .ok_or_else(|| ApiError::NotFound(format!("no import \"{id}\" exists")))
}

/// `GET /v1/imports/{id}`.
#[utoipa::path(
    get, path = "/v1/imports/{id}", tag = "Imports",
    operation_id = "getImport",
    summary = "An import's progress: bytes and rows read, stored, refused, rate, time left",
    params(("id" = String, Path, description = "The import")),
    responses(
        (status = 200, description = "Its status", body = schemas::Import),
        (status = 404, description = "No such import", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<ImportStatus>, ApiError> {
    Ok(AppJson(job_of(&state, &id)?.status()))
}

/// `POST /v1/imports/{id}/cancel`.
#[utoipa::path(
    post, path = "/v1/imports/{id}/cancel", tag = "Imports",
    operation_id = "cancelImport",
    summary = "Stop an import (the rows stored so far stay; importing the file again continues)",
    params(("id" = String, Path, description = "The import")),
    responses(
        (status = 200, description = "Stopping", body = schemas::Import),
        (status = 404, description = "No such import", body = schemas::Error),
        (status = 409, description = "It has already ended", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<ImportStatus>, ApiError> {
    Ok(AppJson(state.imports.cancel(&id)?))
}

/// `GET /v1/imports/{id}/refused.csv`.
#[utoipa::path(
    get, path = "/v1/imports/{id}/refused.csv", tag = "Imports",
    operation_id = "getImportRefusedRows",
    summary = "The refused rows as CSV: the file's columns, then Line, Column and Reason",
    params(("id" = String, Path, description = "The import")),
    responses(
        (status = 200, description = "The CSV (cells a spreadsheet would run as formulas are neutralised)", content_type = "text/csv"),
        (status = 404, description = "No such import, or nothing read yet", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn refused(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = job_of(&state, &id)?;
    let body = tokio::fs::read(job.refused_path())
        .await
        .map_err(|_| ApiError::NotFound(format!("import \"{id}\" has read no rows yet")))?;
    Ok(crate::csv_cell::download(
        body,
        &format!("refused-{id}.csv"),
    ))
}
