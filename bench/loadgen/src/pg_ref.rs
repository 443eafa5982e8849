//! The physical reference on PostgreSQL: how fast this machine puts the benchmark's rows into
//! the collector's own tables (`store/postgres/schema.rs`, applied by its `migrate`) with
//! nothing in between (no HTTP, no JSON parsing, no validation, no batching queue), from
//! `connections` connections at once as the two benchmarked collectors write:
//!
//! * `insert`: per transaction, the ids into `event_ids` (`ON CONFLICT DO NOTHING`) and the
//!   new ones into `events`, each one multi-row `INSERT … SELECT FROM unnest(…)`: what the
//!   collector's writer must do at least to keep ids unique;
//! * `copy`: the rows alone by `COPY … FROM STDIN`, no de-duplication: an upper bound.
//!
//! The database `url` must be fresh: its schema is made here.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio_postgres::NoTls;

use crate::beacon::{self, Ids};

/// Inserts for `seconds` into the database `url`; returns rows per second as JSON.
pub async fn run(
    url: &str,
    per_tx: usize,
    seconds: f64,
    connections: usize,
    copy: bool,
) -> Result<serde_json::Value, String> {
    let err = |e: tokio_postgres::Error| e.to_string();
    {
        let mut client = connect(url).await?;
        wasmtrack_collector::store::postgres::schema::migrate(&mut client)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let now = now_ms();
        client
            .execute("SELECT wasmtrack_ensure_partitions($1, 2)", &[&now])
            .await
            .map_err(err)?;
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut client = connect(&url).await?;
            let (name, props) = beacon::event();
            let mut ids = Ids::new(0x5EED ^ u64::from(std::process::id()) ^ (worker as u64) << 32);
            let visitor = ids.uuid();
            let session = format!("{visitor}-s1");
            let mut rows: u64 = 0;
            while Instant::now() < deadline {
                let now = now_ms();
                let batch: Vec<String> = (0..per_tx).map(|_| ids.uuid()).collect();
                if copy {
                    copy_rows(&client, &batch, &name, &props, &visitor, &session, now).await?;
                } else {
                    insert_rows(&mut client, &batch, &name, &props, &visitor, &session, now)
                        .await?;
                }
                rows += per_tx as u64;
            }
            Ok::<u64, String>(rows)
        }));
    }
    let mut rows = 0;
    for task in tasks {
        rows += task.await.map_err(|e| e.to_string())??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "per_tx": per_tx,
        "connections": connections,
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows as f64 / elapsed,
        "mode": if copy { "copy" } else { "insert" },
    }))
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tokio::spawn(connection);
    Ok(client)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One transaction: the ids kept unique through `event_ids`, then the new rows.
async fn insert_rows(
    client: &mut tokio_postgres::Client,
    batch: &[String],
    name: &str,
    props: &str,
    visitor: &str,
    session: &str,
    now: i64,
) -> Result<(), String> {
    let err = |e: tokio_postgres::Error| e.to_string();
    let tx = client.transaction().await.map_err(err)?;
    let times = vec![now; batch.len()];
    let fresh: Vec<String> = tx
        .query(
            "INSERT INTO event_ids (id, occurred_at) SELECT * FROM unnest($1::text[], $2::bigint[])
             ON CONFLICT DO NOTHING RETURNING id",
            &[&batch, &times],
        )
        .await
        .map_err(err)?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    tx.execute(
        "INSERT INTO events (id, name, occurred_at, received_at, object_type, vid, sid, site, props, defaults)
         SELECT id, $2, $3, $3, 'CONTACT', $4, $5, 'bench', $6::text::jsonb, $7::text::jsonb
         FROM unnest($1::text[]) AS id",
        &[&fresh, &name, &now, &visitor, &session, &props, &beacon::DEFAULTS],
    )
    .await
    .map_err(err)?;
    tx.commit().await.map_err(err)
}

/// The rows alone, by `COPY` in PostgreSQL's text format.
async fn copy_rows(
    client: &tokio_postgres::Client,
    batch: &[String],
    name: &str,
    props: &str,
    visitor: &str,
    session: &str,
    now: i64,
) -> Result<(), String> {
    let err = |e: tokio_postgres::Error| e.to_string();
    let sink = client
        .copy_in(
            "COPY events (id, name, occurred_at, received_at, object_type, vid, sid, site, props, defaults) FROM STDIN",
        )
        .await
        .map_err(err)?;
    let mut text = String::with_capacity(batch.len() * 600);
    for id in batch {
        for (i, field) in [
            id.as_str(),
            name,
            &now.to_string(),
            &now.to_string(),
            "CONTACT",
            visitor,
            session,
            "bench",
            props,
            beacon::DEFAULTS,
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                text.push('\t');
            }
            escape(field, &mut text);
        }
        text.push('\n');
    }
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from(text)).await.map_err(err)?;
    sink.as_mut().finish().await.map_err(err)?;
    Ok(())
}

/// A field of COPY's text format: backslash, tab and line ends escaped.
fn escape(field: &str, out: &mut String) {
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}
