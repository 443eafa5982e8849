//! `GET /v1/rejected`: the beacon events that were refused, with their reasons, newest first
//! (nothing the tracker sends is dropped silently: a site owner finds it here).

use std::collections::HashMap;

use axum::extract::{Query, State};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::openapi::schemas;
use super::{bounded, cursor};
use crate::error::{ApiError, AppJson};
use crate::timestamp;
use crate::AppState;

/// `GET /v1/rejected?limit&after` → `{"results":[{"id","name","site","reason","receivedAt",
/// "event"}],"paging":{"next":{"after"}}}`.
#[utoipa::path(
    get, path = "/v1/rejected", tag = "Data quality",
    operation_id = "listRejectedEvents",
    summary = "Beacon events that could never be stored, newest first",
    params(
        ("limit" = Option<usize>, Query, description = "Page size, 1 to 1000 (default 100)"),
        ("after" = Option<String>, Query, description = "The cursor of the previous page's `paging.next.after`"),
    ),
    responses(
        (status = 200, description = "A page", body = schemas::RejectedPage),
        (status = 400, description = "A parameter is invalid", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<AppJson<Value>, ApiError> {
    let limit = bounded(q.get("limit"), "limit", 100, 1, 1000)?;
    let before =
        match q.get("after") {
            Some(c) => Some(cursor::decode(c)?.parse::<i64>().map_err(|_| {
                ApiError::field("after", "after is not a cursor this server returned")
            })?),
            None => None,
        };
    let mut rows = state.store.rejected(before, limit + 1).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let event = RawValue::from_string(r.body.clone())
                .ok()
                .and_then(|raw| serde_json::to_value(raw).ok())
                .unwrap_or_else(|| Value::String(r.body.clone()));
            json!({
                "id": r.event_id,
                "name": r.name,
                "site": r.site,
                "reason": r.reason,
                "receivedAt": timestamp::format(r.received_at),
                "event": event,
            })
        })
        .collect();
    let mut out = json!({ "results": results });
    if let (true, Some(last)) = (more, rows.last()) {
        out["paging"] = json!({ "next": { "after": cursor::encode(&last.seq.to_string()) } });
    }
    Ok(AppJson(out))
}
