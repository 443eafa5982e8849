//! The beacon payload: one set of types for the tracker that writes it and the collector that
//! reads it.
//!
//! The tracker encodes each event once, when it is tracked, with the small hand-written JSON
//! writer below (serde_json would cost kilobytes on every page load); `batch.rs` joins them.
//! What the events of one page state share (visitor, session, identity, default properties) is
//! a *context*, written once per batch; each event names its context by index in `"c"`. The
//! collector decodes the same types with serde (feature `serde`) and [`WireEvent::resolve`]s
//! each event against the batch's contexts. An event may also carry those fields inline.
//!
//! ```text
//! {"site":"s1","sent":1700000000000,
//!  "ctx":[{"vid":"…","sid":"…","email":"a@b.c","d":{"url":"…","path":"/"}}],
//!  "events":[{"id":"…uuid…","name":"signup","ts":1700000000000,"p":{"plan":"pro"},"c":0}]}
//! ```

use super::properties::Props;
use alloc::string::String;
#[cfg(feature = "serde")]
use alloc::vec::Vec;

/// One tracked event on the wire.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct WireEvent {
    /// Random UUID v4; the collector stores each id once.
    pub id: String,
    /// Internal event name (lowercased, at most 50 characters).
    pub name: String,
    /// When it happened, epoch milliseconds.
    pub ts: u64,
    /// Visitor id (HubSpot's `utk`), stable per browser and site.
    #[cfg_attr(feature = "serde", serde(default))]
    pub vid: String,
    /// Session id; a new one starts after 30 minutes without activity.
    #[cfg_attr(feature = "serde", serde(default))]
    pub sid: String,
    /// Contact email given to `identify`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub email: Option<String>,
    /// Contact id given to `identify`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub uid: Option<String>,
    /// Custom properties, in the order the page gave them.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "p", default, deserialize_with = "props_serde::deserialize")
    )]
    pub props: Props,
    /// Default properties (url, referrer, title, path, screen, language, UTM).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "d", default, deserialize_with = "props_serde::deserialize")
    )]
    pub defaults: Props,
    /// Index of this event's context in the batch's `ctx` list.
    #[cfg_attr(feature = "serde", serde(rename = "c", default))]
    pub ctx: Option<usize>,
}

/// What the events of one page state share, written once per batch.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Deserialize))]
pub struct WireContext {
    /// Visitor id.
    #[cfg_attr(feature = "serde", serde(default))]
    pub vid: String,
    /// Session id.
    #[cfg_attr(feature = "serde", serde(default))]
    pub sid: String,
    /// Contact email given to `identify`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub email: Option<String>,
    /// Contact id given to `identify`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub uid: Option<String>,
    /// Default properties.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "d", default, deserialize_with = "props_serde::deserialize")
    )]
    pub defaults: Props,
}

impl WireContext {
    /// This context as a JSON object.
    pub fn encode(&self) -> String {
        encode_context(&self.vid, &self.sid, &self.email, &self.uid, &self.defaults)
    }
}

/// A context as a JSON object, from borrowed fields (the tracker's state, without copying it
/// into a [`WireContext`] first).
pub fn encode_context(
    vid: &str,
    sid: &str,
    email: &Option<String>,
    uid: &Option<String>,
    defaults: &Props,
) -> String {
    let mut out = String::with_capacity(128);
    out.push_str("{\"vid\":");
    push_json_str(&mut out, vid);
    out.push_str(",\"sid\":");
    push_json_str(&mut out, sid);
    push_optional(&mut out, "email", email);
    push_optional(&mut out, "uid", uid);
    out.push_str(",\"d\":");
    push_json_object(&mut out, defaults);
    out.push('}');
    out
}

/// An event's own fields as an unclosed JSON object, `{"id":…,"name":…,"ts":…,"p":{…}`; the
/// batch writer appends its context index and the closing brace.
pub fn encode_event_body(id: &str, name: &str, ts: u64, props: &Props) -> String {
    let mut out = String::with_capacity(64 + id.len() + name.len() + props.len() * 24);
    out.push_str("{\"id\":");
    push_json_str(&mut out, id);
    out.push_str(",\"name\":");
    push_json_str(&mut out, name);
    out.push_str(",\"ts\":");
    push_int(&mut out, ts as i64);
    out.push_str(",\"p\":");
    push_json_object(&mut out, props);
    out
}

