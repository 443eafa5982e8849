//! The events: the list of definitions with their last 30 days, and an event's page with its
//! definition, its completions report (chart, totals, latest completions) and its CSV.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::header::HeaderMap;
use axum::http::Uri;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::chart::{self, Granularity};
use super::{allowed, page};
use crate::csv_cell::csv_cell;
use crate::model::{EventDefinition, PrimaryObject};
use crate::scopes::Scope;
use crate::store::{CompletionQuery, EventQuery};
use crate::timestamp::{self, now_ms};
use crate::AppState;

const DAY_MS: i64 = 86_400_000;

/// `?q=` of the list.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
}

/// `GET /app/events`: every definition, searchable by name or label, with its completions
/// in the last 30 days and their trend.
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
    let needle = q.trim().to_lowercase();
    let mut definitions: Vec<_> = state
        .store
        .definitions()
        .into_iter()
        .filter(|d| {
            needle.is_empty()
                || d.name.contains(&needle)
                || d.label.to_lowercase().contains(&needle)
        })
        .collect();
    definitions.sort_by_key(|d| d.label.to_lowercase());
    let to = (now_ms() / DAY_MS + 1) * DAY_MS;
    let from = to - 30 * DAY_MS;
    let mut rows = Vec::with_capacity(definitions.len());
    for def in definitions {
        let sparse = state
            .store
            .completions(CompletionQuery {
                name: def.name.clone(),
                from,
                to,
                width: DAY_MS,
                property: None,
            })
            .await
            .unwrap_or_default();
        let days = chart::dense(&sparse, 30);
        rows.push((def, days));
    }
    let may_create = signed.credential.grants(Scope::Definitions);
    let body = html! {
        @if may_create {
            p { a.button.primary href="/app/events/new" { "Create event" } }
        }
        form.search role="search" method="get" action="/app/events" {
            label for="q" { "Search events" }
            input #q type="search" name="q" value=(q) placeholder="Name or label";
            button type="submit" { "Search" }
        }
        @if rows.is_empty() {
            p.empty {
                @if needle.is_empty() { "No event is defined yet." }
                @else { "No event matches \u{201c}" (q) "\u{201d}." }
            }
        } @else {
            table.list {
                caption.sr-only { "Events, with completions in the last 30 days" }
                thead { tr {
                    th scope="col" { "Event" }
                    th scope="col" { "Internal name" }
                    th scope="col" { "Object" }
                    th scope="col" .num { "Completions, 30 days" }
                    th scope="col" { span.sr-only { "Trend" } }
                } }
                tbody {
                    @for (def, days) in &rows {
                        tr {
                            td { a href=(event_path(&def.name)) { (def.label) } }
                            td { code { (def.name) } }
                            td { (def.primary_object.as_str()) }
                            td.num { (page::thousands(days.iter().sum())) }
                            td { (chart::sparkline(days)) }
                        }
                    }
                }
            }
        }
    };
    page::page("Events", "/app/events", &signed.session, body)
}

/// The app's path of an event's page (names are `a-z0-9_`, nothing to encode).
fn event_path(name: &str) -> String {
    format!("/app/events/{name}")
}

/// The report's choices: `?range=7d&by=day&prop=plan&value=pro`.
#[derive(Deserialize, Default, Clone)]
pub struct Report {
    /// Set by the wizard when the event was just created: how it will be tracked.
    created: Option<String>,
    range: Option<String>,
    by: Option<String>,
    prop: Option<String>,
    value: Option<String>,
    /// Break the completions down by this property's values.
    split: Option<String>,
}

/// The ranges a report offers: (query value, label, days).
const RANGES: [(&str, &str, i64); 5] = [
    ("24h", "Last 24 hours", 1),
    ("7d", "Last 7 days", 7),
    ("30d", "Last 30 days", 30),
    ("90d", "Last 90 days", 90),
    ("365d", "Last 365 days", 365),
];

