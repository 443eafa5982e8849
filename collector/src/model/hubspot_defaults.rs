//! HubSpot's default event properties (`hs_city`, `hs_page_url`, …), which every definition
//! accepts unless it was created with `"includeDefaultProperties": false`.
//!
//! They exist so that requests written for HubSpot — its documentation's examples included —
//! are accepted unchanged. The table is HubSpot's published list; `hs_language`'s options are
//! not published, so it is read as a string.

use super::PropertyType;

/// Option values of `hs_device_type`.
const DEVICE_TYPES: &[&str] = &[
    "Game Console",
    "PDA",
    "Personal Computer",
    "Desktop",
    "Smartphone",
    "Smart TV",
    "Tablet",
    "Wearable Computer",
    "Unknown",
];

/// Option values of `hs_page_content_type`.
const PAGE_CONTENT_TYPES: &[&str] = &[
    "BLOG_POST",
    "KNOWLEDGE_ARTICLE",
    "LANDING_PAGE",
    "LISTING_PAGE",
    "STANDARD_PAGE",
    "WEB_INTERACTIVE",
];

const NUMBERS: &[&str] = &["hs_screen_height", "hs_screen_width"];

const STRINGS: &[&str] = &[
    "hs_browser",
    "hs_city",
    "hs_country",
    "hs_element_class",
    "hs_element_id",
    "hs_element_text",
    "hs_language",
    "hs_link_href",
    "hs_page_id",
    "hs_page_title",
    "hs_page_url",
    "hs_region",
    "hs_referrer",
    "hs_user_agent",
    "hs_utm_campaign",
    "hs_utm_medium",
    "hs_utm_source",
    "hs_utm_content",
    "hs_utm_term",
    "hs_operating_system",
    "hs_operating_version",
    "hs_asset_description",
    "hs_asset_type",
    "hs_asset_title",
    "hs_campaign_id",
    "hs_device_name",
    "hs_touchpoint_source",
    "hs_tracking_name",
    "hs_parent_module_id",
];

/// The type of the default property `name`, and its option values when it is an enumeration.
pub fn lookup(name: &str) -> Option<(PropertyType, &'static [&'static str])> {
    match name {
        "hs_device_type" => Some((PropertyType::Enumeration, DEVICE_TYPES)),
        "hs_page_content_type" => Some((PropertyType::Enumeration, PAGE_CONTENT_TYPES)),
        _ if NUMBERS.contains(&name) => Some((PropertyType::Number, &[])),
        _ if STRINGS.contains(&name) => Some((PropertyType::String, &[])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_hubspots_defaults_and_nothing_else() {
        assert_eq!(lookup("hs_city"), Some((PropertyType::String, &[][..])));
        assert_eq!(
            lookup("hs_screen_width").map(|l| l.0),
            Some(PropertyType::Number)
        );
        assert!(lookup("hs_device_type").is_some_and(|(_, o)| o.contains(&"Smartphone")));
        assert_eq!(lookup("hs_whatever"), None);
        assert_eq!(lookup("city"), None);
    }
}
