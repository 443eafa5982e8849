//! How seeds become fuzz inputs: proptest strategies that take a seed of the corpus and edit
//! it, so that most inputs are near-valid and reach deep into validation (a random byte string
//! rarely gets past the JSON parser), plus fully arbitrary bytes.
//!
//! * Byte edits: flip a bit, set an interesting byte, insert an interesting token (NUL, `"`,
//!   `\u0000`, lone surrogates, invalid UTF-8, huge numbers, deep nesting, long runs, tabs and
//!   newlines of the rule-list text, timestamp and base64 pieces), delete, truncate, duplicate
//!   a range (a field twice), splice with another seed.
//! * JSON edits: replace any node by an interesting value, add a key to an object (an existing
//!   one, so that the field is duplicated, or a new one), repeat an array's element (hundreds
//!   of events or inputs), remove a child.
//!
//! Edits are drawn as data (positions as `proptest::sample::Index`), so proptest shrinks a
//! failure to fewer and smaller edits of the same seed.

use std::fmt;
use std::sync::{Arc, OnceLock};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use crate::corpus::Seed;

/// One input under test: its bytes and how it was made.
#[derive(Clone)]
pub struct Input {
    pub bytes: Vec<u8>,
    pub made: String,
}

impl Input {
    /// The bytes as text, as a browser's `response.text()` or a URL decoder would read them.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 3000;
        let shown = &self.bytes[..self.bytes.len().min(SHOWN)];
        write!(
            f,
            "{} ({} bytes): b\"{}\"",
            self.made,
            self.bytes.len(),
            shown.escape_ascii()
        )?;
        if self.bytes.len() > SHOWN {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// The seeds as they are, for the replay that precedes the generated cases.
pub fn as_is(seeds: &[Seed]) -> Vec<Input> {
    seeds
        .iter()
        .map(|s| Input {
            bytes: s.bytes.clone(),
            made: s.name.clone(),
        })
        .collect()
}

/// Inputs for a target whose seeds are JSON: byte edits, JSON edits and arbitrary bytes.
pub fn json_inputs(seeds: Arc<[Seed]>) -> BoxedStrategy<Input> {
    prop_oneof![
        2 => byte_edited(seeds.clone()),
        7 => json_edited(seeds),
        1 => arbitrary(),
    ]
    .boxed()
}

/// Inputs for a target whose seeds are text: byte edits and arbitrary bytes.
pub fn text_inputs(seeds: Arc<[Seed]>) -> BoxedStrategy<Input> {
    prop_oneof![
        5 => byte_edited(seeds),
        1 => arbitrary(),
        1 => any::<String>().prop_map(|s| Input { bytes: s.into_bytes(), made: "arbitrary text".into() }),
    ]
    .boxed()
}

fn arbitrary() -> impl Strategy<Value = Input> {
    vec(any::<u8>(), 0..400).prop_map(|bytes| Input {
        bytes,
        made: "arbitrary bytes".into(),
    })
}

/// A byte-level edit of the input.
#[derive(Debug, Clone)]
enum Edit {
    FlipBit(Index, u8),
    SetByte(Index, Index),
    Insert(Index, Index),
    Delete(Index, u8),
    Truncate(Index),
    Duplicate(Index, u8, Index),
    Splice(Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Edit::FlipBit(at, bit)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(at, b)| Edit::SetByte(at, b)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(at, t)| Edit::Insert(at, t)),
        1 => (any::<Index>(), 1u8..32).prop_map(|(at, n)| Edit::Delete(at, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
        1 => (any::<Index>(), 1u8..64, any::<Index>()).prop_map(|(at, n, to)| Edit::Duplicate(at, n, to)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(s, a, b)| Edit::Splice(s, a, b)),
    ]
}

fn byte_edited(seeds: Arc<[Seed]>) -> impl Strategy<Value = Input> {
    (any::<Index>(), vec(edit(), 1..5)).prop_map(move |(seed, edits)| {
        let seed = seed.get(&seeds);
        let mut bytes = seed.bytes.clone();
        for edit in &edits {
            apply(&mut bytes, edit, &seeds);
        }
        Input {
            bytes,
            made: format!("{} with {edits:?}", seed.name),
        }
    })
}

/// A position in `0..len` (`None` when empty).
fn at(index: &Index, len: usize) -> Option<usize> {
    (len > 0).then(|| index.index(len))
}

/// An insertion point in `0..=len`.
fn gap(index: &Index, len: usize) -> usize {
    index.index(len + 1)
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit, seeds: &[Seed]) {
    let len = bytes.len();
    match edit {
        Edit::FlipBit(i, bit) => {
            if let Some(i) = at(i, len) {
                bytes[i] ^= 1 << bit;
            }
        }
        Edit::SetByte(i, b) => {
            if let Some(i) = at(i, len) {
                bytes[i] = *b.get(INTERESTING_BYTES);
            }
        }
        Edit::Insert(i, t) => {
            let token = t.get(tokens());
            let i = gap(i, len);
            bytes.splice(i..i, token.iter().copied());
        }
        Edit::Delete(i, n) => {
            if let Some(i) = at(i, len) {
                bytes.drain(i..(i + usize::from(*n)).min(len));
            }
        }
        Edit::Truncate(i) => bytes.truncate(gap(i, len)),
        Edit::Duplicate(i, n, to) => {
            if let Some(i) = at(i, len) {
                let piece = bytes[i..(i + usize::from(*n)).min(len)].to_vec();
                let to = gap(to, len);
                bytes.splice(to..to, piece);
            }
        }
        Edit::Splice(other, here, there) => {
            let other = &other.get(seeds).bytes;
            bytes.truncate(gap(here, len));
            bytes.extend_from_slice(&other[gap(there, other.len())..]);
        }
    }
}

const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, b' ', b'"', b'\\', b'/', b'{', b'}', b'[', b']', b',',
    b':', b'-', b'+', b'.', b'0', b'9', b'e', b'%', b'=', b'&', b'*', 0x7f, 0x80, 0xbf, 0xc0, 0xc3,
    0xed, 0xf4, 0xfe, 0xff,
];

/// Interesting pieces to insert, for every format the targets read.
fn tokens() -> &'static [Vec<u8>] {
    static TOKENS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let mut out: Vec<Vec<u8>> = [
            // JSON strings and escapes
            "\"",
            "\\",
            "\\u0000",
            "\\ud800",
            "\\udc00",
            "\\ud83d\\ude00",
            "\\\"",
            "\\\\",
            "\\n",
            "\\x",
            "'",
            "\u{0}",
            "\u{2028}",
            "😀",
            "é",
            "\u{feff}",
            // JSON structure
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "null",
            "true",
            "false",
            "{}",
            "[]",
            "\"\"",
            ",,",
            // numbers
            "0",
            "-0",
            "-1",
            "1.5",
            "1e308",
            "1e400",
            "-1e400",
            "18446744073709551615",
            "18446744073709551616",
            "9223372036854775807",
            "-9223372036854775808",
            "99999999999999999999999999999",
            "NaN",
            "Infinity",
            "0x10",
            "1_000",
            // field names the bodies use
            "\"site\":",
            "\"events\":",
            "\"ctx\":",
            "\"c\":",
            "\"id\":",
            "\"name\":",
            "\"ts\":",
            "\"p\":",
            "\"d\":",
            "\"sent\":",
            "\"email\":",
            "\"uid\":",
            "\"inputs\":",
            "\"eventName\":",
            "\"uuid\":",
            "\"objectId\":",
            "\"occurredAt\":",
            "\"properties\":",
            "\"propertyDefinitions\":",
            "\"options\":",
            "\"type\":",
            "\"label\":",
            "\"kind\":",
            "\"selector\":",
            "\"match\":",
            "\"value\":",
            "\"source\":",
            // the rule-list text
            "\t",
            "\n",
            "\r\n",
            "\r",
            "wr2\n",
            "wr2",
            "\tc\t",
            "\te\t",
            "\tp\t",
            "attr:",
            "text",
            "*",
            "?",
            "#",
            "://",
            // timestamps and cursors
            "T",
            "Z",
            "+25:00",
            "-00:00",
            "+01:00",
            ".123456789",
            "2024-02-29",
            "9999-12-31",
            "-W53-7",
            "==",
            "_",
            "+/",
            "%",
            "%00",
            "%ff",
            "%zz",
            "&after=",
            "=",
            "&",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        out.extend([
            vec![0xff, 0xfe],
            vec![0xc3],
            vec![0xed, 0xa0, 0x80],
            vec![0xf4, 0x90, 0x80, 0x80],
            vec![0xc0, 0x80],
            format!("\"{}\"", "a".repeat(300)).into_bytes(),
            "x".repeat(5000).into_bytes(),
            "\\u0000".repeat(500).into_bytes(),
            "[".repeat(300).into_bytes(),
            "{\"a\":".repeat(300).into_bytes(),
            "😀".repeat(300).into_bytes(),
            "\t".repeat(100).into_bytes(),
            "0".repeat(40).into_bytes(),
        ]);
        out
    })
}

