//! `POST /v1/collect`: the tracker's beacons (`WireBatch` of SPEC §4, sent as `text/plain`
//! or by `sendBeacon`, so any content type is read).
//!
//! Each event is decoded and validated on its own: one bad event cannot make the others
//! unreadable. Valid ones are stored, invalid ones are kept in the rejected-events table with
//! their reason and listed in the answer — nothing is dropped silently. Both happen in one
//! transaction. Client clocks are corrected with the batch's `sent` time.
//!
//! CORS: the site must list the request's `Origin` (or `*`, which also admits requests
//! without `Origin`), else 403. Every answer echoes `Origin` in `Access-Control-Allow-Origin`
//! — a 403 or 400 included — so the tracker can read the status and stop retrying a batch
//! that can never succeed; the endpoint takes no credentials, so the echo reveals nothing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use wasmtrack::core::payload::{WireBatch, WireContext, WireEvent};
use wasmtrack::core::properties::Props;
use wasmtrack::core::uuid::is_uuid;

use super::props_json;
use crate::error::{ApiError, AppJson};
use crate::model::{PrimaryObject, Site};
use crate::store::{Ingest, NewEvent, RejectedEvent, Subject};
use crate::timestamp::{now_ms, MAX_MS};
use crate::validate::{
    check_defaults, check_event, normalize_email, resolve_event, EventKind, Violation,
};
use crate::AppState;

/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: u32 = 86_400;
/// Longest visitor, session and external id.
const MAX_ID_LEN: usize = 128;

/// `POST /v1/collect` → 200 `{"stored","duplicates","rejected":[{"id","name","reason"}]}`.
pub async fn collect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let response = match ingest(&state, origin, body).await {
        Ok(answer) => AppJson(answer).into_response(),
        Err(err) => err.into_response(),
    };
    with_cors(response, headers.get(header::ORIGIN))
}

/// `OPTIONS /v1/collect`: CORS preflight (only needed by clients that send another content
/// type than `text/plain`). Allowed when some site lists the origin.
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let origin = headers.get(header::ORIGIN);
    let allowed = origin
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| state.store.sites().iter().any(|site| site.allows(Some(o))));
    if !allowed {
        return ApiError::Forbidden("no site allows this origin".into()).into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    let requested = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        requested.unwrap_or(HeaderValue::from_static("content-type")),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE),
    );
    with_cors(response, origin)
}

fn with_cors(mut response: Response, origin: Option<&HeaderValue>) -> Response {
    let h = response.headers_mut();
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        // Without this a cross-origin page cannot read how long a 503 or 429 asks it to wait.
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    response
}

async fn ingest(
    state: &AppState,
    origin: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    let body = body?;
    // Usually every event of a beacon is readable and valid: then one pass decodes them all.
    // Otherwise each event is read again from its own text and judged on its own, so that one
    // bad event cannot make the others unreadable, and a refused one is kept as it was sent.
    if let Ok(batch) = serde_json::from_slice::<WireBatch<WireEvent>>(&body) {
        let (_, mut head) = accept(state, origin, batch.site, batch.ctx, batch.sent)?;
        let events = batch
            .events
            .into_iter()
            .map(|ev| judge(state, ev, &head.batch()))
            .collect::<Result<Vec<NewEvent>, Rejection>>();
        if let Ok(events) = events {
            head.ingest.events = events;
            return store(state, head, Vec::new()).await;
        }
    }
    let batch: WireBatch<Box<RawValue>> =
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let (site, mut head) = accept(state, origin, batch.site, batch.ctx, batch.sent)?;
    let mut answer = Vec::new();
    for raw in &batch.events {
        match event(state, raw, &head.batch()) {
            Ok(event) => head.ingest.events.push(event),
            Err((id, name, reason)) => {
                answer.push(json!({ "id": id, "name": name, "reason": reason }));
                head.ingest.rejected.push(RejectedEvent {
                    event_id: id,
                    name,
                    site: Some(site.id.clone()),
                    reason,
                    body: raw.get().to_owned(),
                    received_at: head.received,
                });
            }
        }
    }
    if !answer.is_empty() {
        tracing::info!(site = %site.id, rejected = answer.len(), "beacon events rejected");
    }
    store(state, head, answer).await
}

/// What a beacon's events are judged against, and what they come to.
struct Head {
    contexts: Vec<WireContext>,
    defaults: Vec<PageDefaults>,
    skew: i64,
    received: i64,
    site: Arc<str>,
    ingest: Ingest,
}

impl Head {
    fn batch(&self) -> Batch<'_> {
        Batch {
            contexts: &self.contexts,
            defaults: &self.defaults,
            skew: self.skew,
            received: self.received,
            site: &self.site,
        }
    }
}

/// The site must exist and allow the origin; then the clock skew and the contexts.
fn accept(
    state: &AppState,
    origin: Option<&str>,
    site: String,
    mut contexts: Vec<WireContext>,
    sent: Option<u64>,
) -> Result<(Arc<Site>, Head), ApiError> {
    let Some(site) = state.store.site(&site) else {
        return Err(ApiError::Forbidden(format!(
            "site \"{site}\" does not exist"
        )));
    };
    if !site.allows(origin) {
        return Err(ApiError::Forbidden(match origin {
            Some(o) => format!("origin {o} is not allowed for site \"{}\"", site.id),
            None => format!(
                "site \"{}\" accepts requests without Origin only when it lists \"*\"",
                site.id
            ),
        }));
    }
    let received = now_ms();
    // occurred = ts + (receivedAt − sent): the tracker's clock may be off, its intervals are not.
    let skew = sent
        .and_then(|sent| i64::try_from(sent).ok())
        .map_or(0, |sent| received.saturating_sub(sent));
    let defaults = contexts
        .iter_mut()
        .map(|ctx| PageDefaults::new(std::mem::take(&mut ctx.defaults)))
        .collect();
    let head = Head {
        contexts,
        defaults,
        skew,
        received,
        site: site.id.as_str().into(),
        ingest: Ingest::default(),
    };
    Ok((site, head))
}

