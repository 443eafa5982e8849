//! The workflows: the list (each one on, off or paused with the reason, what enrolls, when it
//! last changed, and its switch), a workflow's page (what it does, step by step; its signing
//! secret behind a disclosure; its enrollments, newest first), switching one on or off, and
//! deleting one after a confirmation. The editor is `workflow_form.rs`, an enrollment's
//! history `enrollment.rs`.
//!
//! Workflows are the admin's alone, as in the API (`scopes.rs`): every page and form here
//! needs the admin scope. Names, property values and URLs are people's text and show as text.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::workflow_draft::{duration, OPERATORS};
use super::{allowed, allowed_form, page, Signed};
use crate::scopes::Scope;
use crate::store::{ContactKey, Enrollment};
use crate::timestamp::{self, now_ms};
use crate::workflows::{edit, Action, Filter, Op, Trigger, Workflow};
use crate::AppState;

/// Enrollments a workflow's page lists (the newest).
const ENROLLMENTS_SHOWN: usize = 50;

/// The app's path of a workflow's page.
pub fn workflow_path(id: u64) -> String {
    format!("/app/workflows/{id}")
}

/// The workflow of a path's `id`, if there is one.
pub fn find(state: &AppState, id: &str) -> Option<Arc<Workflow>> {
    id.parse::<u64>()
        .ok()
        .and_then(|id| state.store.workflow(id))
}

/// The page for a workflow that does not exist.
pub fn no_workflow(id: &str) -> Response {
    page::error(
        StatusCode::NOT_FOUND,
        &format!("There is no workflow \u{201c}{id}\u{201d}."),
    )
}

/// `?done=`: what the last change did, by a fixed key (never text from the request).
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => "The workflow was created. It is off: switch it on when it is ready.",
        "saved" => "The workflow was saved.",
        "on" => "The workflow is on: contacts who complete a trigger event from now on enroll.",
        "off" => "The workflow is off: no contact enrolls, and enrolled contacts' steps wait.",
        "deleted" => "The workflow was deleted.",
        "replayed" => "The failed step runs again now.",
        _ => return None,
    })
}

/// A sentence after a change, announced to screen readers.
pub fn notice(done: &Done) -> Markup {
    html! {
        @if let Some(message) = done.done.as_deref().and_then(done_message) {
            p.notice role="status" { (message) }
        }
    }
}

/// `GET /app/workflows`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(done): Query<Done>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let workflows = state.store.workflows();
    let body = html! {
        (notice(&done))
        p { a.button.primary href="/app/workflows/new" { "Create workflow" } }
        @if workflows.is_empty() {
            p.empty { "No workflow yet: a workflow does something for each contact who completes an event, such as calling your server or waiting for a next event." }
        } @else {
            table.list {
                caption.sr-only { "Workflows" }
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Status" }
                    th scope="col" { "Enrolls when" }
                    th scope="col" .num { "Steps" }
                    th scope="col" { "Last change (UTC)" }
                    th scope="col" { span.sr-only { "Switch" } }
                } }
                tbody {
                    @for w in &workflows {
                        tr {
                            th scope="row" { a href=(workflow_path(w.id)) { (w.name) } }
                            td { (status(w)) }
                            td { (triggers_summary(&w.triggers)) }
                            td.num { (w.actions.len()) }
                            td { (timestamp::format(w.updated_at)) }
                            td.actions { (switch(&signed, w, "list")) }
                        }
                    }
                }
            }
        }
    };
    page::page("Workflows", "/app/workflows", &signed.session, body)
}

/// On, off, or paused by the collector with its reason.
fn status(w: &Workflow) -> Markup {
    html! {
        @if w.enabled {
            span.badge.on { "On" }
        } @else if let Some(reason) = &w.paused_reason {
            span.badge.paused { "Paused" } " " span.reason { (reason) }
        } @else {
            span.badge.off { "Off" }
        }
    }
}

/// The form that switches `w` on or off, back to `from` (`list` or its page).
fn switch(signed: &Signed, w: &Workflow, from: &str) -> Markup {
    let (value, label) = if w.enabled {
        ("off", "Switch off")
    } else {
        ("on", "Switch on")
    };
    html! {
        form.inline method="post" action=(format!("{}/enabled", workflow_path(w.id))) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            input type="hidden" name="enabled" value=(value);
            input type="hidden" name="from" value=(from);
            button type="submit" { (label) span.sr-only { " " (w.name) } }
        }
    }
}

fn operator_text(op: &Op) -> &'static str {
    OPERATORS
        .iter()
        .find(|(name, _)| *name == op.operator())
        .map_or("", |(_, text)| text)
        .trim_end_matches(" (comma-separated)")
}

