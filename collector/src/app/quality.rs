//! Data quality: what the collector did not store as it was sent. Events whose name has no
//! definition (held for replay, counted by name), properties dropped or cut (grouped by
//! event, property and reason, with counts, first and last time and the latest example), and
//! events refused whole. From a group, one action: define a held event (a minimal definition
//! named after it, then its held events replayed into it, by the code path of
//! `POST /v1/held/{name}/replay`), or add an undefined property to its event's definition.
//!
//! Reading needs the `read` scope, the actions `definitions`. An action answers with a
//! redirect whose `?done=` is a fixed key; the names it carries are shown only when they are
//! valid names, and escaped like everything else.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::header::HeaderMap;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use wasmtrack_core::limits::check_name;

use super::{allowed, allowed_form, page, Signed};
use crate::api::definition_body::{self as body, DefinitionBody, Problems, PropertyBody};
use crate::api::held::replay_held;
use crate::error::ApiError;
use crate::model::definition::MAX_DEFINITION_PROPERTIES;
use crate::model::DefinitionChange;
use crate::scopes::Scope;
use crate::store::{HeldSummary, QualityRow, StoreError, StoredRejection};
use crate::timestamp::{self, now_ms};
use crate::validate::{resolve_event, EventKind};
use crate::AppState;

/// Refused events read for the page: the latest this many (the store keeps a bounded number).
const REFUSED_READ: usize = 1000;

/// The code data quality counts held events under (`api::collect::HELD`).
const HELD: &str = "EVENT_NOT_DEFINED";
/// The code of a property the definition lacks.
const NOT_DEFINED: &str = "PROPERTY_NOT_DEFINED";

/// What a data-quality code means, for people.
fn reason(code: &str) -> &'static str {
    match code {
        NOT_DEFINED => "Property not defined: dropped",
        HELD => "Event not defined: held",
        "INVALID_NUMBER" => "Not a number: dropped",
        "INVALID_DATETIME" => "Not a date and time: dropped",
        "INVALID_ENUMERATION_VALUE" => "Not one of the options: dropped",
        "INVALID_PROPERTY_VALUE" => "Invalid value: dropped",
        "PROPERTY_VALUE_TOO_LONG" => "Value over its length limit: cut",
        "PROPERTY_NAME_TOO_LONG" => "Name too long: dropped",
        "INVALID_PROPERTY_NAME" => "Invalid property name: dropped",
        "TOO_MANY_PROPERTIES" => "Too many properties: the rest dropped",
        "INVALID_EMAIL" => "Not an email address: identity dropped",
        _ => "Dropped",
    }
}

/// `?done=` and what it is about: a fixed key, and names shown only when they are names.
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
    event: Option<String>,
    property: Option<String>,
    stored: Option<String>,
}

impl Done {
    /// The sentence to show, if the query says something this page says.
    fn notice(&self) -> Option<Markup> {
        let name = |n: &Option<String>| n.clone().filter(|n| check_name(n).is_ok());
        let event = name(&self.event)?;
        let stored = self.stored.as_deref().and_then(|s| s.parse::<u64>().ok());
        let held = |n: u64| if n == 1 { "held event" } else { "held events" };
        Some(match self.done.as_deref()? {
            "defined" => html! {
                "Defined " a href=(format!("/app/events/{event}")) { code { (event) } }
                @if let Some(n) = stored.filter(|n| *n > 0) {
                    " and stored its " (page::thousands(n)) " " (held(n)) "."
                } @else { "." }
                " Properties its events carry are dropped until added to it (see below)."
            },
            "replayed" => html! {
                "Stored " (page::thousands(stored.unwrap_or(0))) " " (held(stored.unwrap_or(0)))
                " of " a href=(format!("/app/events/{event}")) { code { (event) } } "."
            },
            "property-added" => {
                let property = name(&self.property)?;
                html! {
                    "Added the text property " code { (property) } " to "
                    a href=(format!("/app/events/{event}")) { code { (event) } }
                    ": its values are kept from now on (those dropped before are not recovered)."
                }
            }
            "property-exists" => {
                let property = name(&self.property)?;
                html! {
                    code { (event) } " has the property " code { (property) } " already."
                }
            }
            _ => return None,
        })
    }
}

