//! `/v1/sites/{site}/rules`: the auto-tracking rules the visualizer saves and every tracker
//! of the site fetches on each page (SPEC §5).
//!
//! The list is public and cheap: it is served from memory with a strong `ETag` (the site's
//! rules version), and `If-None-Match` answers 304 without a body. Saving and deleting take
//! the admin token or a visualizer token of the same site. Saving a rule also creates its
//! event definition, or adds the properties the definition lacks, in the same transaction,
//! so the completions the trackers then send validate.
//!
//! A rule in JSON: `{"id","eventName","label","kind":"click","selector","properties":
//! [{"name","source"}],"createdAt"}`, or with `"kind":"pageview","match","value"` instead of
//! `selector`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use wasmtrack_core::autotrack::encode_rules;
use wasmtrack_core::limits::{check_name, js_len};
use wasmtrack_core::rules::{self as shared, valid_attribute, Capture, Source, Trigger, UrlMatch};
use wasmtrack_core::rules::{ELEMENT_TEXT, MAX_RULE_PROPERTIES, MAX_RULE_TEXT, SELECTOR};

use super::definition_body::{internal_name, label, Problems, MAX_EVENT_LABEL};
use super::openapi::schemas;
use crate::error::{ApiError, AppJson};
use crate::model::Rule;
use crate::timestamp::{self, now_ms};
use crate::validate::strip_portal_prefix;
use crate::{auth, AppState};

/// Body of `POST /v1/sites/{site}/rules`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleBody {
    /// Shown to people; 1 to 100 characters.
    #[schema(required = true)]
    label: Option<String>,
    /// The event to track; derived from the label when absent.
    event_name: Option<String>,
    /// `click` or `pageview`.
    #[schema(required = true)]
    kind: Option<String>,
    /// Click rules: a CSS selector, at most 1024 characters.
    selector: Option<String>,
    /// Page-view rules: `exact`, `startsWith`, `contains` or `pattern`.
    #[serde(rename = "match")]
    matching: Option<String>,
    /// Page-view rules: what the URL path is compared with, at most 1024 characters.
    value: Option<String>,
    /// At most 20 properties captured from the clicked element.
    properties: Option<Vec<CaptureBody>>,
}

/// A captured property in a request.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CaptureBody {
    /// Property name (the name rule; not `element_text` or `selector`).
    name: Option<String>,
    /// `text` or `attr:<attribute name>`.
    source: Option<String>,
}

/// A rule as the API shows it: the shared model's JSON (`wasmtrack_core::rules`) and when it
/// was created.
pub fn rule_json(rule: &Rule) -> Value {
    let mut out = serde_json::to_value(&rule.rule).unwrap_or_default();
    out["createdAt"] = json!(timestamp::format(rule.created_at));
    out
}

/// `?format=` of the list: JSON (people, the visualizer) or the trackers' text.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    format: Option<String>,
}

/// The strong entity tag of a site's rule list at `version`, per representation.
fn etag(version: i64, text: bool) -> String {
    if text {
        format!("\"r1-{version}-t\"")
    } else {
        format!("\"r1-{version}\"")
    }
}

