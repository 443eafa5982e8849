//! `POST /v1/collect`: the tracker's beacons (`WireBatch` of SPEC §4, sent as `text/plain`
//! or by `sendBeacon`, so any content type is read), plain JSON or gzip-compressed JSON, told
//! apart by the body's first bytes ([`super::compressed`]).
//!
//! The beacon semantics of SPEC §3: what the tracker sends is kept. A property its definition
//! lacks, or whose value does not fit its type or options, is dropped from that event (and a
//! value over its limit cut), and the event is stored with the rest; an event whose name has no
//! definition yet is held for replay ([`super::held`]). Every drop and hold is listed in the
//! answer and counted for data quality ([`super::quality`]). Only what can never be stored is
//! refused: an event that does not decode, lacks a UUID, names an invalid event or a
//! non-contact event (those need a record id the tracker cannot give), and it is kept in the
//! refused-events table with its reason. All of a beacon's outcome is written in one
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
use wasmtrack_core::payload::{WireBatch, WireContext, WireEvent};
use wasmtrack_core::properties::Props;
use wasmtrack_core::uuid::is_uuid;

use super::openapi::schemas;
use super::props_json;
use super::quality::Tally;
use crate::error::{ApiError, AppJson};
use crate::model::{PrimaryObject, Site};
use crate::store::{HeldEvent, Ingest, NewEvent, RejectedEvent, Subject};
use crate::timestamp::{now_ms, MAX_MS};
use crate::validate::{
    keep_defaults, keep_event, normalize_email, resolve_event, EventKind, Violation,
};
use crate::AppState;
use wasmtrack_core::limits::check_name;

/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: u32 = 86_400;
/// Longest visitor, session and external id.
const MAX_ID_LEN: usize = 128;

/// `POST /v1/collect` → 200 `{"stored","duplicates","rejected":[{"id","name","reason"}],
/// "dropped":[{"id","name","property","code","reason"}],"held":[{"id","name"}]}`.
#[utoipa::path(
    post, path = "/v1/collect", tag = "Beacons",
    operation_id = "collectBeacon",
    summary = "The tracker's beacons",
    description = "Sent as `text/plain` (or by `sendBeacon`), so any content type is read. The body is the JSON beacon, or that JSON gzip-compressed: a body starting with gzip's magic bytes `1f 8b` is decompressed (no `Content-Encoding` header is needed or read: it would cost browsers a CORS preflight), up to 1 MiB decompressed. The tracker compresses its batches where the browser has `CompressionStream`, and sends plain JSON by `sendBeacon` when the page is left. The site must list the request's `Origin` (or `*`, which also admits requests without one). What the tracker sends is kept: a property that is not defined or does not fit its type is dropped, a value over its limit cut, an event whose name is not defined held for replay; all listed in the answer. Public: no credential.",
    request_body(content = schemas::Beacon, content_type = "text/plain"),
    responses(
        (status = 200, description = "What became of each event", body = schemas::Collected),
        (status = 400, description = "The body is not a beacon, or starts like gzip and does not decompress (`MALFORMED_GZIP`)", body = schemas::Error),
        (status = 403, description = "Unknown site, or an origin the site does not list", body = schemas::Error),
        (status = 413, description = "Over 1 MiB, or a gzip body that decompresses to over 1 MiB", body = schemas::Error),
        (status = 429, description = "The site sends more events a second than its limit: retry after `Retry-After`", body = schemas::Error),
        (status = 503, description = "Busy: retry after `Retry-After`", body = schemas::Error),
    ),
    security(()),
)]
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

/// Most entries the answer's `dropped` list and the refused-events table take from one
/// beacon (the tracker sends at most 60 KiB of events of at most 50 properties); past them the
/// answer says how many more there were, and data quality still counts them all.
const MAX_LISTED: usize = 1000;

