//! `/v1/visualizer/…`: visualizer tokens (issued by an admin for one site, stored, expiring)
//! and the session check the visualizer opens with; plus the CORS layer shared with the
//! rule endpoints ([`super::rules`]).
//!
//! CORS: the visualizer runs on the site's own pages and sends `Authorization`, so browsers
//! preflight its requests. [`cors`] decides once per request whether the `Origin` is allowed —
//! by the site in the path (`site.allows`, the rule of `/v1/collect`), or, for
//! `/v1/visualizer/session`, by any site — and echoes it on every answer, errors included, so
//! the page can read why a request failed. Tokens travel in a header, never in cookies, so no
//! `Access-Control-Allow-Credentials`.

use std::collections::HashMap;

use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::openapi::schemas;
use crate::error::{ApiError, AppJson};
use crate::timestamp::{self, now_ms};
use crate::{auth, AppState};

/// Token lifetime when the request names none, in minutes.
pub const DEFAULT_TTL_MINUTES: i64 = 60;
/// Longest token lifetime, in minutes (a day).
pub const MAX_TTL_MINUTES: i64 = 1440;
/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: u32 = 600;

/// Body of `POST /v1/visualizer/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenBody {
    /// The site the token opens the visualizer on.
    #[schema(required = true)]
    site: Option<String>,
    /// Lifetime in minutes, 1 to 1440 (default 60).
    #[schema(value_type = Option<i64>)]
    ttl_minutes: Option<Value>,
}

/// `POST /v1/visualizer/tokens` with `{"site","ttlMinutes"}` (admin) → 201
/// `{"token","site","expiresAt"}`; 404 for an unknown site.
#[utoipa::path(
    post, path = "/v1/visualizer/tokens", tag = "Auto-tracking rules",
    operation_id = "issueVisualizerToken",
    summary = "Issue a visualizer token for a site (shown once)",
    request_body = TokenBody,
    responses(
        (status = 201, description = "Issued", body = schemas::VisualizerToken),
        (status = 400, description = "A field is invalid", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such site", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"])),
)]
pub async fn issue(
    State(state): State<AppState>,
    AppJson(body): AppJson<TokenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let site = body
        .site
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::field("site", "site is required"))?;
    let ttl = match body.ttl_minutes {
        None => DEFAULT_TTL_MINUTES,
        Some(value) => value
            .as_i64()
            .filter(|m| (1..=MAX_TTL_MINUTES).contains(m))
            .ok_or_else(|| {
                ApiError::field(
                    "ttlMinutes",
                    format!("ttlMinutes must be an integer from 1 to {MAX_TTL_MINUTES}"),
                )
            })?,
    };
    let expires_at = now_ms().saturating_add(ttl * 60_000);
    let token = state.store.issue_visualizer_token(site, expires_at).await?;
    Ok((
        StatusCode::CREATED,
        AppJson(json!({
            "token": token.token,
            "site": token.site,
            "expiresAt": timestamp::format(token.expires_at),
        })),
    ))
}

/// Body of `DELETE /v1/visualizer/tokens`: one token, or every token of a site.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeBody {
    /// The token to revoke.
    token: Option<String>,
    /// Revoke every token of this site.
    site: Option<String>,
}

/// `DELETE /v1/visualizer/tokens` with `{"token"}` or `{"site"}` → 200 `{"revoked":n}`; the
/// visualizer of a revoked token stops at its next request.
#[utoipa::path(
    delete, path = "/v1/visualizer/tokens", tag = "Auto-tracking rules",
    operation_id = "revokeVisualizerTokens",
    summary = "Revoke a visualizer token, or every token of a site",
    request_body = RevokeBody,
    responses(
        (status = 200, description = "How many were revoked", body = schemas::Revoked),
        (status = 400, description = "Neither or both of token and site", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such token", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"]))
)]
pub async fn revoke(
    State(state): State<AppState>,
    AppJson(body): AppJson<RevokeBody>,
) -> Result<AppJson<Value>, ApiError> {
    let token = body.token.filter(|t| !t.is_empty());
    let site = body.site.filter(|s| !s.is_empty());
    if token.is_some() == site.is_some() {
        return Err(ApiError::field(
            "token",
            "give either token (revoke it) or site (revoke every token of the site)",
        ));
    }
    let one = token.is_some();
    let revoked = state.store.revoke_visualizer_tokens(token, site).await?;
    if one && revoked == 0 {
        return Err(ApiError::NotFound("no such visualizer token".into()));
    }
    Ok(AppJson(json!({ "revoked": revoked })))
}

/// `GET /v1/visualizer/session` with a visualizer token → 200 `{"site","expiresAt"}`; 401
/// for anything else, the admin token included.
#[utoipa::path(
    get, path = "/v1/visualizer/session", tag = "Auto-tracking rules",
    operation_id = "readVisualizerSession",
    summary = "The site and expiry of a visualizer token (what the visualizer opens with)",
    responses(
        (status = 200, description = "The token is valid", body = schemas::VisualizerSession),
        (status = 401, description = "No, unknown or expired visualizer token", body = schemas::Error),
    ),
    security(("visualizer" = [])),
)]
pub async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<AppJson<Value>, ApiError> {
    let token = auth::visualizer(&state, &headers).await?;
    Ok(AppJson(json!({
        "site": token.site,
        "expiresAt": timestamp::format(token.expires_at),
    })))
}

/// The request's `Origin` when it is allowed (set by [`cors`] for the handlers).
#[derive(Debug, Clone)]
pub struct AllowedOrigin(pub Option<HeaderValue>);

/// Middleware of the visualizer and rule routes: decides whether the request's origin is
/// allowed, tells the handler ([`AllowedOrigin`]), and adds the CORS headers to the answer.
pub async fn cors(
    State(state): State<AppState>,
    params: Result<Path<HashMap<String, String>>, PathRejection>,
    mut req: Request,
    next: Next,
) -> Response {
    let site = params.ok().and_then(|Path(mut p)| p.remove("site"));
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .filter(|value| {
            let Ok(origin) = value.to_str() else {
                return false;
            };
            match &site {
                Some(site) => state
                    .store
                    .site(site)
                    .is_some_and(|s| s.allows(Some(origin))),
                None => state.store.sites().iter().any(|s| s.allows(Some(origin))),
            }
        })
        .cloned();
    req.extensions_mut().insert(AllowedOrigin(allowed.clone()));
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    if let Some(origin) = allowed {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("ETag, Retry-After"),
        );
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// `OPTIONS` of the visualizer and rule routes: 204 with the allowed methods and headers for
/// an allowed origin, else 403.
pub async fn preflight(Extension(allowed): Extension<AllowedOrigin>) -> Response {
    if allowed.0.is_none() {
        return ApiError::Forbidden("this origin is not allowed for this site".into())
            .into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, DELETE"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE),
    );
    response
}
