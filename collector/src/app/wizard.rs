//! Creating an event (SPEC §2, the reference page's wizard): how it will be tracked; label,
//! internal name (derived from the label, editable, checked live by the very rules and
//! messages of the API), description, associated object; properties with their type and, for
//! enumerations, their options. On success the event's page opens with the next step for the
//! chosen way of tracking (the ready "JavaScript code" block, the HTTP API call).
//!
//! The form is plain HTML that works without JS (a fixed number of property rows; more after
//! saving); `app.js` derives the name as the label is typed and shows the API's verdict on it
//! as it changes (`GET /app/events/new/check`).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::{allowed, allowed_form, page, signed_in, Signed};
use crate::api::definition_body::{self, DefinitionBody, OptionBody, PropertyBody};
use crate::error::{ApiError, ErrorDetail};
use crate::model::PropertyType;
use crate::scopes::Scope;
use crate::timestamp::now_ms;
use crate::AppState;

/// Property rows the form shows.
const ROWS: usize = 5;

/// The ways an event can be tracked: (form value, label, what it means).
pub const HOW: [(&str, &str, &str); 4] = [
    (
        "js",
        "JavaScript code",
        "Your site calls the tracker with a line of code we prepare.",
    ),
    (
        "visualizer",
        "Event visualizer",
        "Point at a button or page on your live site; no code.",
    ),
    (
        "import",
        "Spreadsheet import",
        "Upload completions recorded elsewhere (CSV, XLSX).",
    ),
    (
        "api",
        "HTTP API",
        "Your servers send completions to the collector.",
    ),
];

/// The form as posted: every field by name (properties as `p0.label`, `p0.type`, …).
pub(super) type Fields = Vec<(String, String)>;

/// The posted value of field `name` (empty when absent).
pub(super) fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// `text` trimmed, unless nothing is left.
pub(super) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// `GET /app/events/new`.
pub async fn form(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render(&signed, &Fields::new(), &[])
}

/// `POST /app/events/new`: creates the definition, or shows the form again with each
/// problem next to its field.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let signed =
        match allowed_form(&state, &headers, field(&fields, "csrf"), Scope::Definitions).await {
            Ok(s) => s,
            Err(r) => return r,
        };
    let body = definition_of(&fields);
    let created = match definition_body::new_definition(body, now_ms()) {
        Ok(def) => state
            .store
            .create_definition(def)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match created {
        Ok(def) => {
            let how = Some(field(&fields, "how"))
                .filter(|h| HOW.iter().any(|(v, _, _)| v == h))
                .unwrap_or("js");
            page::see_other(&format!("/app/events/{}?created={how}", def.name))
        }
        Err(ApiError::Validation { errors, .. }) => render(&signed, &fields, &errors),
        Err(ApiError::Conflict(message)) => render(
            &signed,
            &fields,
            &[ErrorDetail::new("CONFLICT", message).at("name")],
        ),
        Err(other) => other.into_response(),
    }
}

/// The API's body for what the form says (empty rows left out).
fn definition_of(fields: &Fields) -> DefinitionBody {
    let text = |name: &str| non_empty(field(fields, name));
    let mut properties = Vec::new();
    for i in 0..ROWS {
        let at = |f: &str| text(&format!("p{i}.{f}"));
        if at("label").is_none() && at("name").is_none() {
            continue;
        }
        let options = at("options").map(|o| parse_options(&o));
        properties.push(PropertyBody {
            name: at("name"),
            label: at("label"),
            description: None,
            kind: at("type"),
            options,
        });
    }
    DefinitionBody {
        label: text("label"),
        name: text("name"),
        description: text("description"),
        primary_object: text("object"),
        property_definitions: Some(properties),
        include_default_properties: None,
    }
}

/// Enumeration options, a line each: `Label = value`, or just `value` (its own label).
pub fn parse_options(text: &str) -> Vec<OptionBody> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (label, value) = match line.rsplit_once('=') {
                Some((l, v)) => (l.trim(), v.trim()),
                None => (line, line),
            };
            OptionBody {
                label: Some(label.to_owned()),
                value: Some(value.to_owned()),
                ..OptionBody::default()
            }
        })
        .collect()
}

/// The form's field a problem of the API's body is about (`propertyDefinitions[1].options[0].value`
/// is the options of row 1: `p1.options`).
fn field_of(location: &str) -> String {
    if let Some(rest) = location.strip_prefix("propertyDefinitions[") {
        if let Some((i, rest)) = rest.split_once("].") {
            let f = rest.split(['.', '[']).next().unwrap_or(rest);
            return format!("p{i}.{f}");
        }
    }
    match location {
        "primaryObject" => "object".to_owned(),
        other => other.to_owned(),
    }
}