/// A JSON-aware edit; node positions count nodes of the right kind in document order.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(Index, Index),
    ReplaceAlike(Index, Index),
    AddKey(Index, Index, Index),
    Repeat(Index, u16),
    RemoveChild(Index, Index),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        2 => (any::<Index>(), any::<Index>()).prop_map(|(n, v)| JsonEdit::Replace(n, v)),
        4 => (any::<Index>(), any::<Index>()).prop_map(|(n, v)| JsonEdit::ReplaceAlike(n, v)),
        2 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(n, k, v)| JsonEdit::AddKey(n, k, v)),
        1 => (any::<Index>(), prop_oneof![1u16..4, 495u16..520]).prop_map(|(n, c)| JsonEdit::Repeat(n, c)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(n, c)| JsonEdit::RemoveChild(n, c)),
    ]
}

fn json_edited(seeds: Arc<[Seed]>) -> impl Strategy<Value = Input> {
    (any::<Index>(), vec(json_edit(), 1..3)).prop_map(move |(seed, edits)| {
        let seed = seed.get(&seeds);
        let bytes = match serde_json::from_slice::<Value>(&seed.bytes) {
            Ok(mut doc) => {
                let mut raw = Vec::new();
                for edit in &edits {
                    apply_json(&mut doc, edit, &mut raw);
                }
                // Placeholders stand for what a `Value` cannot hold (repeated keys, numbers
                // out of range, invalid escapes): written as raw text after serialising.
                let mut text = doc.to_string();
                for (placeholder, raw) in raw.iter().enumerate().rev() {
                    text = text.replace(&placeholder_json(placeholder), raw);
                }
                text.into_bytes()
            }
            Err(_) => seed.bytes.clone(),
        };
        Input {
            bytes,
            made: format!("{} with {edits:?}", seed.name),
        }
    })
}

