//! The limits every request goes through, as named constants applied as layers: body size
//! (in the routes, so the 413 has the HubSpot body), a deadline, a cap on requests in flight
//! with load shedding (503 at once rather than a queue that grows), request tracing, and
//! trailing-slash tolerance for the API paths (HubSpot's clients request `/events/v3/events/`).

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Uri;
use axum::response::IntoResponse;
use axum::{BoxError, Router};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, MAX_BODY_BYTES};

/// Longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Most requests handled at once; past this, new ones are shed with a 503.
pub const MAX_IN_FLIGHT: usize = 2048;

/// Wraps the routes with every limit layer.
pub fn wrap(routes: Router) -> Router {
    let routes = routes.layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let app = ServiceBuilder::new()
        .map_request(trim_trailing_slash)
        .service(routes);
    Router::new().fallback_service(app).layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(HandleErrorLayer::new(|err: BoxError| async move {
                overloaded(&err).into_response()
            }))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(MAX_IN_FLIGHT))
            .timeout(REQUEST_TIMEOUT),
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