/// One group of the data-quality table: every site's counts of (event, property, code).
struct Group {
    event: String,
    property: String,
    code: String,
    sites: Vec<String>,
    count: u64,
    first_seen: i64,
    last_seen: i64,
    example: String,
}

/// The store's counts (per site, last seen first) grouped by event, property and code, last
/// seen first; a group's example is its latest.
fn group(rows: Vec<QualityRow>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut at: HashMap<(String, String, String), usize> = HashMap::new();
    for row in rows {
        let c = row.count;
        let key = (c.event.clone(), c.property.clone(), c.code.clone());
        match at.get(&key) {
            Some(&i) => {
                let g = &mut groups[i];
                g.count += c.count;
                g.first_seen = g.first_seen.min(row.first_seen);
                if c.at > g.last_seen {
                    g.last_seen = c.at;
                    g.example = c.example;
                }
                if !c.site.is_empty() && !g.sites.contains(&c.site) {
                    g.sites.push(c.site);
                }
            }
            None => {
                at.insert(key, groups.len());
                groups.push(Group {
                    event: c.event,
                    property: c.property,
                    code: c.code,
                    sites: if c.site.is_empty() {
                        vec![]
                    } else {
                        vec![c.site]
                    },
                    count: c.count,
                    first_seen: row.first_seen,
                    last_seen: c.at,
                    example: c.example,
                });
            }
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.last_seen));
    groups
}

/// Refused events grouped by name: count, first and last time, the latest reason.
struct Refused {
    name: Option<String>,
    count: u64,
    first: i64,
    last: i64,
    reason: String,
}

fn refused_by_name(list: Vec<StoredRejection>) -> Vec<Refused> {
    let mut out: Vec<Refused> = Vec::new();
    // Newest first: a name's first row is its latest.
    for r in list {
        match out.iter_mut().find(|g| g.name == r.name) {
            Some(g) => {
                g.count += 1;
                g.first = g.first.min(r.received_at);
            }
            None => out.push(Refused {
                name: r.name,
                count: 1,
                first: r.received_at,
                last: r.received_at,
                reason: r.reason,
            }),
        }
    }
    out
}

/// A time as the tables show it, to the minute (`2026-03-04 09:15`), with the full instant
/// for machines.
fn when(ms: i64) -> Markup {
    let full = timestamp::format(ms);
    let short = full.get(..16).unwrap_or(&full).replace('T', " ");
    html! { time datetime=(full) { (short) } }
}

/// An example as data quality keeps it (`id: what happened`): what happened, then the id.
fn example(text: &str) -> Markup {
    match text.split_once(": ") {
        Some((id, message)) if !id.contains(' ') => html! {
            (message) br; span.muted.small { "event " (id) }
        },
        _ => html! { (text) },
    }
}