/// A batch as the collector reads it. `E` is the collector's choice of raw JSON
/// (e.g. `Box<serde_json::value::RawValue>`), so that one bad event cannot make the whole batch
/// unreadable: each is decoded into a [`WireEvent`] and validated on its own.
#[cfg(feature = "serde")]
#[derive(Debug, serde::Deserialize)]
pub struct WireBatch<E> {
    /// Site id the tracker was initialised with.
    pub site: String,
    /// Contexts the events refer to by index.
    #[serde(default)]
    pub ctx: Vec<WireContext>,
    /// When the tracker sent the batch, epoch milliseconds (used to correct client clocks).
    #[serde(default)]
    pub sent: Option<u64>,
    /// The events.
    pub events: Vec<E>,
}

impl WireEvent {
    /// Fills the context fields from `contexts[self.ctx]`; fields the event carries itself win.
    /// `Err` names the problem when the index points past the list.
    pub fn resolve(&mut self, contexts: &[WireContext]) -> Result<(), &'static str> {
        let Some(index) = self.ctx else {
            return Ok(());
        };
        let ctx = contexts
            .get(index)
            .ok_or("event refers to a context the batch does not have")?;
        if self.vid.is_empty() {
            self.vid.clone_from(&ctx.vid);
        }
        if self.sid.is_empty() {
            self.sid.clone_from(&ctx.sid);
        }
        if self.email.is_none() {
            self.email.clone_from(&ctx.email);
        }
        if self.uid.is_none() {
            self.uid.clone_from(&ctx.uid);
        }
        if self.defaults.is_empty() {
            self.defaults.clone_from(&ctx.defaults);
        }
        Ok(())
    }

    /// Appends this event, with every field inline, as one JSON object to `out`.
    pub fn encode_into(&self, out: &mut String) {
        out.push_str("{\"id\":");
        push_json_str(out, &self.id);
        out.push_str(",\"name\":");
        push_json_str(out, &self.name);
        out.push_str(",\"ts\":");
        push_int(out, self.ts as i64);
        out.push_str(",\"vid\":");
        push_json_str(out, &self.vid);
        out.push_str(",\"sid\":");
        push_json_str(out, &self.sid);
        push_optional(out, "email", &self.email);
        push_optional(out, "uid", &self.uid);
        out.push_str(",\"p\":");
        push_json_object(out, &self.props);
        out.push_str(",\"d\":");
        push_json_object(out, &self.defaults);
        out.push('}');
    }

    /// This event as a JSON object.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(256);
        self.encode_into(&mut out);
        out
    }
}

fn push_optional(out: &mut String, name: &str, value: &Option<String>) {
    if let Some(value) = value {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        push_json_str(out, value);
    }
}

fn push_json_object(out: &mut String, props: &Props) {
    out.push('{');
    for (i, (name, value)) in props.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, name);
        out.push(':');
        push_json_str(out, value);
    }
    out.push('}');
}

/// Appends the decimal form of `n`. Hand-written because `to_string` on integers pulls
/// `core::fmt` into the wasm, kilobytes for a few digits.
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(d as char);
    }
}

/// The decimal form of `n` (see [`push_int`]).
pub fn int_string(n: i64) -> String {
    let mut out = String::new();
    push_int(&mut out, n);
    out
}

/// Appends `s` as a JSON string literal (RFC 8259 escaping; non-ASCII passes through as UTF-8).
pub fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(feature = "serde")]
mod props_serde {
    //! `Props` as a JSON object whose key order is kept. Numbers and booleans are read as
    //! their string form so that hand-written clients are not refused for `"seats": 3`.
    use super::Props;
    use alloc::borrow::ToOwned;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use core::fmt;
    use serde::de::{Deserializer, MapAccess, Visitor};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Props, D::Error> {
        d.deserialize_map(PropsVisitor)
    }

    struct PropsVisitor;

    impl<'de> Visitor<'de> for PropsVisitor {
        type Value = Props;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of property values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Props, A::Error> {
            let mut props = Vec::new();
            while let Some((name, value)) = map.next_entry::<String, Scalar>()? {
                props.push((name, value.0));
            }
            Ok(props)
        }
    }

    struct Scalar(String);

