//! The app's spreadsheet import, the reference page's wizard: upload (the event, the header
//! language, the file), then the mapping (each column to a contact property, an event
//! property, a new property or "don't import"; the date format and time zone of "occurred
//! at"), then a live progress bar, and at the end the counts with the refused rows as a CSV.
//! The engine is the API's ([`crate::import`]); only the pages are here.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use maud::html;
use serde::Deserialize;

use super::page::{self, thousands};
use super::wizard::{field, Fields};
use super::{allowed, allowed_form, Signed};
use crate::api::imports::{draft, receive};
use crate::import::{
    parse_target, target_text, DateFormat, ImportState, ImportStatus, StartOptions, Target,
    CONTACT_PROPERTIES,
};
use crate::model::{EventDefinition, PrimaryObject, PropertyType};
use crate::scopes::Scope;
use crate::timestamp;
use crate::AppState;

/// `?event=NAME`: the event to preselect (from the create-event wizard).
#[derive(Deserialize, Default)]
pub struct NewQuery {
    event: Option<String>,
}

/// The header languages offered: (value, label).
const LANGUAGES: [(&str, &str); 3] = [("en", "English"), ("fr", "Français"), ("da", "Dansk")];

/// `GET /app/imports`: the upload form and every import.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<NewQuery>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    list_page(&state, &signed, query.event.as_deref(), None)
}

fn list_page(
    state: &AppState,
    signed: &Signed,
    event: Option<&str>,
    problem: Option<&str>,
) -> Response {
    let events: Vec<_> = state
        .store
        .definitions()
        .into_iter()
        .filter(|d| d.primary_object == PrimaryObject::Contact)
        .collect();
    let imports = state.imports.list();
    let may_import = signed.credential.grants(Scope::Definitions);
    let body = html! {
        @if may_import {
            section aria-labelledby="upload" {
                h2 #upload { "Import a spreadsheet" }
                p { "Each row becomes a completion of the event for the contact in its email column, created or updated with the row's contact columns. "
                    "CSV (comma, semicolon or tab; UTF-8 or UTF-16), XLSX and XLS. Importing the same file again stores nothing twice." }
                @if let Some(problem) = problem {
                    p.error role="alert" #upload-problem { (problem) }
                }
                form method="post" action="/app/imports" enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(signed.session.csrf);
                    p {
                        label for="event" { "Event" }
                        select #event name="event" required {
                            @for d in &events {
                                option value=(d.name) selected[Some(d.name.as_str()) == event] { (d.label) " (" (d.name) ")" }
                            }
                        }
                    }
                    p {
                        label for="language" { "Language of the column headers" }
                        select #language name="language" {
                            @for (value, label) in LANGUAGES { option value=(value) { (label) } }
                        }
                    }
                    p {
                        label for="file" { "File" }
                        input #file type="file" name="file" required accept=".csv,.txt,.tsv,.xlsx,.xlsm,.xls"
                            aria-describedby=[problem.map(|_| "upload-problem")];
                    }
                    p {
                        label for="sheet" { "Sheet (workbooks; empty for the first)" }
                        input #sheet type="text" name="sheet";
                    }
                    p { button.primary type="submit" { "Upload and map the columns" } }
                }
            }
        }
        section aria-labelledby="past" {
            h2 #past { "Imports" }
            @if imports.is_empty() {
                p.empty { "No import yet." }
            } @else {
                table.list {
                    thead { tr {
                        th scope="col" { "File" } th scope="col" { "Event" } th scope="col" { "State" }
                        th scope="col" { "Stored" } th scope="col" { "Refused" } th scope="col" { "Uploaded (UTC)" }
                    } }
                    tbody {
                        @for i in &imports {
                            tr {
                                td { a href=(format!("/app/imports/{}", i.id)) { (i.file_name) } }
                                td { code { (i.event) } }
                                td { (state_label(i.state)) }
                                td.num { (thousands(i.stored)) }
                                td.num { (thousands(i.refused)) }
                                td { (timestamp::format(i.created_at)) }
                            }
                        }
                    }
                }
            }
        }
    };
    page::page("Imports", "/app/imports", &signed.session, body)
}