/// Stores what a beacon came to; the answer lists the refused events.
async fn store(state: &AppState, head: Head, rejected: Vec<Value>) -> Result<Value, ApiError> {
    let outcome = state.store.ingest(head.ingest).await?;
    Ok(json!({ "stored": outcome.stored, "duplicates": outcome.duplicates, "rejected": rejected }))
}

type Rejection = (Option<String>, Option<String>, String);

/// A context's default (page) properties, checked and encoded once for all the events that
/// refer to it: their rules do not depend on the event, only the messages name it.
struct PageDefaults {
    props: Props,
    /// The JSON object to store, when every property keeps the limits.
    json: Option<Arc<str>>,
}

impl PageDefaults {
    fn new(props: Props) -> Self {
        let json = check_defaults("", &props)
            .is_ok()
            .then(|| props_json(&props).into());
        PageDefaults { props, json }
    }
}

/// What every event of a beacon is read against.
struct Batch<'a> {
    /// The batch's contexts, without their default properties...
    contexts: &'a [WireContext],
    /// ...which are here, by the same index.
    defaults: &'a [PageDefaults],
    skew: i64,
    received: i64,
    site: &'a Arc<str>,
}

/// Decodes and validates one beacon event.
fn event(state: &AppState, raw: &RawValue, batch: &Batch<'_>) -> Result<NewEvent, Rejection> {
    match serde_json::from_str(raw.get()) {
        Ok(ev) => judge(state, ev, batch),
        Err(err) => {
            let (id, name) = loose_id_and_name(raw);
            Err((id, name, format!("malformed event: {err}")))
        }
    }
}

/// Validates one decoded beacon event.
fn judge(state: &AppState, mut ev: WireEvent, batch: &Batch<'_>) -> Result<NewEvent, Rejection> {
    // The tracker writes what a page's events share once per batch (`ctx`); each event
    // names its context by index. An event's own fields win; an event without default
    // properties of its own takes its context's, checked and encoded once (`PageDefaults`).
    if let Err(reason) = ev.resolve(batch.contexts) {
        return Err((Some(ev.id), Some(ev.name), reason.to_owned()));
    }
    let page = match ev.ctx {
        Some(i) if ev.defaults.is_empty() => batch.defaults.get(i),
        _ => None,
    };
    let props = std::mem::take(&mut ev.props);
    let reject = |reason: String| (Some(ev.id.clone()), Some(ev.name.clone()), reason);
    if !is_uuid(&ev.id) {
        return Err(reject(format!("id \"{}\" is not a UUID", ev.id)));
    }
    let kind =
        resolve_event(&ev.name, |n| state.store.definition(n)).map_err(|v| reject(v.message))?;
    let props = check_event(&kind, props).map_err(|v| reject(reasons(&v)))?;
    let defaults: Arc<str> = match page {
        Some(PageDefaults {
            json: Some(json), ..
        }) => json.clone(),
        Some(PageDefaults { props, json: None }) => {
            check_defaults(kind.name(), props).map_err(|v| reject(reasons(&v)))?;
            props_json(props).into()
        }
        None => {
            check_defaults(kind.name(), &ev.defaults).map_err(|v| reject(reasons(&v)))?;
            props_json(&ev.defaults).into()
        }
    };
    let email = match ev.email.as_deref().filter(|e| !e.is_empty()) {
        Some(text) => Some(
            normalize_email(text)
                .ok_or_else(|| reject(format!("email \"{text}\" is not an email address")))?,
        ),
        None => None,
    };
    let uid = ev.uid.clone().filter(|u| !u.is_empty());
    for (what, value) in [
        ("vid", Some(&ev.vid)),
        ("sid", Some(&ev.sid)),
        ("uid", uid.as_ref()),
    ] {
        if value.is_some_and(|v| v.len() > MAX_ID_LEN) {
            return Err(reject(format!(
                "{what} is longer than {MAX_ID_LEN} characters"
            )));
        }
    }
    let ts = i64::try_from(ev.ts)
        .ok()
        .filter(|ts| *ts <= MAX_MS)
        .ok_or_else(|| reject(format!("ts {} is out of range", ev.ts)))?;
    let object_type = match &kind {
        EventKind::Defined(def) => def.primary_object,
        EventKind::Builtin(_) => PrimaryObject::Contact,
    };
    let subject = if email.is_some() || uid.is_some() {
        Subject::Contact {
            email,
            external_id: uid,
        }
    } else {
        Subject::Anonymous
    };
    Ok(NewEvent {
        name: kind.name().to_owned(),
        occurred_at: ts.saturating_add(batch.skew).clamp(0, MAX_MS),
        received_at: batch.received,
        object_type,
        subject,
        vid: Some(ev.vid).filter(|v| !v.is_empty()),
        sid: Some(ev.sid).filter(|s| !s.is_empty()),
        site: Some(batch.site.clone()),
        props: props_json(&props),
        defaults: Some(defaults),
        id: ev.id,
    })
}

fn reasons(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| v.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The id and name of an event that does not decode, when they can be read at all.
fn loose_id_and_name(raw: &RawValue) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    struct Loose {
        id: Option<Value>,
        name: Option<Value>,
    }
    match serde_json::from_str::<Loose>(raw.get()) {
        Ok(l) => (
            l.id.and_then(|v| v.as_str().map(str::to_owned)),
            l.name.and_then(|v| v.as_str().map(str::to_owned)),
        ),
        Err(_) => (None, None),
    }
}
