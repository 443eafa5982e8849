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

/// The internal name for a label a person typed — the one rule the visualizer's overlay, the
/// collector's API (a definition or rule saved without a name) and the snippet follow: ASCII
/// letters lowercased, each run of other characters one `_` (none at either end), `e_` in
/// front of a leading digit so the name starts with a letter, at most 50 characters. `None`
/// when nothing of the label is left ("!!!"). It keeps HubSpot's documented example,
/// `"Clicked CTA"` → `clicked_cta`, and is kinder than HubSpot where HubSpot would refuse the
/// result (a leading digit) or keep `_` runs (`"Viewed  /pricing"`).
pub fn name_from_label(label: &str) -> Option<String> {
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
    (!name.is_empty()).then_some(name)
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

    /// The examples every user of the rule sees: the overlay's suggestion, the API's name for
    /// a body without one, the snippet's.
    #[test]
    fn names_come_from_labels_by_one_rule() {
        let name = |label: &str| name_from_label(label);
        assert_eq!(name("Clicked CTA").as_deref(), Some("clicked_cta"));
        assert_eq!(
            name("Start free trial!").as_deref(),
            Some("start_free_trial")
        );
        assert_eq!(
            name("  Viewed  /pricing ").as_deref(),
            Some("viewed_pricing")
        );
        assert_eq!(name("2nd step").as_deref(), Some("e_2nd_step"));
        assert_eq!(name("2024 promo").as_deref(), Some("e_2024_promo"));
        assert_eq!(
            name("already_snake_case").as_deref(),
            Some("already_snake_case")
        );
        assert_eq!(name("Café").as_deref(), Some("caf"));
        assert_eq!(name("!!!"), None);
        assert_eq!(name(""), None);
        assert_eq!(name(&"a".repeat(80)).map(|n| n.len()), Some(50));
        assert_eq!(
            name(&format!("{} b", "a".repeat(49))).as_deref(),
            Some(&*"a".repeat(49))
        );
        for label in ["Clicked Buy now", "2nd step", "x—y", "__a__"] {
            assert_eq!(check_name_chars(&name(label).unwrap()), Ok(()), "{label}");
        }
    }

    #[test]
    fn builtins_cannot_be_custom_names() {
        assert!(is_builtin(PAGE_VIEW) && is_builtin(IDENTIFY));
        assert!(check_name_chars(PAGE_VIEW).is_err());
    }
}
