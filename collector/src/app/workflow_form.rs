//! The workflow editor, HubSpot's in one page: the name, the triggers (an event from the
//! defined ones, refined by filters on its properties), re-enrollment, and the ordered steps
//! (webhook, delay until an event happens, delay).
//!
//! It works without JS: the buttons that add, remove or move a trigger, a filter or a step are
//! submit buttons (`op=add_filter:t0`…) that post the whole form, which comes back changed
//! with everything typed kept and the new row focused (`workflow_draft.rs` holds the form's
//! state). Saving checks the definition with [`Workflow::validate`], the API's own checks;
//! each problem shows next to the field it names and in a summary at the top that links to
//! it. The first button of the form is Save, so Enter in a text field saves.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};

use super::workflow_draft::{
    input_of, place_of, ActionDraft, Draft, Edit, Fields, FilterDraft, Kind, OPERATORS, UNITS,
};
use super::workflows::{no_workflow, workflow_path};
use super::{allowed, allowed_form, page, Signed};
use crate::model::EventDefinition;
use crate::scopes::Scope;
use crate::timestamp::now_ms;
use crate::workflows::model::FieldError;
use crate::workflows::{edit, Workflow};
use crate::AppState;

/// `GET /app/workflows/new`.
pub async fn new(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render(
        &state,
        &signed,
        None,
        &Draft::blank(),
        &[],
        None,
        StatusCode::OK,
    )
}

/// `GET /app/workflows/{id}/edit`.
pub async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(w) = super::workflows::find(&state, &id) else {
        return no_workflow(&id);
    };
    render(
        &state,
        &signed,
        Some(&w),
        &Draft::of(&w),
        &[],
        None,
        StatusCode::OK,
    )
}

/// `POST /app/workflows/new`: a button of the form, or saving a new workflow.
pub async fn post_new(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    posted(&state, &headers, None, &fields).await
}

/// `POST /app/workflows/{id}/edit`: a button of the form, or saving the workflow.
pub async fn post_edit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let csrf = csrf_of(&fields);
    if let Err(r) = allowed_form(&state, &headers, csrf, Scope::Admin).await {
        return r;
    }
    let Some(w) = super::workflows::find(&state, &id) else {
        return no_workflow(&id);
    };
    posted(&state, &headers, Some(w), &fields).await
}

fn csrf_of(fields: &Fields) -> &str {
    fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    existing: Option<Arc<Workflow>>,
    fields: &Fields,
) -> Response {
    let signed = match allowed_form(state, headers, csrf_of(fields), Scope::Admin).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut draft = Draft::read(fields);
    let op = fields
        .iter()
        .find(|(k, _)| k == "op")
        .map_or("", |(_, v)| v.as_str());
    let edit = Edit::parse(op);
    if edit != Edit::Save {
        let focus = draft.apply(&edit);
        return render(
            state,
            &signed,
            existing.as_deref(),
            &draft,
            &[],
            focus.as_deref(),
            StatusCode::OK,
        );
    }
    let now = now_ms();
    let base = match &existing {
        Some(old) => edit::replacing(old.as_ref().clone(), old, now),
        None => edit::created(blank_workflow(), crate::random::hex(2), now),
    };
    let (workflow, mut errors) = draft.to_workflow(base);
    if let Err(found) = workflow.validate(|name| state.store.definition(name), &state.webhooks) {
        // A field that could not be read is also refused by validation (a wait of 0 ms):
        // its first sentence, the reading's, is the one that says what to do.
        for e in found {
            if !errors.iter().any(|known| known.field == e.field) {
                errors.push(e);
            }
        }
    }
    if !errors.is_empty() {
        return render(
            state,
            &signed,
            existing.as_deref(),
            &draft,
            &errors,
            None,
            StatusCode::BAD_REQUEST,
        );
    }
    let done = if existing.is_some() {
        "saved"
    } else {
        "created"
    };
    match state.store.save_workflow(workflow).await {
        Ok(saved) => page::see_other(&format!("{}?done={done}", workflow_path(saved.id))),
        Err(e) => page::store_error(e),
    }
}

