//! Turning a JavaScript property value into the string the wire carries (SPEC §3 "Values").
//!
//! The browser shell reads each JS value into a [`RawValue`] (numbers arrive already in their
//! JS string form, so `0.1 + 0.2` reads as JavaScript prints it); everything after that is here.

use super::warning::Warning;
use alloc::string::String;
use alloc::vec::Vec;

/// A JS value as the browser shell read it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// A string, as it is.
    Str(String),
    /// A number or bigint, already in JavaScript's `String(n)` form.
    Num(String),
    /// A boolean.
    Bool(bool),
    /// A `Date`, as epoch milliseconds (`NaN` for an invalid date).
    Date(f64),
    /// An array of values.
    Array(Vec<RawValue>),
    /// `null` or `undefined`.
    Null,
    /// A plain object, function or symbol: nothing a property can hold.
    Nested,
}

/// The wire form of `value`: `Ok(None)` means "dropped quietly" (`null`/`undefined`).
pub fn to_wire_string(value: RawValue) -> Result<Option<String>, Warning> {
    Ok(match value {
        RawValue::Str(s) | RawValue::Num(s) => Some(s),
        RawValue::Bool(b) => Some(if b { "true" } else { "false" }.into()),
        RawValue::Date(ms) => Some(date_string(ms)?),
        RawValue::Array(items) => {
            let mut joined = String::new();
            join_into(items, &mut joined)?;
            Some(joined)
        }
        RawValue::Null => None,
        RawValue::Nested => return Err(Warning::NestedValueDropped),
    })
}

fn date_string(ms: f64) -> Result<String, Warning> {
    if !ms.is_finite() {
        return Err(Warning::InvalidDateDropped);
    }
    // Dates hold whole milliseconds; the cast is exact within JS's ±8.64e15 range.
    Ok(super::payload::int_string(ms as i64))
}

/// Arrays become `;`-separated values, the form the collector reads as a multi-value.
/// Nested arrays flatten; `null` items are skipped; an object inside drops the whole value,
/// because a partial list would silently change its meaning.
fn join_into(items: Vec<RawValue>, out: &mut String) -> Result<(), Warning> {
    for item in items {
        let text = match item {
            RawValue::Array(inner) => {
                let mut nested = String::new();
                join_into(inner, &mut nested)?;
                if nested.is_empty() {
                    continue;
                }
                nested
            }
            other => match to_wire_string(other)? {
                Some(text) => text,
                None => continue,
            },
        };
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(&text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> RawValue {
        RawValue::Str(v.into())
    }

    #[test]
    fn scalars_become_their_string_form() {
        assert_eq!(to_wire_string(s("x")), Ok(Some("x".into())));
        assert_eq!(
            to_wire_string(RawValue::Num("0.30000000000000004".into())),
            Ok(Some("0.30000000000000004".into()))
        );
        assert_eq!(
            to_wire_string(RawValue::Bool(true)),
            Ok(Some("true".into()))
        );
        assert_eq!(
            to_wire_string(RawValue::Bool(false)),
            Ok(Some("false".into()))
        );
    }

    #[test]
    fn dates_become_epoch_milliseconds() {
        assert_eq!(
            to_wire_string(RawValue::Date(1_700_000_000_123.0)),
            Ok(Some("1700000000123".into()))
        );
        assert_eq!(to_wire_string(RawValue::Date(-1.0)), Ok(Some("-1".into())));
        assert_eq!(
            to_wire_string(RawValue::Date(f64::NAN)),
            Err(Warning::InvalidDateDropped)
        );
    }

    #[test]
    fn arrays_join_with_semicolons() {
        let v = RawValue::Array(vec![
            s("a"),
            RawValue::Num("2".into()),
            RawValue::Null,
            RawValue::Bool(true),
            RawValue::Date(5.0),
        ]);
        assert_eq!(to_wire_string(v), Ok(Some("a;2;true;5".into())));
        let nested = RawValue::Array(vec![
            s("a"),
            RawValue::Array(vec![s("b"), s("c")]),
            RawValue::Array(vec![]),
        ]);
        assert_eq!(to_wire_string(nested), Ok(Some("a;b;c".into())));
        assert_eq!(
            to_wire_string(RawValue::Array(vec![])),
            Ok(Some(String::new()))
        );
    }

    #[test]
    fn null_is_dropped_quietly_and_objects_loudly() {
        assert_eq!(to_wire_string(RawValue::Null), Ok(None));
        assert_eq!(
            to_wire_string(RawValue::Nested),
            Err(Warning::NestedValueDropped)
        );
        assert_eq!(
            to_wire_string(RawValue::Array(vec![s("a"), RawValue::Nested])),
            Err(Warning::NestedValueDropped)
        );
    }
}
