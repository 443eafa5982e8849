//! Contacts: the list (searchable by email, most recently active first) and a contact's page,
//! with its identity, its visitor ids and its timeline: every event it completed, its
//! visitors' anonymous ones included, newest first, filterable by event type, each row opening
//! to its properties and the page it happened on.
//!
//! What the tracker sent shows as text (maud escapes it); a value becomes a link only when it
//! is an `http(s)://` address, so a `javascript:` URL stays words on the page, and a link never
//! tells the site it leads to where it was followed from (`rel="noopener noreferrer"`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::{allowed, page};
use crate::model::{EventDefinition, PrimaryObject};
use crate::scopes::Scope;
use crate::store::{
    ContactCursor, ContactQuery, ContactSummary, Cursor, EventQuery, ObjectFilter, StoredEvent,
};
use crate::timestamp;
use crate::AppState;

/// Contacts on a page of the list.
const CONTACTS_PER_PAGE: usize = 50;
/// Events on a page of a timeline.
const EVENTS_PER_PAGE: usize = 50;

/// `?q=&after=` of the list.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<String>,
}

/// `GET /app/contacts`: contacts whose email contains `q`, most recently active first, a page
/// at a time.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let q = query.q.unwrap_or_default();
    let needle = q.trim().to_owned();
    let after = match query.after.as_deref().map(read_contact_cursor) {
        None => None,
        Some(Some(c)) => Some(c),
        Some(None) => return stale_link(),
    };
    let found = match state
        .store
        .contacts(ContactQuery {
            email_contains: (!needle.is_empty()).then(|| needle.clone()),
            after,
            limit: CONTACTS_PER_PAGE,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return page::store_error(e),
    };
    let body = html! {
        form.search role="search" method="get" action="/app/contacts" {
            label for="q" { "Search contacts by email" }
            input #q type="search" name="q" value=(q) placeholder="Part of an email address";
            button type="submit" { "Search" }
        }
        @if found.contacts.is_empty() {
            p.empty {
                @if after.is_some() { "No more contacts." }
                @else if needle.is_empty() { "No contact yet: contacts appear when a visitor is identified or an event names one." }
                @else { "No contact has an email containing \u{201c}" (needle) "\u{201d}." }
            }
        } @else {
            table.list {
                caption.sr-only { "Contacts, most recently active first" }
                thead { tr {
                    th scope="col" { "Email" }
                    th scope="col" { "External id" }
                    th scope="col" .num { "Events" }
                    th scope="col" { "Last activity (UTC)" }
                } }
                tbody {
                    @for c in &found.contacts {
                        tr {
                            th scope="row" { a href=(contact_path(c.id)) { (contact_name(c)) } }
                            td { (optional(c.external_id.as_deref())) }
                            td.num { (page::thousands(c.events)) }
                            td { (optional(c.last_activity.map(timestamp::format).as_deref())) }
                        }
                    }
                }
            }
        }
        @if after.is_some() || found.next.is_some() {
            nav.pages aria-label="Pages of contacts" {
                @if after.is_some() {
                    a href=(list_url(&needle, None)) { "First page" }
                }
                @if let Some(next) = found.next {
                    a href=(list_url(&needle, Some(next))) rel="next" { "Next page" }
                }
            }
        }
    };
    page::page("Contacts", "/app/contacts", &signed.session, body)
}

/// `?event=&before=` of a contact's page.
#[derive(Deserialize, Default)]
pub struct TimelineQuery {
    event: Option<String>,
    before: Option<String>,
}