fn placeholder(n: usize) -> String {
    format!("\u{1}{n}\u{1}")
}

fn placeholder_json(n: usize) -> String {
    Value::String(placeholder(n)).to_string()
}

/// Stands `raw` (JSON text) in for a new placeholder string.
fn hold(raw: &mut Vec<String>, text: String) -> Value {
    raw.push(text);
    Value::String(placeholder(raw.len() - 1))
}

fn apply_json(doc: &mut Value, edit: &JsonEdit, raw: &mut Vec<String>) {
    match edit {
        JsonEdit::Replace(node, value) => {
            let value = hold(raw, value.get(json_values()).clone());
            if let Some(n) = pick(doc, node, |_| true) {
                *n = value;
            }
        }
        JsonEdit::ReplaceAlike(node, value) => {
            // A string by a string, a number by a number: past the type checks, into the rules.
            if let Some(n) = pick(doc, node, |v| v.is_string() || v.is_number()) {
                let alike: Vec<&String> = json_values()
                    .iter()
                    .filter(|v| v.starts_with('"') == n.is_string())
                    .filter(|v| {
                        n.is_string() || v.starts_with(|c: char| c == '-' || c.is_ascii_digit())
                    })
                    .collect();
                *n = hold(raw, (*value.get(&alike)).clone());
            }
        }
        JsonEdit::AddKey(node, key, value) => {
            let value = hold(raw, value.get(json_values()).clone());
            if let Some(Value::Object(map)) = pick(doc, node, Value::is_object) {
                // An existing key repeats the field; the others are names bodies use.
                let mut names: Vec<String> = map.keys().cloned().collect();
                names.extend(["c", "id", "site", "inputs", "__proto__", ""].map(String::from));
                let name = key.get(&names).clone();
                let key = hold(raw, Value::String(name).to_string());
                if let Value::String(key) = key {
                    map.insert(key, value);
                }
            }
        }
        JsonEdit::Repeat(node, count) => {
            if let Some(Value::Array(items)) = pick(doc, node, Value::is_array) {
                if let Some(first) = items.first().cloned() {
                    items.extend(std::iter::repeat_n(first, usize::from(*count)));
                }
            }
        }
        JsonEdit::RemoveChild(node, child) => {
            match pick(doc, node, |v| v.is_array() || v.is_object()) {
                Some(Value::Array(items)) if !items.is_empty() => {
                    items.remove(child.index(items.len()));
                }
                Some(Value::Object(map)) if !map.is_empty() => {
                    let key = child.get(&map.keys().cloned().collect::<Vec<_>>()).clone();
                    map.remove(&key);
                }
                _ => {}
            }
        }
    }
}

