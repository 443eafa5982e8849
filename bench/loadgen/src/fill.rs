//! `fill DB EVENTS`: a database with `EVENTS` completions for the analyst app's benchmark,
//! written through the collector's own store (so the hourly counts, contacts and visitor
//! links are what the collector keeps), spread over the last 90 days.
//!
//! Ten events (`bench_event_0` … `_9`), the first taking half of the completions (a report on
//! it reads the most); 100,000 contacts by email, and a quarter of the completions anonymous
//! (a visitor id only). A fixed pseudo-random sequence, so every run fills the same data.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use wasmtrack_collector::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyType};
use wasmtrack_collector::store::{EventStore, Ingest, NewEvent, SqliteStore, Subject};

/// Events the benchmark defines.
pub const EVENTS: usize = 10;
/// Contacts the completions belong to.
const CONTACTS: u64 = 100_000;
/// Completions per store request (one transaction).
const BATCH: usize = 5_000;
const DAY_MS: i64 = 86_400_000;
/// The options of the enumeration `plan`, which reports filter and break down by.
const PLANS: [&str; 7] = [
    "free",
    "pro",
    "team",
    "enterprise",
    "trial",
    "edu",
    "nonprofit",
];

/// xorshift64*: fast, fixed, good enough to spread rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn definition(i: usize, now: i64) -> EventDefinition {
    EventDefinition {
        id: 0,
        name: format!("bench_event_{i}"),
        label: format!("Bench event {i}"),
        description: Some("Filled by wasmtrack-loadgen for the app's benchmark".into()),
        primary_object: PrimaryObject::Contact,
        include_default_properties: true,
        properties: vec![
            PropertyDef::plain("plan", PropertyType::Enumeration, &PLANS, now),
            PropertyDef::plain("seats", PropertyType::Number, &[], now),
        ],
        index: Default::default(),
        created_at: now,
        updated_at: now,
    }
}

/// Fills `db` (a new file) with `total` completions; prints how long it took.
pub fn run(db: &Path, total: usize) -> Result<serde_json::Value, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let store = SqliteStore::open(db).map_err(|e| format!("{}: {e:?}", db.display()))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_millis() as i64;
        for i in 0..EVENTS {
            store.create_definition(definition(i, now)).await.map_err(|e| format!("{e:?}"))?;
        }
        let started = Instant::now();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let site: Arc<str> = Arc::from("bench");
        let defaults: Arc<str> = Arc::from(r#"{"path":"/pricing","title":"Pricing"}"#);
        let mut written = 0;
        while written < total {
            let n = BATCH.min(total - written);
            let events = (0..n)
                .map(|k| {
                    let seq = written + k;
                    let pick = rng.below(2 * EVENTS as u64);
                    let event = if pick >= EVENTS as u64 { 0 } else { pick as usize };
                    let contact = rng.below(CONTACTS);
                    let anonymous = rng.below(4) == 0;
                    NewEvent {
                        id: format!("00000000-0000-4000-8000-{seq:012}"),
                        name: format!("bench_event_{event}"),
                        occurred_at: now - rng.below(90 * DAY_MS as u64) as i64,
                        received_at: now,
                        object_type: PrimaryObject::Contact,
                        subject: if anonymous {
                            Subject::Anonymous
                        } else {
                            Subject::Contact { email: Some(format!("c{contact}@example.com")), external_id: None }
                        },
                        vid: Some(format!("v{contact}")),
                        sid: None,
                        site: Some(site.clone()),
                        props: json!({"plan": PLANS[rng.below(PLANS.len() as u64) as usize], "seats": rng.below(50).to_string()}).to_string(),
                        defaults: Some(defaults.clone()),
                    }
                })
                .collect();
            store
                .ingest(Ingest { events, ..Ingest::default() })
                .await
                .map_err(|e| format!("ingest: {e:?}"))?;
            written += n;
        }
        store.close().await;
        Ok(json!({"events": total, "seconds": started.elapsed().as_secs_f64()}))
    })
}