/// What [`edit::created`] starts from: an empty, switched-off workflow.
fn blank_workflow() -> Workflow {
    Workflow {
        id: 0,
        name: String::new(),
        enabled: false,
        reenroll: false,
        triggers: Vec::new(),
        actions: Vec::new(),
        secret: String::new(),
        created_at: 0,
        updated_at: 0,
        paused_reason: None,
    }
}

/// The problems of field `id`, as one sentence (an "is any of" may have several).
fn problem_of(errors: &[FieldError], id: &str) -> Option<String> {
    let messages: Vec<&str> = errors
        .iter()
        .filter(|e| input_of(&e.field) == id)
        .map(|e| e.message.as_str())
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// What the form needs to draw a field: the problems, and which field to focus.
struct Ctx<'a> {
    errors: &'a [FieldError],
    focus: Option<&'a str>,
    definitions: &'a [Arc<EventDefinition>],
}

impl Ctx<'_> {
    fn autofocus(&self, id: &str) -> bool {
        self.focus == Some(id)
    }

    /// A field's problem, shown under it and tied to it (`aria-describedby`).
    fn problem(&self, id: &str) -> Markup {
        html! {
            @if let Some(message) = problem_of(self.errors, id) {
                p.field-error id=(format!("{id}-error")) { (message) }
            }
        }
    }

    fn described(&self, id: &str) -> Option<String> {
        problem_of(self.errors, id).map(|_| format!("{id}-error"))
    }

    fn invalid(&self, id: &str) -> Option<&'static str> {
        problem_of(self.errors, id).map(|_| "true")
    }

    fn text(&self, id: &str, label: &str, value: &str, extra: Option<&str>) -> Markup {
        html! {
            div.field {
                label for=(id) { (label) }
                input #(id) name=(id) type="text" value=(value) autocomplete="off" spellcheck="false"
                    list=[extra] autofocus[self.autofocus(id)]
                    aria-invalid=[self.invalid(id)] aria-describedby=[self.described(id)];
                (self.problem(id))
            }
        }
    }

    fn select(&self, id: &str, label: &str, options: &[(String, String)], chosen: &str) -> Markup {
        html! {
            div.field {
                label for=(id) { (label) }
                select #(id) name=(id) autofocus[self.autofocus(id)]
                    aria-invalid=[self.invalid(id)] aria-describedby=[self.described(id)] {
                    @for (value, text) in options {
                        option value=(value) selected[value == chosen] { (text) }
                    }
                    // A value the list lacks (an event deleted since) stays what it was.
                    @if !options.iter().any(|(v, _)| v == chosen) {
                        option value=(chosen) selected { (chosen) }
                    }
                }
                (self.problem(id))
            }
        }
    }

    fn events(&self) -> Vec<(String, String)> {
        let mut out = vec![(String::new(), "Choose an event".to_owned())];
        out.extend(
            self.definitions
                .iter()
                .map(|d| (d.name.clone(), format!("{} ({})", d.label, d.name))),
        );
        out
    }

    /// The property names offered for `event` (its own, then the page's facts).
    fn properties(&self, event: &str) -> Vec<String> {
        let own = self
            .definitions
            .iter()
            .find(|d| d.name == event)
            .map(|d| d.properties.iter().map(|p| p.name.clone()).collect())
            .unwrap_or_else(Vec::new);
        own.into_iter()
            .chain(
                wasmtrack_core::context::DEFAULT_PROPERTY_NAMES
                    .iter()
                    .map(|p| (*p).to_owned()),
            )
            .collect()
    }

    /// The filters of trigger or step `prefix` (`t0`, `a2`), with their buttons.
    fn filters(&self, prefix: &str, where_: &str, event: &str, filters: &[FilterDraft]) -> Markup {
        let list = format!("{prefix}-properties");
        let operators: Vec<(String, String)> = OPERATORS
            .iter()
            .map(|(v, t)| ((*v).to_owned(), (*t).to_owned()))
            .collect();
        let section = format!("{prefix}-filters");
        html! {
            div.filters #(section) {
                (self.problem(&section))
                @if filters.is_empty() {
                    p.hint { "Any completion of the event counts. Add a filter to count only some." }
                } @else {
                    p.hint { "Only when its properties match all of these:" }
                }
                @for (k, f) in filters.iter().enumerate() {
                    @let at = format!("{prefix}-f{k}");
                    fieldset.filter-row {
                        legend.sr-only { "Filter " (k + 1) " of " (where_) }
                        (self.text(&format!("{at}-property"), "Property", &f.property, Some(&list)))
                        (self.select(&format!("{at}-operator"), "Operator", &operators, &f.operator))
                        (self.text(&format!("{at}-value"), "Value", &f.value, None))
                        button.remove type="submit" name="op" value=(format!("remove_filter:{at}")) {
                            "Remove" span.sr-only { " filter " (k + 1) " of " (where_) }
                        }
                    }
                }
                datalist #(list) {
                    @for p in self.properties(event) { option value=(p) {} }
                }
                button #(format!("{prefix}-add_filter")) type="submit" name="op" value=(format!("add_filter:{prefix}"))
                    autofocus[self.autofocus(&format!("{prefix}-add_filter"))] {
                    "Add a filter" span.sr-only { " to " (where_) }
                }
            }
        }
    }

    fn action(&self, j: usize, count: usize, a: &ActionDraft) -> Markup {
        let at = format!("a{j}");
        let step = format!("step {}", j + 1);
        let units: Vec<(String, String)> = UNITS
            .iter()
            .map(|(v, _, t)| ((*v).to_owned(), (*t).to_owned()))
            .collect();
        html! {
            fieldset.block.step aria-labelledby=(format!("{at}-title")) {
                input type="hidden" name=(format!("{at}-type")) value=(a.kind.as_str());
                h3 #(format!("{at}-title")) tabindex="-1" autofocus[self.autofocus(&format!("{at}-title"))] {
                    "Step " (j + 1) ": " (a.kind.title())
                }
                @match a.kind {
                    Kind::Webhook => {
                        (self.text(&format!("{at}-url"), "URL to POST the enrollment to (https)", &a.url, None))
                        p.hint { "Signed with the workflow's secret (header Wasmtrack-Signature); retried with backoff when the receiver fails." }
                    }
                    Kind::Delay => {
                        div.inline-fields {
                            (self.text(&format!("{at}-amount"), "Wait for", &a.amount, None))
                            (self.select(&format!("{at}-unit"), "Unit", &units, &a.unit))
                        }
                    }
                    Kind::DelayUntil => {
                        (self.select(&format!("{at}-event"), "Wait until the contact completes", &self.events(), &a.event))
                        (self.filters(&at, &step, &a.event, &a.filters))
                        div.inline-fields {
                            (self.text(&format!("{at}-max_amount"), "But at most", &a.max_amount, None))
                            (self.select(&format!("{at}-max_unit"), "Unit", &units, &a.max_unit))
                        }
                        p.check {
                            input #(format!("{at}-forever")) type="checkbox" name=(format!("{at}-forever")) checked[a.forever];
                            " "
                            label for=(format!("{at}-forever")) { "No maximum: wait as long as it takes" }
                        }
                    }
                }
                p.step-buttons {
                    @if j > 0 {
                        button type="submit" name="op" value=(format!("up:{j}")) { "Move up" span.sr-only { " " (step) } }
                    }
                    @if j + 1 < count {
                        button type="submit" name="op" value=(format!("down:{j}")) { "Move down" span.sr-only { " " (step) } }
                    }
                    button.remove type="submit" name="op" value=(format!("remove_action:{j}")) { "Remove " (step) }
                }
            }
        }
    }
}

