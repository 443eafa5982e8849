//! The generated history both backends are asked about: completions of three events by
//! contacts, visitors and records, with enumeration options, default properties and hostile
//! text; refused and held events, quality counts and contact properties.

#[allow(unused_imports)]
use super::*;

pub(super) const HOUR: i64 = 3_600_000;
/// 2023-11-30T00:00Z: three days of events cross into December, which has no partition (the
/// default one takes it), so queries span partitions.
pub(super) const T0: i64 = 1_701_302_400_000;

/// xorshift: a fixed sequence, so a failure repeats.
pub(super) struct Rng(pub(super) u64);
impl Rng {
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
    pub(super) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }
}

/// Text a filter or a search must match literally: SQL's quotes and wildcards, escapes.
pub(super) const HOSTILE: [&str; 8] = [
    "50%",
    "a_c",
    "abc",
    "it's",
    r"back\slash",
    "quote\"d",
    "%",
    "_",
];
pub(super) const PLANS: [&str; 6] = ["free", "pro", "team", "pro;team", "", "team;free;team"];

pub(super) fn definition(
    name: &str,
    object: PrimaryObject,
    properties: Vec<PropertyDef>,
) -> EventDefinition {
    EventDefinition {
        id: 0,
        name: name.into(),
        label: name.into(),
        description: None,
        primary_object: object,
        include_default_properties: true,
        properties,
        index: Default::default(),
        created_at: 0,
        updated_at: 0,
    }
}

/// Contacts' emails: plain ones, and some whose characters are wildcards in `LIKE`.
pub(super) fn email(c: u64) -> String {
    match c {
        0 => "a_b%c'd\\e@x.example".into(),
        1 => "ab%@x.example".into(),
        2 => "A_Upper@x.example".to_lowercase(),
        _ => format!("c{c}@example.com"),
    }
}

/// One request's worth of completions: orders with plans and notes, page views with default
/// properties, deals; by contacts (known by email, some identifying a visitor), anonymous
/// visitors, and records by id.
pub(super) fn batch(rng: &mut Rng, first: usize, n: usize) -> Vec<NewEvent> {
    (first..first + n)
        .map(|i| {
            let kind = rng.below(10);
            // Many share an instant (and an hour boundary): ties are ordered by seq.
            let at = if rng.below(8) == 0 {
                T0 + rng.below(72) as i64 * HOUR
            } else {
                T0 + rng.below(72 * HOUR as u64) as i64
            };
            let vid = format!("v{}", rng.below(30));
            let subject = match rng.below(3) {
                0 => Subject::Anonymous,
                _ => Subject::Contact {
                    email: Some(email(rng.below(25))),
                    external_id: None,
                },
            };
            let plan = rng.pick(&PLANS);
            let note = rng.pick(&HOSTILE);
            let (name, object_type, subject, props, defaults) = match kind {
                0..=4 => {
                    let mut props = serde_json::Map::new();
                    if !plan.is_empty() {
                        props.insert("plan".into(), plan.into());
                    }
                    props.insert("note".into(), note.into());
                    ("order", PrimaryObject::Contact, subject, props, None)
                }
                5..=8 => {
                    let mut props = serde_json::Map::new();
                    if rng.below(4) == 0 {
                        props.insert("hs_page_path".into(), "/custom".into());
                    }
                    let defaults = serde_json::json!({
                        "hs_page_path": format!("/p{}", rng.below(4)),
                        "plan": "from-page",
                    });
                    (
                        "pageview",
                        PrimaryObject::Contact,
                        subject,
                        props,
                        Some(defaults.to_string()),
                    )
                }
                _ => (
                    "deal_won",
                    PrimaryObject::Deal,
                    Subject::ObjectId(rng.below(5) as i64 + 1),
                    serde_json::Map::from_iter([("note".to_owned(), Value::from(note))]),
                    None,
                ),
            };
            NewEvent {
                id: format!("00000000-0000-4000-8000-{i:012}"),
                name: name.into(),
                occurred_at: at,
                received_at: at + 5,
                object_type,
                subject,
                vid: (object_type == PrimaryObject::Contact).then_some(vid),
                sid: Some(format!("s{}", rng.below(9))),
                site: Some(Arc::from("shop")),
                props: Value::Object(props).to_string(),
                defaults: defaults.map(Arc::from),
            }
        })
        .collect()
}

/// Refused and held events and quality counts, as beacons leave them.
pub(super) fn leftovers(rng: &mut Rng, first: usize) -> Ingest {
    let at = T0 + first as i64 * 1000;
    Ingest {
        rejected: (0..4)
            .map(|i| RejectedEvent {
                event_id: (i % 2 == 0).then(|| format!("r{first}-{i}")),
                name: Some(format!("bad{}", i % 2)),
                site: Some("shop".into()),
                reason: format!("reason {}", rng.pick(&HOSTILE)),
                body: format!("{{\"n\":{i}}}"),
                received_at: at + i,
            })
            .collect(),
        held: (0..3)
            .map(|i| HeldEvent {
                id: format!("h{first}-{i}"),
                name: ["later", "Later", "zeta"][i % 3].into(),
                site: Arc::from("shop"),
                occurred_at: at,
                received_at: at + i as i64,
                email: None,
                uid: None,
                vid: Some("v1".into()),
                sid: None,
                props: vec![("k".into(), rng.pick(&HOSTILE).into())],
                defaults: Arc::from("{}"),
            })
            .collect(),
        quality: [
            "PROPERTY_NOT_DEFINED",
            "INVALID_NUMBER",
            "EVENT_NOT_DEFINED",
        ]
        .iter()
        .enumerate()
        .map(|(i, code)| QualityCount {
            event: ["order", "Order", "_x"][i].into(),
            property: ["b", "a", ""][i].into(),
            code: (*code).into(),
            site: ["shop", "blog", "shop"][i].into(),
            count: first as u64 + 1,
            at: at + (rng.below(3) as i64) * 1000,
            example: "e1: dropped".into(),
        })
        .collect(),
        contacts: vec![wasmtrack_collector::store::ContactUpdate {
            email: email(rng.below(25)),
            properties: BTreeMap::from([
                ("firstname".to_owned(), format!("N{first}")),
                ("company".to_owned(), rng.pick(&HOSTILE).to_owned()),
            ]),
            at,
        }],
        ..Ingest::default()
    }
}