/// What a report's query says, resolved: the range, its buckets, the property filter.
struct Resolved {
    range: &'static str,
    days: i64,
    by: Granularity,
    from: i64,
    to: i64,
    filter: Option<(String, String)>,
}

impl Report {
    fn resolve(&self, now: i64) -> Resolved {
        let (range, _, days) = RANGES
            .iter()
            .copied()
            .find(|(v, _, _)| Some(*v) == self.range.as_deref())
            .unwrap_or(RANGES[2]);
        let default_by = if days <= 1 {
            Granularity::Hour
        } else if days > 90 {
            Granularity::Week
        } else {
            Granularity::Day
        };
        let by = self
            .by
            .as_deref()
            .and_then(Granularity::parse)
            .unwrap_or(default_by);
        // Hours over a year would be 8,760 buckets: a week of hours is the finest a year gets.
        let by = if days > 90 && by == Granularity::Hour {
            Granularity::Day
        } else {
            by
        };
        let width = by.width_ms();
        let to = (now / width + 1) * width;
        let buckets = (days * DAY_MS + width - 1) / width;
        let from = to - buckets * width;
        let filter = match (&self.prop, &self.value) {
            (Some(p), Some(v)) if !p.trim().is_empty() && !v.is_empty() => {
                Some((p.trim().to_owned(), v.clone()))
            }
            _ => None,
        };
        Resolved {
            range,
            days,
            by,
            from,
            to,
            filter,
        }
    }
}

/// `GET /app/events/{name}`: the event's definition and its completions report.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
    Query(report): Query<Report>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(def) = state.store.definition(&name) else {
        return page::no_event(&name);
    };
    let r = report.resolve(now_ms());
    let width = r.by.width_ms();
    let buckets = ((r.to - r.from) / width) as usize;
    let sparse = match state
        .store
        .completions(CompletionQuery {
            name: def.name.clone(),
            from: r.from,
            to: r.to,
            width,
            property: r.filter.clone(),
        })
        .await
    {
        Ok(s) => s,
        Err(e) => return page::store_error(e),
    };
    let counts = chart::dense(&sparse, buckets);
    let total: u64 = counts.iter().sum();
    let query = CompletionQuery {
        name: def.name.clone(),
        from: r.from,
        to: r.to,
        width,
        property: r.filter.clone(),
    };
    let (contacts, anonymous) = state.store.reach(query.clone()).await.unwrap_or((0, 0));
    let split = report
        .split
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let series = match &split {
        Some(property) => match state.store.breakdown(query, property.clone()).await {
            Ok(rows) => Some(chart::top_series(&rows, buckets, 5)),
            Err(e) => return page::store_error(e),
        },
        None => None,
    };
    let latest = state
        .store
        .events(EventQuery {
            object: None,
            name: Some(def.name.clone()),
            occurred_after: Some(r.from),
            occurred_before: Some(r.to),
            property: r.filter.clone(),
            descending: true,
            after: None,
            limit: 20,
        })
        .await
        .map(|p| p.events)
        .unwrap_or_default();
    let caption = match &r.filter {
        Some((p, v)) => format!(
            "Completions of {} where {p} is {v}, per {}",
            def.label,
            r.by.as_str()
        ),
        None => format!("Completions of {}, per {}", def.label, r.by.as_str()),
    };
    let csv = format!(
        "{}/completions.csv?{}",
        event_path(&def.name),
        uri.query().unwrap_or("")
    );
    let may_change = signed.credential.grants(Scope::Definitions);
    let next_step = report.created.as_deref().map(|how| {
        let sites: Vec<String> = state.store.sites().iter().map(|s| s.id.clone()).collect();
        created_panel(
            &def,
            how,
            &super::collector_url(&headers).unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            &sites,
            &signed.session.csrf,
        )
    });
    let body = html! {
        @if let Some(panel) = next_step { (panel) }
        (definition_summary(&def))
        @if may_change {
            p { a.button href=(format!("{}/delete", event_path(&def.name))) { "Delete this event…" } }
        }
        section aria-labelledby="report" {
            h2 #report { "Completions" }
            (report_form(&def, &report, &r))
            p.totals {
                strong { (page::thousands(total)) } " completions in the range, by "
                strong { (page::thousands(contacts)) } " contact(s) and "
                strong { (page::thousands(anonymous)) } " anonymous visitor(s)"
            }
            @match (&series, &split) {
                (Some(series), Some(property)) => (chart::stacked(&format!("{caption}, by {property}"), r.from, r.by, series)),
                _ => (chart::bars(&caption, r.from, r.by, &counts)),
            }
            p { a href=(csv) download { "Download the range as CSV" } }
            h3 { "Latest completions" }
            @if latest.is_empty() {
                p.empty { "No completion in this range." }
            } @else {
                table.list {
                    thead { tr {
                        th scope="col" { "When (UTC)" }
                        th scope="col" { "Contact" }
                        th scope="col" { "Properties" }
                    } }
                    tbody {
                        @for e in &latest {
                            tr {
                                td { (timestamp::format(e.occurred_at)) }
                                td { @match e.object_id {
                                    Some(id) if e.object_type == PrimaryObject::Contact => {
                                        a href=(format!("/app/contacts/{id}")) { "#" (id) }
                                    },
                                    Some(id) => { "#" (id) },
                                    None => span.muted { "anonymous" },
                                } }
                                td { (properties(&e.props)) }
                            }
                        }
                    }
                }
            }
        }
        (properties_table(&def, may_change.then_some(signed.session.csrf.as_str())))
    };
    page::page(&def.label, "/app/events", &signed.session, body)
}