async fn ingest(
    state: &AppState,
    origin: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    let body = body?;
    let body = super::compressed::inflate(&body)?;
    let body = crate::error::json_text(&body)?;
    // A beacon is charged to its site's rate limit once, whichever pass reads it.
    let mut charged = false;
    // Usually every event of a beacon decodes and can be stored: then one pass decodes them
    // all. Otherwise each event is read again from its own text and judged on its own, so that
    // one bad event cannot make the others unreadable, and a refused one is kept as it was sent.
    if let Ok(batch) = serde_json::from_str::<WireBatch<WireEvent>>(body) {
        let (_, mut head) = accept(state, origin, batch.site, batch.ctx, batch.sent)?;
        limit(state, &head.site, batch.events.len(), head.received)?;
        charged = true;
        let judged = batch
            .events
            .into_iter()
            .map(|ev| judge(state, ev, &head.batch()))
            .collect::<Result<Vec<Judged>, Rejection>>();
        if let Ok(judged) = judged {
            let mut answer = Answer::default();
            for j in judged {
                head.take(j, &mut answer);
            }
            return store(state, head, answer).await;
        }
    }
    let batch: WireBatch<Box<RawValue>> =
        serde_json::from_str(body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let (site, mut head) = accept(state, origin, batch.site, batch.ctx, batch.sent)?;
    if !charged {
        limit(state, &head.site, batch.events.len(), head.received)?;
    }
    let mut answer = Answer::default();
    for raw in &batch.events {
        match event(state, raw, &head.batch()) {
            Ok(judged) => head.take(judged, &mut answer),
            Err((id, name, reason)) => {
                if answer.rejected.len() < MAX_LISTED {
                    answer
                        .rejected
                        .push(json!({ "id": id, "name": name, "reason": reason }));
                    head.ingest.rejected.push(RejectedEvent {
                        event_id: id,
                        name,
                        site: Some(site.id.clone()),
                        reason,
                        body: raw.get().to_owned(),
                        received_at: head.received,
                    });
                } else {
                    answer.rejected_more += 1;
                }
            }
        }
    }
    if !answer.rejected.is_empty() {
        tracing::info!(site = %site.id, rejected = answer.rejected.len() + answer.rejected_more, "beacon events refused");
    }
    store(state, head, answer).await
}

/// The site's rate limit, counted in events (a beacon of 20 costs 20).
fn limit(state: &AppState, site: &str, events: usize, now: i64) -> Result<(), ApiError> {
    state
        .limits
        .beacons
        .check(site, events as f64, now)
        .map_err(|retry_after| ApiError::RateLimited {
            retry_after,
            what: format!("site \"{site}\" sends more events a second than its limit"),
        })
}

/// What the answer lists besides the counts.
#[derive(Default)]
struct Answer {
    rejected: Vec<Value>,
    rejected_more: usize,
    dropped: Vec<Value>,
    dropped_more: usize,
    held: Vec<Value>,
}

/// What a beacon's events are judged against, and what they come to.
struct Head {
    contexts: Vec<WireContext>,
    defaults: Vec<PageDefaults>,
    skew: i64,
    received: i64,
    site: Arc<str>,
    ingest: Ingest,
    /// Data-quality counts.
    quality: Tally,
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

    /// Adds one judged event to what is stored and answered.
    fn take(&mut self, judged: Judged, answer: &mut Answer) {
        match judged {
            Judged::Store(event, dropped) => {
                for v in &dropped {
                    if answer.dropped.len() < MAX_LISTED {
                        answer.dropped.push(json!({
                            "id": event.id, "name": event.name, "property": v.property,
                            "code": v.code, "reason": v.message,
                        }));
                    } else {
                        answer.dropped_more += 1;
                    }
                }
                self.quality
                    .count_all(&event.name, &self.site, &event.id, &dropped);
                self.ingest.events.push(event);
            }
            Judged::Hold(event) => {
                let message = format!(
                    "event \"{}\" is not defined; held until its definition is created and the held events are replayed",
                    event.name
                );
                if answer.held.len() < MAX_LISTED {
                    answer
                        .held
                        .push(json!({ "id": event.id, "name": event.name }));
                }
                self.quality.count(
                    &event.name,
                    String::new(),
                    HELD,
                    &self.site,
                    &event.id,
                    &message,
                );
                self.ingest.held.push(event);
            }
        }
    }
}

/// The code data quality counts held events under.
pub const HELD: &str = "EVENT_NOT_DEFINED";

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
        quality: Tally::default(),
    };
    Ok((site, head))
}