fn render(signed: &Signed, fields: &Fields, errors: &[ErrorDetail]) -> Response {
    let problem = |name: &str| -> Option<String> {
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| e.location.as_deref().map(field_of).as_deref() == Some(name))
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    };
    let value = |name: &str| field(fields, name).to_owned();
    let how = Some(field(fields, "how"))
        .filter(|h| !h.is_empty())
        .unwrap_or("js");
    let input = |name: &str, label: &str, hint: Option<&str>| -> Markup {
        let id = name.replace('.', "-");
        let error = problem(name);
        let error_id = format!("{id}-error");
        html! {
            div.field {
                label for=(id) { (label) }
                @if let Some(hint) = hint { span.hint id=(format!("{id}-hint")) { (hint) } }
                input id=(id) name=(name) value=(value(name))
                    aria-invalid=[error.as_ref().map(|_| "true")]
                    aria-describedby=[error.as_ref().map(|_| error_id.clone())];
                @if let Some(e) = &error { span.field-error id=(error_id) { (e) } }
            }
        }
    };
    let body = html! {
        @if !errors.is_empty() {
            div.error role="alert" {
                p { "The event was not created:" }
                ul { @for e in errors { li { (e.message) } } }
            }
        }
        form.wizard method="post" action="/app/events/new" novalidate {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            fieldset {
                legend { "How will this event be tracked?" }
                @for (v, label, what) in HOW {
                    div.choice {
                        input type="radio" name="how" id=(format!("how-{v}")) value=(v) checked[v == how];
                        label for=(format!("how-{v}")) { (label) }
                        span.hint { (what) }
                    }
                }
            }
            fieldset {
                legend { "The event" }
                (input("label", "Event label", Some("What people see, e.g. \u{201c}Trial started\u{201d}.")))
                div.field {
                    label for="name" { "Internal name" }
                    span.hint #name-hint { "Derived from the label; a letter first, then a-z, 0-9 and _. It cannot be changed later." }
                    input #name name="name" value=(value("name")) data-check="/app/events/new/check"
                        aria-describedby="name-hint name-check"
                        aria-invalid=[problem("name").map(|_| "true")];
                    span.field-error #name-check aria-live="polite" { (problem("name").unwrap_or_default()) }
                }
                div.field {
                    label for="description" { "Description" }
                    textarea #description name="description" rows="2" { (value("description")) }
                }
                div.field {
                    label for="object" { "Associated object" }
                    select #object name="object" {
                        @for o in ["CONTACT", "COMPANY", "DEAL", "TICKET"] {
                            option value=(o) selected[value("object") == o] { (o.to_lowercase()) }
                        }
                    }
                    @if let Some(e) = problem("object") { span.field-error { (e) } }
                }
            }
            fieldset {
                legend { "Properties" }
                p.hint { "Each completion may carry up to 50 of them. For an enumeration, give its options a line each: " code { "Label = value" } "." }
                @for i in 0..ROWS {
                    div.prop-row role="group" aria-label=(format!("Property {}", i + 1)) {
                        (input(&format!("p{i}.label"), &format!("Property {} label", i + 1), None))
                        (input(&format!("p{i}.name"), &format!("Property {} internal name", i + 1), None))
                        div.field {
                            label for=(format!("p{i}-type")) { "Property " (i + 1) " type" }
                            select id=(format!("p{i}-type")) name=(format!("p{i}.type")) {
                                @for t in [PropertyType::String, PropertyType::Number, PropertyType::Datetime, PropertyType::Enumeration] {
                                    option value=(t.as_str()) selected[value(&format!("p{i}.type")) == t.as_str()] { (t.as_str()) }
                                }
                            }
                        }
                        div.field {
                            label for=(format!("p{i}-options")) { "Property " (i + 1) " options (enumeration)" }
                            textarea id=(format!("p{i}-options")) name=(format!("p{i}.options")) rows="2" { (value(&format!("p{i}.options"))) }
                            @if let Some(e) = problem(&format!("p{i}.options")) { span.field-error { (e) } }
                        }
                    }
                }
            }
            button.primary type="submit" { "Create event" }
        }
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    page::framed(
        status,
        "Create an event",
        "/app/events",
        &signed.session,
        body,
    )
}

/// `?label=&name=` of the live check.
#[derive(Deserialize, Default)]
pub struct Check {
    label: Option<String>,
    name: Option<String>,
}

/// `GET /app/events/new/check`: the internal name for a label (when no name is typed) and the
/// API's verdict on it, as JSON for `app.js`: `{"name","problem"}`.
pub async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<Check>,
) -> Response {
    if let Err(r) = signed_in(&state, &headers, &uri).await {
        return r;
    }
    let given = q.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let label = q.label.unwrap_or_default();
    let mut problems = definition_body::Problems::default();
    let name = definition_body::internal_name(given, label.trim(), "name", &mut problems);
    let mut problem = problems.first_message();
    if problem.is_none() && !name.is_empty() && state.store.definition(&name).is_some() {
        problem = Some(format!("an event named \"{name}\" already exists"));
    }
    Json(json!({ "name": name, "problem": problem })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_a_line_each() {
        let o = parse_options("Free = free\n Pro=pro \n\nteam");
        let pairs: Vec<(String, String)> = o
            .into_iter()
            .map(|o| (o.label.unwrap(), o.value.unwrap()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("Free".into(), "free".into()),
                ("Pro".into(), "pro".into()),
                ("team".into(), "team".into())
            ]
        );
    }

    #[test]
    fn problems_find_their_field() {
        assert_eq!(field_of("label"), "label");
        assert_eq!(field_of("primaryObject"), "object");
        assert_eq!(field_of("propertyDefinitions[2].name"), "p2.name");
        assert_eq!(
            field_of("propertyDefinitions[0].options[1].value"),
            "p0.options"
        );
    }
}