/// `trial_started` → `Trial started`: the label of what the app defines from a name.
fn label_of(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut words = spaced.split_whitespace();
    let mut out = String::with_capacity(name.len());
    if let Some(first) = words.next() {
        let mut chars = first.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    for w in words {
        out.push(' ');
        out.push_str(w);
    }
    out
}

/// Whether `name` is an event with a definition (directly, or by HubSpot's qualified name),
/// as a replay resolves it.
fn defined(state: &AppState, name: &str) -> bool {
    matches!(
        resolve_event(name, |n| state.store.definition(n)),
        Ok(EventKind::Defined(_))
    )
}

/// `GET /app/quality`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(done): Query<Done>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let held = match state.store.held_summary().await {
        Ok(h) => h,
        Err(e) => return page::store_error(e),
    };
    let groups = match state.store.quality(None, None, 0).await {
        Ok(rows) => group(rows),
        Err(e) => return page::store_error(e),
    };
    let refused = match state.store.rejected(None, REFUSED_READ).await {
        Ok(list) => refused_by_name(list),
        Err(e) => return page::store_error(e),
    };
    let may_change = signed.credential.grants(Scope::Definitions);
    let body = html! {
        @if let Some(notice) = done.notice() {
            p.notice role="status" { (notice) }
        }
        p.hint { "What trackers sent that the collector did not store as it was sent. Nothing here is lost silently: define what is missing, and what comes next is kept." }
        @if !may_change {
            p.hint { "Defining events and properties needs a key with the \u{201c}definitions\u{201d} scope." }
        }
        (held_table(&state, &signed, &held, may_change))
        (groups_table(&state, &signed, &groups, may_change))
        (refused_table(&refused))
    };
    page::page("Data quality", "/app/quality", &signed.session, body)
}

