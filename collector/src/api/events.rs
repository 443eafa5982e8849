//! Reading events back (SPEC §7): HubSpot's event analytics (`GET /events/v3/events`, a
//! contact's timeline being that query for one contact; `GET /events/v3/events/event-types`)
//! and completions of one event over time, `GET /v1/events/{eventName}/completions`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use wasmtrack_core::event::{IDENTIFY, PAGE_VIEW};
use wasmtrack_core::limits::check_name;

use super::openapi::schemas;
use super::{bounded, cursor};
use crate::error::{ApiError, AppJson};
use crate::model::PrimaryObject;
use crate::store::{CompletionQuery, Cursor, EventQuery, ObjectFilter, StoredEvent};
use crate::timestamp::{self, now_ms};
use crate::validate::{normalize_email, strip_portal_prefix};
use crate::AppState;

/// Page size when `limit` is absent.
const DEFAULT_LIMIT: usize = 100;
/// Largest page.
const MAX_LIMIT: usize = 1000;
/// Most buckets one completions query may return.
const MAX_BUCKETS: i64 = 5000;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;

/// `GET /events/v3/events?objectType&objectId|objectProperty.email&eventType&occurredAfter
/// &occurredBefore&sort&after&limit` → `{"results":[…],"paging":{"next":{"after"}}}`.
/// Newest first unless `sort=occurredAt`.
#[utoipa::path(
    get, path = "/events/v3/events", tag = "Events",
    operation_id = "listEvents",
    summary = "List completions, newest first",
    params(
        ("objectType" = Option<String>, Query, description = "contact (default), company, deal or ticket"),
        ("objectId" = Option<i64>, Query, description = "Only this record's completions (for a contact, its visitors' anonymous ones too)"),
        ("objectProperty.email" = Option<String>, Query, description = "Only this contact's completions"),
        ("eventType" = Option<String>, Query, description = "Only completions of this event"),
        ("occurredAfter" = Option<String>, Query, description = "ISO 8601 or epoch milliseconds (inclusive)"),
        ("occurredBefore" = Option<String>, Query, description = "ISO 8601 or epoch milliseconds (exclusive)"),
        ("sort" = Option<String>, Query, description = "`-occurredAt` (default) or `occurredAt`"),
        ("limit" = Option<usize>, Query, description = "Page size, 1 to 1000 (default 100)"),
        ("after" = Option<String>, Query, description = "The cursor of the previous page's `paging.next.after`"),
    ),
    responses(
        (status = 200, description = "A page of completions", body = schemas::EventPage),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<AppJson<Value>, ApiError> {
    let object_type = match q.get("objectType") {
        None => None,
        Some(t) => Some(PrimaryObject::parse(t).ok_or_else(|| {
            ApiError::field(
                "objectType",
                format!("objectType \"{t}\" is not one of contact, company, deal, ticket"),
            )
        })?),
    };
    let object = match (q.get("objectId"), q.get("objectProperty.email")) {
        (Some(id), _) => {
            let id = id.parse::<i64>().ok().filter(|id| *id > 0);
            let id = id.ok_or_else(|| {
                ApiError::field("objectId", "objectId must be a positive integer")
            })?;
            Some(ObjectFilter::Id(
                object_type.unwrap_or(PrimaryObject::Contact),
                id,
            ))
        }
        (None, Some(email)) => {
            if object_type.is_some_and(|t| t != PrimaryObject::Contact) {
                return Err(ApiError::field(
                    "objectProperty.email",
                    "only contacts have an email",
                ));
            }
            let email = normalize_email(email).ok_or_else(|| {
                ApiError::field(
                    "objectProperty.email",
                    format!("\"{email}\" is not an email address"),
                )
            })?;
            Some(ObjectFilter::Email(email))
        }
        (None, None) => None,
    };
    let name = q.get("eventType").map(|t| match strip_portal_prefix(t) {
        Some(n) if state.store.definition(t).is_none() => n.to_owned(),
        _ => t.clone(),
    });
    let descending = match q.get("sort").map(String::as_str) {
        None | Some("-occurredAt") => true,
        Some("occurredAt") => false,
        Some(other) => {
            return Err(ApiError::field(
                "sort",
                format!("sort \"{other}\" is not occurredAt or -occurredAt"),
            ))
        }
    };
    let time = |key: &str| time_param(&q, key);
    let after = match q.get("after") {
        Some(c) => {
            let (occurred_at, seq) = cursor::decode_pair(c)?;
            Some(Cursor { occurred_at, seq })
        }
        None => None,
    };
    let query = EventQuery {
        object,
        name,
        occurred_after: time("occurredAfter")?,
        occurred_before: time("occurredBefore")?,
        property: None,
        descending,
        after,
        limit: bounded(q.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?,
    };
    let page = state.store.events(query).await?;
    let results: Vec<Value> = page.events.iter().map(event_json).collect();
    let mut out = json!({ "results": results });
    if let Some(next) = page.next {
        out["paging"] = json!({ "next": { "after": cursor::encode(&format!("{}:{}", next.occurred_at, next.seq)) } });
    }
    Ok(AppJson(out))
}

fn event_json(e: &StoredEvent) -> Value {
    let object = |text: &str| -> Value {
        RawValue::from_string(text.to_owned())
            .ok()
            .and_then(|raw| serde_json::to_value(raw).ok())
            .unwrap_or(Value::Null)
    };
    let mut out = json!({
        "id": e.id,
        "eventType": e.name,
        "occurredAt": timestamp::format(e.occurred_at),
        "objectType": e.object_type.as_str(),
        "objectId": e.object_id.map(|id| id.to_string()),
        "properties": object(&e.props),
    });
    if let Some(defaults) = &e.defaults {
        out["defaultProperties"] = object(defaults);
    }
    out
}

/// `GET /events/v3/events/event-types` → `{"eventTypes":[…]}`: the defined events and the
/// tracker's built-ins.
#[utoipa::path(
    get, path = "/events/v3/events/event-types", tag = "Events",
    operation_id = "listEventTypes",
    summary = "The event types completions may have",
    responses(
        (status = 200, description = "Every defined event, then `$pageview` and `$identify`", body = schemas::EventTypes),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn event_types(State(state): State<AppState>) -> AppJson<Value> {
    let mut types: Vec<String> = state
        .store
        .definitions()
        .iter()
        .map(|d| d.name.clone())
        .collect();
    types.extend([PAGE_VIEW.to_owned(), IDENTIFY.to_owned()]);
    AppJson(json!({ "eventTypes": types }))
}

/// `GET /v1/events/{eventName}/completions?interval=hour|day|week&from&to&property&value` →
/// `{"eventName","interval","from","to","total","buckets":[{"start","count"}]}`, empty buckets
/// included. `from` is rounded down to the interval (weeks start on Monday, UTC); `to` is
/// exclusive. Defaults: `interval=day`, `to`=now, `from` 30 days (48 hours, 12 weeks) before.
#[utoipa::path(
    get, path = "/v1/events/{eventName}/completions", tag = "Events",
    operation_id = "readEventCompletions",
    summary = "An event's completions over time, in equal intervals",
    params(
        ("eventName" = String, Path, description = "The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`"),
        ("interval" = Option<String>, Query, description = "hour, day (default) or week (weeks start on Monday, UTC)"),
        ("from" = Option<String>, Query, description = "ISO 8601 or epoch ms; default: 48 hours, 30 days or 12 weeks before `to`"),
        ("to" = Option<String>, Query, description = "ISO 8601 or epoch ms (default now)"),
        ("property" = Option<String>, Query, description = "Only completions whose property (custom or default) ..."),
        ("value" = Option<String>, Query, description = "... has this value (or, for a `;`-separated value, contains it)"),
    ),
    responses(
        (status = 200, description = "Counts per interval, empty ones included", body = schemas::Completions),
        (status = 400, description = "The request breaks a rule; every problem is listed", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "No such event definition", body = schemas::Error),
    ),
    security(("bearer" = ["read"])),
)]
pub async fn completions(
    State(state): State<AppState>,
    Path(event): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<AppJson<Value>, ApiError> {
    let name =
        if state.store.definition(&event).is_some() || event == PAGE_VIEW || event == IDENTIFY {
            event
        } else {
            match strip_portal_prefix(&event).filter(|n| state.store.definition(n).is_some()) {
                Some(n) => n.to_owned(),
                None => {
                    return Err(ApiError::NotFound(format!(
                        "event definition \"{event}\" does not exist"
                    )))
                }
            }
        };
    let interval = q.get("interval").map_or("day", String::as_str);
    let (width, default_span) = match interval {
        "hour" => (HOUR, 48),
        "day" => (DAY, 30),
        "week" => (WEEK, 12),
        other => {
            return Err(ApiError::field(
                "interval",
                format!("interval \"{other}\" is not hour, day or week"),
            ))
        }
    };
    let time = |key: &str| time_param(&q, key);
    let to = time("to")?.unwrap_or_else(now_ms);
    let from = align(time("from")?.unwrap_or(to - default_span * width), width);
    if to <= from {
        return Err(ApiError::field("to", "to must be after from"));
    }
    let buckets = (to - from + width - 1) / width;
    if buckets > MAX_BUCKETS {
        return Err(ApiError::field(
            "from",
            format!("the range holds {buckets} buckets; at most {MAX_BUCKETS}"),
        ));
    }
    let property = match (q.get("property"), q.get("value")) {
        (Some(p), Some(v)) => {
            check_name(p).map_err(|e| {
                ApiError::field("property", format!("property \"{p}\": {}", e.message()))
            })?;
            Some((p.clone(), v.clone()))
        }
        (None, None) => None,
        _ => {
            return Err(ApiError::field(
                "property",
                "property and value go together",
            ))
        }
    };
    let counts = state
        .store
        .completions(CompletionQuery {
            name: name.clone(),
            from,
            to,
            width,
            property: property.clone(),
        })
        .await?;
    let mut series = vec![0u64; usize::try_from(buckets).unwrap_or(0)];
    for (bucket, count) in counts {
        if let Some(slot) = usize::try_from(bucket).ok().and_then(|b| series.get_mut(b)) {
            *slot = count;
        }
    }
    let total: u64 = series.iter().sum();
    let list: Vec<Value> = series
        .iter()
        .enumerate()
        .map(|(i, count)| json!({ "start": timestamp::format(from + i as i64 * width), "count": count }))
        .collect();
    let mut out = json!({
        "eventName": name,
        "interval": interval,
        "from": timestamp::format(from),
        "to": timestamp::format(to),
        "total": total,
        "buckets": list,
    });
    if let Some((p, v)) = property {
        out["property"] = json!(p);
        out["value"] = json!(v);
    }
    Ok(AppJson(out))
}

/// Rounds `ms` down to the start of its bucket: the hour, the UTC day, or the week starting
/// Monday (1970-01-01 was a Thursday, hence the 4-day shift).
/// The query parameter `key` as a time (ISO 8601 or epoch milliseconds), if present.
fn time_param(q: &HashMap<String, String>, key: &str) -> Result<Option<i64>, ApiError> {
    q.get(key)
        .map(|t| {
            timestamp::parse(t).ok_or_else(|| {
                ApiError::field(
                    key,
                    format!("{key} \"{t}\" is not ISO 8601 or epoch milliseconds"),
                )
            })
        })
        .transpose()
}

fn align(ms: i64, width: i64) -> i64 {
    let shift = if width == WEEK { 4 * DAY } else { 0 };
    (ms - shift).div_euclid(width) * width + shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_align_to_hours_days_and_mondays() {
        let t = timestamp::parse("2024-01-31T13:45:10Z").unwrap();
        assert_eq!(
            timestamp::format(align(t, HOUR)),
            "2024-01-31T13:00:00.000Z"
        );
        assert_eq!(timestamp::format(align(t, DAY)), "2024-01-31T00:00:00.000Z");
        assert_eq!(
            timestamp::format(align(t, WEEK)),
            "2024-01-29T00:00:00.000Z"
        );
    }
}