/// `plan is equal to “pro”`.
fn filter_text(f: &Filter) -> Markup {
    html! {
        code { (f.property) } " " (operator_text(&f.op))
        @match &f.op {
            Op::Equals(v) | Op::NotEquals(v) | Op::Contains(v) => { " \u{201c}" (v) "\u{201d}" }
            Op::GreaterThan(n) | Op::LessThan(n) => { " " (n) }
            Op::IsAnyOf(vs) => { " " (vs.iter().map(|v| format!("\u{201c}{v}\u{201d}")).collect::<Vec<_>>().join(", ")) }
            Op::IsKnown => {}
        }
    }
}

fn filters_text(filters: &[Filter]) -> Markup {
    html! {
        @for (k, f) in filters.iter().enumerate() {
            @if k == 0 { " where " } @else { " and " }
            (filter_text(f))
        }
    }
}

/// `signup where plan is equal to “pro”; or demo_request`.
pub fn triggers_summary(triggers: &[Trigger]) -> Markup {
    html! {
        @for (i, t) in triggers.iter().enumerate() {
            @if i > 0 { "; or " }
            code { (t.event) } (filters_text(&t.filters))
        }
    }
}

/// What a step does, in a sentence.
pub fn action_text(a: &Action) -> Markup {
    html! {
        @match a {
            Action::Webhook { url } => { "Send a webhook to " code.url { (url) } }
            Action::Delay { ms } => { "Delay for " (duration(*ms)) }
            Action::DelayUntil { event, filters, max_wait_ms } => {
                "Delay until the contact completes " code { (event) } (filters_text(filters))
                @match max_wait_ms {
                    Some(ms) => { ", at most " (duration(*ms)) }
                    None => { ", however long it takes" }
                }
            }
        }
    }
}

/// A short name of a step: "Delay until first_login".
pub fn action_name(a: &Action) -> String {
    match a {
        Action::Webhook { .. } => "Send a webhook".into(),
        Action::Delay { ms } => format!("Delay for {}", duration(*ms)),
        Action::DelayUntil { event, .. } => format!("Delay until {event}"),
    }
}

/// Where an enrollment is: "2 of 4 — Delay until first_login", or that all are done.
pub fn step_text(w: &Workflow, e: &Enrollment) -> String {
    let count = w.actions.len();
    match usize::try_from(e.step)
        .ok()
        .and_then(|s| w.actions.get(s).map(|a| (s, a)))
    {
        Some((s, a)) => format!("{} of {count} \u{2014} {}", s + 1, action_name(a)),
        None => "All steps done".to_owned(),
    }
}

/// An enrollment's state as people say it.
pub fn state_text(state: &str) -> &'static str {
    match state {
        "active" => "Active",
        "waiting" => "Waiting for an event",
        "completed" => "Completed",
        "failed" => "Failed",
        _ => "Unknown",
    }
}

/// When an enrollment's next step is due, if it is scheduled.
pub fn next_due(e: &Enrollment) -> Option<String> {
    e.wake_at
        .filter(|_| matches!(e.state.as_str(), "active" | "waiting"))
        .map(timestamp::format)
}

/// The emails of the contacts of `enrollments`, by contact id.
async fn emails(state: &AppState, enrollments: &[Enrollment]) -> HashMap<i64, String> {
    let mut out = HashMap::new();
    for e in enrollments {
        if out.contains_key(&e.contact) {
            continue;
        }
        if let Ok(Some(record)) = state.store.contact_record(ContactKey::Id(e.contact)).await {
            if let Some(email) = record.email {
                out.insert(e.contact, email);
            }
        }
    }
    out
}

