//! Default properties (SPEC §2): what every event says about the page it happened on.
//!
//! The browser shell reads the raw facts once per page into a [`PageInfo`]; turning them into
//! properties (path from the URL, UTM parameters from its query, limits) is pure and tested here.

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
    /// A path set with `setPath`, used instead of the URL's own.
    pub path_override: Option<String>,
    /// `screen.width` and `screen.height` in CSS pixels.
    pub screen: (u32, u32),
    /// `navigator.language`.
    pub language: String,
}

/// The UTM parameters copied from the page URL, with their property names.
const UTM: [&str; 5] = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

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
    let path = match &page.path_override {
        Some(p) => p.clone(),
        None => url_path(&page.href).to_owned(),
    };
    put("path", path);
    if page.screen != (0, 0) {
        put("screen_width", int_string(page.screen.0.into()));
        put("screen_height", int_string(page.screen.1.into()));
    }
    put("language", page.language.clone());
    for (name, value) in query_pairs(url_query(&page.href)) {
        if UTM.contains(&name.as_str()) && !props.iter().any(|(n, _)| *n == name) {
            props.push((name.clone(), clip_value(&name, value, &mut |_| {})));
        }
    }
    props
}

/// The path of an absolute URL (`/` when it has none), without query or fragment.
pub fn url_path(href: &str) -> &str {
    // Byte scan rather than `find("://")`, whose substring searcher costs 1.5 KB of wasm.
    let after_scheme = match href.as_bytes().windows(3).position(|w| w == b"://") {
        Some(i) => &href[i + 3..],
        None => href,
    };
    let rest = match after_scheme.find(['/', '?', '#']) {
        Some(i) => &after_scheme[i..],
        None => "",
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    match &rest[..end] {
        "" => "/",
        path => path,
    }
}

/// The query of a URL without its `?`, or "".
pub fn url_query(href: &str) -> &str {
    let without_fragment = href.split('#').next().unwrap_or("");
    match without_fragment.split_once('?') {
        Some((_, q)) => q,
        None => "",
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded as `URLSearchParams` would.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k), percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    // Invalid UTF-8 after decoding: keep the text as it was written rather than guess.
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(href: &str) -> PageInfo {
        PageInfo {
            href: href.into(),
            referrer: "https://search.example/?q=x".into(),
            title: "Pricing".into(),
            path_override: None,
            screen: (1280, 720),
            language: "da-DK".into(),
        }
    }

    fn get<'a>(props: &'a Props, name: &str) -> Option<&'a str> {
        props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_default_property_is_filled() {
        let props = default_properties(&page("https://shop.example/pricing?utm_source=news&utm_campaign=black%20friday&x=1#top"));
        assert_eq!(get(&props, "url"), Some("https://shop.example/pricing?utm_source=news&utm_campaign=black%20friday&x=1#top"));
        assert_eq!(get(&props, "referrer"), Some("https://search.example/?q=x"));
        assert_eq!(get(&props, "title"), Some("Pricing"));
        assert_eq!(get(&props, "path"), Some("/pricing"));
        assert_eq!(get(&props, "screen_width"), Some("1280"));
        assert_eq!(get(&props, "screen_height"), Some("720"));
        assert_eq!(get(&props, "language"), Some("da-DK"));
        assert_eq!(get(&props, "utm_source"), Some("news"));
        assert_eq!(get(&props, "utm_campaign"), Some("black friday"));
        assert_eq!(get(&props, "x"), None);
    }

    #[test]
    fn set_path_overrides_the_url_path() {
        let mut p = page("https://shop.example/app#/cart");
        p.path_override = Some("/cart".into());
        assert_eq!(get(&default_properties(&p), "path"), Some("/cart"));
    }

    #[test]
    fn empty_facts_are_left_out_and_values_clipped() {
        let p = PageInfo { href: format!("https://a.example/{}", "x".repeat(2000)), title: "t".repeat(300), ..PageInfo::default() };
        let props = default_properties(&p);
        assert_eq!(get(&props, "referrer"), None);
        assert_eq!(get(&props, "screen_width"), None);
        assert_eq!(get(&props, "url").map(str::len), Some(1024));
        assert_eq!(get(&props, "title").map(str::len), Some(256));
        assert_eq!(get(&props, "path").map(str::len), Some(256));
    }

    #[test]
    fn paths_and_queries_are_found() {
        assert_eq!(url_path("https://a.example"), "/");
        assert_eq!(url_path("https://a.example?x=1"), "/");
        assert_eq!(url_path("https://a.example/a/b?x=1#f"), "/a/b");
        assert_eq!(url_query("https://a.example/?a=1#b?c"), "a=1");
        let pairs: Vec<_> = query_pairs("a=%E2%82%AC&b=x+y&c&d=%zz&e=%4&f=%FF").collect();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "€".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into()),
                ("d".into(), "%zz".into()),
                ("e".into(), "%4".into()),
                ("f".into(), "%FF".into()),
            ]
        );
    }
}