/// `GET /app/contacts/{id}`: the contact's identity and its timeline.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Query(query): Query<TimelineQuery>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let missing = || {
        page::error(
            StatusCode::NOT_FOUND,
            &format!("There is no contact \u{201c}{id}\u{201d}."),
        )
    };
    let Ok(number) = id.parse::<i64>() else {
        return missing();
    };
    let detail = match state.store.contact(number).await {
        Ok(Some(d)) => d,
        Ok(None) => return missing(),
        Err(e) => return page::store_error(e),
    };
    let event = query.event.filter(|e| !e.is_empty());
    let before = match query.before.as_deref().map(read_event_cursor) {
        None => None,
        Some(Some(c)) => Some(c),
        Some(None) => return stale_link(),
    };
    let timeline = match state
        .store
        .events(EventQuery {
            object: Some(ObjectFilter::Id(PrimaryObject::Contact, number)),
            name: event.clone(),
            occurred_after: None,
            occurred_before: None,
            property: None,
            descending: true,
            after: before,
            limit: EVENTS_PER_PAGE,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return page::store_error(e),
    };
    let c = &detail.summary;
    let title = contact_name(c);
    let shown = match &event {
        Some(name) => detail
            .event_names
            .iter()
            .find(|n| &n.name == name)
            .map_or(0, |n| n.count),
        None => c.events,
    };
    let event_label = event.as_deref().map(|name| label_of(&state, name));
    let body = html! {
        dl.facts {
            dt { "Id" } dd { code { (c.id) } }
            dt { "Email" } dd { (optional(c.email.as_deref())) }
            dt { "External id" } dd { (optional(c.external_id.as_deref())) }
            dt { "Created (UTC)" } dd { (timestamp::format(c.created_at)) }
            dt { "Events" } dd { (page::thousands(c.events)) }
            dt { "Last activity (UTC)" } dd { (optional(c.last_activity.map(timestamp::format).as_deref())) }
            @for (name, value) in &detail.properties {
                dt { code { (name) } } dd { (value_markup(value)) }
            }
            dt { "Visitor ids" } dd {
                @if detail.visitors.is_empty() {
                    span.muted { "none" }
                } @else {
                    ul.plain {
                        @for v in &detail.visitors {
                            li { code { (v.vid) } span.muted { " linked " (timestamp::format(v.linked_at)) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="timeline" {
            h2 #timeline { "Timeline" }
            form.report method="get" action=(contact_path(c.id)) {
                div.field {
                    label for="event" { "Event type" }
                    select #event name="event" {
                        option value="" { "All events (" (page::thousands(c.events)) ")" }
                        @for n in &detail.event_names {
                            option value=(n.name) selected[event.as_deref() == Some(n.name.as_str())] {
                                (label_of(&state, &n.name)) " (" (page::thousands(n.count)) ")"
                            }
                        }
                    }
                }
                button type="submit" { "Show" }
            }
            p.totals {
                strong { (page::thousands(shown)) }
                @if let Some(label) = &event_label { " \u{201c}" (label) "\u{201d}" }
                @if shown == 1 { " event" } @else { " events" }
                ", newest first"
            }
            @if timeline.events.is_empty() {
                p.empty {
                    @if before.is_some() { "No older event." }
                    @else { "No event on this timeline." }
                }
            } @else {
                table.list.timeline {
                    caption.sr-only { "Events of " (title) ", newest first" }
                    thead { tr {
                        th scope="col" { "When (UTC)" }
                        th scope="col" { "Event" }
                        th scope="col" { "Properties and page" }
                    } }
                    tbody {
                        @for e in &timeline.events {
                            (timeline_row(&state, e))
                        }
                    }
                }
            }
            @if before.is_some() || timeline.next.is_some() {
                nav.pages aria-label="Pages of the timeline" {
                    @if before.is_some() {
                        a href=(timeline_url(c.id, event.as_deref(), None)) { "Newest events" }
                    }
                    @if let Some(next) = timeline.next {
                        a href=(timeline_url(c.id, event.as_deref(), Some(next))) rel="next" { "Older events" }
                    }
                }
            }
        }
    };
    page::page(&title, "/app/contacts", &signed.session, body)
}

/// One event of a timeline: when, what, and its properties behind a disclosure.
fn timeline_row(state: &AppState, e: &StoredEvent) -> Markup {
    let def = state.store.definition(&e.name);
    let label = label_of(state, &e.name);
    let when = timestamp::format(e.occurred_at);
    let props = json_object(&e.props);
    let defaults = e.defaults.as_deref().map(json_object).unwrap_or_default();
    html! {
        tr {
            td { (when) }
            td {
                @match &def {
                    Some(d) => a href=(format!("/app/events/{}", d.name)) { (label) },
                    None => (label),
                }
                br;
                code.muted { (e.name) }
            }
            td {
                details {
                    summary {
                        (count_text(props.len(), "property", "properties"))
                        @if let Some(place) = defaults.iter().find(|(k, _)| k.as_str() == "path").or_else(|| defaults.iter().find(|(k, _)| k.as_str() == "url")) {
                            ", on " (text_of(place.1))
                        }
                        span.sr-only { " of " (label) " at " (when) }
                    }
                    div.detail {
                        p.group { "Properties" }
                        @if props.is_empty() {
                            p.muted { "none" }
                        } @else {
                            dl.props {
                                @for (name, value) in &props {
                                    dt { (property_label(def.as_deref(), name)) }
                                    dd { (value_markup(&text_of(value))) }
                                }
                            }
                        }
                        @if e.defaults.is_some() {
                            p.group { "Page" }
                            @if defaults.is_empty() {
                                p.muted { "none" }
                            } @else {
                                dl.props {
                                    @for (name, value) in ordered_defaults(&defaults) {
                                        dt { (default_label(name)) }
                                        dd { (value_markup(&text_of(value))) }
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

/// The app's path of a contact's page.
fn contact_path(id: i64) -> String {
    format!("/app/contacts/{id}")
}

/// What a contact is called on its page and in the list: its email, else its number.
fn contact_name(c: &ContactSummary) -> String {
    match &c.email {
        Some(email) => email.clone(),
        None => format!("Contact #{}", c.id),
    }
}

/// A page of the list: the search and where to continue.
fn list_url(needle: &str, after: Option<ContactCursor>) -> String {
    let mut parts = Vec::new();
    if !needle.is_empty() {
        parts.push(format!("q={}", encode(needle)));
    }
    if let Some(c) = after {
        let last = c
            .last_activity
            .map_or_else(|| "none".to_owned(), |t| t.to_string());
        parts.push(format!("after={last}:{}", c.id));
    }
    with_query("/app/contacts".to_owned(), &parts)
}

/// A page of a timeline: the event type shown and where to continue.
fn timeline_url(id: i64, event: Option<&str>, before: Option<Cursor>) -> String {
    let mut parts = Vec::new();
    if let Some(name) = event {
        parts.push(format!("event={}", encode(name)));
    }
    if let Some(c) = before {
        parts.push(format!("before={}:{}", c.occurred_at, c.seq));
    }
    with_query(contact_path(id), &parts)
}

fn with_query(path: String, parts: &[String]) -> String {
    if parts.is_empty() {
        path
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// Reads the list's `after`: `<last activity ms or none>:<id>`.
fn read_contact_cursor(text: &str) -> Option<ContactCursor> {
    let (last, id) = text.split_once(':')?;
    let last_activity = match last {
        "none" => None,
        t => Some(t.parse().ok()?),
    };
    Some(ContactCursor {
        last_activity,
        id: id.parse().ok()?,
    })
}

/// Reads a timeline's `before`: `<occurred_at ms>:<seq>`.
fn read_event_cursor(text: &str) -> Option<Cursor> {
    let (occurred_at, seq) = text.split_once(':')?;
    Some(Cursor {
        occurred_at: occurred_at.parse().ok()?,
        seq: seq.parse().ok()?,
    })
}

/// A paging link the app did not make.
fn stale_link() -> Response {
    page::error(
        StatusCode::BAD_REQUEST,
        "This page link is not one the app made. Start again from the contacts list.",
    )
}

/// A value, or a muted "none".
fn optional(text: Option<&str>) -> Markup {
    html! {
        @match text {
            Some(t) if !t.is_empty() => (t),
            _ => span.muted { "none" },
        }
    }
}

/// An event's name as people read it: its definition's label, else the tracker's names for
/// its built-in events, else the name itself.
fn label_of(state: &AppState, name: &str) -> String {
    if let Some(def) = state.store.definition(name) {
        return def.label.clone();
    }
    match name {
        wasmtrack_core::event::PAGE_VIEW => "Page view".to_owned(),
        wasmtrack_core::event::IDENTIFY => "Identified".to_owned(),
        other => other.to_owned(),
    }
}

/// A property's label in its definition, else its name.
fn property_label(def: Option<&EventDefinition>, name: &str) -> String {
    def.and_then(|d| d.properties.iter().find(|p| p.name == name))
        .map_or_else(|| name.to_owned(), |p| p.label.clone())
}

/// A default property's label.
fn default_label(name: &str) -> &str {
    match name {
        "url" => "URL",
        "referrer" => "Referrer",
        "title" => "Page title",
        "path" => "Path",
        "screen_width" => "Screen width",
        "screen_height" => "Screen height",
        "language" => "Language",
        "utm_source" => "UTM source",
        "utm_medium" => "UTM medium",
        "utm_campaign" => "UTM campaign",
        "utm_term" => "UTM term",
        "utm_content" => "UTM content",
        other => other,
    }
}

type JsonObject = serde_json::Map<String, serde_json::Value>;

fn json_object(text: &str) -> JsonObject {
    serde_json::from_str(text).unwrap_or_default()
}

/// A JSON value as text: a string as itself, anything else as JSON.
fn text_of(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| value.to_string())
}

/// The default properties in the tracker's order, then any others by name.
fn ordered_defaults(defaults: &JsonObject) -> Vec<(&str, &serde_json::Value)> {
    let names = wasmtrack_core::context::DEFAULT_PROPERTY_NAMES;
    let mut out: Vec<(&str, &serde_json::Value)> =
        defaults.iter().map(|(k, v)| (k.as_str(), v)).collect();
    out.sort_by_key(|(k, _)| (names.iter().position(|n| n == k).unwrap_or(names.len()), *k));
    out
}

fn count_text(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", page::thousands(n as u64))
    }
}

/// Whether `text` is a web address a link may lead to: `http://` or `https://` (any case)
/// from its very first character, and no space or control character anywhere (a browser
/// strips those before reading the scheme, so `java\nscript:` could otherwise pass).
fn is_web_link(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !text.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A value as text, or as a link when it is a web address.
fn value_markup(text: &str) -> Markup {
    html! {
        @if is_web_link(text) {
            a href=(text) rel="noopener noreferrer" { (text) }
        } @else {
            (text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_become_links() {
        for link in [
            "https://shop.example/pricing",
            "http://a.example",
            "HTTPS://A.EXAMPLE/x",
        ] {
            assert!(is_web_link(link), "{link}");
        }
        for text in [
            "javascript:alert(1)",
            " https://a.example",
            "https://a.example/\nx",
            "java\tscript:https://x",
            "data:text/html,hi",
            "//evil.example",
            "/pricing",
            "https:",
            "",
        ] {
            assert!(!is_web_link(text), "{text:?}");
        }
        let link = value_markup("https://a.example/?q=\"><script>").into_string();
        assert_eq!(
            link,
            "<a href=\"https://a.example/?q=&quot;&gt;&lt;script&gt;\" rel=\"noopener noreferrer\">https://a.example/?q=&quot;&gt;&lt;script&gt;</a>"
        );
        assert_eq!(
            value_markup("javascript:alert(1)").into_string(),
            "javascript:alert(1)"
        );
    }

    #[test]
    fn cursors_round_trip_through_the_links() {
        let next = ContactCursor {
            last_activity: Some(1_700_000_000_000),
            id: 42,
        };
        let url = list_url("ada@x", Some(next));
        assert_eq!(url, "/app/contacts?q=ada%40x&after=1700000000000:42");
        assert_eq!(read_contact_cursor("1700000000000:42"), Some(next));
        assert_eq!(
            read_contact_cursor("none:7"),
            Some(ContactCursor {
                last_activity: None,
                id: 7
            })
        );
        assert_eq!(read_contact_cursor("x:7"), None);
        let before = Cursor {
            occurred_at: 5,
            seq: 9,
        };
        assert_eq!(
            timeline_url(3, Some("$pageview"), Some(before)),
            "/app/contacts/3?event=%24pageview&before=5:9"
        );
        assert_eq!(read_event_cursor("5:9"), Some(before));
        assert_eq!(read_event_cursor("5"), None);
    }
}
