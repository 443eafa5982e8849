//! `GET /healthz`: answers 200 while the server accepts requests (for load balancers and
//! `docker HEALTHCHECK`).

use axum::Json;
use serde_json::{json, Value};

/// `{"status":"ok"}`.
#[utoipa::path(
    get, path = "/healthz", tag = "Health",
    operation_id = "health",
    summary = "Whether the server answers",
    responses((status = 200, description = "It does", body = super::openapi::schemas::Health)),
    security(()),
)]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
