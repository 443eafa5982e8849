//! The sites: each site's allowed origins (add one, remove one), how to install the tracker on
//! it (the script tag with the stub, and npm, filled with this collector's address and the
//! site's id, each with a copy button), opening the visualizer on it, and its visual events
//! (auto-tracking rules), each with Delete. Creating a site takes an id and its first origin.
//!
//! Reading needs the `read` scope, every change `definitions` (what the JSON API asks for the
//! same changes). The checks are the model's (`valid_id`, `normalize_origin`, at most
//! [`MAX_ORIGINS`]), so a site the app accepts is one the API would.

use axum::extract::{Path, Query, State};
use axum::http::header::HeaderMap;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use wasmtrack_core::rules::{Source, Trigger, UrlRule};

use super::{allowed, allowed_form, collector_url, page, Signed};
use crate::api::visualizer::DEFAULT_TTL_MINUTES;
use crate::model::site::{normalize_origin, valid_id, MAX_ORIGINS};
use crate::model::Site;
use crate::scopes::Scope;
use crate::store::StoreError;
use crate::timestamp::{self, now_ms};
use crate::AppState;

/// The stub the README pastes before the script tag: `js/stub.js` without its leading comment
/// (which explains it to people reading the repository).
const STUB: &str = include_str!("../../../js/stub.js");

/// Where the collector's address goes when the request does not say it (no usable `Host`).
const PLACEHOLDER: &str = "https://collect.example.com";

/// `?done=`: what the last change did, by a fixed key (never text from the request).
#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

/// The sentence of a `done` key; `None` for any other value.
fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "created" => {
            "The site was created. Install the tracker on its pages with one of the snippets below."
        }
        "origin-added" => "The origin was added: pages served from it may now send events.",
        "origin-removed" => {
            "The origin was removed: pages served from it can no longer send events."
        }
        "rule-deleted" => {
            "The visual event was deleted. Its event and the completions stored so far stay."
        }
        _ => return None,
    })
}

/// The create form's fields.
#[derive(Deserialize, Default)]
pub struct NewSite {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    origin: String,
}

/// The origin forms' fields (add one, remove one).
#[derive(Deserialize, Default)]
pub struct OriginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    origin: String,
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize, Default)]
pub struct Plain {
    #[serde(default)]
    csrf: String,
}

/// A form field's problem: the field's id and the sentence.
struct Problem {
    field: &'static str,
    message: String,
}

/// The app's path of a site's page (ids are `A-Za-z0-9_-.`, nothing to encode).
fn site_path(id: &str) -> String {
    format!("/app/sites/{id}")
}

fn no_site(id: &str) -> Response {
    page::error(
        StatusCode::NOT_FOUND,
        &format!("There is no site \u{201c}{id}\u{201d}."),
    )
}

/// `GET /app/sites`: every site with its origins, and the form that creates one.
pub async fn list(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    list_page(&state, &signed, StatusCode::OK, ("", ""), None)
}

/// The list, with the create form holding what was typed (`typed`: id, origin) and its
/// problem, if any.
fn list_page(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    typed: (&str, &str),
    problem: Option<Problem>,
) -> Response {
    let sites = state.store.sites();
    let may_change = signed.credential.grants(Scope::Definitions);
    let body = html! {
        @if sites.is_empty() {
            p.empty { "No site yet: create one below, then install the tracker on its pages." }
        } @else {
            table.list {
                caption.sr-only { "Sites, with the origins allowed to send their events" }
                thead { tr {
                    th scope="col" { "Site" }
                    th scope="col" { "Allowed origins" }
                    th scope="col" .num { "Visual events" }
                } }
                tbody {
                    @for site in &sites {
                        tr {
                            td { a href=(site_path(&site.id)) { (site.id) } }
                            td { (origin_list(&site.origins)) }
                            td.num { (state.store.rules(&site.id).map_or(0, |r| r.rules.len())) }
                        }
                    }
                }
            }
        }
        section aria-labelledby="create" {
            h2 #create { "Create a site" }
            @if may_change {
                (create_form(signed, typed, problem.as_ref()))
            } @else {
                p.hint { "Creating a site needs a key with the \u{201c}definitions\u{201d} scope." }
            }
        }
    };
    page::framed(status, "Sites", "/app/sites", &signed.session, body)
}

