//! `/v1/held`: beacon events whose name had no definition when they arrived (SPEC §3: held for
//! replay, never silently lost). They are listed by name; once the definition exists, however
//! it was created (the API, a visualizer rule), one call replays them into it, each judged as
//! if it had just arrived (the beacon semantics of [`super::collect`]). Held events are kept
//! for a retention period and bounded in number (see the collector's flags).

use axum::extract::{Path, State};
use serde_json::{json, Value};

use super::collect::to_store;
use super::openapi::schemas;
use super::quality::Tally;
use crate::error::{ApiError, AppJson};
use crate::store::{Ingest, RejectedEvent, StoreError};
use crate::timestamp::{self, now_ms};
use crate::validate::{resolve_event, EventKind};
use crate::AppState;

/// Held events replayed per transaction: bounds what one write holds the writer for.
const CHUNK: usize = 2000;

/// `GET /v1/held` → `{"results":[{"name","count","firstReceived","lastReceived","defined"}]}`.
#[utoipa::path(
    get, path = "/v1/held", tag = "Data quality",
    operation_id = "listHeldEvents",
    summary = "Beacon events held because their name has no definition, counted by name",
    responses(
        (status = 200, description = "By name", body = schemas::HeldList),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn list(State(state): State<AppState>) -> Result<AppJson<Value>, ApiError> {
    let summary = state.store.held_summary().await?;
    let results: Vec<Value> = summary
        .iter()
        .map(|h| {
            json!({
                "name": h.name,
                "count": h.count,
                "firstReceived": timestamp::format(h.first_received),
                "lastReceived": timestamp::format(h.last_received),
                "defined": state.store.definition(&h.name).is_some(),
            })
        })
        .collect();
    Ok(AppJson(json!({ "results": results })))
}

/// `POST /v1/held/{eventName}/replay` → `{"name","replayed","stored","duplicates","dropped",
/// "refused"}`; 404 while the event has no definition.
#[utoipa::path(
    post, path = "/v1/held/{eventName}/replay", tag = "Data quality",
    operation_id = "replayHeldEvents",
    summary = "Store the held events of an event that is now defined",
    description = "Each held event is judged as if it had just arrived: properties the definition lacks or whose values do not fit are dropped and counted in data quality. Idempotent: a replayed event leaves the holding area in the transaction that stores it, and an event id already stored counts as a duplicate.",
    params(("eventName" = String, Path, description = "The event's internal name")),
    responses(
        (status = 200, description = "What the replay did", body = schemas::Replay),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 404, description = "The event has no definition yet", body = schemas::Error),
    ),
    security(("bearer" = ["definitions"]))
)]
pub async fn replay(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<AppJson<Value>, ApiError> {
    let r = replay_held(&state, &name).await?;
    Ok(AppJson(json!({
        "name": r.name,
        "replayed": r.replayed,
        "stored": r.stored,
        "duplicates": r.duplicates,
        "dropped": r.dropped,
        "refused": r.refused,
    })))
}

/// What replaying an event's held events did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    /// The event's name as held.
    pub name: String,
    /// Held events taken out of the holding area.
    pub replayed: usize,
    /// Stored as completions now.
    pub stored: usize,
    /// Already stored (same id).
    pub duplicates: usize,
    /// Properties dropped (counted in data quality).
    pub dropped: usize,
    /// Refused whole (kept in the rejected list).
    pub refused: usize,
}

/// Replays the held events of `name` into its definition, each judged as if it had just
/// arrived: the one code path of `POST /v1/held/{name}/replay` and the analyst app's "Define
/// this event". NotFound while the event has no definition.
pub async fn replay_held(state: &AppState, name: &str) -> Result<Replayed, StoreError> {
    let kind = match resolve_event(name, |n| state.store.definition(n)) {
        Ok(kind @ EventKind::Defined(_)) => kind,
        _ => {
            return Err(StoreError::NotFound(format!(
                "event definition \"{name}\" does not exist; create it, then replay its held events"
            )))
        }
    };
    let held_name = kind.name().to_owned();
    let (mut replayed, mut stored, mut duplicates, mut dropped, mut refused) = (0, 0, 0, 0, 0);
    let mut after = 0;
    loop {
        let page = state.store.held(held_name.clone(), after, CHUNK).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let now = now_ms();
        let mut ingest = Ingest::default();
        let mut tally = Tally::default();
        for held in page {
            ingest.released.push(held.seq);
            match to_store(&kind, held.event) {
                Ok((event, violations)) => {
                    let site = event.site.as_deref().unwrap_or_default();
                    tally.count_all(&held_name, site, &event.id, &violations);
                    dropped += violations.len();
                    ingest.events.push(event);
                }
                Err((reason, event)) => {
                    refused += 1;
                    ingest.rejected.push(RejectedEvent {
                        body: json!({ "id": event.id, "name": held_name }).to_string(),
                        event_id: Some(event.id),
                        name: Some(held_name.clone()),
                        site: Some(event.site.to_string()),
                        reason,
                        received_at: now,
                    });
                }
            }
        }
        replayed += ingest.released.len();
        ingest.quality = tally.counts(now);
        let outcome = state.store.ingest(ingest).await?;
        stored += outcome.stored;
        duplicates += outcome.duplicates;
    }
    if replayed > 0 {
        tracing::info!(event = %held_name, replayed, stored, "held events replayed");
    }
    Ok(Replayed {
        name: held_name,
        replayed,
        stored,
        duplicates,
        dropped,
        refused,
    })
}
