//! The limits every request goes through, as named constants applied as layers: body size
//! (in the routes, so the 413 has the HubSpot body), a deadline, a cap on requests in flight
//! with load shedding (503 at once rather than a queue that grows), request tracing, and
//! trailing-slash tolerance for the API paths (HubSpot's clients request `/events/v3/events/`).
//! Two more guards: a declared `Content-Length` over the body limit is answered 413 before
//! anything is read (and before `100 Continue`), and every error answer that does not come
//! from [`ApiError`] (axum's own rejections of a path or query, a method a path does not
//! serve) is rewritten into HubSpot's error body. Every answer says `nosniff`.

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{BoxError, Router};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::error::{ApiError, MAX_BODY_BYTES};

/// Longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most requests handled at once by default; past this, new ones are shed with a 503.
pub const MAX_IN_FLIGHT: usize = 2048;

/// Wraps the routes with every limit layer.
pub fn wrap(routes: Router, max_in_flight: usize) -> Router {
    let routes = routes
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(as_hubspot_error))
        .layer(middleware::from_fn(refuse_oversized));
    let app = ServiceBuilder::new()
        .map_request(trim_trailing_slash)
        .service(routes);
    let limited = Router::new().fallback_service(app).layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|err: BoxError| async move {
                overloaded(&err).into_response()
            }))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(max_in_flight))
            .layer(middleware::from_fn(time_limit)),
    );
    // `/healthz` answers outside the cap on requests in flight: a server whose slots slow
    // clients hold is alive, and its supervisor must not restart it for that.
    Router::new()
        .route("/healthz", axum::routing::get(crate::api::healthz))
        .fallback_service(limited)
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                // A 503 is the server protecting itself, said to the client; only a 500
                // (logged with its correlation id where it happens) is an error of the server.
                .layer(
                    TraceLayer::new_for_http()
                        .on_failure(DefaultOnFailure::new().level(tracing::Level::WARN)),
                ),
        )
}

fn overloaded(err: &BoxError) -> ApiError {
    if err.is::<tower::timeout::error::Elapsed>() {
        ApiError::Overloaded("The request took too long; retry")
    } else if err.is::<tower::load_shed::error::Overloaded>() {
        ApiError::Overloaded("Too many requests in flight; retry")
    } else {
        ApiError::Internal(format!("middleware: {err}"))
    }
}

/// `/events/v3/events/` is routed as `/events/v3/events`. Static paths keep their slash, where
/// it means "the directory's index".
fn trim_trailing_slash(mut req: Request) -> Request {
    let path = req.uri().path();
    let api =
        path.starts_with("/events/") || path.starts_with("/v1/") || path.starts_with("/healthz");
    if api && path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let rebuilt = match req.uri().query() {
            Some(query) => format!("{trimmed}?{query}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = rebuilt.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Whether a request uploads a whole file (a spreadsheet import): it may take longer than
/// [`REQUEST_TIMEOUT`] and weigh more than [`MAX_BODY_BYTES`]; the import applies its own
/// size limit as it reads.
pub fn is_upload(req: &Request) -> bool {
    req.method() == axum::http::Method::POST
        && matches!(req.uri().path(), "/v1/imports" | "/app/imports")
}

/// Answers 503 when a request takes longer than [`REQUEST_TIMEOUT`], uploads excepted.
async fn time_limit(req: Request, next: Next) -> Response {
    if is_upload(&req) {
        return next.run(req).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Overloaded("The request took too long; retry").into_response(),
    }
}

/// A request that declares a body over the limit is answered 413 at once: reading it first
/// would keep a slot for as long as the client takes to send it, and `Expect: 100-continue`
/// would invite it to.
async fn refuse_oversized(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) && !is_upload(&req) {
        return ApiError::PayloadTooLarge.into_response();
    }
    next.run(req).await
}

/// An error answer that is not JSON came from axum itself (a path or query it could not
/// decode, a method the path does not serve, a body limit): it is given HubSpot's error body,
/// so that every error a client sees has one shape.
async fn as_hubspot_error(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    // (An HTML error is one of the analyst app's own pages: it stays one.)
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    let mut answer = ApiError::from_status(status, &text).into_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_paths_lose_their_trailing_slash() {
        let req = |uri: &str| {
            Request::builder()
                .uri(uri)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert_eq!(
            trim_trailing_slash(req("/events/v3/events/?a=1")).uri(),
            "/events/v3/events?a=1"
        );
        assert_eq!(trim_trailing_slash(req("/docs/")).uri(), "/docs/");
    }
}