fn origin_list(origins: &[String]) -> Markup {
    html! {
        @for (i, o) in origins.iter().enumerate() {
            @if i > 0 { ", " }
            code { (o) }
        }
    }
}

/// A text field with its label, hint and, when it has one, its problem (announced, and tied
/// to the field by `aria-describedby`).
fn field(
    id: &'static str,
    label: &str,
    value: &str,
    hint: &str,
    problem: Option<&Problem>,
) -> Markup {
    let problem = problem.filter(|p| p.field == id);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = match problem {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field {
            label for=(id) { (label) }
            input #(id) name=(id) value=(value) required autocomplete="off" spellcheck="false"
                aria-describedby=(described) aria-invalid=[problem.map(|_| "true")];
            span.hint id=(hint_id) { (hint) }
            @if let Some(p) = problem {
                p.field-error id=(error_id) role="alert" { (p.message) }
            }
        }
    }
}

fn create_form(signed: &Signed, (id, origin): (&str, &str), problem: Option<&Problem>) -> Markup {
    html! {
        form.stack method="post" action="/app/sites" {
            input type="hidden" name="csrf" value=(signed.session.csrf);
            (field("id", "Site id", id, "1 to 64 of A-Z a-z 0-9 _ - . (a letter or digit first); the tracker sends it with every event.", problem))
            (field("origin", "First allowed origin", origin, "Where the site's pages are served from: https://www.example.com (scheme, host and port, no path), or * for any origin.", problem))
            button.primary type="submit" { "Create the site" }
        }
    }
}

/// Why `text` cannot be an origin, or it normalized.
fn read_origin(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err("Enter an origin, such as https://www.example.com.".into());
    }
    normalize_origin(text).ok_or_else(|| {
        "This is not an origin: write the scheme and host, and the port if there is one (https://www.example.com or http://localhost:8080), without a path; or * for any origin.".into()
    })
}

/// `POST /app/sites`: creates a site with its first origin.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<NewSite>,
) -> Response {
    let signed = match allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = form.id.trim();
    let refuse = |field, message: String| {
        list_page(
            &state,
            &signed,
            StatusCode::BAD_REQUEST,
            (&form.id, &form.origin),
            Some(Problem { field, message }),
        )
    };
    if !valid_id(id) {
        return refuse(
            "id",
            "A site id is 1 to 64 of A-Z a-z 0-9 _ - . and starts with a letter or digit.".into(),
        );
    }
    let origin = match read_origin(&form.origin) {
        Ok(o) => o,
        Err(message) => return refuse("origin", message),
    };
    match state
        .store
        .put_site(id.to_owned(), vec![origin], true)
        .await
    {
        Ok((site, _)) => page::see_other(&format!("{}?done=created", site_path(&site.id))),
        Err(StoreError::Conflict(_)) => refuse(
            "id",
            "A site with this id exists already; choose another id, or open it from the list."
                .into(),
        ),
        Err(e) => page::store_error(e),
    }
}

/// `GET /app/sites/{site}`: the site's origins, install snippets, visualizer and rules.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let signed = match allowed(&state, &headers, &uri, Scope::Read).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(site) = state.store.site(&id) else {
        return no_site(&id);
    };
    let notice = done.done.as_deref().and_then(done_message);
    site_page(
        &state,
        &signed,
        &headers,
        &site,
        notice.map_or(Said::Nothing, Said::Notice),
    )
}

/// The script-tag install: the stub, then the async tag with the collector and the site.
fn script_snippet(collector: &str, site: &str) -> String {
    let stub: Vec<&str> = STUB.lines().skip_while(|l| l.starts_with("//")).collect();
    format!(
        "<script>\n{}\n</script>\n<script async src=\"{collector}/dist/wasmtrack.js\"\n        data-collector=\"{collector}\" data-site=\"{site}\"></script>\n",
        stub.join("\n").trim()
    )
}

/// The npm install's start.
fn npm_snippet(collector: &str, site: &str) -> String {
    format!(
        "import {{ init }} from 'wasmtrack';\n\ninit({{ collector: '{collector}', site: '{site}' }});\n"
    )
}

/// The origin the visualizer opens on: the site's first `http(s)` origin (`*` names no page).
fn visualizer_origin(site: &Site) -> Option<&str> {
    site.origins
        .iter()
        .map(String::as_str)
        .find(|o| o.starts_with("https://") || o.starts_with("http://"))
}

