//! One enrollment of a workflow: who, where it is, and its history as a timeline (each step
//! begun, each webhook attempt with its HTTP status and latency, each wait and how it ended),
//! with Replay for a failed one: its failed step runs again from its first attempt, as the
//! API's replay does ([`crate::workflows::edit::replay`]).
//!
//! A history line's detail may be the start of a receiver's answer: text from a server
//! someone else runs, shown as text like everything else.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::html;

use super::workflows::{
    find, no_workflow, notice, state_text, step_text, workflow_path, Done, Plain,
};
use super::{allowed, allowed_form, page};
use crate::scopes::Scope;
use crate::store::{ContactKey, Enrollment};
use crate::timestamp::{self, now_ms};
use crate::workflows::{edit, Workflow};
use crate::AppState;

/// What a history line's kind says.
fn kind_text(kind: &str) -> &'static str {
    match kind {
        "enrolled" => "Enrolled",
        "delivered" => "Webhook delivered",
        "retrying" => "Webhook failed, will retry",
        "failed" => "Failed",
        "paused" => "Receiver gone: workflow paused",
        "delayed" => "Delay started",
        "waiting" => "Waiting for the event",
        "resumed" => "The event happened",
        "timedOut" => "Stopped waiting (maximum reached)",
        "completed" => "Completed",
        "replayed" => "Replayed",
        _ => "Other",
    }
}

/// Workflow `id`'s enrollment `eid`, or the page saying which is missing.
async fn find_enrollment(
    state: &AppState,
    id: &str,
    eid: &str,
) -> Result<(std::sync::Arc<Workflow>, Enrollment), Response> {
    let Some(w) = find(state, id) else {
        return Err(no_workflow(id));
    };
    let missing = || {
        page::error(
            StatusCode::NOT_FOUND,
            &format!("This workflow has no enrollment \u{201c}{eid}\u{201d}."),
        )
    };
    let Ok(number) = eid.parse::<i64>() else {
        return Err(missing());
    };
    match state.store.enrollment(number).await {
        Ok(Some(e)) if e.workflow == w.id => Ok((w, e)),
        Ok(_) => Err(missing()),
        Err(e) => Err(page::store_error(e)),
    }
}

/// `GET /app/workflows/{id}/enrollments/{eid}`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path((id, eid)): Path<(String, String)>,
    Query(done): Query<Done>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (w, e) = match find_enrollment(&state, &id, &eid).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let history = match state.store.enrollment_history(e.id).await {
        Ok(h) => h,
        Err(err) => return page::store_error(err),
    };
    let email = match state.store.contact_record(ContactKey::Id(e.contact)).await {
        Ok(record) => record.and_then(|r| r.email),
        Err(err) => return page::store_error(err),
    };
    let who = email.unwrap_or_else(|| format!("Contact #{}", e.contact));
    let path = format!("{}/enrollments/{}", workflow_path(w.id), e.id);
    let step_of = |step: i64| {
        usize::try_from(step)
            .ok()
            .filter(|s| *s < w.actions.len())
            .map_or_else(|| "\u{2013}".to_owned(), |s| format!("{}", s + 1))
    };
    let body = html! {
        (notice(&done))
        dl.facts {
            dt { "Workflow" } dd { a href=(workflow_path(w.id)) { (w.name) } }
            dt { "Contact" } dd { a href=(format!("/app/contacts/{}", e.contact)) { (who) } }
            dt { "Enrolled by" } dd { code { (e.event_name) } }
            dt { "Enrolled (UTC)" } dd { (timestamp::format(e.created_at)) }
            dt { "Step" } dd { (step_text(&w, &e)) }
            dt { "State" } dd { span class=(format!("badge state-{}", e.state)) { (state_text(&e.state)) } }
            @if let Some(next) = super::workflows::next_due(&e) {
                dt { "Next due (UTC)" } dd { (next) }
            }
            @if let Some(done) = e.finished_at {
                dt { "Finished (UTC)" } dd { (timestamp::format(done)) }
            }
        }
        @if e.state == "failed" {
            form.replay method="post" action=(format!("{path}/replay")) {
                input type="hidden" name="csrf" value=(signed.session.csrf);
                p { "The step failed after its retries. Once the receiver is fixed, run it again: a webhook is sent with the same idempotency key, so a receiver that did handle it can tell." }
                button.primary type="submit" { "Replay the failed step" }
            }
        }
        h2 { "History" }
        table.list.history {
            caption.sr-only { "History of the enrollment, oldest first" }
            thead { tr {
                th scope="col" { "Time (UTC)" }
                th scope="col" .num { "Step" }
                th scope="col" { "What happened" }
                th scope="col" .num { "HTTP status" }
                th scope="col" .num { "Latency" }
                th scope="col" { "Detail" }
            } }
            tbody {
                @for h in &history {
                    tr {
                        td { (timestamp::format(h.at)) }
                        td.num { (step_of(h.step)) }
                        td { (kind_text(&h.kind)) }
                        td.num { (h.status.map(|s| s.to_string()).unwrap_or_default()) }
                        td.num { (h.latency_ms.map(|l| format!("{l} ms")).unwrap_or_default()) }
                        td.detail { (h.detail.clone().unwrap_or_default()) }
                    }
                }
            }
        }
    };
    page::page(
        &format!("Enrollment of {who}"),
        "/app/workflows",
        &signed.session,
        body,
    )
}

/// `POST /app/workflows/{id}/enrollments/{eid}/replay`.
pub async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, eid)): Path<(String, String)>,
    Form(form): Form<Plain>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Admin).await {
        return r;
    }
    let (w, e) = match find_enrollment(&state, &id, &eid).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let path = format!("{}/enrollments/{}", workflow_path(w.id), e.id);
    let refused = || {
        page::error(
            StatusCode::CONFLICT,
            &format!(
                "This enrollment is {}: only a failed one can be replayed.",
                state_text(&e.state).to_lowercase()
            ),
        )
    };
    let Some(change) = edit::replay(&e, now_ms()) else {
        return refused();
    };
    match state
        .store
        .change_steps(vec![change])
        .await
        .map(|done| done == [true])
    {
        Ok(true) => {
            // The runner sleeps until the next due step; it learns of this one at its next
            // look (the API's replay does the same).
            page::see_other(&format!("{path}?done=replayed"))
        }
        Ok(false) => refused(),
        Err(err) => page::store_error(err),
    }
}
