//! Property tests of the JS-side limits (SPEC §3): whatever a page passes, the tracker's output
//! stays inside every limit, holds no lone surrogate, and is the same for the same input.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use wasmtrack_core::limits::{check_name, js_len, truncate_js, value_limit, MAX_PROPERTIES};
use wasmtrack_core::properties::clean_properties;
use wasmtrack_core::value::RawValue;

/// Any JS string: arbitrary UTF-16 code units, lone surrogates included, read the way the
/// wasm boundary reads them (lossily, as `TextEncoder` does).
fn js_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u16>(), 0..1200)
            .prop_map(|units| String::from_utf16_lossy(&units)),
        ".{0,300}",
        "[a-zA-Z_][a-zA-Z0-9_]{0,70}",
        "(😀|a|é){0,400}",
    ]
}

fn raw_value() -> impl Strategy<Value = RawValue> {
    let leaf = prop_oneof![
        js_string().prop_map(RawValue::Str),
        any::<f64>().prop_map(|n| RawValue::Num(n.to_string())),
        any::<bool>().prop_map(RawValue::Bool),
        any::<f64>().prop_map(RawValue::Date),
        Just(RawValue::Null),
        Just(RawValue::Nested),
    ];
    leaf.prop_recursive(2, 16, 6, |inner| {
        prop::collection::vec(inner, 0..6).prop_map(RawValue::Array)
    })
}

fn property_map() -> impl Strategy<Value = Vec<(String, RawValue)>> {
    prop::collection::vec((js_string(), raw_value()), 0..90)
}

fn no_lone_surrogate(s: &str) -> bool {
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16(&units).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn truncation_is_the_longest_prefix_within_the_limit(s in js_string(), max in 0usize..1100) {
        let cut = truncate_js(&s, max);
        prop_assert!(js_len(cut) <= max);
        prop_assert!(s.starts_with(cut));
        prop_assert!(no_lone_surrogate(cut));
        if let Some(next) = s[cut.len()..].chars().next() {
            prop_assert!(js_len(cut) + next.len_utf16() > max, "a longer prefix would have fit");
        }
    }

    #[test]
    fn cleaned_properties_stay_inside_every_limit(entries in property_map()) {
        let props = clean_properties(entries.clone(), &mut |_, _| {});
        prop_assert!(props.len() <= MAX_PROPERTIES);
        for (i, (name, value)) in props.iter().enumerate() {
            prop_assert_eq!(check_name(name), Ok(()));
            prop_assert!(js_len(value) <= value_limit(name));
            prop_assert!(no_lone_surrogate(value));
            prop_assert!(props[..i].iter().all(|(other, _)| other != name), "duplicate name {}", name);
        }
    }

    #[test]
    fn cleaning_is_deterministic(entries in property_map()) {
        let mut first_warnings = Vec::new();
        let first = clean_properties(entries.clone(), &mut |w, n: &str| first_warnings.push((w, n.to_owned())));
        let mut second_warnings = Vec::new();
        let second = clean_properties(entries, &mut |w, n: &str| second_warnings.push((w, n.to_owned())));
        prop_assert_eq!(first, second);
        prop_assert_eq!(first_warnings, second_warnings);
    }

    #[test]
    fn the_first_fifty_usable_properties_are_kept(n in 0usize..120) {
        let entries: Vec<(String, RawValue)> = (0..n).map(|i| (format!("p{i}"), RawValue::Str("v".into()))).collect();
        let props = clean_properties(entries, &mut |_, _| {});
        prop_assert_eq!(props.len(), n.min(MAX_PROPERTIES));
        for (i, (name, _)) in props.iter().enumerate() {
            prop_assert_eq!(name, &format!("p{i}"));
        }
    }
}