/// Stores what a beacon came to, in one transaction; the answer lists what was refused,
/// dropped and held.
async fn store(state: &AppState, mut head: Head, answer: Answer) -> Result<Value, ApiError> {
    head.ingest.quality = head.quality.counts(head.received);
    let outcome = state.store.ingest(head.ingest).await?;
    let mut out = json!({
        "stored": outcome.stored,
        "duplicates": outcome.duplicates,
        "rejected": answer.rejected,
        "dropped": answer.dropped,
        "held": answer.held,
    });
    if answer.rejected_more > 0 {
        out["rejectedNotListed"] = json!(answer.rejected_more);
    }
    if answer.dropped_more > 0 {
        out["droppedNotListed"] = json!(answer.dropped_more);
    }
    Ok(out)
}

type Rejection = (Option<String>, Option<String>, String);

/// What one beacon event comes to, unless it is refused.
enum Judged {
    /// Stored, with what was dropped or cut from it.
    Store(NewEvent, Vec<Violation>),
    /// Held: its name has no definition yet.
    Hold(HeldEvent),
}

/// A context's default (page) properties, kept and encoded once for all the events that
/// refer to it: their rules do not depend on the event, only the messages name it.
struct PageDefaults {
    /// As sent, for the messages of a page over the limits.
    props: Props,
    /// What is stored: the properties kept, as a JSON object.
    json: Arc<str>,
    /// Whether every property kept the limits.
    clean: bool,
}

impl PageDefaults {
    fn new(props: Props) -> Self {
        let (kept, dropped) = keep_defaults("", &props);
        let json = props_json(&without_visualizer_token(kept)).into();
        PageDefaults {
            props,
            json,
            clean: dropped.is_empty(),
        }
    }

    /// What was dropped or cut of them, in the words of `event` (only a page over the limits
    /// pays for the messages).
    fn dropped(&self, event: &str) -> Vec<Violation> {
        if self.clean {
            Vec::new()
        } else {
            keep_defaults(event, &self.props).1
        }
    }
}

/// Default properties with any visualizer token taken out of `url` and `referrer`: trackers
/// take it out of the address bar before they record the page, and this keeps a token that an
/// older or hand-written client sends from being stored where every reader of the data sees it.
fn without_visualizer_token(mut props: Props) -> Props {
    for (name, value) in &mut props {
        if matches!(name.as_str(), "url" | "referrer") && value.contains("wt_visualize=") {
            *value = strip_query_param(value, "wt_visualize");
        }
    }
    props
}

/// `url` without the query parameter `name` (every occurrence); the rest as it was.
fn strip_query_param(url: &str, name: &str) -> String {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    let Some((path, query)) = before_fragment.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split('=').next() != Some(name))
        .collect();
    let mut out = String::from(path);
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out.push_str(fragment);
    out
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

/// Decodes and judges one beacon event.
fn event(state: &AppState, raw: &RawValue, batch: &Batch<'_>) -> Result<Judged, Rejection> {
    match serde_json::from_str(raw.get()) {
        Ok(ev) => judge(state, ev, batch),
        Err(err) => {
            let (id, name) = loose_id_and_name(raw);
            Err((id, name, format!("malformed event: {err}")))
        }
    }
}

