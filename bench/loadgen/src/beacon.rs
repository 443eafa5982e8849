//! The beacons the load generator sends and the rows the SQLite reference inserts: the same
//! benchmark event (`bench/event.json`, 10 properties) in the tracker's compact wire format
//! (`crates/core/src/payload.rs`: shared contexts in `ctx`, each event naming its context in `c`),
//! each with a fresh random UUID v4 so the collector stores every one.

/// The benchmark event, shared with the browser benchmark.
const EVENT_JSON: &str = include_str!("../../event.json");

/// Default (page) properties of the benchmark visitor, as the tracker sends them.
pub const DEFAULTS: &str = r#"{"url":"http://127.0.0.1/pricing?utm_source=bench","referrer":"http://127.0.0.1/","title":"Pricing","path":"/pricing","screen_width":"1920","screen_height":"1080","language":"en-US","utm_source":"bench"}"#;

/// The benchmark event's name and its properties as one JSON object.
pub fn event() -> (String, String) {
    let value: serde_json::Value =
        serde_json::from_str(EVENT_JSON).expect("bench/event.json is valid JSON");
    let name = value["name"]
        .as_str()
        .expect("bench/event.json has a name")
        .to_owned();
    (name, value["properties"].to_string())
}

/// The event definition (HubSpot's create body) that makes the collector accept the event.
pub fn definition() -> String {
    let value: serde_json::Value =
        serde_json::from_str(EVENT_JSON).expect("bench/event.json is valid JSON");
    let props = value["properties"]
        .as_object()
        .expect("bench/event.json has properties");
    let defs: Vec<serde_json::Value> = props
        .iter()
        .map(|(name, v)| {
            let kind = if v.is_number() { "number" } else { "string" };
            serde_json::json!({ "name": name, "label": name, "type": kind })
        })
        .collect();
    serde_json::json!({
        "label": "Trial started",
        "name": value["name"],
        "primaryObject": "CONTACT",
        "propertyDefinitions": defs,
    })
    .to_string()
}

/// A small fast generator (SplitMix64) for ids; not for secrets, only uniqueness.
pub struct Ids(u64);

impl Ids {
    /// A generator seeded with `seed` (mix in the time and a worker number).
    pub fn new(seed: u64) -> Self {
        Ids(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A random UUID v4 in its canonical text form.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000; // version 4
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000; // variant 10
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xFFFF,
            a & 0xFFFF,
            b >> 48,
            b & 0xFFFF_FFFF_FFFF
        )
    }
}

/// Who sends a beacon: the visitor, and the email it identified with, if it did (the tracker
/// puts it in the context after `identify`, and the collector then links visitor and contact).
#[derive(Clone, Copy)]
pub struct Sender<'a> {
    /// The visitor id (`vid`); its session is `{vid}-s1`.
    pub visitor: &'a str,
    /// The contact's email, once identified.
    pub email: Option<&'a str>,
}

/// One beacon body of `events` events of one visitor and session.
pub fn body(
    site: &str,
    name: &str,
    props: &str,
    now_ms: u64,
    sender: Sender,
    events: usize,
    ids: &mut Ids,
) -> String {
    let mut out = String::with_capacity(400 + events * (120 + props.len()));
    let visitor = sender.visitor;
    let email = sender
        .email
        .map(|e| format!(r#""email":"{e}","#))
        .unwrap_or_default();
    out.push_str(&format!(
        r#"{{"site":"{site}","sent":{now_ms},"ctx":[{{"vid":"{visitor}","sid":"{visitor}-s1",{email}"d":{DEFAULTS}}}],"events":["#
    ));
    for i in 0..events {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"id":"{}","name":"{name}","ts":{now_ms},"p":{props},"c":0}}"#,
            ids.uuid()
        ));
    }
    out.push_str("]}");
    out
}

/// `body` gzip-compressed at zlib's default level, as browsers' `CompressionStream('gzip')`.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).expect("writing to memory cannot fail");
    gz.finish().expect("writing to memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let mut ids = Ids::new(7);
        let a = ids.uuid();
        let b = ids.uuid();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn a_body_is_the_compact_beacon_with_every_event() {
        let (name, props) = event();
        let text = body(
            "bench",
            &name,
            &props,
            1_700_000_000_000,
            Sender {
                visitor: "v1",
                email: None,
            },
            20,
            &mut Ids::new(1),
        );
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["events"].as_array().map(Vec::len), Some(20));
        assert_eq!(
            value["events"][0]["p"].as_object().map(|p| p.len()),
            Some(10)
        );
        assert_eq!(value["ctx"][0]["vid"], "v1");
        assert!(value["ctx"][0].get("email").is_none());
    }

    #[test]
    fn an_identified_senders_beacon_carries_its_email_in_the_context() {
        let (name, props) = event();
        let sender = Sender {
            visitor: "v1",
            email: Some("v1@bench.example.com"),
        };
        let text = body("bench", &name, &props, 1, sender, 2, &mut Ids::new(1));
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["ctx"][0]["email"], "v1@bench.example.com");
        assert_eq!(value["ctx"][0]["vid"], "v1");
    }

    #[test]
    fn the_definition_declares_every_property() {
        let value: serde_json::Value = serde_json::from_str(&definition()).expect("valid JSON");
        assert_eq!(
            value["propertyDefinitions"].as_array().map(Vec::len),
            Some(10)
        );
    }
}
