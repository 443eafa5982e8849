//! The frame every page of the app shares, and how pages answer: HTML with the headers that
//! keep it safe (a Content-Security-Policy that allows no inline script and no other origin,
//! no framing, no caching of signed-in pages), the error page, and redirects.
//!
//! Pages are maud templates: every interpolated value is HTML-escaped by the template engine,
//! so names, labels and property values from anyone's browser show as text, never as markup.

use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::session::Session;

/// The sections of the app, in the navigation's order: (path, label, whether only the admin
/// scope may open it). A section is listed once its pages exist.
pub const SECTIONS: &[(&str, &str, bool)] = &[
    ("/app/events", "Events", false),
    ("/app/contacts", "Contacts", false),
    ("/app/imports", "Imports", false),
    ("/app/sites", "Sites", false),
    ("/app/quality", "Data quality", false),
    ("/app/workflows", "Workflows", true),
];

/// Scripts only from the app itself, styles only from it, images inline SVG; nothing framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A page of the app for a signed-in person: navigation (with `current` marked), the
/// sign-out form, and `body` under the page's `title`.
pub fn page(title: &str, current: &str, session: &Session, body: Markup) -> Response {
    framed(StatusCode::OK, title, current, session, body)
}

/// [`page`] with another status (a signed-in person's error: the navigation and sign-out stay).
pub fn framed(
    status: StatusCode,
    title: &str,
    current: &str,
    session: &Session,
    body: Markup,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · wasmtrack" }
                link rel="stylesheet" href="/app/assets/app.css";
                // No favicon request (and no 404 for one).
                link rel="icon" href="data:,";
                script src="/app/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/app/events" { "wasmtrack" }
                    nav aria-label="Sections" {
                        ul {
                            @for &(path, label, _) in SECTIONS.iter().filter(|s| session.admin || !s.2) {
                                li {
                                    @if path == current {
                                        a href=(path) aria-current="page" { (label) }
                                    } @else {
                                        a href=(path) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    form.signout method="post" action="/app/sign-out" {
                        input type="hidden" name="csrf" value=(session.csrf);
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    respond(status, markup)
}

/// A page without the navigation (sign-in, errors before signing in).
pub fn bare(status: StatusCode, title: &str, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · wasmtrack" }
                link rel="stylesheet" href="/app/assets/app.css";
                link rel="icon" href="data:,";
            }
            body.bare {
                main #main {
                    p.brand { "wasmtrack" }
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    respond(status, markup)
}

/// An error as a readable page: what went wrong, and a way back.
pub fn error(status: StatusCode, message: &str) -> Response {
    bare(
        status,
        status.canonical_reason().unwrap_or("Error"),
        html! {
            p.error role="alert" { (message) }
            p { a href="/app/events" { "Back to the events" } }
        },
    )
}

/// The page for an event name that has no definition.
pub fn no_event(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("There is no event \u{201c}{name}\u{201d}."),
    )
}

/// A store failure as a page: what a person can do about it; internal details are logged,
/// never shown.
pub fn store_error(err: crate::store::StoreError) -> Response {
    use crate::store::StoreError;
    match err {
        StoreError::Busy | StoreError::Closed => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The collector is busy. Try again in a moment.",
        ),
        StoreError::NotFound(what) => error(StatusCode::NOT_FOUND, &what),
        StoreError::Conflict(what) => error(StatusCode::CONFLICT, &what),
        StoreError::Invalid(detail) => error(StatusCode::BAD_REQUEST, &detail.message),
        StoreError::RulesFire(rules) => error(
            StatusCode::CONFLICT,
            &format!(
                "{} auto-tracking rule(s) fire this event; delete them first.",
                rules.len()
            ),
        ),
        StoreError::Internal(detail) => {
            tracing::error!(%detail, "analyst app: store error");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong in the collector; it has been logged.",
            )
        }
    }
}

/// Answers `markup` with the app's headers.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `303 See Other` to `to` (after a form, so that reloading does not post it again).
pub fn see_other(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Text for a count: `1,234`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_with_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }
}