/// Judges one decoded beacon event: stored with what breaks a rule dropped, held, or refused.
fn judge(state: &AppState, mut ev: WireEvent, batch: &Batch<'_>) -> Result<Judged, Rejection> {
    // The tracker writes what a page's events share once per batch (`ctx`); each event
    // names its context by index. An event's own fields win; an event without default
    // properties of its own takes its context's, kept and encoded once (`PageDefaults`).
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
    let occurred_at = ts.saturating_add(batch.skew).clamp(0, MAX_MS);
    let own;
    let page = match page {
        Some(page) => page,
        None => {
            own = PageDefaults::new(std::mem::take(&mut ev.defaults));
            &own
        }
    };
    let mut dropped = page.dropped(&ev.name);
    let defaults_json = page.json.clone();
    // An address that is not one is dropped, not the event: it stays the visitor's.
    let email = match ev.email.as_deref().filter(|e| !e.is_empty()) {
        Some(text) => match normalize_email(text) {
            Some(email) => Some(email),
            None => {
                dropped.push(Violation::new(
                    "INVALID_EMAIL",
                    format!(
                        "event \"{}\": the identity's email is not an email address; the event is kept as the visitor's",
                        ev.name
                    ),
                ));
                None
            }
        },
        None => None,
    };
    let held = HeldEvent {
        id: ev.id,
        name: ev.name,
        site: batch.site.clone(),
        occurred_at,
        received_at: batch.received,
        email,
        uid,
        vid: Some(ev.vid).filter(|v| !v.is_empty()),
        sid: Some(ev.sid).filter(|s| !s.is_empty()),
        props,
        defaults: defaults_json,
    };
    match resolve_event(&held.name, |n| state.store.definition(n)) {
        Ok(kind) => match to_store(&kind, held) {
            Ok((event, props_dropped)) => {
                dropped.extend(props_dropped);
                Ok(Judged::Store(event, dropped))
            }
            Err((reason, held)) => Err((Some(held.id), Some(held.name), reason)),
        },
        Err(_) if check_name(&held.name).is_ok() => Ok(Judged::Hold(held)),
        Err(v) => Err((Some(held.id), Some(held.name), v.message)),
    }
}

/// A beacon event of a defined event, as it arrives or as it is replayed from the holding
/// area: stored with what breaks a rule dropped (the beacon semantics), or refused with a
/// reason (and the event back) when it can never be stored.
// The refused event is handed back whole to be kept in the rejected list; refusals are rare
// and the value moves once, so boxing it would buy nothing.
#[allow(clippy::result_large_err)]
pub fn to_store(
    kind: &EventKind,
    event: HeldEvent,
) -> Result<(NewEvent, Vec<Violation>), (String, HeldEvent)> {
    let object_type = match kind {
        EventKind::Defined(def) => def.primary_object,
        EventKind::Builtin(_) => PrimaryObject::Contact,
    };
    if object_type != PrimaryObject::Contact {
        let reason = format!(
            "event \"{}\" belongs to {} records, which a browser cannot name: send it with objectId through /events/v3/send",
            kind.name(),
            object_type.as_str()
        );
        return Err((reason, event));
    }
    let (props, dropped) = keep_event(kind, event.props);
    let subject = if event.email.is_some() || event.uid.is_some() {
        Subject::Contact {
            email: event.email,
            external_id: event.uid,
        }
    } else {
        Subject::Anonymous
    };
    Ok((
        NewEvent {
            id: event.id,
            name: kind.name().to_owned(),
            occurred_at: event.occurred_at,
            received_at: event.received_at,
            object_type,
            subject,
            vid: event.vid,
            sid: event.sid,
            site: Some(event.site),
            props: props_json(&props),
            defaults: Some(event.defaults),
        },
        dropped,
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visualizer_token_is_taken_out_of_a_url_and_nothing_else() {
        assert_eq!(
            strip_query_param(
                "https://s.example/p?a=1&wt_visualize=vt_x&b=2#top",
                "wt_visualize"
            ),
            "https://s.example/p?a=1&b=2#top"
        );
        assert_eq!(
            strip_query_param("https://s.example/p?wt_visualize=vt_x", "wt_visualize"),
            "https://s.example/p"
        );
        assert_eq!(
            strip_query_param("https://s.example/p?my_wt_visualize=1", "wt_visualize"),
            "https://s.example/p?my_wt_visualize=1"
        );
        assert_eq!(
            strip_query_param("https://s.example/#wt_visualize=vt_x", "wt_visualize"),
            "https://s.example/#wt_visualize=vt_x"
        );
    }
}