/// The editor with `draft` in it: `existing` is the workflow being edited (`None`: a new one).
fn render(
    state: &AppState,
    signed: &Signed,
    existing: Option<&Workflow>,
    draft: &Draft,
    errors: &[FieldError],
    focus: Option<&str>,
    status: StatusCode,
) -> Response {
    let definitions = state.store.definitions();
    let ctx = Ctx {
        errors,
        focus,
        definitions: &definitions,
    };
    let (action, title, back) = match existing {
        Some(w) => (
            format!("{}/edit", workflow_path(w.id)),
            format!("Edit {}", w.name),
            workflow_path(w.id),
        ),
        None => (
            "/app/workflows/new".to_owned(),
            "Create a workflow".to_owned(),
            "/app/workflows".to_owned(),
        ),
    };
    let count = draft.actions.len();
    let body = html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" aria-labelledby="problems" tabindex="-1" autofocus {
                h2 #problems { "The workflow was not saved: " (errors.len()) " problem" @if errors.len() > 1 { "s" } }
                ul {
                    @for e in errors {
                        li { a href=(format!("#{}", input_of(&e.field))) { (place_of(&e.field)) ": " (e.message) } }
                    }
                }
            }
        }
        @if definitions.is_empty() {
            p.notice { "No event is defined yet: a workflow starts when a contact completes one. "
                a href="/app/events/new" { "Create an event" } " first." }
        }
        form.workflow method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            div.title-row {
                (ctx.text("name", "Workflow name", &draft.name, None))
                // First in the form: Enter in any text field saves rather than pressing a
                // row's button.
                button.primary type="submit" name="op" value="save" { "Save" }
                a.button href=(back) { "Cancel" }
            }
            fieldset.section #triggers {
                legend { "Enroll a contact when any of these happens" }
                (ctx.problem("triggers"))
                @for (i, t) in draft.triggers.iter().enumerate() {
                    @let at = format!("t{i}");
                    @let where_ = format!("trigger {}", i + 1);
                    fieldset.block aria-labelledby=(format!("{at}-title")) {
                        h3 #(format!("{at}-title")) { @if i > 0 { "Or: " } "Trigger " (i + 1) }
                        (ctx.select(&format!("{at}-event"), "The contact completes", &ctx.events(), &t.event))
                        (ctx.filters(&at, &where_, &t.event, &t.filters))
                        p.step-buttons {
                            button.remove type="submit" name="op" value=(format!("remove_trigger:{i}")) { "Remove trigger " (i + 1) }
                        }
                    }
                }
                button #add_trigger type="submit" name="op" value="add_trigger" autofocus[ctx.autofocus("add_trigger")] { "Add another trigger (or)" }
            }
            p.check {
                input #reenroll type="checkbox" name="reenroll" checked[draft.reenroll];
                " "
                label for="reenroll" { "Re-enrollment: a contact enrolled before enrolls again when it completes a trigger event again" }
            }
            fieldset.section #actions {
                legend { "Then, for each enrolled contact, in this order" }
                (ctx.problem("actions"))
                @for (j, a) in draft.actions.iter().enumerate() {
                    (ctx.action(j, count, a))
                }
                p.step-buttons #add_action tabindex="-1" autofocus[ctx.autofocus("add_action")] {
                    button type="submit" name="op" value="add_action:webhook" { "Add a webhook" }
                    button type="submit" name="op" value="add_action:delay" { "Add a delay" }
                    button type="submit" name="op" value="add_action:delayUntil" { "Add a delay until an event" }
                }
            }
            p {
                button.primary type="submit" name="op" value="save" { "Save" }
                " "
                a.button href=(back) { "Cancel" }
            }
            @if existing.is_none() {
                p.hint { "A new workflow is off: switch it on from its page once it is ready." }
            }
        }
    };
    page::framed(status, &title, "/app/workflows", &signed.session, body)
}
