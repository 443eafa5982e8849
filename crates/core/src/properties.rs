//! The JS semantics of SPEC §3: a property object becomes at most 50 clean name/value pairs.
//!
//! Nothing here fails: every name or value that does not fit is cut or dropped, and each cut
//! or drop is reported through the `warn` callback with the (original) name it concerns.

use super::limits::{check_name_chars, truncate_js, value_limit, MAX_NAME_LEN, MAX_PROPERTIES};
use super::value::{to_wire_string, RawValue};
use super::warning::Warning;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// Name/value pairs in the order they were given.
pub type Props = Vec<(String, String)>;

/// Lowercases and truncates an event or property name.
///
/// `Err` when the lowercased name does not start with a letter or holds a character outside
/// `a-z0-9_` (anywhere, even past the cut, so that truncation never turns a bad name into an
/// accepted one). `Ok((name, truncated))` otherwise.
pub fn normalize_name(raw: &str) -> Result<(String, bool), Warning> {
    let lower = raw.to_ascii_lowercase();
    if check_name_chars(&lower).is_err() {
        return Err(Warning::InvalidPropertyName);
    }
    let cut = truncate_js(&lower, MAX_NAME_LEN);
    let truncated = cut.len() != lower.len();
    Ok((cut.to_owned(), truncated))
}

/// Cleans the entries of a property object, in the object's own key order.
///
/// The input is an iterator so the browser shell reads only as many JS properties as can be
/// kept: after the 50th kept property it stops and reports [`Warning::TooManyProperties`] once.
pub fn clean_properties<I, W>(entries: I, warn: &mut W) -> Props
where
    I: IntoIterator<Item = (String, RawValue)>,
    W: FnMut(Warning, &str),
{
    let mut kept: Props = Vec::new();
    for (key, raw) in entries {
        if kept.len() == MAX_PROPERTIES {
            warn(Warning::TooManyProperties, &key);
            break;
        }
        let name = match normalize_name(&key) {
            Ok((name, truncated)) => {
                if truncated {
                    warn(Warning::NameTruncated, &key);
                }
                name
            }
            Err(w) => {
                warn(w, &key);
                continue;
            }
        };
        let value = match to_wire_string(raw) {
            Ok(Some(value)) => value,
            Ok(None) => continue,
            Err(w) => {
                warn(w, &key);
                continue;
            }
        };
        if kept.iter().any(|(n, _)| *n == name) {
            warn(Warning::DuplicatePropertyName, &key);
            continue;
        }
        let value = clip_value(&name, value, &mut |w| warn(w, &key));
        kept.push((name, value));
    }
    kept
}

/// Cuts `value` to the limit of the property `name`, reporting when it did.
pub fn clip_value(name: &str, mut value: String, warn: &mut impl FnMut(Warning)) -> String {
    let cut = truncate_js(&value, value_limit(name)).len();
    if cut != value.len() {
        value.truncate(cut);
        warn(Warning::ValueTruncated);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(entries: Vec<(&str, RawValue)>) -> (Props, Vec<(Warning, String)>) {
        let mut warnings = Vec::new();
        let props = clean_properties(
            entries.into_iter().map(|(k, v)| (k.to_owned(), v)),
            &mut |w, name: &str| warnings.push((w, name.to_owned())),
        );
        (props, warnings)
    }

    fn s(v: &str) -> RawValue {
        RawValue::Str(v.into())
    }

    #[test]
    fn names_are_lowercased_and_bad_ones_dropped() {
        let (props, warnings) = clean(vec![
            ("Plan", s("pro")),
            ("2x", s("a")),
            ("ok-no", s("b")),
            ("seats", RawValue::Num("3".into())),
        ]);
        assert_eq!(
            props,
            vec![("plan".into(), "pro".into()), ("seats".into(), "3".into())]
        );
        assert_eq!(
            warnings,
            vec![
                (Warning::InvalidPropertyName, "2x".into()),
                (Warning::InvalidPropertyName, "ok-no".into())
            ]
        );
    }

    #[test]
    fn the_first_of_duplicate_names_wins() {
        let (props, warnings) = clean(vec![
            ("Color", s("red")),
            ("color", s("blue")),
            ("COLOR", s("green")),
        ]);
        assert_eq!(props, vec![("color".into(), "red".into())]);
        assert_eq!(warnings.len(), 2);
        assert!(warnings
            .iter()
            .all(|(w, _)| *w == Warning::DuplicatePropertyName));
    }

    #[test]
    fn a_dropped_null_does_not_shadow_a_later_duplicate() {
        let (props, _) = clean(vec![("Color", RawValue::Null), ("color", s("blue"))]);
        assert_eq!(props, vec![("color".into(), "blue".into())]);
    }

    #[test]
    fn long_names_and_values_are_cut() {
        let long_name = "a".repeat(60);
        let (props, warnings) = clean(vec![
            (&long_name, s(&"v".repeat(300))),
            ("page_url", s(&"u".repeat(2000))),
        ]);
        assert_eq!(props[0].0, "a".repeat(50));
        assert_eq!(props[0].1, "v".repeat(256));
        assert_eq!(props[1].1, "u".repeat(1024));
        assert_eq!(
            warnings.iter().map(|(w, _)| *w).collect::<Vec<_>>(),
            vec![
                Warning::NameTruncated,
                Warning::ValueTruncated,
                Warning::ValueTruncated
            ]
        );
    }

    #[test]
    fn only_the_first_fifty_properties_are_kept() {
        let names: Vec<String> = (0..60).map(|i| format!("p{i}")).collect();
        let (props, warnings) = clean(names.iter().map(|n| (n.as_str(), s("x"))).collect());
        assert_eq!(props.len(), 50);
        assert_eq!(props[49].0, "p49");
        assert_eq!(warnings, vec![(Warning::TooManyProperties, "p50".into())]);
    }

    #[test]
    fn nested_objects_are_dropped_with_a_warning() {
        let (props, warnings) = clean(vec![("a", RawValue::Nested), ("b", s("kept"))]);
        assert_eq!(props, vec![("b".into(), "kept".into())]);
        assert_eq!(warnings, vec![(Warning::NestedValueDropped, "a".into())]);
    }
}
