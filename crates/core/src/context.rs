//! Default properties (SPEC §2): what every event says about the page it happened on.
//!
//! The browser shell reads the raw facts once per page into a [`PageInfo`] (the URL's path and
//! query parameters as the browser's own URL parser decodes them); which of them become
//! properties, under which names and limits, is decided here.

use super::payload::int_string;
use super::properties::{clip_value, Props};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// Facts about the current page, as the browser reports them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageInfo {
    /// `location.href`.
    pub href: String,
    /// `document.referrer`.
    pub referrer: String,
    /// `document.title`.
    pub title: String,
    /// The URL's path (`URL.pathname`).
    pub path: String,
    /// A path set with `setPath`, used instead of the URL's own.
    pub path_override: Option<String>,
    /// The URL's query parameters named `utm_…`, decoded (`URLSearchParams`), in order.
    pub utm: Vec<(String, String)>,
    /// `screen.width` and `screen.height` in CSS pixels.
    pub screen: (u32, u32),
    /// `navigator.language`.
    pub language: String,
}

/// The UTM parameters copied from the page URL, with their property names.
const UTM: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// Every default property an event may carry, in the order [`default_properties`] writes
/// them (the analyst app lists them; the tracker sends those the page has).
pub const DEFAULT_PROPERTY_NAMES: [&str; 12] = [
    "url",
    "referrer",
    "title",
    "path",
    "screen_width",
    "screen_height",
    "language",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// The default properties of an event on `page`. Empty facts are left out (bytes on the wire).
pub fn default_properties(page: &PageInfo) -> Props {
    let mut props: Props = Vec::with_capacity(8);
    let mut put = |name: &str, value: String| {
        if !value.is_empty() {
            let value = clip_value(name, value, &mut |_| {});
            props.push((name.to_owned(), value));
        }
    };
    put("url", page.href.clone());
    put("referrer", page.referrer.clone());
    put("title", page.title.clone());
    put(
        "path",
        page.path_override.as_ref().unwrap_or(&page.path).clone(),
    );
    if page.screen != (0, 0) {
        put("screen_width", int_string(page.screen.0.into()));
        put("screen_height", int_string(page.screen.1.into()));
    }
    put("language", page.language.clone());
    for (name, value) in &page.utm {
        if UTM.contains(&name.as_str()) && !props.iter().any(|(n, _)| n == name) {
            props.push((name.clone(), clip_value(name, value.clone(), &mut |_| {})));
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_property_names_are_the_ones_written() {
        assert_eq!(&DEFAULT_PROPERTY_NAMES[7..], &UTM[..]);
        let page = PageInfo {
            href: "https://x.example/a?utm_source=s".into(),
            referrer: "r".into(),
            title: "t".into(),
            path: "/a".into(),
            screen: (1, 2),
            language: "en".into(),
            utm: vec![("utm_source".into(), "s".into())],
            ..PageInfo::default()
        };
        let written: Vec<String> = default_properties(&page)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(
            written
                .iter()
                .all(|n| DEFAULT_PROPERTY_NAMES.contains(&n.as_str())),
            "{written:?}"
        );
    }

    fn page(href: &str) -> PageInfo {
        PageInfo {
            href: href.into(),
            referrer: "https://search.example/?q=x".into(),
            title: "Pricing".into(),
            path: "/pricing".into(),
            path_override: None,
            utm: vec![
                ("utm_source".into(), "news".into()),
                ("utm_campaign".into(), "black friday".into()),
                ("utm_source".into(), "again".into()),
                ("utm_x".into(), "1".into()),
            ],
            screen: (1280, 720),
            language: "da-DK".into(),
        }
    }

    fn get<'a>(props: &'a Props, name: &str) -> Option<&'a str> {
        props
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_default_property_is_filled() {
        let props = default_properties(&page(
            "https://shop.example/pricing?utm_source=news&utm_campaign=black%20friday&x=1#top",
        ));
        assert_eq!(
            get(&props, "url"),
            Some(
                "https://shop.example/pricing?utm_source=news&utm_campaign=black%20friday&x=1#top"
            )
        );
        assert_eq!(get(&props, "referrer"), Some("https://search.example/?q=x"));
        assert_eq!(get(&props, "title"), Some("Pricing"));
        assert_eq!(get(&props, "path"), Some("/pricing"));
        assert_eq!(get(&props, "screen_width"), Some("1280"));
        assert_eq!(get(&props, "screen_height"), Some("720"));
        assert_eq!(get(&props, "language"), Some("da-DK"));
        assert_eq!(get(&props, "utm_source"), Some("news"));
        assert_eq!(get(&props, "utm_campaign"), Some("black friday"));
        assert_eq!(get(&props, "utm_x"), None, "only the five UTM parameters");
        assert_eq!(
            props.iter().filter(|(n, _)| n == "utm_source").count(),
            1,
            "the first of a repeated one"
        );
    }

    #[test]
    fn set_path_overrides_the_url_path() {
        let mut p = page("https://shop.example/app#/cart");
        p.path_override = Some("/cart".into());
        assert_eq!(get(&default_properties(&p), "path"), Some("/cart"));
    }

    #[test]
    fn empty_facts_are_left_out_and_values_clipped() {
        let p = PageInfo {
            href: format!("https://a.example/{}", "x".repeat(2000)),
            title: "t".repeat(300),
            path: format!("/{}", "x".repeat(2000)),
            ..PageInfo::default()
        };
        let props = default_properties(&p);
        assert_eq!(get(&props, "referrer"), None);
        assert_eq!(get(&props, "screen_width"), None);
        assert_eq!(get(&props, "url").map(str::len), Some(1024));
        assert_eq!(get(&props, "title").map(str::len), Some(256));
        assert_eq!(get(&props, "path").map(str::len), Some(256));
    }
}