/// What a site's page says besides the site: nothing, a notice after a change, or why the
/// origin typed (kept in its field) was refused.
enum Said<'a> {
    Nothing,
    Notice(&'static str),
    Refused { typed: &'a str, problem: Problem },
}

fn site_page(
    state: &AppState,
    signed: &Signed,
    headers: &HeaderMap,
    site: &Site,
    said: Said<'_>,
) -> Response {
    let may_change = signed.credential.grants(Scope::Definitions);
    let collector = collector_url(headers);
    let address = collector.as_deref().unwrap_or(PLACEHOLDER);
    let rules = state.store.rules(&site.id).unwrap_or_default();
    let path = site_path(&site.id);
    let (status, notice, typed, problem) = match said {
        Said::Nothing => (StatusCode::OK, None, "", None),
        Said::Notice(n) => (StatusCode::OK, Some(n), "", None),
        Said::Refused { typed, problem } => (StatusCode::BAD_REQUEST, None, typed, Some(problem)),
    };
    let body = html! {
        @if let Some(notice) = notice {
            p.notice role="status" { (notice) }
        }
        section aria-labelledby="origins" {
            h2 #origins { "Allowed origins" }
            p.hint { "Pages served from these origins may send this site's events; a request from any other is refused." }
            ul.origins {
                @for o in &site.origins {
                    li {
                        code { (o) }
                        @if o == "*" { " " span.muted { "(any origin, and servers)" } }
                        @if may_change && site.origins.len() > 1 {
                            form.inline method="post" action=(format!("{path}/origins/remove")) {
                                input type="hidden" name="csrf" value=(signed.session.csrf);
                                input type="hidden" name="origin" value=(o);
                                button type="submit" { "Remove" span.sr-only { " " (o) } }
                            }
                        }
                    }
                }
            }
            @if may_change {
                form.stack method="post" action=(format!("{path}/origins")) {
                    input type="hidden" name="csrf" value=(signed.session.csrf);
                    (field("origin", "Add an origin", typed, "https://www.example.com (scheme, host and port, no path), or * for any origin.", problem.as_ref()))
                    button type="submit" { "Add the origin" }
                }
            } @else {
                p.hint { "Changing the origins needs a key with the \u{201c}definitions\u{201d} scope." }
            }
        }
        section aria-labelledby="install" {
            h2 #install { "Install the tracker" }
            @if collector.is_none() {
                p.hint { "This request did not say the collector's address: replace " code { (PLACEHOLDER) } " with it." }
            }
            h3 #install-tag { "With a script tag" }
            p.hint { "Paste into every page's " code { "<head>" } ". The first script keeps the calls made before the tracker has loaded." }
            (snippet("snippet-tag", "Copy the script tag", &script_snippet(address, &site.id)))
            h3 #install-npm { "With npm" }
            p.hint { "After " code { "npm install wasmtrack" } ", in the app's entry point:" }
            (snippet("snippet-npm", "Copy the npm code", &npm_snippet(address, &site.id)))
        }
        section aria-labelledby="visualizer" {
            h2 #visualizer { "Visual events" }
            @if may_change {
                @match visualizer_origin(site) {
                    Some(origin) => {
                        form.stack method="post" action=(format!("{path}/visualizer")) {
                            input type="hidden" name="csrf" value=(signed.session.csrf);
                            p.hint { "The visualizer defines clicks and page views as events on the live site, without code. It opens on " code { (origin) } " with a link that works for " (DEFAULT_TTL_MINUTES) " minutes." }
                            button.primary type="submit" { "Open the visualizer on this site" }
                        }
                    },
                    None => {
                        p.hint { "The visualizer opens on one of the site's pages: add an origin with http:// or https:// first." }
                    },
                }
            }
            (rules_table(signed, &path, &rules.rules, may_change))
        }
    };
    page::framed(
        status,
        &format!("Site {}", site.id),
        "/app/sites",
        &signed.session,
        body,
    )
}

/// A snippet in `<pre><code>`, with a copy button that `app.js` shows and runs (without JS
/// the code is there to select).
fn snippet(id: &str, copy: &str, code: &str) -> Markup {
    html! {
        div.snippet {
            pre { code #(id) { (code) } }
            button.copy type="button" data-copy=(id) hidden { (copy) }
        }
    }
}

fn rules_table(
    signed: &Signed,
    path: &str,
    rules: &[std::sync::Arc<crate::model::Rule>],
    may_change: bool,
) -> Markup {
    html! {
        @if rules.is_empty() {
            p.empty { "No visual event on this site yet." }
        } @else {
            table.list {
                caption.sr-only { "The site's visual events (auto-tracking rules)" }
                thead { tr {
                    th scope="col" { "Label" }
                    th scope="col" { "Event" }
                    th scope="col" { "Fires on" }
                    th scope="col" { "Captures" }
                    th scope="col" { "Created (UTC)" }
                    @if may_change { th scope="col" { span.sr-only { "Action" } } }
                } }
                tbody {
                    @for rule in rules {
                        tr {
                            td { (rule.label) }
                            td { a href=(format!("/app/events/{}", rule.event_name)) { code { (rule.event_name) } } }
                            td { (trigger(&rule.trigger)) }
                            td {
                                @if rule.properties.is_empty() { span.muted { "nothing more" } }
                                @for (i, c) in rule.properties.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    code { (c.name) } " from "
                                    @match &c.source {
                                        Source::Text => "the text",
                                        Source::Attribute(a) => { code { (a) } },
                                    }
                                }
                            }
                            td { (timestamp::format(rule.created_at)) }
                            @if may_change {
                                td {
                                    form.inline method="post" action=(format!("{path}/rules/{}/delete", rule.id)) {
                                        input type="hidden" name="csrf" value=(signed.session.csrf);
                                        button type="submit" { "Delete" span.sr-only { " " (rule.label) } }
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

fn trigger(t: &Trigger) -> Markup {
    html! {
        @match t {
            Trigger::Click(selector) => { "A click on " code { (selector) } },
            Trigger::PageView(url) => {
                "A page view whose URL "
                (match url {
                    UrlRule::Exact(_) => "is",
                    UrlRule::StartsWith(_) => "starts with",
                    UrlRule::Contains(_) => "contains",
                    UrlRule::Pattern(_) => "matches",
                })
                " " code { (url.text()) }
            },
        }
    }
}

/// `POST /app/sites/{site}/origins`: adds an origin.
pub async fn add_origin(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<OriginForm>,
) -> Response {
    let signed = match allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(site) = state.store.site(&id) else {
        return no_site(&id);
    };
    let refuse = |message: String| {
        site_page(
            &state,
            &signed,
            &headers,
            &site,
            Said::Refused {
                typed: &form.origin,
                problem: Problem {
                    field: "origin",
                    message,
                },
            },
        )
    };
    let origin = match read_origin(&form.origin) {
        Ok(o) => o,
        Err(message) => return refuse(message),
    };
    if site.origins.contains(&origin) {
        return refuse(format!("{origin} is allowed already."));
    }
    if site.origins.len() >= MAX_ORIGINS {
        return refuse(format!(
            "A site lists at most {MAX_ORIGINS} origins; remove one first."
        ));
    }
    let mut origins = site.origins.clone();
    origins.push(origin);
    match state.store.put_site(site.id.clone(), origins, false).await {
        Ok(_) => page::see_other(&format!("{}?done=origin-added", site_path(&site.id))),
        Err(e) => page::store_error(e),
    }
}

/// `POST /app/sites/{site}/origins/remove`: removes an origin (not the last one).
pub async fn remove_origin(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<OriginForm>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        return r;
    }
    let Some(site) = state.store.site(&id) else {
        return no_site(&id);
    };
    let origin = normalize_origin(&form.origin).unwrap_or_default();
    if !site.origins.contains(&origin) {
        return page::error(
            StatusCode::NOT_FOUND,
            "This origin is not one of the site's (any more). Reload the site's page.",
        );
    }
    if site.origins.len() == 1 {
        return page::error(
            StatusCode::BAD_REQUEST,
            "A site needs at least one origin: add another before removing this one.",
        );
    }
    let origins: Vec<String> = site
        .origins
        .iter()
        .filter(|o| **o != origin)
        .cloned()
        .collect();
    match state.store.put_site(site.id.clone(), origins, false).await {
        Ok(_) => page::see_other(&format!("{}?done=origin-removed", site_path(&site.id))),
        Err(e) => page::store_error(e),
    }
}

/// `POST /app/sites/{site}/rules/{id}/delete`: deletes a visual event's rule (its event and
/// completions stay).
pub async fn delete_rule(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, rule)): Path<(String, String)>,
    Form(form): Form<Plain>,
) -> Response {
    if let Err(r) = allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        return r;
    }
    if state.store.site(&id).is_none() {
        return no_site(&id);
    }
    let Ok(rule) = rule.parse::<u64>() else {
        return page::error(StatusCode::NOT_FOUND, "There is no such visual event.");
    };
    match state.store.delete_rule(id.clone(), rule).await {
        Ok(()) => page::see_other(&format!("{}?done=rule-deleted", site_path(&id))),
        Err(e) => page::store_error(e),
    }
}

/// `POST /app/sites/{site}/visualizer`: issues a visualizer token for the site and answers a
/// page with the link that opens the site with it (shown once; never in a URL of the app).
pub async fn visualizer(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Plain>,
) -> Response {
    let signed = match allowed_form(&state, &headers, &form.csrf, Scope::Definitions).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(site) = state.store.site(&id) else {
        return no_site(&id);
    };
    let Some(origin) = visualizer_origin(&site) else {
        return page::error(
            StatusCode::BAD_REQUEST,
            "The visualizer opens on one of the site's pages: add an origin with http:// or https:// first.",
        );
    };
    let expires_at = now_ms().saturating_add(DEFAULT_TTL_MINUTES * 60_000);
    let token = match state
        .store
        .issue_visualizer_token(site.id.clone(), expires_at)
        .await
    {
        Ok(t) => t,
        Err(e) => return page::store_error(e),
    };
    // The token is `vt_` and hex digits: nothing in it to encode.
    let link = format!("{origin}/?wt_visualize={}", token.token);
    let body = html! {
        p { "The link below opens " code { (origin) } " with the visualizer. It works until "
            (timestamp::format(token.expires_at)) " (UTC); anyone who has it can define events on this site until then, so keep it to yourself." }
        p {
            a.button.primary href=(link) rel="noopener" target="_blank" {
                "Open " (origin) " with the visualizer" span.sr-only { " (opens in a new tab)" }
            }
        }
        p { a href=(site_path(&site.id)) { "Back to the site" } }
    };
    page::page(
        &format!("Visualizer for {}", site.id),
        "/app/sites",
        &signed.session,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn the_script_snippet_is_the_readmes_stub_and_tag() {
        let s = script_snippet("https://c.example", "shop");
        assert!(s.starts_with("<script>\nwindow._wtq = window._wtq || [];"));
        assert!(!s.contains("// The stub"), "no repository comment");
        assert!(s.contains(
            "<script async src=\"https://c.example/dist/wasmtrack.js\"\n        data-collector=\"https://c.example\" data-site=\"shop\"></script>"
        ));
        assert_eq!(
            npm_snippet("https://c.example", "shop"),
            "import { init } from 'wasmtrack';\n\ninit({ collector: 'https://c.example', site: 'shop' });\n"
        );
    }

    #[test]
    fn the_collectors_address_is_the_requests_host_or_nothing() {
        let mut headers = HeaderMap::new();
        assert_eq!(collector_url(&headers), None);
        headers.insert(header::HOST, "Collect.Example:8443".parse().unwrap());
        assert_eq!(
            collector_url(&headers).as_deref(),
            Some("http://collect.example:8443")
        );
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(
            collector_url(&headers).as_deref(),
            Some("https://collect.example:8443")
        );
        headers.insert(header::HOST, "evil\"><b>".parse().unwrap());
        assert_eq!(collector_url(&headers), None);
        headers.insert(header::HOST, "a/b".parse().unwrap());
        assert_eq!(collector_url(&headers), None);
    }

    #[test]
    fn only_http_origins_open_the_visualizer() {
        let site = |origins: &[&str]| Site {
            id: "s".into(),
            origins: origins.iter().map(|o| o.to_string()).collect(),
            public_key: "k".into(),
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(visualizer_origin(&site(&["*"])), None);
        assert_eq!(
            visualizer_origin(&site(&["*", "https://shop.example"])),
            Some("https://shop.example")
        );
    }
}
