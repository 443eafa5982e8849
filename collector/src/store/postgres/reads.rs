//! Queries over stored events on PostgreSQL: the events listing, refused and held events and
//! data-quality counts, with SQLite's answers (`store/sqlite/reads.rs`, `held.rs`,
//! `quality.rs`); the reports are in [`super::reports`].
//!
//! Each runs on a pooled connection as one statement, so it sees one snapshot; none takes a
//! lock a writer waits on. Custom and default properties are `jsonb` here (JSON text in
//! SQLite), so a listing answers them as `jsonb`'s text: the same object, its keys in
//! `jsonb`'s order and spaced (every reader parses them into a map). Text is ordered
//! `COLLATE "C"`, by its bytes, as SQLite orders it, whatever the database's locale.

use tokio_postgres::types::ToSql;

use super::PgStore;
use crate::model::PrimaryObject;
use crate::store::{
    Cursor, EventPage, EventQuery, HeldEvent, HeldSummary, ObjectFilter, QualityCount, QualityRow,
    StoreError, StoredEvent, StoredHeld, StoredRejection,
};

/// A query's parameters, bound in order as `$1`, `$2`….
#[derive(Default)]
pub(super) struct Params(Vec<Box<dyn ToSql + Sync + Send>>);

impl Params {
    /// Binds `value`; returns its placeholder.
    pub(super) fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(value));
        format!("${}", self.0.len())
    }

    pub(super) fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

/// The SQL condition of the report's property filter, one for every query that applies it
/// (as SQLite's `has_value`): the property (custom, else default) equals the value, or holds
/// it in a `;`-joined list (an enumeration's several options). `strpos` compares the bytes
/// as they are: no character of the value is a wildcard or an escape.
pub(super) fn has_value(props: &str, defaults: &str, property: &str, value: &str) -> String {
    format!(
        "strpos(';' || COALESCE({props} ->> {property}::text, {defaults} ->> {property}::text) || ';', \
                ';' || {value}::text || ';') > 0"
    )
}

/// The key a property is looked up by: its name as SQLite's JSON path quotes it (names are
/// `a-z0-9_`; a `"` could not be in SQLite's path, so it is left out on both).
pub(super) fn json_key(property: &str) -> String {
    property.replace('"', "")
}

/// A `LIMIT` for `n` rows.
pub(super) fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An event's object id as listings answer it: an anonymous contact event's is the contact its
/// visitor is linked to now.
const OBJECT_ID: &str = "COALESCE(e.object_id, (SELECT v.contact_id FROM visitors v \
                         WHERE v.vid = e.vid AND e.object_type = 'CONTACT'))";