/// How far an import has read its file, 0–100.
fn percent(s: &ImportStatus) -> u64 {
    s.bytes_read
        .saturating_mul(100)
        .checked_div(s.total_bytes)
        .unwrap_or(100)
        .min(100)
}

fn state_label(state: ImportState) -> &'static str {
    match state {
        ImportState::Draft => "waiting for its mapping",
        ImportState::Running => "importing",
        ImportState::Done => "done",
        ImportState::Failed => "failed",
        ImportState::Cancelled => "cancelled",
    }
}

/// `POST /app/imports`: the upload; on to the mapping.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    // The session first (its cookie is in the headers); the CSRF token is a field of the form,
    // checked once the form is read.
    let events: Uri = Uri::from_static("/app/imports");
    let signed = match allowed(&state, &headers, &events, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let upload = match receive(&state.imports, multipart).await {
        Ok(u) => u,
        Err(refused) => return list_page(&state, &signed, None, Some(&refused.message())),
    };
    let csrf = upload.fields.get("csrf").cloned().unwrap_or_default();
    if let Err(r) = allowed_form(&state, &headers, &csrf, Scope::Definitions).await {
        state.imports.discard(&upload.id);
        return r;
    }
    match draft(&state, &upload).await {
        Ok(job) => page::see_other(&format!("/app/imports/{}", job.status().id)),
        Err(e) => list_page(
            &state,
            &signed,
            upload.fields.get("event").map(String::as_str),
            Some(&e.to_string()),
        ),
    }
}

/// `GET /app/imports/{id}`: the mapping of a draft, or the progress and outcome.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(job) = state.imports.get(&id) else {
        return no_import(&id);
    };
    let status = job.status();
    if status.state == ImportState::Draft && signed.credential.grants(Scope::Definitions) {
        return mapping_page(&state, &signed, &status, None, None);
    }
    progress_page(&signed, &status)
}

fn no_import(id: &str) -> Response {
    page::error(
        StatusCode::NOT_FOUND,
        &format!("There is no import \u{201c}{id}\u{201d}."),
    )
}

/// The choices a column's select offers: (target text, label), given the event.
fn choices(def: Option<&EventDefinition>, header: &str) -> Vec<(String, String)> {
    let mut out = vec![
        ("skip".to_owned(), "Don't import".to_owned()),
        ("email".to_owned(), "Contact: email (required)".to_owned()),
        (
            "occurred_at".to_owned(),
            "When it happened (required)".to_owned(),
        ),
    ];
    for (name, label) in CONTACT_PROPERTIES {
        out.push((format!("contact:{name}"), format!("Contact: {label}")));
    }
    if let Some(def) = def {
        for p in &def.properties {
            out.push((
                format!("event:{}", p.name),
                format!("Event property: {} ({})", p.label, p.kind.as_str()),
            ));
        }
    }
    for kind in [
        PropertyType::String,
        PropertyType::Number,
        PropertyType::Datetime,
    ] {
        if let Some(t) = Target::new_event_property(header, kind) {
            out.push((
                target_text(&t),
                format!(
                    "New event property \u{201c}{}\u{201d} ({})",
                    header.trim(),
                    kind.as_str()
                ),
            ));
        }
    }
    out
}