/// Whether an `If-None-Match` header names `etag` (or is `*`); weak comparison, as RFC 9110
/// asks for this header.
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// `GET /v1/sites/{site}/rules` → 200 `{"version","rules":[…]}`, or with `?format=text` the
/// trackers' text (`core::autotrack`), with `ETag` and `Cache-Control: no-cache`; 304 when
/// `If-None-Match` names the current tag; 404 for an unknown site, 400 for another format.
#[utoipa::path(
    get, path = "/v1/sites/{site}/rules", tag = "Auto-tracking rules",
    operation_id = "listRules",
    summary = "A site's auto-tracking rules (public: every tracker of the site fetches them)",
    description = "With a strong `ETag`; `If-None-Match` answers 304 while nothing changed. `?format=text` answers the trackers' text format instead (`text/plain`, its own tag).",
    params(
        ("site" = String, Path, description = "The site id"),
        ("format" = Option<String>, Query, description = "`json` (default) or `text`"),
    ),
    responses(
        (status = 200, description = "The rules", body = schemas::RuleList),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Another format", body = schemas::Error),
        (status = 404, description = "No such site", body = schemas::Error),
    ),
    security(()),
)]
pub async fn list(
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let text = match query.format.as_deref() {
        None | Some("json") => false,
        Some("text") => true,
        Some(other) => {
            return Err(ApiError::field(
                "format",
                format!("format \"{other}\" is not one of json, text"),
            ));
        }
    };
    let set = state
        .store
        .rules(&site)
        .ok_or_else(|| ApiError::NotFound(format!("site \"{site}\" does not exist")))?;
    let tag = etag(set.version, text);
    let mut response = if none_match(&headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if text {
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            encode_rules(set.rules.iter().map(|r| &r.rule)),
        )
            .into_response()
    } else {
        let rules: Vec<Value> = set.rules.iter().map(|r| rule_json(r)).collect();
        AppJson(json!({ "version": set.version, "rules": rules })).into_response()
    };
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `POST /v1/sites/{site}/rules` (admin, or a visualizer token of the site) → 201 with the
/// rule; its definition is created or extended in the same transaction.
#[utoipa::path(
    post, path = "/v1/sites/{site}/rules", tag = "Auto-tracking rules",
    operation_id = "createRule",
    summary = "Save a rule; its event definition is created or extended in the same transaction",
    params(("site" = String, Path, description = "The site id")),
    request_body = RuleBody,
    responses(
        (status = 201, description = "Saved", body = schemas::Rule),
        (status = 400, description = "The rule breaks a rule: every problem is listed", body = schemas::Error),
        (status = 401, description = "Neither a key nor a visualizer token of the site", body = schemas::Error),
        (status = 403, description = "A token of another site, or a key without the scope", body = schemas::Error),
        (status = 404, description = "No such site", body = schemas::Error),
        (status = 409, description = "The site has as many rules, or rule bytes, as it may have", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"]), ("visualizer" = [])),
)]
pub async fn create(
    State(state): State<AppState>,
    Path(site): Path<String>,
    headers: HeaderMap,
    body: Result<AppJson<RuleBody>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    auth::caller(&state, &headers).await?.may_change(&site)?;
    if state.store.site(&site).is_none() {
        return Err(ApiError::NotFound(format!(
            "site \"{site}\" does not exist"
        )));
    }
    let AppJson(body) = body?;
    let mut rule = new_rule(body, site, now_ms())?;
    // A HubSpot-style fully qualified name of an existing event names that event.
    if state.store.definition(&rule.event_name).is_none() {
        if let Some(name) = strip_portal_prefix(&rule.event_name)
            .filter(|name| state.store.definition(name).is_some())
        {
            rule.event_name = name.to_owned();
        }
    }
    let saved = state.store.create_rule(rule).await?;
    Ok((StatusCode::CREATED, AppJson(rule_json(&saved.rule))))
}

/// `DELETE /v1/sites/{site}/rules/{id}` (admin, or a visualizer token of the site) → 204;
/// the event definition stays.
#[utoipa::path(
    delete, path = "/v1/sites/{site}/rules/{id}", tag = "Auto-tracking rules",
    operation_id = "deleteRule",
    summary = "Delete a rule (its event definition and events stay)",
    params(("site" = String, Path, description = "The site id"), ("id" = i64, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Neither a key nor a visualizer token of the site", body = schemas::Error),
        (status = 403, description = "A token of another site, or a key without the scope", body = schemas::Error),
        (status = 404, description = "No such site or rule", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"]), ("visualizer" = [])),
)]
pub async fn delete(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let Path((site, id)) =
        path.map_err(|e| ApiError::NotFound(format!("no such rule: {}", e.body_text())))?;
    auth::caller(&state, &headers).await?.may_change(&site)?;
    if state.store.site(&site).is_none() {
        return Err(ApiError::NotFound(format!(
            "site \"{site}\" does not exist"
        )));
    }
    let id = id
        .parse::<u64>()
        .map_err(|_| ApiError::NotFound(format!("site \"{site}\" has no rule {id}")))?;
    state.store.delete_rule(site, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads a new rule, reporting every problem at once; `id` is assigned by the store.
pub fn new_rule(body: RuleBody, site: String, now: i64) -> Result<Rule, ApiError> {
    let mut problems = Problems::default();
    let label = label(
        body.label.as_deref(),
        "label",
        MAX_EVENT_LABEL,
        &mut problems,
    );
    let event_name = internal_name(
        body.event_name.as_deref(),
        &label,
        "eventName",
        &mut problems,
    );
    let trigger = match body.kind.as_deref() {
        Some("click") => Some(Trigger::Click(text(
            body.selector.as_deref(),
            "selector",
            &mut problems,
        ))),
        Some("pageview") => {
            let matching = match body.matching.as_deref() {
                Some(m) => UrlMatch::parse(m).unwrap_or_else(|| {
                    problems.add(
                        "match",
                        format!("match \"{m}\" is not one of exact, startsWith, contains, pattern"),
                    );
                    UrlMatch::Exact
                }),
                None => {
                    problems.add(
                        "match",
                        "match is required for a pageview rule (exact, startsWith, contains or pattern)",
                    );
                    UrlMatch::Exact
                }
            };
            let value = text(body.value.as_deref(), "value", &mut problems);
            Some(Trigger::PageView(matching.with(value)))
        }
        Some(other) => {
            problems.add(
                "kind",
                format!("kind \"{other}\" is not one of click, pageview"),
            );
            None
        }
        None => {
            problems.add("kind", "kind is required (click or pageview)");
            None
        }
    };
    let properties = captures(body.properties.unwrap_or_default(), &mut problems);
    problems.finish()?;
    let trigger = trigger.ok_or_else(|| ApiError::field("kind", "kind is required"))?;
    Ok(Rule {
        site,
        created_at: now,
        rule: shared::Rule {
            id: 0,
            event_name,
            label,
            trigger,
            properties,
        },
    })
}

/// A selector or a match value: required, trimmed, at most [`MAX_RULE_TEXT`].
fn text(value: Option<&str>, field: &str, problems: &mut Problems) -> String {
    match value.map(str::trim) {
        None | Some("") => {
            problems.add(field, format!("{field} is required"));
            String::new()
        }
        Some(text) if js_len(text) > MAX_RULE_TEXT => {
            problems.add(
                field,
                format!("{field} is longer than {MAX_RULE_TEXT} characters"),
            );
            String::new()
        }
        Some(text) => text.to_owned(),
    }
}

/// The captured properties: at most [`MAX_RULE_PROPERTIES`], valid unique names other than
/// the automatic ones, sources `text` or `attr:<name>`.
fn captures(list: Vec<CaptureBody>, problems: &mut Problems) -> Vec<Capture> {
    if list.len() > MAX_RULE_PROPERTIES {
        problems.add(
            "properties",
            format!("a rule captures at most {MAX_RULE_PROPERTIES} properties"),
        );
    }
    let mut out: Vec<Capture> = Vec::with_capacity(list.len());
    // Every name given, also those whose source is refused: a repeat is named either way.
    let mut seen: Vec<String> = Vec::with_capacity(list.len());
    for (i, c) in list.into_iter().enumerate() {
        let at = format!("properties[{i}]");
        let name = c.name.unwrap_or_default();
        if let Err(e) = check_name(&name) {
            problems.add(
                format!("{at}.name"),
                format!("property name \"{name}\" is invalid: {}", e.message()),
            );
        } else if name == ELEMENT_TEXT || name == SELECTOR {
            problems.add(
                format!("{at}.name"),
                format!("property name \"{name}\" is reserved: click events carry it already"),
            );
        } else if seen.contains(&name) {
            problems.add(
                format!("{at}.name"),
                format!("property \"{name}\" is captured twice"),
            );
        }
        seen.push(name.clone());
        let text = c.source.unwrap_or_default();
        let source = Source::parse(&text).filter(|s| match s {
            Source::Text => true,
            Source::Attribute(name) => valid_attribute(name),
        });
        match source {
            Some(source) => out.push(Capture { name, source }),
            None => problems.add(
                format!("{at}.source"),
                format!("source \"{text}\" is not `text` or `attr:` and an attribute name"),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> RuleBody {
        serde_json::from_str(json).unwrap()
    }

    fn fields(err: ApiError) -> Vec<String> {
        let ApiError::Validation { errors, .. } = err else {
            panic!("not a validation error: {err:?}")
        };
        errors.into_iter().filter_map(|e| e.location).collect()
    }

    #[test]
    fn a_click_rule_is_read_with_a_derived_event_name() {
        let rule = new_rule(
            body(r##"{"label":"Pricing CTA clicked","kind":"click","selector":" #buy-pro ","properties":[{"name":"plan","source":"attr:data-plan"}]}"##),
            "demo".into(),
            7,
        )
        .unwrap();
        assert_eq!(rule.event_name, "pricing_cta_clicked");
        assert_eq!(rule.trigger, Trigger::Click("#buy-pro".into()));
        assert_eq!(
            rule_json(&rule)["properties"],
            json!([{"name": "plan", "source": "attr:data-plan"}])
        );
    }

    #[test]
    fn every_problem_is_named() {
        let err = new_rule(
            body(
                r#"{"label":"","kind":"pageview","match":"regex","properties":[
                {"name":"selector","source":"text"},{"name":"Bad","source":"html"},
                {"name":"a","source":"attr:"},{"name":"a","source":"text"}]}"#,
            ),
            "demo".into(),
            1,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "label",
                "match",
                "value",
                "properties[0].name",
                "properties[1].name",
                "properties[1].source",
                "properties[2].source",
                "properties[3].name"
            ]
        );
        let long = "a".repeat(MAX_RULE_TEXT + 1);
        let err = new_rule(
            body(&format!(
                r#"{{"label":"L","kind":"click","selector":"{long}"}}"#
            )),
            "demo".into(),
            1,
        )
        .unwrap_err();
        assert_eq!(fields(err), ["selector"]);
        let err = new_rule(body(r#"{"label":"L"}"#), "demo".into(), 1).unwrap_err();
        assert_eq!(fields(err), ["kind"]);
    }

    #[test]
    fn if_none_match_reads_lists_weak_tags_and_star() {
        let tag = etag(3, false);
        assert_ne!(etag(3, true), tag, "one tag per representation");
        let mut headers = HeaderMap::new();
        assert!(!none_match(&headers, &tag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"r1-2\", W/\"r1-3\""),
        );
        assert!(none_match(&headers, &tag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"r1-2\""));
        assert!(!none_match(&headers, &tag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(none_match(&headers, &tag));
    }
}