impl PgStore {
    pub(super) async fn events(&self, q: EventQuery) -> Result<EventPage, StoreError> {
        let client = self.pool.get().await?;
        let object = match &q.object {
            None => None,
            Some(ObjectFilter::Id(kind, id)) => Some((*kind, *id)),
            Some(ObjectFilter::Email(email)) => {
                match client
                    .query_opt("SELECT id FROM contacts WHERE email = $1", &[email])
                    .await?
                {
                    Some(row) => Some((PrimaryObject::Contact, row.get::<_, i64>(0))),
                    None => {
                        return Ok(EventPage {
                            events: vec![],
                            next: None,
                        })
                    }
                }
            }
        };
        let mut conds: Vec<String> = Vec::new();
        let mut p = Params::default();
        if let Some((kind, id)) = object {
            conds.push(format!("e.object_type = {}", p.bind(kind.as_str())));
            let id = p.bind(id);
            if kind == PrimaryObject::Contact {
                // The contact's own events, and the anonymous events of every visitor linked
                // to it. The visitors are read first into an array (an init plan), so that both
                // halves are index scans (`events_by_object`, `events_by_visitor`); an `IN
                // (subquery)` under `OR` would be a filter on every event instead.
                conds.push(format!(
                    "(e.object_id = {id} OR (e.object_id IS NULL AND e.vid IS NOT NULL AND \
                      e.vid = ANY (ARRAY(SELECT vid FROM visitors WHERE contact_id = {id}))))"
                ));
            } else {
                conds.push(format!("e.object_id = {id}"));
            }
        }
        if let Some(name) = &q.name {
            conds.push(format!("e.name = {}", p.bind(name.clone())));
        }
        if let Some(after) = q.occurred_after {
            conds.push(format!("e.occurred_at >= {}", p.bind(after)));
        }
        if let Some(before) = q.occurred_before {
            conds.push(format!("e.occurred_at < {}", p.bind(before)));
        }
        if let Some((property, value)) = &q.property {
            let key = p.bind(json_key(property));
            let value = p.bind(value.clone());
            conds.push(has_value("e.props", "e.defaults", &key, &value));
        }
        let (cmp, bound, dir) = if q.descending {
            ("<", "<=", "DESC")
        } else {
            (">", ">=", "ASC")
        };
        if let Some(c) = q.after {
            let (at, seq) = (p.bind(c.occurred_at), p.bind(c.seq));
            // The time alone as well: an index on `occurred_at` can start there (the pair is
            // then checked on the few rows of that instant).
            conds.push(format!(
                "e.occurred_at {bound} {at} AND (e.occurred_at, e.seq) {cmp} ({at}, {seq})"
            ));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let sql = format!(
            "SELECT e.seq, e.id, e.name, e.occurred_at, e.object_type, {OBJECT_ID},
                    e.props::text, e.defaults::text
             FROM events e {filter}
             ORDER BY e.occurred_at {dir}, e.seq {dir}
             LIMIT {}",
            p.bind(limit(q.limit.saturating_add(1)))
        );
        let rows = client.query(&sql, &p.refs()).await?;
        let more = rows.len() > q.limit;
        let mut events = Vec::with_capacity(rows.len().min(q.limit));
        let mut last = None;
        for row in rows.iter().take(q.limit) {
            let event = StoredEvent {
                id: row.get(1),
                name: row.get(2),
                occurred_at: row.get(3),
                object_type: PrimaryObject::parse(row.get(4)).unwrap_or(PrimaryObject::Contact),
                object_id: row.get(5),
                props: row.get(6),
                defaults: row.get(7),
            };
            last = Some(Cursor {
                occurred_at: event.occurred_at,
                seq: row.get(0),
            });
            events.push(event);
        }
        Ok(EventPage {
            events,
            next: if more { last } else { None },
        })
    }

    pub(super) async fn rejected(
        &self,
        before: Option<i64>,
        limit_rows: usize,
    ) -> Result<Vec<StoredRejection>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT seq, event_id, name, site, reason, body, received_at FROM rejected
                 WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
                &[&before.unwrap_or(i64::MAX), &limit(limit_rows)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredRejection {
                seq: r.get(0),
                event_id: r.get(1),
                name: r.get(2),
                site: r.get(3),
                reason: r.get(4),
                body: r.get(5),
                received_at: r.get(6),
            })
            .collect())
    }

    pub(super) async fn held_summary(&self) -> Result<Vec<HeldSummary>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT name, COUNT(*), MIN(received_at), MAX(received_at) FROM held
                 GROUP BY name ORDER BY name COLLATE \"C\"",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| HeldSummary {
                name: r.get(0),
                count: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                first_received: r.get(2),
                last_received: r.get(3),
            })
            .collect())
    }

    pub(super) async fn held(
        &self,
        name: String,
        after: i64,
        limit_rows: usize,
    ) -> Result<Vec<StoredHeld>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT seq, body FROM held WHERE name = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&name, &after, &limit(limit_rows)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                let event: HeldEvent = serde_json::from_str(r.get(1)).map_err(|e| {
                    StoreError::Internal(format!("held event {seq} is unreadable: {e}"))
                })?;
                Ok(StoredHeld { seq, event })
            })
            .collect()
    }

    pub(super) async fn quality(
        &self,
        site: Option<String>,
        event: Option<String>,
        since: i64,
    ) -> Result<Vec<QualityRow>, StoreError> {
        /// Most rows one query answers (as SQLite's).
        const MAX_ROWS: i64 = 10_000;
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT event, property, code, site, count, first_seen, last_seen, example
                 FROM quality
                 WHERE last_seen >= $1 AND ($2::text IS NULL OR site = $2)
                   AND ($3::text IS NULL OR event = $3)
                 ORDER BY last_seen DESC, event COLLATE \"C\", property COLLATE \"C\",
                          code COLLATE \"C\"
                 LIMIT $4",
                &[&since, &site, &event, &MAX_ROWS],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| QualityRow {
                count: QualityCount {
                    event: r.get(0),
                    property: r.get(1),
                    code: r.get(2),
                    site: r.get(3),
                    count: u64::try_from(r.get::<_, i64>(4)).unwrap_or(0),
                    at: r.get(6),
                    example: r.get(7),
                },
                first_seen: r.get(5),
            })
            .collect())
    }
}