fn definition_summary(def: &EventDefinition) -> Markup {
    html! {
        dl.facts {
            dt { "Internal name" } dd { code { (def.name) } }
            dt { "Associated object" } dd { (def.primary_object.as_str()) }
            dt { "Description" } dd {
                @match &def.description { Some(d) if !d.is_empty() => (d), _ => span.muted { "none" } }
            }
        }
    }
}

fn report_form(def: &EventDefinition, report: &Report, r: &Resolved) -> Markup {
    html! {
        form.report method="get" action=(event_path(&def.name)) {
            div.field {
                label for="range" { "Range" }
                select #range name="range" {
                    @for (value, label, _) in RANGES {
                        option value=(value) selected[value == r.range] { (label) }
                    }
                }
            }
            div.field {
                label for="by" { "Per" }
                select #by name="by" {
                    @for g in [Granularity::Hour, Granularity::Day, Granularity::Week] {
                        option value=(g.as_str()) selected[g == r.by] disabled[g == Granularity::Hour && r.days > 90] { (g.as_str()) }
                    }
                }
            }
            div.field {
                label for="prop" { "Where property" }
                select #prop name="prop" {
                    option value="" { "(any)" }
                    @for p in &def.properties {
                        option value=(p.name) selected[report.prop.as_deref() == Some(p.name.as_str())] { (p.label) " (" (p.name) ")" }
                    }
                    @for p in wasmtrack_core::context::DEFAULT_PROPERTY_NAMES {
                        option value=(p) selected[report.prop.as_deref() == Some(p)] { (p) }
                    }
                }
            }
            div.field {
                label for="value" { "is" }
                input #value name="value" value=(report.value.clone().unwrap_or_default());
            }
            div.field {
                label for="split" { "Break down by" }
                select #split name="split" {
                    option value="" { "(nothing)" }
                    @for p in &def.properties {
                        option value=(p.name) selected[report.split.as_deref() == Some(p.name.as_str())] { (p.label) " (" (p.name) ")" }
                    }
                    @for p in wasmtrack_core::context::DEFAULT_PROPERTY_NAMES {
                        option value=(p) selected[report.split.as_deref() == Some(p)] { (p) }
                    }
                }
            }
            button type="submit" { "Show" }
        }
    }
}