fn mapping_page(
    state: &AppState,
    signed: &Signed,
    status: &ImportStatus,
    chosen: Option<&StartOptions>,
    problem: Option<&str>,
) -> Response {
    let def = state.store.definition(&status.event);
    let mapping = chosen
        .and_then(|c| c.mapping.clone())
        .unwrap_or_else(|| status.mapping.clone());
    let date_format = chosen
        .and_then(|c| c.date_format.clone())
        .unwrap_or_else(|| status.date_format.clone());
    let zone = chosen
        .and_then(|c| c.time_zone.clone())
        .unwrap_or_else(|| status.time_zone.clone());
    let body = html! {
        p { "File " strong { (status.file_name) } " (" (status.kind) ", " (thousands(status.total_bytes)) " bytes"
            @if let Some(sheet) = &status.sheet { ", sheet " strong { (sheet) } } ")"
            " into the event " a href=(format!("/app/events/{}", status.event)) { code { (status.event) } } "." }
        @if status.sheets.len() > 1 {
            p.muted { "Other sheets: " (status.sheets.join(", ")) ". To import another, upload the file again with its name." }
        }
        @if let Some(problem) = problem {
            p.error role="alert" #mapping-problem { (problem) }
        }
        form method="post" action=(format!("/app/imports/{}/start", status.id)) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            table.list {
                caption { "What each column becomes (proposed from the headers; change any)" }
                thead { tr { th scope="col" { "Column" } th scope="col" { "Imported as" } } }
                tbody {
                    @for (i, header) in status.header.iter().enumerate() {
                        @let current = mapping.get(i).cloned().unwrap_or_else(|| "skip".into());
                        @let options = choices(def.as_deref(), header);
                        tr {
                            th scope="row" { label for=(format!("col{i}")) { (header) } }
                            td {
                                select id=(format!("col{i}")) name=(format!("col{i}")) aria-describedby=[problem.map(|_| "mapping-problem")] {
                                    @for (value, label) in &options {
                                        option value=(value) selected[*value == current] { (label) }
                                    }
                                    @if !options.iter().any(|(v, _)| *v == current) {
                                        option value=(current) selected { (current) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p {
                label for="date_format" { "Format of the dates in the \u{201c}when\u{201d} column" }
                select #date_format name="date_format" {
                    @for f in DateFormat::ALL {
                        option value=(f.as_str()) selected[f.as_str() == date_format] { (f.as_str()) }
                    }
                }
            }
            p {
                label for="time_zone" { "Time zone of dates written without one" }
                input #time_zone type="text" name="time_zone" value=(zone) list="zones" autocomplete="off";
                datalist #zones {
                    @for z in ["UTC", "Europe/Copenhagen", "Europe/Paris", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"] {
                        option value=(z) {}
                    }
                }
            }
            p {
                input #workflows type="checkbox" name="workflows" checked[chosen.and_then(|c| c.workflows).unwrap_or(status.workflows)];
                " "
                label for="workflows" { "Enroll these contacts in workflows whose triggers the rows match" }
            }
            p.muted { "Dates in the future are refused, as is any row that breaks a rule of the HTTP API; refused rows are listed with their reason, and never stop the import." }
            p { button.primary type="submit" { "Start the import" } }
        }
        form method="post" action=(format!("/app/imports/{}/cancel", status.id)) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            button type="submit" { "Discard this upload" }
        }
    };
    page::page("Map the columns", "/app/imports", &signed.session, body)
}

fn progress_page(signed: &Signed, s: &ImportStatus) -> Response {
    let percent = percent(s);
    let running = s.state == ImportState::Running;
    let body = html! {
        p { "File " strong { (s.file_name) } " into the event " a href=(format!("/app/events/{}", s.event)) { code { (s.event) } } "." }
        div.import-progress data-status=[running.then(|| format!("/app/imports/{}/status", s.id))] {
            p {
                label for="progress" { "Progress: " span data-field="state" { (state_label(s.state)) } }
                progress #progress max="100" value=(percent) { (percent) " %" }
            }
            dl.facts {
                dt { "Rows read" } dd data-field="rowsRead" { (thousands(s.rows_read)) }
                dt { "Stored" } dd data-field="stored" { (thousands(s.stored)) }
                dt { "Already stored before" } dd data-field="duplicates" { (thousands(s.duplicates)) }
                dt { "Refused" } dd data-field="refused" { (thousands(s.refused)) }
                dt { "Rows per second" } dd data-field="rowsPerSecond" { (s.rows_per_second.map(|r| thousands(r as u64)).unwrap_or_else(|| "–".into())) }
                dt { "Time left" } dd data-field="etaSeconds" { (s.eta_seconds.filter(|_| running).map(|t| format!("{t} s")).unwrap_or_else(|| "–".into())) }
            }
        }
        @if let Some(error) = &s.error {
            p.error role="alert" { "The import stopped: " (error) }
        }
        @if s.refused > 0 || !running {
            p { a href=(format!("/app/imports/{}/refused.csv", s.id)) download { "Download the refused rows (CSV, with the reason of each)" } }
        }
        @if running && signed.credential.grants(Scope::Definitions) {
            form method="post" action=(format!("/app/imports/{}/cancel", s.id)) {
                input type="hidden" name="csrf" value=(signed.session.csrf);
                button type="submit" { "Stop the import" }
            }
        }
        p { a href="/app/imports" { "All imports" } }
    };
    page::page("Import", "/app/imports", &signed.session, body)
}

/// `POST /app/imports/{id}/start`: the mapping as chosen (`col0`, `col1`…, `date_format`,
/// `time_zone`).
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Fields>,
) -> Response {
    let signed =
        match allowed_form(&state, &headers, field(&form, "csrf"), Scope::Definitions).await {
            Ok(s) => s,
            Err(r) => return r,
        };
    let Some(job) = state.imports.get(&id) else {
        return no_import(&id);
    };
    let status = job.status();
    let mapping: Vec<String> = (0..status.header.len())
        .map(|i| field(&form, &format!("col{i}")).to_owned())
        .collect();
    let options = StartOptions {
        mapping: Some(mapping.clone()),
        date_format: Some(field(&form, "date_format").to_owned()).filter(|f| !f.is_empty()),
        time_zone: Some(field(&form, "time_zone").trim().to_owned()).filter(|z| !z.is_empty()),
        // The form always shows the box: absent means unticked.
        workflows: Some(field(&form, "workflows") == "on"),
    };
    // Every target must read before the engine sees them (a value edited in the page).
    if let Some(bad) = mapping.iter().find_map(|t| parse_target(t).err()) {
        return mapping_page(&state, &signed, &status, Some(&options), Some(&bad));
    }
    match state
        .imports
        .start(state.store.clone(), &id, options.clone())
    {
        Ok(_) => page::see_other(&format!("/app/imports/{id}")),
        Err(e) => mapping_page(
            &state,
            &signed,
            &status,
            Some(&options),
            Some(&e.to_string()),
        ),
    }
}

/// The cancel form.
#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /app/imports/{id}/cancel`: stops a running import, or discards a draft.
pub async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        return r;
    }
    match state.imports.cancel(&id) {
        Ok(_) => page::see_other(&format!("/app/imports/{id}")),
        Err(e) => page::error(StatusCode::CONFLICT, &e.to_string()),
    }
}

/// `GET /app/imports/{id}/status`: the progress as JSON, for the page's live bar.
pub async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = allowed(&state, &headers, &uri, Scope::Read).await {
        return r;
    }
    match state.imports.get(&id) {
        Some(job) => {
            let s = job.status();
            let percent = percent(&s);
            Json(serde_json::json!({
                "state": s.state,
                "stateLabel": state_label(s.state),
                "percent": percent,
                "rowsRead": thousands(s.rows_read),
                "stored": thousands(s.stored),
                "duplicates": thousands(s.duplicates),
                "refused": thousands(s.refused),
                "rowsPerSecond": s.rows_per_second.map(|r| thousands(r as u64)),
                "etaSeconds": s.eta_seconds.map(|t| format!("{t} s")),
            }))
            .into_response()
        }
        None => no_import(&id),
    }
}

/// `GET /app/imports/{id}/refused.csv`.
pub async fn refused(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = allowed(&state, &headers, &uri, Scope::Read).await {
        return r;
    }
    let Some(job) = state.imports.get(&id) else {
        return no_import(&id);
    };
    let Ok(body) = tokio::fs::read(job.refused_path()).await else {
        return page::error(StatusCode::NOT_FOUND, "This import has read no rows yet.");
    };
    crate::csv_cell::download(body, &format!("refused-{id}.csv"))
}