/// `GET /app/workflows/{id}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(w) = find(&state, &id) else {
        return no_workflow(&id);
    };
    let enrollments = match state.store.enrollments(w.id, ENROLLMENTS_SHOWN).await {
        Ok(e) => e,
        Err(e) => return page::store_error(e),
    };
    let emails = emails(&state, &enrollments).await;
    let path = workflow_path(w.id);
    let body = html! {
        (notice(&done))
        dl.facts {
            dt { "Status" } dd { (status(&w)) " " (switch(&signed, &w, "page")) }
            dt { "Enrolls when" } dd { (triggers_summary(&w.triggers)) }
            dt { "Re-enrollment" } dd { @if w.reenroll { "on: a contact may enroll again" } @else { "off: a contact enrolls once" } }
            dt { "Created (UTC)" } dd { (timestamp::format(w.created_at)) }
            dt { "Last change (UTC)" } dd { (timestamp::format(w.updated_at)) }
        }
        h2 { "Steps" }
        ol.steps {
            @for a in &w.actions { li { (action_text(a)) } }
        }
        p {
            a.button href=(format!("{path}/edit")) { "Edit" }
            " "
            a.button href=(format!("{path}/delete")) { "Delete" }
        }
        details.secret {
            summary { "Signing secret" }
            p.hint { "Each webhook carries a Wasmtrack-Signature header made with this secret; your receiver checks it to know the call came from this collector." }
            p { code #secret { (w.secret) } }
        }
        h2 #enrollments { "Enrollments" }
        @if enrollments.is_empty() {
            p.empty { "No contact has enrolled yet." @if !w.enabled { " The workflow is off." } }
        } @else {
            table.list {
                caption.sr-only { "Enrollments, newest first" }
                thead { tr {
                    th scope="col" { "Contact" }
                    th scope="col" { "Enrolled (UTC)" }
                    th scope="col" { "Step" }
                    th scope="col" { "State" }
                    th scope="col" { "Next due (UTC)" }
                    th scope="col" { span.sr-only { "History" } }
                } }
                tbody {
                    @for e in &enrollments {
                        tr {
                            td { a href=(format!("/app/contacts/{}", e.contact)) {
                                (emails.get(&e.contact).cloned().unwrap_or_else(|| format!("Contact #{}", e.contact)))
                            } }
                            td { (timestamp::format(e.created_at)) }
                            td { (step_text(&w, e)) }
                            td { span class=(format!("badge state-{}", e.state)) { (state_text(&e.state)) } }
                            td { (next_due(e).unwrap_or_else(|| "\u{2013}".into())) }
                            td { a href=(format!("{path}/enrollments/{}", e.id)) { "History" span.sr-only { " of enrollment " (e.id) } } }
                        }
                    }
                }
            }
        }
    };
    page::page(&w.name, "/app/workflows", &signed.session, body)
}

/// The switch's form.
#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    from: String,
}

/// `POST /app/workflows/{id}/enabled`: switches a workflow on (`enabled=on`) or off. On
/// clears a pause; the definition is checked again as the API's replace would, since an event
/// it names may have been deleted since.
pub async fn switch_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<SwitchForm>,
) -> Response {
    let signed = match allowed_form(&state, &headers, &form.csrf, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(old) = find(&state, &id) else {
        return no_workflow(&id);
    };
    let on = form.enabled == "on";
    let mut wanted = old.as_ref().clone();
    wanted.enabled = on;
    let workflow = edit::replacing(wanted, &old, now_ms());
    if let Err(errors) = workflow.validate(|name| state.store.definition(name), &state.webhooks) {
        let path = workflow_path(old.id);
        return page::framed(
            StatusCode::BAD_REQUEST,
            &format!("{} was not switched on", old.name),
            "/app/workflows",
            &signed.session,
            html! {
                div.error role="alert" {
                    p { "The workflow has problems to fix first:" }
                    ul { @for e in &errors { li { code { (e.field) } ": " (e.message) } } }
                }
                p { a.button.primary href=(format!("{path}/edit")) { "Edit the workflow" } " " a href=(path) { "Back to the workflow" } }
            },
        );
    }
    match state.store.save_workflow(workflow).await {
        Ok(saved) => {
            let done = if on { "on" } else { "off" };
            if form.from == "list" {
                page::see_other(&format!("/app/workflows?done={done}"))
            } else {
                page::see_other(&format!("{}?done={done}", workflow_path(saved.id)))
            }
        }
        Err(e) => page::store_error(e),
    }
}

/// `GET /app/workflows/{id}/delete`: what deleting loses, and the button.
pub async fn confirm_delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(w) = find(&state, &id) else {
        return no_workflow(&id);
    };
    let path = workflow_path(w.id);
    let body = html! {
        div.error role="alert" {
            p { "Deleting " strong { (w.name) } " stops it for good: no contact enrolls any more, enrolled contacts' remaining steps never run, and its enrollments' histories are no longer shown." }
            p { "To stop it for a while instead, switch it off." }
        }
        form method="post" action=(format!("{path}/delete")) {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            button.primary type="submit" { "Delete the workflow" }
            " "
            a.button href=(path) { "Keep it" }
        }
    };
    page::page(
        &format!("Delete {}?", w.name),
        "/app/workflows",
        &signed.session,
        body,
    )
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Plain {
    #[serde(default)]
    pub(super) csrf: String,
}

/// `POST /app/workflows/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Admin).await {
        return r;
    }
    let Some(w) = find(&state, &id) else {
        return no_workflow(&id);
    };
    match state.store.delete_workflow(w.id).await {
        Ok(()) => page::see_other("/app/workflows?done=deleted"),
        Err(e) => page::store_error(e),
    }
}