/// A completion's properties (a JSON object) as a definition list.
fn properties(json: &str) -> Markup {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).unwrap_or_default();
    html! {
        @if map.is_empty() { span.muted { "none" } }
        @else {
            dl.props {
                @for (k, v) in &map {
                    dt { (k) }
                    dd { (v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())) }
                }
            }
        }
    }
}

/// The next step after creating an event, for the way it will be tracked.
fn created_panel(
    def: &EventDefinition,
    how: &str,
    collector: &str,
    sites: &[String],
    csrf: &str,
) -> Markup {
    let snippet = crate::api::definition_body::snippet(def);
    let curl = format!(
        "curl -X POST {collector}/events/v3/send \\\n  -H \"Authorization: Bearer $WASMTRACK_KEY\" -H \"Content-Type: application/json\" \\\n  -d '{{\"eventName\": \"{}\", \"email\": \"ada@example.com\", \"properties\": {{}}}}'",
        def.name
    );
    html! {
        section.next role="status" aria-labelledby="next" {
            h2 #next { "Created. Next: start tracking it" }
            @match how {
                "visualizer" => {
                    p { "Open a site with the event visualizer and point at the element or page that completes "
                        code { (def.name) } "; every visitor's tracker records it from then on." }
                    @if sites.is_empty() {
                        p { "No site is declared yet: " a href="/app/sites" { "add one" } " first." }
                    }
                    @for site in sites {
                        form.inline method="post" action=(format!("/app/sites/{site}/visualizer")) {
                            input type="hidden" name="csrf" value=(csrf);
                            button.primary type="submit" { "Open " (site) " with the visualizer" }
                        }
                    }
                },
                "import" => {
                    p { "Upload a spreadsheet of completions recorded elsewhere (CSV, XLSX or XLS): one row per completion, "
                        "with the contact's email and when it happened; you map its columns to the event's properties next." }
                    p { a.button.primary href=(format!("/app/imports?event={}", def.name)) { "Import a spreadsheet into " (def.label) } }
                },
                "api" => {
                    p { "Send completions from your servers with an API key that has the " code { "send" } " scope:" }
                    pre { code #snippet { (curl) } }
                    p { button.copy type="button" data-copy="snippet" hidden { "Copy the command" } }
                },
                _ => {
                    p { "Paste this where the completion happens on your site (after the wasmtrack snippet):" }
                    pre { code #snippet { (snippet) } }
                    p { button.copy type="button" data-copy="snippet" hidden { "Copy the code" } }
                },
            }
            p.hint { "Internal name: " code { (def.name) } }
        }
    }
}

fn properties_table(def: &EventDefinition, csrf: Option<&str>) -> Markup {
    html! {
        section aria-labelledby="props" {
            h2 #props { "Properties" }
            @if def.properties.is_empty() {
                p.empty { "This event defines no property of its own." }
            } @else {
                table.list {
                    thead { tr {
                        th scope="col" { "Label" }
                        th scope="col" { "Internal name" }
                        th scope="col" { "Type" }
                        th scope="col" { "Options" }
                        @if csrf.is_some() { th scope="col" { span.sr-only { "Actions" } } }
                    } }
                    tbody {
                        @for p in &def.properties {
                            tr {
                                td { (p.label) }
                                td { code { (p.name) } }
                                td { (p.kind.as_str()) }
                                td {
                                    @for (i, o) in p.options.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        (o.label) " (" code { (o.value) } ")"
                                    }
                                }
                                @if let Some(csrf) = csrf {
                                    td.actions {
                                        a href=(format!("{}/properties/{}", event_path(&def.name), p.name)) aria-label=(format!("Edit {}", p.label)) { "Edit" }
                                        form.inline method="post" action=(format!("{}/properties/{}/delete", event_path(&def.name), p.name)) {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button type="submit" aria-label=(format!("Delete {}", p.label)) { "Delete" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(csrf) = csrf {
                details.add {
                    summary { "Add a property" }
                    form.card method="post" action=(format!("{}/properties", event_path(&def.name))) {
                        input type="hidden" name="csrf" value=(csrf);
                        label for="new-label" { "Label" }
                        input #new-label name="label" required;
                        label for="new-name" { "Internal name (from the label if empty)" }
                        input #new-name name="name";
                        label for="new-type" { "Type" }
                        select #new-type name="type" {
                            @for t in ["string", "number", "datetime", "enumeration"] { option value=(t) { (t) } }
                        }
                        label for="new-options" { "Options (enumeration), a line each: Label = value" }
                        textarea #new-options name="options" rows="3" {}
                        button.primary type="submit" { "Add the property" }
                    }
                }
            }
            @if def.include_default_properties {
                p.hint { "Completions from the tracker also carry the default properties: "
                    @for (i, p) in wasmtrack_core::context::DEFAULT_PROPERTY_NAMES.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (p) }
                    }
                    "." }
            }
        }
    }
}

/// `GET /app/events/{name}/completions.csv`: the report's range as CSV, a completion a row.
pub async fn csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
    Query(report): Query<Report>,
) -> Response {
    if let Err(r) = allowed(&state, &headers, &uri, Scope::Read).await {
        return r;
    }
    let Some(def) = state.store.definition(&name) else {
        return page::no_event(&name);
    };
    let r = report.resolve(now_ms());
    let columns: Vec<String> = def.properties.iter().map(|p| p.name.clone()).collect();
    let mut out = String::from("id,occurred_at,contact");
    for c in &columns {
        out.push(',');
        out.push_str(&csv_cell(c));
    }
    out.push('\n');
    let mut after = None;
    let mut rows = 0usize;
    // At most this many rows in one download: a bigger range is narrowed first.
    const MAX_ROWS: usize = 100_000;
    loop {
        let page = match state
            .store
            .events(EventQuery {
                object: None,
                name: Some(def.name.clone()),
                occurred_after: Some(r.from),
                occurred_before: Some(r.to),
                property: r.filter.clone(),
                descending: false,
                after,
                limit: 1000,
            })
            .await
        {
            Ok(p) => p,
            Err(e) => return page::store_error(e),
        };
        for e in &page.events {
            let props: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&e.props).unwrap_or_default();
            let _ = write!(
                out,
                "{},{},{}",
                csv_cell(&e.id),
                csv_cell(&timestamp::format(e.occurred_at)),
                e.object_id.map(|i| i.to_string()).unwrap_or_default()
            );
            for c in &columns {
                out.push(',');
                let value = props.get(c).map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                });
                out.push_str(&csv_cell(value.as_deref().unwrap_or("")));
            }
            out.push('\n');
            rows += 1;
        }
        match page.next {
            Some(next) if rows < MAX_ROWS => after = Some(next),
            _ => break,
        }
    }
    crate::csv_cell::download(out, &format!("{}-{}.csv", def.name, r.range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_resolves_to_whole_buckets_ending_after_now() {
        let now = 10 * DAY_MS + 5;
        let r = Report::default().resolve(now);
        assert_eq!((r.range, r.by), ("30d", Granularity::Day));
        assert_eq!(r.to, 11 * DAY_MS);
        assert_eq!((r.to - r.from) / DAY_MS, 30);
        let year = Report {
            range: Some("365d".into()),
            by: Some("hour".into()),
            ..Report::default()
        }
        .resolve(now);
        assert_eq!(
            year.by,
            Granularity::Day,
            "a year is never drawn by the hour"
        );
        let day = Report {
            range: Some("24h".into()),
            ..Report::default()
        }
        .resolve(now);
        assert_eq!(
            ((day.to - day.from) / 3_600_000, day.by),
            (24, Granularity::Hour)
        );
    }
}