fn held_table(state: &AppState, signed: &Signed, held: &[HeldSummary], may_change: bool) -> Markup {
    html! {
        section aria-labelledby="held" {
            h2 #held { "Events held until they are defined" }
            @if held.is_empty() {
                p.empty { "No event is waiting for its definition." }
            } @else {
                p.hint { "Events whose name has no definition are held, for a while, and stored once it exists. \u{201c}Define this event\u{201d} creates it with no property of its own (add them below as they show up) and stores its held events." }
                table.list {
                    caption.sr-only { "Held events, by name" }
                    thead { tr {
                        th scope="col" { "Event" }
                        th scope="col" .num { "Held" }
                        th scope="col" { "First received (UTC)" }
                        th scope="col" { "Last received (UTC)" }
                        @if may_change { th scope="col" { span.sr-only { "Action" } } }
                    } }
                    tbody {
                        @for h in held {
                            tr {
                                th scope="row" { code { (h.name) } }
                                td.num { (page::thousands(h.count)) }
                                td { (when(h.first_received)) }
                                td { (when(h.last_received)) }
                                @if may_change {
                                    td {
                                        @if defined(state, &h.name) {
                                            form.inline method="post" action="/app/quality/replay" {
                                                input type="hidden" name="csrf" value=(signed.session.csrf);
                                                input type="hidden" name="event" value=(h.name);
                                                button type="submit" { "Store its held events" span.sr-only { " (" (h.name) ")" } }
                                            }
                                        } @else {
                                            form.inline method="post" action="/app/quality/define" {
                                                input type="hidden" name="csrf" value=(signed.session.csrf);
                                                input type="hidden" name="event" value=(h.name);
                                                button.primary type="submit" { "Define this event" span.sr-only { " (" (h.name) ")" } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whether the app may offer to add `g`'s property to its event: a property the definition
/// lacks, with a valid name, on a definition with room for it.
fn addable(state: &AppState, g: &Group) -> bool {
    g.code == NOT_DEFINED
        && check_name(&g.property).is_ok()
        && state.store.definition(&g.event).is_some_and(|d| {
            d.property(&g.property).is_none() && d.properties.len() < MAX_DEFINITION_PROPERTIES
        })
}

fn groups_table(state: &AppState, signed: &Signed, groups: &[Group], may_change: bool) -> Markup {
    html! {
        section aria-labelledby="dropped" {
            h2 #dropped { "Dropped, cut and held, by event, property and reason" }
            @if groups.is_empty() {
                p.empty { "Nothing was dropped, cut or held." }
            } @else {
                table.list {
                    caption.sr-only { "Data-quality problems, last seen first" }
                    thead { tr {
                        th scope="col" { "Event" }
                        th scope="col" { "Property" }
                        th scope="col" { "Reason" }
                        th scope="col" .num { "Times" }
                        th scope="col" { "First seen (UTC)" }
                        th scope="col" { "Last seen (UTC)" }
                        th scope="col" { "Latest example" }
                        @if may_change { th scope="col" { span.sr-only { "Action" } } }
                    } }
                    tbody {
                        @for g in groups {
                            tr {
                                td { code { (g.event) } }
                                td { @if g.property.is_empty() { span.muted { "the event" } } @else { code { (g.property) } } }
                                td {
                                    (reason(&g.code)) br; code.small { (g.code) }
                                    @if !g.sites.is_empty() {
                                        br; span.muted { "site " @for (i, s) in g.sites.iter().enumerate() { @if i > 0 { ", " } (s) } }
                                    }
                                }
                                td.num { (page::thousands(g.count)) }
                                td { (when(g.first_seen)) }
                                td { (when(g.last_seen)) }
                                td.example { (example(&g.example)) }
                                @if may_change {
                                    td {
                                        @if addable(state, g) {
                                            form.inline method="post" action="/app/quality/add-property" {
                                                input type="hidden" name="csrf" value=(signed.session.csrf);
                                                input type="hidden" name="event" value=(g.event);
                                                input type="hidden" name="property" value=(g.property);
                                                button type="submit" { "Add this property" span.sr-only { " (" (g.property) " of " (g.event) ")" } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn refused_table(refused: &[Refused]) -> Markup {
    html! {
        section aria-labelledby="refused" {
            h2 #refused { "Events refused whole" }
            @if refused.is_empty() {
                p.empty { "No event was refused." }
            } @else {
                p.hint { "Events that can never be stored as sent (no readable id, a time out of range, an object a browser cannot name, …), among the latest " (page::thousands(REFUSED_READ as u64)) " kept." }
                table.list {
                    caption.sr-only { "Refused events, by name, last refused first" }
                    thead { tr {
                        th scope="col" { "Event" }
                        th scope="col" .num { "Refused" }
                        th scope="col" { "First (UTC)" }
                        th scope="col" { "Last (UTC)" }
                        th scope="col" { "Latest reason" }
                    } }
                    tbody {
                        @for r in refused {
                            tr {
                                td { @match &r.name { Some(n) => code { (n) }, None => span.muted { "no readable name" } } }
                                td.num { (page::thousands(r.count)) }
                                td { (when(r.first)) }
                                td { (when(r.last)) }
                                td.example { (r.reason) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The fields of the action forms.
#[derive(Deserialize, Default)]
pub struct Action {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    event: String,
    #[serde(default)]
    property: String,
}

/// A definition the API's rules refuse, as a page.
fn refused(err: ApiError) -> Response {
    match err {
        ApiError::Validation { message, .. } => page::error(StatusCode::BAD_REQUEST, &message),
        other => {
            tracing::error!(?other, "analyst app: unexpected refusal");
            page::error(
                StatusCode::BAD_REQUEST,
                "The collector refused this change; reload the page and try again.",
            )
        }
    }
}

/// The name a form names, checked as every event and property name is.
fn named(text: &str, what: &str) -> Result<String, Response> {
    let name = text.trim();
    check_name(name).map(|_| name.to_owned()).map_err(|e| {
        page::error(
            StatusCode::BAD_REQUEST,
            &format!("This is not {what} name: {}.", e.message()),
        )
    })
}

fn back(query: &str) -> Response {
    page::see_other(&format!("/app/quality?{query}"))
}

/// `POST /app/quality/define`: creates a minimal definition named after a held event (label
/// from the name, associated with contacts, no property of its own), then replays its held
/// events into it.
pub async fn define(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Action>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        return r;
    }
    let name = match named(&form.event, "an event") {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !defined(&state, &name) {
        let def = body::new_definition(
            DefinitionBody {
                label: Some(label_of(&name)),
                name: Some(name.clone()),
                ..DefinitionBody::default()
            },
            now_ms(),
        );
        let def = match def {
            Ok(d) => d,
            Err(e) => return refused(e),
        };
        match state.store.create_definition(def).await {
            // Defined meanwhile (another tab, the API): its held events are replayed all the same.
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return page::store_error(e),
        }
    }
    match replay_held(&state, &name).await {
        Ok(r) => back(&format!("done=defined&event={name}&stored={}", r.stored)),
        Err(e) => page::store_error(e),
    }
}

/// `POST /app/quality/replay`: stores the held events of an event defined since.
pub async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Action>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        return r;
    }
    let name = match named(&form.event, "an event") {
        Ok(n) => n,
        Err(r) => return r,
    };
    match replay_held(&state, &name).await {
        Ok(r) => back(&format!("done=replayed&event={name}&stored={}", r.stored)),
        Err(e) => page::store_error(e),
    }
}

/// `POST /app/quality/add-property`: adds a text property to an event's definition.
pub async fn add_property(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Action>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        return r;
    }
    let (event, property) = match (
        named(&form.event, "an event"),
        named(&form.property, "a property"),
    ) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let Some(def) = state.store.definition(&event) else {
        return page::no_event(&event);
    };
    let done = format!("event={event}&property={property}");
    if def.property(&property).is_some() {
        return back(&format!("done=property-exists&{done}"));
    }
    let mut problems = Problems::default();
    let added = body::property(
        PropertyBody {
            name: Some(property.clone()),
            label: Some(label_of(&property)),
            kind: Some("string".into()),
            ..PropertyBody::default()
        },
        "",
        now_ms(),
        &mut problems,
    );
    if let Err(e) = problems.finish() {
        return refused(e);
    }
    match state
        .store
        .change_definition(def.name.clone(), DefinitionChange::AddProperty(added))
        .await
    {
        Ok(_) => back(&format!("done=property-added&{done}")),
        Err(e) => page::store_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::QualityCount;

    fn row(event: &str, property: &str, site: &str, count: u64, first: i64, at: i64) -> QualityRow {
        QualityRow {
            count: QualityCount {
                event: event.into(),
                property: property.into(),
                code: NOT_DEFINED.into(),
                site: site.into(),
                count,
                at,
                example: format!("{site}@{at}"),
            },
            first_seen: first,
        }
    }

    #[test]
    fn the_sites_counts_of_a_problem_are_one_group() {
        let groups = group(vec![
            row("signup", "coupon", "b", 2, 5, 9),
            row("signup", "coupon", "a", 3, 1, 7),
            row("signup", "seats", "a", 1, 8, 8),
        ]);
        assert_eq!(groups.len(), 2);
        let coupon = &groups[0];
        assert_eq!(
            (coupon.count, coupon.first_seen, coupon.last_seen),
            (5, 1, 9)
        );
        assert_eq!(coupon.example, "b@9", "the latest example");
        assert_eq!(coupon.sites, ["b", "a"]);
        assert_eq!(groups[1].property, "seats");
    }

    #[test]
    fn labels_read_from_names() {
        assert_eq!(label_of("trial_started"), "Trial started");
        assert_eq!(label_of("a__b_"), "A b");
        assert_eq!(label_of("x"), "X");
    }

    #[test]
    fn a_notice_names_only_names() {
        let done = |done: &str, event: &str| Done {
            done: Some(done.into()),
            event: Some(event.into()),
            property: Some("coupon".into()),
            stored: Some("2".into()),
        };
        let text = done("defined", "trial_started")
            .notice()
            .unwrap()
            .into_string();
        assert!(text.contains("stored its 2 held events"), "{text}");
        assert!(done("defined", "<b>x</b>").notice().is_none());
        assert!(done("anything", "trial_started").notice().is_none());
        assert!(done("property-added", "signup")
            .notice()
            .unwrap()
            .into_string()
            .contains("<code>coupon</code>"));
    }
}
