//! Signing in and out. The token is posted once, in a form, over the same origin; what the
//! browser keeps afterwards is only the session cookie.

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::html;
use serde::Deserialize;

use super::{cookie, over_https, page, session};
use crate::AppState;

/// `?next=`: where to go after signing in.
#[derive(Deserialize, Default)]
pub struct Next {
    next: Option<String>,
}

/// The sign-in form's fields.
#[derive(Deserialize, Default)]
pub struct SignIn {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

/// The sign-out form's field.
#[derive(Deserialize, Default)]
pub struct SignOut {
    #[serde(default)]
    csrf: String,
}

/// A page of the app to go back to: a path under `/app/`, never another site (`//evil`) or a
/// scheme; anything else is the events list.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/app/")
                && !n.starts_with("/app//")
                && !n.contains('\\')
                && !n.contains("/app/sign-")
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/app/events".to_owned(),
    }
}

/// `GET /app/sign-in`.
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let live = match cookie(&headers, session::COOKIE) {
        Some(id) => session::find(&state, id).await.is_some(),
        None => false,
    };
    if live {
        return page::see_other(&next);
    }
    sign_in_page(StatusCode::OK, &next, None)
}

fn sign_in_page(status: StatusCode, next: &str, problem: Option<&str>) -> Response {
    page::bare(
        status,
        "Sign in",
        html! {
            form.card method="post" action="/app/sign-in" {
                input type="hidden" name="next" value=(next);
                label for="token" { "Admin token or API key" }
                input #token type="password" name="token" required autocomplete="current-password"
                    aria-describedby=[problem.map(|_| "token-error")] aria-invalid=[problem.map(|_| "true")];
                @if let Some(problem) = problem {
                    p #token-error .field-error role="alert" { (problem) }
                }
                p.hint {
                    "The admin token is in the collector's data directory (" code { "admin-token" }
                    "); an API key signs in with what its scopes allow."
                }
                button.primary type="submit" { "Sign in" }
            }
        },
    )
}

/// Whether a form post came from a page of this origin: browsers say so in `Sec-Fetch-Site`
/// (and `Origin`); a post another site makes is refused, so no one can sign a visitor in to
/// their own session behind their back.
fn same_origin(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
        _ => true,
    }
}

/// `POST /app/sign-in`: opens a session for a valid token, or shows the form again.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    if !same_origin(&headers) {
        return page::error(
            StatusCode::FORBIDDEN,
            "This sign-in came from another site and was refused.",
        );
    }
    let Some(holder) = session::holder_for(&state, form.token.trim()) else {
        return sign_in_page(
            StatusCode::UNAUTHORIZED,
            &next,
            Some("This is neither the admin token nor an API key of this collector."),
        );
    };
    let id = match session::open(&state, holder).await {
        Ok(id) => id,
        Err(e) => return page::store_error(e),
    };
    let mut response = page::see_other(&next);
    let secure = if over_https(&headers) { "; Secure" } else { "" };
    let cookie = format!(
        "{}={id}; Path=/app; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        session::COOKIE,
        session::IDLE_MS / 1000
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /app/sign-out`: ends the session on the server and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOut>,
) -> Response {
    if let Err(refused) = super::checked_form(&state, &headers, &form.csrf).await {
        return refused;
    }
    if let Some(id) = cookie(&headers, session::COOKIE) {
        session::close(&state, id).await;
    }
    let mut response = page::see_other("/app/sign-in");
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("wt_app=; Path=/app; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_of_the_app_are_gone_back_to() {
        assert_eq!(
            safe_next(Some("/app/events/signup?range=7d")),
            "/app/events/signup?range=7d"
        );
        for bad in [
            None,
            Some("https://evil.example/"),
            Some("//evil.example"),
            Some("/app//evil.example"),
            Some("/app/\\evil"),
            Some("/v1/keys"),
            Some("/app/sign-out"),
            Some("/app/x y"),
        ] {
            assert_eq!(safe_next(bad), "/app/events", "{bad:?}");
        }
    }
}
