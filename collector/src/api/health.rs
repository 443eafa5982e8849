//! `GET /healthz`: answers 200 while the server accepts requests (for load balancers and
//! `docker HEALTHCHECK`).

use axum::Json;
use serde_json::{json, Value};

/// `{"status":"ok"}`.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
