//! Event names, and the names of the events the tracker itself emits.

use super::limits::{check_name_chars, truncate_js, MAX_NAME_LEN};
use super::warning::Warning;
use alloc::borrow::ToOwned;
use alloc::string::String;

/// Built-in page view event (`trackPageView`). `$` cannot start a custom name, so built-ins
/// never collide with a definition.
pub const PAGE_VIEW: &str = "$pageview";
/// Built-in identify event: links the visitor id to the email or id given to `identify`.
pub const IDENTIFY: &str = "$identify";

/// Whether `name` is one of the tracker's built-in events.
pub fn is_builtin(name: &str) -> bool {
    name == PAGE_VIEW || name == IDENTIFY
}

/// An internal name for a label a person typed: lowercase, each run of characters outside
/// `a-z0-9` becomes one `_`, at most 50 characters, starting with a letter (`e_` is put in front
/// of a leading digit). "Start free trial!" → `start_free_trial`.
pub fn suggest_name(label: &str) -> String {
    let mut name = String::with_capacity(label.len());
    for c in label.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if name.is_empty() && c.is_ascii_digit() {
                name.push_str("e_");
            }
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
        if name.len() >= MAX_NAME_LEN {
            break;
        }
    }
    name.truncate(MAX_NAME_LEN);
    while name.ends_with('_') {
        name.pop();
    }
    name
}

/// Normalizes the `name` given to `trackCustomBehavioralEvent`: trimmed (ASCII whitespace; any
/// other is an invalid character), lowercased, cut to 50.
///
/// A name with characters outside `a-z0-9_` is still sent (with a warning): the collector
/// answers with the reason and keeps it in its rejected-events list, where a site owner sees
/// it. Only an empty name is not tracked.
pub fn event_name(raw: &str, warn: &mut impl FnMut(Warning)) -> Option<String> {
    let lower = raw.trim_ascii().to_ascii_lowercase();
    if lower.is_empty() {
        warn(Warning::MissingEventName);
        return None;
    }
    if check_name_chars(&lower).is_err() {
        warn(Warning::InvalidEventName);
    }
    let cut = truncate_js(&lower, MAX_NAME_LEN);
    if cut.len() != lower.len() {
        warn(Warning::NameTruncated);
    }
    Some(cut.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> (Option<String>, Vec<Warning>) {
        let mut w = Vec::new();
        (event_name(raw, &mut |x| w.push(x)), w)
    }

    #[test]
    fn names_are_lowercased_and_cut() {
        assert_eq!(name(" Signup "), (Some("signup".into()), vec![]));
        assert_eq!(
            name(&"e".repeat(80)),
            (Some("e".repeat(50)), vec![Warning::NameTruncated])
        );
    }

    #[test]
    fn odd_names_are_sent_with_a_warning_and_empty_ones_dropped() {
        assert_eq!(
            name("Clicked CTA"),
            (Some("clicked cta".into()), vec![Warning::InvalidEventName])
        );
        assert_eq!(name("  "), (None, vec![Warning::MissingEventName]));
    }

    #[test]
    fn names_are_suggested_from_labels() {
        assert_eq!(suggest_name("Start free trial!"), "start_free_trial");
        assert_eq!(suggest_name("  Viewed  /pricing "), "viewed_pricing");
        assert_eq!(suggest_name("2024 promo"), "e_2024_promo");
        assert_eq!(suggest_name("Café"), "caf");
        assert_eq!(suggest_name("!!!"), "");
        assert_eq!(suggest_name(&"a".repeat(80)).len(), 50);
        assert_eq!(check_name_chars(&suggest_name("Clicked Buy now")), Ok(()));
    }

    #[test]
    fn builtins_cannot_be_custom_names() {
        assert!(is_builtin(PAGE_VIEW) && is_builtin(IDENTIFY));
        assert!(check_name_chars(PAGE_VIEW).is_err());
    }
}
