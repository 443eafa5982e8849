//! The limits and naming rules of SPEC §3, written once for both semantics.
//!
//! The tracker truncates with these numbers and the collector rejects with them; both call
//! into this module so that the two sides can never drift apart. Lengths are counted the way
//! JavaScript's `String.prototype.length` counts (UTF-16 code units), because that is what the
//! page author sees, and a cut never splits a surrogate pair.

/// Longest property (and event) name, in UTF-16 code units.
pub const MAX_NAME_LEN: usize = 50;
/// Longest value of an ordinary property, in UTF-16 code units.
pub const MAX_VALUE_LEN: usize = 256;
/// Longest value of a URL or referrer property, in UTF-16 code units.
pub const MAX_URL_VALUE_LEN: usize = 1024;
/// Most properties one event completion may carry.
pub const MAX_PROPERTIES: usize = 50;

/// Length of `s` as JavaScript's `.length` reports it.
pub fn js_len(s: &str) -> usize {
    // UTF-8 never uses fewer bytes than UTF-16 uses code units, so short strings skip the count.
    if s.len() <= MAX_NAME_LEN {
        return s.encode_utf16().count();
    }
    s.chars().map(char::len_utf16).sum()
}

/// The longest prefix of `s` that is at most `max` UTF-16 code units long.
///
/// A character outside the Basic Multilingual Plane is two code units; when only one of them
/// would fit, the whole character is left out rather than leaving half a surrogate pair.
pub fn truncate_js(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut units = 0;
    for (at, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..at];
        }
    }
    s
}

/// Whether a property named `name` holds a URL, and so gets the longer value limit.
///
/// HubSpot's rule, by name, so that tracker and collector agree without a schema: a name that
/// contains `url`, `referrer` or `link` (`url`, `page_url`, `hs_referrer`, `hs_link_href`).
pub fn is_url_property(name: &str) -> bool {
    has(name, "url") || has(name, "referrer") || has(name, "link")
}

// A byte scan rather than `str::contains`, whose substring searcher costs 1.5 KB of wasm.
fn has(name: &str, needle: &str) -> bool {
    name.as_bytes()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The value limit of a property named `name`.
pub fn value_limit(name: &str) -> usize {
    if is_url_property(name) {
        MAX_URL_VALUE_LEN
    } else {
        MAX_VALUE_LEN
    }
}

/// Why a name is not a valid internal name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The first character is not a lowercase ASCII letter.
    BadStart,
    /// A character is outside `a-z`, `0-9` and `_`.
    BadCharacter,
    /// The name is longer than [`MAX_NAME_LEN`].
    TooLong,
}

impl NameError {
    /// A sentence for error messages and warnings.
    pub fn message(self) -> &'static str {
        match self {
            NameError::Empty => "name is empty",
            NameError::BadStart => "name must start with a letter a-z",
            NameError::BadCharacter => "name may contain only a-z, 0-9 and _",
            NameError::TooLong => "name is longer than 50 characters",
        }
    }
}

/// Checks an internal name (event or property): starts with `a-z`, then only `a-z0-9_`,
/// at most [`MAX_NAME_LEN`] characters. Names are never lowercased here: the collector
/// rejects `Color`, and the tracker lowercases before it asks.
pub fn check_name(name: &str) -> Result<(), NameError> {
    check_name_chars(name)?;
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    Ok(())
}

/// [`check_name`] without the length rule, for the tracker, which truncates instead.
pub fn check_name_chars(name: &str) -> Result<(), NameError> {
    let mut bytes = name.bytes();
    match bytes.next() {
        None => return Err(NameError::Empty),
        Some(b'a'..=b'z') => {}
        Some(_) => return Err(NameError::BadStart),
    }
    if bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_')) {
        Ok(())
    } else {
        Err(NameError::BadCharacter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_javascript_length() {
        assert_eq!(js_len("abc"), 3);
        assert_eq!(js_len("é"), 1);
        assert_eq!(js_len("😀"), 2);
        assert_eq!(js_len(&"😀".repeat(40)), 80);
    }

    #[test]
    fn truncation_never_splits_a_surrogate_pair() {
        let s = format!("{}😀tail", "a".repeat(255));
        // The emoji would take units 256 and 257: it is left out whole.
        assert_eq!(truncate_js(&s, 256), "a".repeat(255));
        let s = format!("{}😀tail", "a".repeat(254));
        assert_eq!(truncate_js(&s, 256), format!("{}😀", "a".repeat(254)));
    }

    #[test]
    fn truncation_keeps_short_strings_whole() {
        assert_eq!(truncate_js("é".repeat(256).as_str(), 256), "é".repeat(256));
        assert_eq!(truncate_js("", 0), "");
        assert_eq!(truncate_js("ab", 0), "");
    }

    #[test]
    fn url_properties_get_the_long_limit() {
        assert_eq!(value_limit("url"), 1024);
        assert_eq!(value_limit("referrer"), 1024);
        assert_eq!(value_limit("checkout_url"), 1024);
        assert_eq!(value_limit("hs_link_href"), 1024);
        assert_eq!(value_limit("hs_referrer"), 1024);
        assert_eq!(value_limit("color"), 256);
        assert_eq!(value_limit("title"), 256);
    }

    #[test]
    fn names_follow_the_internal_name_rule() {
        assert_eq!(check_name("plan_2"), Ok(()));
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert_eq!(check_name("2plan"), Err(NameError::BadStart));
        assert_eq!(check_name("_plan"), Err(NameError::BadStart));
        assert_eq!(check_name("Plan"), Err(NameError::BadStart));
        assert_eq!(check_name("plan-b"), Err(NameError::BadCharacter));
        assert_eq!(check_name("plän"), Err(NameError::BadCharacter));
        assert_eq!(check_name(&"a".repeat(50)), Ok(()));
        assert_eq!(check_name(&"a".repeat(51)), Err(NameError::TooLong));
        assert_eq!(check_name_chars(&"a".repeat(51)), Ok(()));
    }
}
