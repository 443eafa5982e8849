//! The analyst app at `/app/`: events, reports, contacts' timelines, sites and workflows, as pages served
//! by the collector itself (no second server, nothing to install).
//!
//! # Why server-rendered pages
//! Every page is HTML rendered here from the store (maud templates compiled into the binary)
//! with a little JS for what HTML cannot do alone (copying a snippet, live checks of a name,
//! chart tooltips): a first load is a few KB, works by keyboard and with a screen reader as
//! plain HTML does, and every value from a visitor's browser is escaped by the template engine.
//! Charts are SVG drawn here (`chart.rs`), so a report is one request.
//!
//! # Access
//! Signing in (`sign_in.rs`) opens a session (`session.rs`); each page checks it with
//! [`signed_in`], and each form post with [`checked_form`] (the session's CSRF token). A
//! session of an API key sees what the key's scopes allow. A request without a live session
//! is sent to sign in, and back to the page it asked for.

// A page's guards answer the page to show instead (sign in, not allowed) as their `Err`: the
// axum idiom, on a path that runs once per request, where boxing would buy nothing.
#![allow(clippy::result_large_err)]

mod chart;
mod contacts;
mod enrollment;
mod event_edit;
mod events;
mod imports;
mod page;
mod quality;
pub mod session;
mod sign_in;
mod sites;
mod wizard;
mod workflow_draft;
mod workflow_form;
mod workflows;

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::auth::Credential;
use crate::scopes::Scope;
use crate::AppState;
use session::Session;

/// The app's routes, under `/app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app", get(home))
        .route("/app/", get(home))
        .route("/app/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/app/sign-out", post(sign_in::sign_out))
        .route("/app/events", get(events::list))
        .route("/app/events/new", get(wizard::form).post(wizard::submit))
        .route("/app/events/new/check", get(wizard::check))
        .route("/app/events/{name}", get(events::show))
        .route("/app/events/{name}/completions.csv", get(events::csv))
        .route(
            "/app/events/{name}/properties",
            post(event_edit::add_property),
        )
        .route(
            "/app/events/{name}/properties/{property}",
            get(event_edit::edit_property).post(event_edit::update_property),
        )
        .route(
            "/app/events/{name}/properties/{property}/delete",
            post(event_edit::delete_property),
        )
        .route(
            "/app/events/{name}/delete",
            get(event_edit::confirm_delete).post(event_edit::delete),
        )
        .route("/app/sites", get(sites::list).post(sites::create))
        .route("/app/sites/{site}", get(sites::show))
        .route("/app/sites/{site}/origins", post(sites::add_origin))
        .route(
            "/app/sites/{site}/origins/remove",
            post(sites::remove_origin),
        )
        .route(
            "/app/sites/{site}/rules/{rule}/delete",
            post(sites::delete_rule),
        )
        .route("/app/sites/{site}/visualizer", post(sites::visualizer))
        .route("/app/quality", get(quality::list))
        .route("/app/quality/define", post(quality::define))
        .route("/app/quality/replay", post(quality::replay))
        .route("/app/quality/add-property", post(quality::add_property))
        .route(
            "/app/imports",
            get(imports::list)
                .post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/app/imports/{id}", get(imports::show))
        .route("/app/imports/{id}/start", post(imports::start))
        .route("/app/imports/{id}/cancel", post(imports::cancel))
        .route("/app/imports/{id}/status", get(imports::status))
        .route("/app/imports/{id}/refused.csv", get(imports::refused))
        .route("/app/contacts", get(contacts::list))
        .route("/app/contacts/{id}", get(contacts::show))
        .route("/app/workflows", get(workflows::list))
        .route(
            "/app/workflows/new",
            get(workflow_form::new).post(workflow_form::post_new),
        )
        .route("/app/workflows/{id}", get(workflows::show))
        .route(
            "/app/workflows/{id}/edit",
            get(workflow_form::edit_page).post(workflow_form::post_edit),
        )
        .route("/app/workflows/{id}/enabled", post(workflows::switch_post))
        .route(
            "/app/workflows/{id}/delete",
            get(workflows::confirm_delete).post(workflows::delete),
        )
        .route(
            "/app/workflows/{id}/enrollments/{eid}",
            get(enrollment::show),
        )
        .route(
            "/app/workflows/{id}/enrollments/{eid}/replay",
            post(enrollment::replay),
        )
        .route("/app/assets/app.css", get(css))
        .route("/app/assets/app.js", get(js))
        // Any other address under /app is a page that does not exist: said as a page, never
        // as the API's JSON error.
        .route("/app/{*rest}", axum::routing::any(missing))
        // Pages are text that compresses well (a 90-day hourly chart: ≈500 KB of SVG, 33 KB
        // gzip); the API's answers are left as they were.
        .layer(axum::middleware::map_response(html_errors))
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
}

