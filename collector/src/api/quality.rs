//! `GET /v1/data-quality`: what the beacon path dropped, cut or held, grouped by event,
//! property and rule, with counts, first and last time and one occurrence, so that a UI can
//! say "property `coupon` of `trial_started` was dropped 1,204 times since …". The counts are
//! kept by the store in the transaction that stored each beacon ([`Tally`] groups a request's
//! first, so a beacon of a thousand identical problems is one row update).

use std::collections::HashMap;

use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use super::openapi::schemas;
use crate::error::{ApiError, AppJson};
use crate::store::QualityCount;
use crate::timestamp;
use crate::validate::Violation;
use crate::AppState;

/// A request's data-quality counts, grouped by (event, property, code, site).
#[derive(Default)]
pub struct Tally(HashMap<(String, String, &'static str, String), (u64, String)>);

impl Tally {
    /// Counts one occurrence; the last one is the group's example.
    pub fn count(
        &mut self,
        event: &str,
        property: String,
        code: &'static str,
        site: &str,
        id: &str,
        message: &str,
    ) {
        let entry = self
            .0
            .entry((event.to_owned(), property, code, site.to_owned()))
            .or_insert((0, String::new()));
        entry.0 += 1;
        entry.1 = example(id, message);
    }

    /// Counts each of `violations` of one event.
    pub fn count_all(&mut self, event: &str, site: &str, id: &str, violations: &[Violation]) {
        for v in violations {
            let property = v.property.clone().unwrap_or_default();
            self.count(event, property, v.code, site, id, &v.message);
        }
    }

    /// The counts, seen at `at`.
    pub fn counts(&mut self, at: i64) -> Vec<QualityCount> {
        self.0
            .drain()
            .map(
                |((event, property, code, site), (count, example))| QualityCount {
                    event,
                    property,
                    code: code.to_owned(),
                    site,
                    count,
                    at,
                    example,
                },
            )
            .collect()
    }
}

/// One occurrence as data quality keeps it: the event id and what happened, within 300
/// characters (a value in the message is the visitor's: bounded, never trusted).
pub fn example(id: &str, message: &str) -> String {
    let text = format!("{id}: {message}");
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Query of `GET /v1/data-quality`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualityQuery {
    /// Only this site's beacons.
    site: Option<String>,
    /// Only this event.
    event: Option<String>,
    /// Only problems seen at or after this time (ISO 8601 or epoch ms); counts are totals
    /// since the problem was first seen.
    since: Option<String>,
}

/// `GET /v1/data-quality?site&event&since` → `{"results":[{"event","property","code","site",
/// "count","firstSeen","lastSeen","example"}]}`, last seen first.
#[utoipa::path(
    get, path = "/v1/data-quality", tag = "Data quality",
    operation_id = "readDataQuality",
    summary = "What the beacon path dropped, cut or held, by event, property and rule",
    params(QualityQuery),
    responses(
        (status = 200, description = "Counts, last seen first (at most 10,000 rows)", body = schemas::DataQuality),
        (status = 400, description = "A parameter is invalid", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
    ),
    security(("bearer" = ["read"]))
)]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<QualityQuery>,
) -> Result<AppJson<Value>, ApiError> {
    let since = match q.since.as_deref() {
        None => 0,
        Some(text) => timestamp::parse(text).ok_or_else(|| {
            ApiError::field("since", "since is not ISO 8601 or epoch milliseconds")
        })?,
    };
    let rows = state.store.quality(q.site, q.event, since).await?;
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let c = &r.count;
            json!({
                "event": c.event,
                "property": Some(&c.property).filter(|p| !p.is_empty()),
                "code": c.code,
                "site": Some(&c.site).filter(|s| !s.is_empty()),
                "count": c.count,
                "firstSeen": timestamp::format(r.first_seen),
                "lastSeen": timestamp::format(c.at),
                "example": c.example,
            })
        })
        .collect();
    Ok(AppJson(json!({ "results": results })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_bounded() {
        let long = "x".repeat(1000);
        assert_eq!(example("id", &long).chars().count(), 301);
        assert_eq!(example("id", "short"), "id: short");
    }

    #[test]
    fn a_tally_groups_occurrences() {
        let mut tally = Tally::default();
        for id in ["a", "b", "c"] {
            tally.count(
                "signup",
                "coupon".into(),
                "PROPERTY_NOT_DEFINED",
                "shop",
                id,
                "m",
            );
        }
        tally.count("signup", "seats".into(), "INVALID_NUMBER", "shop", "d", "m");
        let mut counts = tally.counts(7);
        counts.sort_by(|a, b| a.property.cmp(&b.property));
        assert_eq!(counts.len(), 2);
        assert_eq!((counts[0].count, counts[0].example.as_str()), (3, "c: m"));
        assert_eq!(counts[1].at, 7);
    }
}
