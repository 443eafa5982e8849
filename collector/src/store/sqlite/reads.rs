//! Queries, on read-only connections of their own: in WAL mode readers never wait for the
//! writer, so a long timeline query cannot stall ingestion, nor ingestion a query.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::{schema, values};
use crate::model::PrimaryObject;
use crate::store::{
    CompletionQuery, Cursor, EventPage, EventQuery, ObjectFilter, StoreError, StoredEvent,
    StoredRejection,
};

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// A small pool of read-only connections, opened on demand.
pub(super) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    pub(super) fn new(path: PathBuf) -> Self {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on a pooled connection (call from a blocking thread).
    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match conn {
            Some(conn) => conn,
            None => schema::open_reader(&self.path)?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }
}

/// A page of events matching `q`.
pub(super) fn events(conn: &Connection, q: &EventQuery) -> Result<EventPage, StoreError> {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    let object = match &q.object {
        None => None,
        Some(ObjectFilter::Id(kind, id)) => Some((*kind, *id)),
        Some(ObjectFilter::Email(email)) => {
            let id: Option<i64> = conn
                .prepare_cached("SELECT id FROM contacts WHERE email = ?1")?
                .query_row([email], |r| r.get(0))
                .optional()?;
            match id {
                Some(id) => Some((PrimaryObject::Contact, id)),
                None => {
                    return Ok(EventPage {
                        events: vec![],
                        next: None,
                    })
                }
            }
        }
    };
    if let Some((kind, id)) = object {
        conds.push("e.object_type = ?".into());
        params.push(Value::Text(kind.as_str().into()));
        if kind == PrimaryObject::Contact {
            // The contact's own events, and the anonymous events of every visitor linked to it.
            conds.push(
                "(e.object_id = ? OR (e.object_id IS NULL AND e.vid IN (SELECT vid FROM visitors WHERE contact_id = ?)))"
                    .into(),
            );
            params.extend([Value::Integer(id), Value::Integer(id)]);
        } else {
            conds.push("e.object_id = ?".into());
            params.push(Value::Integer(id));
        }
    }
    if let Some(name) = &q.name {
        // With an object, its own indexes find its few events; `+` keeps the planner from
        // reading every event of the name through `events_by_name` instead (it would: it
        // cannot know that a name has far more events than one contact).
        let column = if object.is_some() {
            "+e.name"
        } else {
            "e.name"
        };
        conds.push(format!("{column} = ?"));
        params.push(Value::Text(name.clone()));
    }
    if let Some(after) = q.occurred_after {
        conds.push("e.occurred_at >= ?".into());
        params.push(Value::Integer(after));
    }
    if let Some(before) = q.occurred_before {
        conds.push("e.occurred_at < ?".into());
        params.push(Value::Integer(before));
    }
    if let Some((property, value)) = &q.property {
        conds.push(has_value("e.props", "e.defaults", "?", "?", "?"));
        let path = json_path(property);
        params.extend([
            Value::Text(path.clone()),
            Value::Text(path),
            Value::Text(value.clone()),
        ]);
    }
    let (cmp, dir) = if q.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(c) = q.after {
        conds.push(format!("(e.occurred_at, e.seq) {cmp} (?, ?)"));
        params.extend([Value::Integer(c.occurred_at), Value::Integer(c.seq)]);
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT e.seq, e.id, e.name, e.occurred_at, e.object_type,
                COALESCE(e.object_id, (SELECT v.contact_id FROM visitors v WHERE v.vid = e.vid AND e.object_type = 'CONTACT')),
                e.props, e.defaults
         FROM events e {filter}
         ORDER BY e.occurred_at {dir}, e.seq {dir}
         LIMIT ?"
    );
    params.push(Value::Integer(
        i64::try_from(q.limit + 1).unwrap_or(i64::MAX),
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(params))?;
    let mut events = Vec::with_capacity(q.limit.min(1000));
    let mut last = None;
    let mut more = false;
    while let Some(row) = rows.next()? {
        if events.len() == q.limit {
            more = true;
            break;
        }
        let seq: i64 = row.get(0)?;
        let object_type: String = row.get(4)?;
        let event = StoredEvent {
            id: row.get(1)?,
            name: row.get(2)?,
            occurred_at: row.get(3)?,
            object_type: PrimaryObject::parse(&object_type).unwrap_or(PrimaryObject::Contact),
            object_id: row.get(5)?,
            props: row.get(6)?,
            defaults: row.get(7)?,
        };
        last = Some(Cursor {
            occurred_at: event.occurred_at,
            seq,
        });
        events.push(event);
    }
    Ok(EventPage {
        events,
        next: if more { last } else { None },
    })
}

/// Completion counts per bucket index.
/// [`reach`] from the hourly sketches (`reach.rs`): for whole hours without a property
/// filter, when every hour of the range that has completions has its sketches. `None` when the
/// completions must be counted instead.
fn reach_from_sketches(
    conn: &Connection,
    q: &CompletionQuery,
) -> Result<Option<(u64, u64)>, StoreError> {
    use super::reach::Sketch;
    if ![q.from, q.to].iter().all(|t| t % HOUR_MS == 0) {
        return Ok(None);
    }
    let (sql, params) = match counted_filter(conn, q)? {
        Counts::Events => (
            "SELECT contacts, visitors FROM event_hours WHERE name = ?1 AND hour >= ?2 AND hour < ?3",
            vec![Value::Text(q.name.clone()), Value::Integer(q.from / HOUR_MS), Value::Integer(q.to / HOUR_MS)],
        ),
        Counts::Values(property, value) => (
            "SELECT contacts, visitors FROM value_hours
             WHERE name = ?1 AND property = ?4 AND value = ?5 AND hour >= ?2 AND hour < ?3",
            vec![
                Value::Text(q.name.clone()),
                Value::Integer(q.from / HOUR_MS),
                Value::Integer(q.to / HOUR_MS),
                Value::Text(property),
                Value::Text(value),
            ],
        ),
        Counts::None => return Ok(None),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(params), |r| {
        Ok((
            r.get::<_, Option<Vec<u8>>>(0)?,
            r.get::<_, Option<Vec<u8>>>(1)?,
        ))
    })?;
    let (mut contacts, mut visitors) = (Sketch::default(), Sketch::default());
    for row in rows {
        let (Some(c), Some(v)) = row? else {
            return Ok(None);
        };
        let (Some(c), Some(v)) = (Sketch::from_bytes(c), Sketch::from_bytes(v)) else {
            return Ok(None);
        };
        contacts.merge(&c);
        visitors.merge(&v);
    }
    Ok(Some((contacts.estimate(), visitors.estimate())))
}

use super::hours::HOUR_MS;

/// Which hourly counts can answer a query over whole hours.
enum Counts {
    /// `event_hours`: the query has no property filter.
    Events,
    /// `value_hours`, for this (property, option): the filter is on an enumeration.
    Values(String, String),
    /// None: the completions must be read.
    None,
}

/// Which hourly counts can answer `q`'s filter (the range is checked by the caller).
fn counted_filter(conn: &Connection, q: &CompletionQuery) -> Result<Counts, StoreError> {
    Ok(match &q.property {
        None => Counts::Events,
        Some((property, value)) if values::counted(conn, &q.name, property)? => {
            Counts::Values(property.clone(), value.clone())
        }
        Some(_) => Counts::None,
    })
}

/// The `WHERE` of a completions query and its parameters (`?1` from, `?2` width, `?3` name,
/// `?4` to, then the property filter's): shared by the counts, the breakdown and the reach.
fn completions_filter(q: &CompletionQuery) -> (String, Vec<Value>) {
    let mut sql = String::from("WHERE name = ?3 AND occurred_at >= ?1 AND occurred_at < ?4");
    let mut params = vec![
        Value::Integer(q.from),
        Value::Integer(q.width),
        Value::Text(q.name.clone()),
        Value::Integer(q.to),
    ];
    if let Some((property, value)) = &q.property {
        sql.push_str(" AND ");
        sql.push_str(&has_value("props", "defaults", "?5", "?5", "?6"));
        params.push(Value::Text(json_path(property)));
        params.push(Value::Text(value.clone()));
    }
    (sql, params)
}

/// The SQL condition of the report's property filter, one for every query that applies it:
/// the property (custom, else default) equals the value, or holds it in a `;`-joined list
/// (an enumeration's several options). The arguments are the two JSON columns and the
/// placeholders of the property's JSON path (once per column) and of the value.
fn has_value(props: &str, defaults: &str, path: &str, path_again: &str, value: &str) -> String {
    format!(
        "instr(';' || COALESCE(json_extract({props}, {path}), json_extract({defaults}, {path_again})) || ';', ';' || {value} || ';') > 0"
    )
}

/// The JSON path of a property (names are `a-z0-9_`; quoted anyway).
fn json_path(property: &str) -> String {
    format!("$.\"{}\"", property.replace('"', ""))
}

/// Completions per bucket and per value of `property` (custom, else default; absent is
/// `None`): `(value, bucket, count)`, for the report's breakdown. A completion whose value
/// holds several options (`a;b`) counts under each, as the filter finds it under each.
pub(super) fn breakdown(
    conn: &Connection,
    q: &CompletionQuery,
    property: &str,
) -> Result<Vec<(Option<String>, i64, u64)>, StoreError> {
    let whole_hours = [q.from, q.width, q.to].iter().all(|t| t % HOUR_MS == 0);
    let (sql, params) = if whole_hours
        && q.property.is_none()
        && values::counted(conn, &q.name, property)?
    {
        (
            format!(
                "SELECT NULLIF(value, ''), (hour * {HOUR_MS} - ?1) / ?2 AS bucket, SUM(count)
                 FROM value_hours
                 WHERE name = ?3 AND property = ?5 AND hour >= ?1 / {HOUR_MS} AND hour < ?4 / {HOUR_MS}
                 GROUP BY value, bucket"
            ),
            vec![
                Value::Integer(q.from),
                Value::Integer(q.width),
                Value::Text(q.name.clone()),
                Value::Integer(q.to),
                Value::Text(property.to_owned()),
            ],
        )
    } else {
        let (filter, mut params) = completions_filter(q);
        let at = params.len() + 1;
        params.push(Value::Text(json_path(property)));
        (
            format!(
                "SELECT CAST(COALESCE(json_extract(props, ?{at}), json_extract(defaults, ?{at})) AS TEXT) AS v,
                        (occurred_at - ?1) / ?2 AS bucket, COUNT(*) FROM events {filter}
                 GROUP BY v, bucket"
            ),
            params,
        )
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut sums: std::collections::BTreeMap<(Option<String>, i64), u64> = Default::default();
    for row in rows {
        let (value, bucket, count) = row?;
        let count = u64::try_from(count).unwrap_or(0);
        let mut options: Vec<&str> = value
            .as_deref()
            .unwrap_or("")
            .split(';')
            .filter(|o| !o.is_empty())
            .collect();
        options.sort_unstable();
        options.dedup();
        if options.is_empty() {
            *sums.entry((None, bucket)).or_default() += count;
        }
        for option in options {
            *sums.entry((Some(option.to_owned()), bucket)).or_default() += count;
        }
    }
    Ok(sums.into_iter().map(|((v, b), c)| (v, b, c)).collect())
}

/// How many distinct contacts completed the event in the range, and how many visitors did
/// while still anonymous.
pub(super) fn reach(conn: &Connection, q: &CompletionQuery) -> Result<(u64, u64), StoreError> {
    if let Some(estimate) = reach_from_sketches(conn, q)? {
        return Ok(estimate);
    }
    let (filter, params) = completions_filter(q);
    // (`?2`, the bucket width, is bound for the shared filter; the statement must name it.)
    let sql = format!(
        "SELECT COUNT(DISTINCT object_id), COUNT(DISTINCT CASE WHEN object_id IS NULL THEN vid END)
         FROM events {filter} AND ?2 IS NOT NULL"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let (contacts, anonymous): (i64, i64) =
        stmt.query_row(params_from_iter(params), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((
        u64::try_from(contacts).unwrap_or(0),
        u64::try_from(anonymous).unwrap_or(0),
    ))
}

pub(super) fn completions(
    conn: &Connection,
    q: &CompletionQuery,
) -> Result<Vec<(i64, u64)>, StoreError> {
    // Whole hours: the hourly counts answer, a few rows per bucket whatever the volume, when
    // there is no property filter or it is on an enumeration; anything else counts the
    // completions themselves.
    let whole_hours = [q.from, q.width, q.to].iter().all(|t| t % HOUR_MS == 0);
    let counts = if whole_hours {
        counted_filter(conn, q)?
    } else {
        Counts::None
    };
    let hours = |table: &str, filter: &str| {
        format!(
            "SELECT (hour * {HOUR_MS} - ?1) / ?2 AS bucket, SUM(count) FROM {table}
             WHERE name = ?3 {filter} AND hour >= ?1 / {HOUR_MS} AND hour < ?4 / {HOUR_MS}
             GROUP BY bucket ORDER BY bucket"
        )
    };
    let range = vec![
        Value::Integer(q.from),
        Value::Integer(q.width),
        Value::Text(q.name.clone()),
        Value::Integer(q.to),
    ];
    let (sql, params) = match counts {
        Counts::Events => (hours("event_hours", ""), range),
        Counts::Values(property, value) => (
            hours("value_hours", "AND property = ?5 AND value = ?6"),
            [range, vec![Value::Text(property), Value::Text(value)]].concat(),
        ),
        Counts::None => {
            let (filter, params) = completions_filter(q);
            (
                format!(
                    "SELECT (occurred_at - ?1) / ?2 AS bucket, COUNT(*) FROM events {filter}
                     GROUP BY bucket ORDER BY bucket"
                ),
                params,
            )
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (bucket, count) = row?;
        out.push((bucket, u64::try_from(count).unwrap_or(0)));
    }
    Ok(out)
}

/// Completions stored after `after`, in storage order (`seq`, its primary key).
pub(super) fn events_since(
    conn: &Connection,
    after: i64,
    limit: usize,
) -> Result<Vec<crate::store::SeqEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.id, e.name, e.occurred_at, e.object_type,
                COALESCE(e.object_id, (SELECT v.contact_id FROM visitors v WHERE v.vid = e.vid AND e.object_type = 'CONTACT')),
                e.props, e.defaults, e.vid
         FROM events e WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2",
    )?;
    let rows = stmt.query_map((after, i64::try_from(limit).unwrap_or(i64::MAX)), |r| {
        let object_type: String = r.get(4)?;
        Ok(crate::store::SeqEvent {
            seq: r.get(0)?,
            event: StoredEvent {
                id: r.get(1)?,
                name: r.get(2)?,
                occurred_at: r.get(3)?,
                object_type: PrimaryObject::parse(&object_type).unwrap_or(PrimaryObject::Contact),
                object_id: r.get(5)?,
                props: r.get(6)?,
                defaults: r.get(7)?,
            },
            vid: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Rejected events, newest first.
pub(super) fn rejected(
    conn: &Connection,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<StoredRejection>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, event_id, name, site, reason, body, received_at FROM rejected
         WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        (
            before.unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX),
        ),
        |r| {
            Ok(StoredRejection {
                seq: r.get(0)?,
                event_id: r.get(1)?,
                name: r.get(2)?,
                site: r.get(3)?,
                reason: r.get(4)?,
                body: r.get(5)?,
                received_at: r.get(6)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