    impl<'de> serde::Deserialize<'de> for Scalar {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct ScalarVisitor;
            impl<'de> Visitor<'de> for ScalarVisitor {
                type Value = Scalar;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a string, number or boolean")
                }
                fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                    Ok(Scalar(v.to_owned()))
                }
                fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                    Ok(Scalar(v))
                }
                fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                    Ok(Scalar(v.to_string()))
                }
                fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                    Ok(Scalar(v.to_string()))
                }
                fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                    Ok(Scalar(v.to_string()))
                }
                fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                    Ok(Scalar(v.to_string()))
                }
            }
            d.deserialize_any(ScalarVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WireEvent {
        WireEvent {
            id: "0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d11".into(),
            name: "signup".into(),
            ts: 1_700_000_000_123,
            vid: "v".into(),
            sid: "s".into(),
            email: Some("a@b.c".into()),
            uid: None,
            props: vec![
                ("plan".into(), "pro \"x\"\n".into()),
                ("z".into(), "\u{1}é😀".into()),
            ],
            defaults: vec![("path".into(), "/".into())],
            ctx: None,
        }
    }

    #[test]
    fn events_encode_as_compact_json() {
        assert_eq!(
            sample().encode(),
            r#"{"id":"0b8e6c7e-1f0a-4c4e-9a52-3c1b7c0e9d11","name":"signup","ts":1700000000123,"vid":"v","sid":"s","email":"a@b.c","p":{"plan":"pro \"x\"\n","z":"\u0001é😀"},"d":{"path":"/"}}"#
        );
    }

    #[test]
    fn encoded_events_are_valid_json_with_the_same_content() {
        let encoded = sample().encode();
        let parsed: serde_json::Value = serde_json::from_str(&encoded).expect("valid JSON");
        assert_eq!(parsed["p"]["plan"], "pro \"x\"\n");
        assert_eq!(parsed["p"]["z"], "\u{1}é😀");
        assert_eq!(parsed["ts"], 1_700_000_000_123u64);
    }

    #[test]
    fn integers_print_like_to_string() {
        for n in [0, 7, -7, 10, 1_700_000_000_123, i64::MAX, i64::MIN] {
            assert_eq!(int_string(n), n.to_string());
        }
    }

    #[test]
    fn an_event_body_and_its_context_make_the_full_event() {
        let event = sample();
        let ctx = WireContext {
            vid: event.vid.clone(),
            sid: event.sid.clone(),
            email: event.email.clone(),
            uid: None,
            defaults: event.defaults.clone(),
        };
        let mut body = encode_event_body(&event.id, &event.name, event.ts, &event.props);
        body.push_str(",\"c\":0}");
        let batch = format!(
            r#"{{"site":"s","ctx":[{}],"events":[{}]}}"#,
            ctx.encode(),
            body
        );
        let parsed: serde_json::Value = serde_json::from_str(&batch).expect("valid JSON");
        assert_eq!(parsed["ctx"][0]["email"], "a@b.c");
        assert_eq!(parsed["events"][0]["c"], 0);
        assert_eq!(parsed["events"][0]["p"]["plan"], "pro \"x\"\n");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn the_collector_decodes_what_the_tracker_encodes() {
        let event = sample();
        let decoded: WireEvent = serde_json::from_str(&event.encode()).expect("decodes");
        assert_eq!(decoded, event);

        let ctx = WireContext {
            vid: "v".into(),
            sid: "s".into(),
            email: Some("a@b.c".into()),
            uid: None,
            defaults: event.defaults.clone(),
        };
        let mut body = encode_event_body(&event.id, &event.name, event.ts, &event.props);
        body.push_str(",\"c\":0}");
        let batch: WireBatch<Box<serde_json::value::RawValue>> = serde_json::from_str(&format!(
            r#"{{"site":"s","sent":1,"ctx":[{}],"events":[{}]}}"#,
            ctx.encode(),
            body
        ))
        .expect("decodes");
        let mut compact: WireEvent = serde_json::from_str(batch.events[0].get()).expect("decodes");
        assert_eq!(compact.ctx, Some(0));
        compact.resolve(&batch.ctx).expect("context exists");
        assert_eq!(
            WireEvent {
                ctx: None,
                ..compact.clone()
            },
            event
        );
        compact.ctx = Some(1);
        assert!(compact.resolve(&batch.ctx).is_err());
        let loose: WireEvent = serde_json::from_str(
            r#"{"id":"i","name":"n","ts":1,"vid":"v","p":{"seats":3,"ok":true}}"#,
        )
        .expect("decodes");
        assert_eq!(
            loose.props,
            vec![
                ("seats".to_string(), "3".to_string()),
                ("ok".to_string(), "true".to_string())
            ]
        );
    }
}