/// The `index`-th node (in document order) for which `kind` holds.
fn pick<'a>(doc: &'a mut Value, index: &Index, kind: fn(&Value) -> bool) -> Option<&'a mut Value> {
    let count = count(doc, kind);
    let mut n = at(index, count)?;
    find(doc, kind, &mut n)
}

fn count(v: &Value, kind: fn(&Value) -> bool) -> usize {
    usize::from(kind(v))
        + match v {
            Value::Array(items) => items.iter().map(|i| count(i, kind)).sum(),
            Value::Object(map) => map.values().map(|i| count(i, kind)).sum(),
            _ => 0,
        }
}

fn find<'a>(v: &'a mut Value, kind: fn(&Value) -> bool, n: &mut usize) -> Option<&'a mut Value> {
    if kind(v) {
        if *n == 0 {
            return Some(v);
        }
        *n -= 1;
    }
    match v {
        Value::Array(items) => items.iter_mut().find_map(|i| find(i, kind, n)),
        Value::Object(map) => map.values_mut().find_map(|i| find(i, kind, n)),
        _ => None,
    }
}

/// Interesting JSON values (as text, so that out-of-range numbers and invalid escapes can be
/// written too).
fn json_values() -> &'static [String] {
    static VALUES: OnceLock<Vec<String>> = OnceLock::new();
    VALUES.get_or_init(|| {
        let mut out: Vec<String> = [
            "null",
            "true",
            "false",
            "0",
            "-1",
            "1",
            "1.5",
            "-0.0",
            "1e308",
            "1e400",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "9223372036854775807",
            "253402300800000",
            "\"\"",
            "\" \"",
            "\"\\u0000\"",
            "\"a\\u0000b\"",
            "\"\\ud800\"",
            "\"\\udfff\\ud800\"",
            "\"😀\"",
            "\"\\ud83d\\ude00\"",
            "[]",
            "{}",
            "[null]",
            "{\"a\":\"b\"}",
            "{\"\":\"\"}",
            "\"2024-05-01T12:00:00Z\"",
            "\"2024-05-01T12:00:00+25:00\"",
            "\"1714564799000\"",
            "\"-5\"",
            "\"soon\"",
            "\"00000000-0000-4000-8000-000000000001\"",
            "\"signup\"",
            "\"$pageview\"",
            "\"$identify\"",
            "\"pe1234567_signup\"",
            "\"Signup\"",
            "\"attr:data-x\"",
            "\"text\"",
            "\"click\"",
            "\"pageview\"",
            "\"pattern\"",
            "\"*\"",
            "\"\\t\\n\\\\\"",
            "\"Grace@Example.com\"",
            "\"a@b\\u0000.c\"",
            "\"COMPANY\"",
            "\"enumeration\"",
            "\"'; DROP TABLE events; --\"",
            "\"../../etc/passwd\"",
            "\"%s%n\"",
            "\"<script>alert(1)</script>\"",
            "[{\"label\":\"A\",\"value\":\"a\"}]",
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        out.extend([
            format!("\"{}\"", "a".repeat(257)),
            format!("\"{}\"", "u".repeat(1025)),
            format!("\"{}\"", "x".repeat(70_000)),
            format!("\"{}\"", "😀".repeat(200)),
            format!("{}1{}", "[".repeat(127), "]".repeat(127)),
            format!("{}1{}", "[".repeat(200), "]".repeat(200)),
            format!("{}1{}", "{\"a\":".repeat(127), "}".repeat(127)),
            format!(
                "{{{}}}",
                (0..60)
                    .map(|i| format!("\"p{i}\":\"v\""))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            format!("[{}]", vec!["null"; 600].join(",")),
            format!("[{}]", vec!["{}"; 501].join(",")),
        ]);
        out
    })
}
