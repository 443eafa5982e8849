//! SQLite's stored rows copied into PostgreSQL, as the ingest writes them there.

#[allow(unused_imports)]
use super::*;

/// Copies what SQLite's writer stored into PostgreSQL, table by table, as the ingest writes
/// it there: events and held/refused rows in their order, their `seq` from the sequences.
pub(super) async fn copy(sqlite: &std::path::Path, pg: &tokio_postgres::Client) {
    let conn = rusqlite::Connection::open(sqlite).unwrap();
    pg.execute("SELECT wasmtrack_ensure_partitions($1, 1)", &[&T0])
        .await
        .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT id, email, external_id, created_at, last_activity, properties, updated_at
             FROM contacts ORDER BY id",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        pg.execute(
            "INSERT INTO contacts (id, email, external_id, created_at, last_activity, properties, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7)",
            &[
                &r.get::<_, i64>(0).unwrap(),
                &r.get::<_, Option<String>>(1).unwrap(),
                &r.get::<_, Option<String>>(2).unwrap(),
                &r.get::<_, i64>(3).unwrap(),
                &r.get::<_, Option<i64>>(4).unwrap(),
                &r.get::<_, Option<String>>(5).unwrap(),
                &r.get::<_, Option<i64>>(6).unwrap(),
            ],
        )
        .await
        .unwrap();
    }
    let mut stmt = conn
        .prepare("SELECT vid, contact_id, linked_at FROM visitors")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let (vid, contact, at): (String, i64, i64) =
            (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap());
        pg.execute(
            "INSERT INTO visitors (vid, contact_id, linked_at) VALUES ($1, $2, $3)",
            &[&vid, &contact, &at],
        )
        .await
        .unwrap();
    }
    let mut stmt = conn
        .prepare(
            "SELECT seq, id, name, occurred_at, received_at, object_type, object_id, vid, sid, site,
                    props, defaults FROM events ORDER BY seq",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let seq: i64 = r.get(0).unwrap();
        let stored: i64 = pg
            .query_one(
                "INSERT INTO events (id, name, occurred_at, received_at, object_type, object_id,
                                     vid, sid, site, props, defaults)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11::text::jsonb)
                 RETURNING seq",
                &[
                    &r.get::<_, String>(1).unwrap(),
                    &r.get::<_, String>(2).unwrap(),
                    &r.get::<_, i64>(3).unwrap(),
                    &r.get::<_, i64>(4).unwrap(),
                    &r.get::<_, String>(5).unwrap(),
                    &r.get::<_, Option<i64>>(6).unwrap(),
                    &r.get::<_, Option<String>>(7).unwrap(),
                    &r.get::<_, Option<String>>(8).unwrap(),
                    &r.get::<_, Option<String>>(9).unwrap(),
                    &r.get::<_, String>(10).unwrap(),
                    &r.get::<_, Option<String>>(11).unwrap(),
                ],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(stored, seq, "the same order of storage on both");
    }
    for (table, key) in [
        ("event_hours", "name, hour"),
        ("value_hours", "name, property, value, hour"),
    ] {
        let columns = format!("{key}, count, contacts, visitors");
        let mut stmt = conn
            .prepare(&format!("SELECT {columns} FROM {table}"))
            .unwrap();
        let n = columns.split(", ").count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let mut values: Vec<Box<dyn tokio_postgres::types::ToSql + Sync>> = Vec::new();
            for i in 0..n {
                match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Integer(v) => values.push(Box::new(v)),
                    rusqlite::types::ValueRef::Text(t) => {
                        values.push(Box::new(String::from_utf8(t.to_vec()).unwrap()))
                    }
                    rusqlite::types::ValueRef::Blob(b) => values.push(Box::new(b.to_vec())),
                    rusqlite::types::ValueRef::Null => values.push(Box::new(None::<Vec<u8>>)),
                    other => panic!("{other:?}"),
                }
            }
            let placeholders: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                values.iter().map(|v| v.as_ref()).collect();
            pg.execute(
                &format!(
                    "INSERT INTO {table} ({columns}) VALUES ({})",
                    placeholders.join(", ")
                ),
                &refs,
            )
            .await
            .unwrap();
        }
    }
    let mut stmt = conn
        .prepare("SELECT name, property FROM value_counts")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let (name, property): (String, String) = (r.get(0).unwrap(), r.get(1).unwrap());
        pg.execute(
            "INSERT INTO value_counts (name, property) VALUES ($1, $2)",
            &[&name, &property],
        )
        .await
        .unwrap();
    }
    let mut stmt = conn
        .prepare("SELECT seq, event_id, name, site, received_at, body FROM held ORDER BY seq")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let seq: i64 = pg
            .query_one(
                "INSERT INTO held (event_id, name, site, received_at, body) VALUES ($1, $2, $3, $4, $5)
                 RETURNING seq",
                &[
                    &r.get::<_, String>(1).unwrap(),
                    &r.get::<_, String>(2).unwrap(),
                    &r.get::<_, String>(3).unwrap(),
                    &r.get::<_, i64>(4).unwrap(),
                    &r.get::<_, String>(5).unwrap(),
                ],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(seq, r.get::<_, i64>(0).unwrap());
    }
    let mut stmt = conn
        .prepare(
            "SELECT seq, event_id, name, site, reason, body, received_at FROM rejected ORDER BY seq",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let seq: i64 = pg
            .query_one(
                "INSERT INTO rejected (event_id, name, site, reason, body, received_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
                &[
                    &r.get::<_, Option<String>>(1).unwrap(),
                    &r.get::<_, Option<String>>(2).unwrap(),
                    &r.get::<_, Option<String>>(3).unwrap(),
                    &r.get::<_, String>(4).unwrap(),
                    &r.get::<_, String>(5).unwrap(),
                    &r.get::<_, i64>(6).unwrap(),
                ],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(seq, r.get::<_, i64>(0).unwrap());
    }
    let mut stmt = conn
        .prepare(
            "SELECT event, property, code, site, count, first_seen, last_seen, example FROM quality",
        )
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        pg.execute(
            "INSERT INTO quality (event, property, code, site, count, first_seen, last_seen, example)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &r.get::<_, String>(0).unwrap(),
                &r.get::<_, String>(1).unwrap(),
                &r.get::<_, String>(2).unwrap(),
                &r.get::<_, String>(3).unwrap(),
                &r.get::<_, i64>(4).unwrap(),
                &r.get::<_, i64>(5).unwrap(),
                &r.get::<_, i64>(6).unwrap(),
                &r.get::<_, String>(7).unwrap(),
            ],
        )
        .await
        .unwrap();
    }
}
