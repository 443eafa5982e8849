//! PostgreSQL cannot store U+0000 in `text` or `jsonb`, which SQLite stores: a visitor's
//! property value or visitor id holding one would fail its whole request. What a request
//! stores is scrubbed first: each NUL becomes U+FFFD (the replacement character), in plain
//! text and inside JSON text (`\u0000` escapes), so the event is kept with everything else as
//! sent. `migrate` does the same to what it copies.

use std::sync::Arc;

use crate::store::Ingest;

/// The replacement for a NUL.
const REPLACEMENT: char = '\u{FFFD}';

/// Scrubs every text of `ingest`.
pub(super) fn scrub(ingest: &mut Ingest) {
    for e in &mut ingest.events {
        text(&mut e.id);
        text(&mut e.name);
        opt(&mut e.vid);
        opt(&mut e.sid);
        shared(&mut e.site);
        json(&mut e.props);
        if let Some(defaults) = &mut e.defaults {
            shared_json(defaults);
        }
        if let crate::store::Subject::Contact { email, external_id } = &mut e.subject {
            opt(email);
            opt(external_id);
        }
    }
    for r in &mut ingest.rejected {
        opt(&mut r.event_id);
        opt(&mut r.name);
        opt(&mut r.site);
        text(&mut r.reason);
        json(&mut r.body);
    }
    for h in &mut ingest.held {
        text(&mut h.id);
        text(&mut h.name);
        if h.site.contains('\0') {
            h.site = Arc::from(h.site.replace('\0', "\u{FFFD}"));
        }
        opt(&mut h.email);
        opt(&mut h.uid);
        opt(&mut h.vid);
        opt(&mut h.sid);
        for (k, v) in &mut h.props {
            text(k);
            text(v);
        }
        shared_json(&mut h.defaults);
    }
    for q in &mut ingest.quality {
        text(&mut q.event);
        text(&mut q.property);
        text(&mut q.site);
        text(&mut q.example);
    }
    for c in &mut ingest.contacts {
        text(&mut c.email);
        if c.properties
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            c.properties = std::mem::take(&mut c.properties)
                .into_iter()
                .map(|(mut k, mut v)| {
                    text(&mut k);
                    text(&mut v);
                    (k, v)
                })
                .collect();
        }
    }
}

fn text(s: &mut String) {
    if s.contains('\0') {
        *s = s.replace('\0', "\u{FFFD}");
    }
}

fn opt(s: &mut Option<String>) {
    if let Some(s) = s {
        text(s);
    }
}

fn shared(s: &mut Option<Arc<str>>) {
    if let Some(site) = s {
        if site.contains('\0') {
            *site = Arc::from(site.replace('\0', "\u{FFFD}"));
        }
    }
}

/// JSON text: a raw NUL, or a `\u0000` escape (how serde writes one), anywhere in it.
fn json(s: &mut String) {
    if let Some(scrubbed) = scrubbed_json(s) {
        *s = scrubbed;
    }
}

fn shared_json(s: &mut Arc<str>) {
    if let Some(scrubbed) = scrubbed_json(s) {
        *s = Arc::from(scrubbed);
    }
}

/// `None` when `s` holds no NUL. JSON is read and written again, so that a literal
/// backslash followed by `u0000` (escaped as `\\u0000`) is left as it was.
fn scrubbed_json(s: &str) -> Option<String> {
    if !s.contains('\0') && !s.contains("\\u0000") {
        return None;
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(s) else {
        return Some(s.replace('\0', "\u{FFFD}").replace("\\u0000", "\\ufffd"));
    };
    walk(&mut value);
    serde_json::to_string(&value).ok()
}

fn walk(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => text(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
        serde_json::Value::Object(map) => {
            let keys: Vec<String> = map.keys().filter(|k| k.contains('\0')).cloned().collect();
            for key in keys {
                if let Some(v) = map.remove(&key) {
                    map.insert(key.replace('\0', &REPLACEMENT.to_string()), v);
                }
            }
            map.values_mut().for_each(walk);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuls_become_replacement_characters_and_nothing_else_changes() {
        let mut s = r#"{"a":"x\u0000y","b\u0000":"\\u0000 stays"}"#.to_owned();
        json(&mut s);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x\u{FFFD}y");
        assert_eq!(
            v["b\u{FFFD}"], "\\u0000 stays",
            "a literal backslash-u stays"
        );
        let mut plain = "v\0id".to_owned();
        text(&mut plain);
        assert_eq!(plain, "v\u{FFFD}id");
        let mut clean = r#"{"a":"b"}"#.to_owned();
        json(&mut clean);
        assert_eq!(clean, r#"{"a":"b"}"#, "untouched when there is no NUL");
    }
}