/// An error answer the app's handlers did not write as a page (axum's own: a form, a path or
/// a query it could not read) becomes one: the app never shows plain text or JSON errors.
async fn html_errors(response: Response) -> Response {
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_html {
        return response;
    }
    let reason = axum::body::to_bytes(response.into_body(), 2048)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = if reason.trim().is_empty() {
        "The request could not be handled.".to_owned()
    } else {
        format!("The request could not be handled: {}", reason.trim())
    };
    page::error(status, &message)
}

async fn missing() -> Response {
    page::error(StatusCode::NOT_FOUND, "There is no such page in the app.")
}

async fn home() -> Response {
    page::see_other("/app/events")
}

/// A signed-in request: its session and what its credential may do.
pub struct Signed {
    /// The session (its CSRF token goes into every form).
    pub session: Session,
    /// The credential it stands for, as it is now.
    pub credential: Credential,
}

impl Signed {
    /// A page for a scope the credential lacks.
    pub fn require(&self, scope: Scope) -> Result<(), Response> {
        if self.credential.grants(scope) {
            Ok(())
        } else {
            Err(page::framed(
                StatusCode::FORBIDDEN,
                "Not allowed",
                "",
                &self.session,
                maud::html! {
                    p.error role="alert" {
                        "The key you signed in with lacks the \"" (scope.as_str())
                        "\" scope this page needs. Sign out and sign in with a key that has it."
                    }
                },
            ))
        }
    }
}

/// The session of the request, or a redirect to sign in and back to `uri`.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Signed, Response> {
    let back = || {
        let next = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/app/events");
        page::see_other(&format!(
            "/app/sign-in?next={}",
            percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
        ))
    };
    let Some(id) = cookie(headers, session::COOKIE) else {
        return Err(back());
    };
    let Some(mut session) = session::find(state, id).await else {
        return Err(back());
    };
    let Some(credential) = session::credential(state, &session.holder) else {
        session::close(state, id).await;
        return Err(back());
    };
    session.admin = credential.grants(Scope::Admin);
    Ok(Signed {
        session,
        credential,
    })
}

/// [`signed_in`] for a form post: also its `csrf` field must be the session's token. A post
/// without a live session goes to sign in (back to the events: a post cannot be replayed).
pub async fn checked_form(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<Signed, Response> {
    let events: Uri = Uri::from_static("/app/events");
    let signed = signed_in(state, headers, &events).await?;
    if !crate::auth::same(csrf.as_bytes(), signed.session.csrf.as_bytes()) {
        return Err(page::error(
            StatusCode::FORBIDDEN,
            "This form is stale or came from another site. Reload the page and try again.",
        ));
    }
    Ok(signed)
}

/// [`signed_in`] for a page that needs `scope`: the page to answer instead when the session
/// is gone or its credential lacks the scope.
pub async fn allowed(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    scope: Scope,
) -> Result<Signed, Response> {
    let signed = signed_in(state, headers, uri).await?;
    signed.require(scope)?;
    Ok(signed)
}

/// [`checked_form`] for a change that needs `scope`.
pub async fn allowed_form(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    scope: Scope,
) -> Result<Signed, Response> {
    let signed = checked_form(state, headers, csrf).await?;
    signed.require(scope)?;
    Ok(signed)
}

/// The value of cookie `name` of the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The collector's address as the browser reached it, for the snippets and commands the app
/// shows: the request's `Host`, over https when a TLS proxy says so (`X-Forwarded-Proto`);
/// `None` when the host is not one an origin may name (it is then never shown).
pub fn collector_url(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let scheme = if over_https(headers) { "https" } else { "http" };
    crate::model::site::normalize_origin(&format!("{scheme}://{host}")).filter(|o| o != "*")
}

/// Whether the browser reached the collector over https (a TLS proxy says so).
fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/app.css"))
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    )
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; wt_app=xyz; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, "wt_app"), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
