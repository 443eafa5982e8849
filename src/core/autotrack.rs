//! Auto-tracking: the rules a marketer defined in the visualizer, as the tracker applies them.
//!
//! The browser shell reads the collector's rule list into [`AutoRule`]s and asks two questions
//! here: which page-view rules fire for a URL (each once per page view), and which properties a
//! click event carries. Clicks are matched by the shell (`element.closest(selector)`); what a
//! rule's properties are made of is decided here.

use super::properties::{clip_value, Props};
use super::rules::UrlRule;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// Property every click event carries: the clicked element's text.
pub const ELEMENT_TEXT: &str = "element_text";
/// Property every click event carries: the selector of the rule that matched.
pub const SELECTOR: &str = "selector";

/// Where a captured property's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The element's text.
    Text,
    /// An attribute of the element (`attr:data-plan`).
    Attribute(String),
}

impl Source {
    /// Reads `text` or `attr:<name>`.
    pub fn parse(text: &str) -> Option<Source> {
        if text == "text" {
            return Some(Source::Text);
        }
        let name = text.strip_prefix("attr:")?;
        (!name.is_empty()).then(|| Source::Attribute(name.to_owned()))
    }
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A click on (or inside) an element matching the selector.
    Click(String),
    /// A page view whose URL matches.
    PageView(UrlRule),
}

/// One rule of the site.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRule {
    /// The collector's id of the rule.
    pub id: u64,
    /// The event it tracks.
    pub event_name: String,
    /// When it fires.
    pub trigger: Trigger,
    /// Properties captured from the clicked element: (name, source).
    pub properties: Vec<(String, Source)>,
}

/// The page-view rules that fire for `url`, skipping those in `fired` (already fired for this
/// page view), which it extends. Call with an empty `fired` on every new URL.
pub fn page_views<'a>(rules: &'a [AutoRule], url: &str, fired: &mut Vec<u64>) -> Vec<&'a AutoRule> {
    let mut out = Vec::new();
    for rule in rules {
        if let Trigger::PageView(matcher) = &rule.trigger {
            if !fired.contains(&rule.id) && matcher.matches(url) {
                fired.push(rule.id);
                out.push(rule);
            }
        }
    }
    out
}

/// The text of an element as a person reads it: runs of whitespace become one space, and the
/// ends are trimmed (`textContent` keeps the markup's indentation).
pub fn readable_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(512));
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        // Enough for the 256-character limit; the rest would be cut anyway.
        if out.len() > 2048 {
            break;
        }
    }
    out
}

/// The properties of a click on an element matched by `rule`: its text, the selector, and the
/// rule's captured properties (`attribute(name)` reads the element), each within the limits.
pub fn click_properties(rule: &AutoRule, selector: &str, text: &str, attribute: &mut dyn FnMut(&str) -> Option<String>) -> Props {
    let mut props: Props = Vec::with_capacity(2 + rule.properties.len());
    let text = readable_text(text);
    for (name, value) in [(ELEMENT_TEXT, text.clone()), (SELECTOR, selector.to_owned())] {
        props.push((name.to_owned(), clip_value(name, value, &mut |_| {})));
    }
    for (name, source) in &rule.properties {
        let value = match source {
            Source::Text => Some(text.clone()),
            Source::Attribute(attr) => attribute(attr),
        };
        if let Some(value) = value {
            props.push((name.clone(), clip_value(name, value, &mut |_| {})));
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: u64, rule: UrlRule) -> AutoRule {
        AutoRule { id, event_name: "viewed".into(), trigger: Trigger::PageView(rule), properties: vec![] }
    }

    #[test]
    fn sources_are_text_or_an_attribute() {
        assert_eq!(Source::parse("text"), Some(Source::Text));
        assert_eq!(Source::parse("attr:data-plan"), Some(Source::Attribute("data-plan".into())));
        assert_eq!(Source::parse("attr:"), None);
        assert_eq!(Source::parse("html"), None);
    }

    #[test]
    fn a_page_view_rule_fires_once_per_page_view() {
        let rules = vec![
            view(1, UrlRule::StartsWith("/pricing".into())),
            view(2, UrlRule::Contains("plan=pro".into())),
            AutoRule { id: 3, event_name: "clicked".into(), trigger: Trigger::Click("#buy".into()), properties: vec![] },
        ];
        let mut fired = Vec::new();
        let first: Vec<u64> = page_views(&rules, "https://shop.example/pricing?plan=pro", &mut fired).iter().map(|r| r.id).collect();
        assert_eq!(first, vec![1, 2]);
        assert!(page_views(&rules, "https://shop.example/pricing?plan=pro", &mut fired).is_empty(), "not twice");
        let mut fired = Vec::new();
        assert!(page_views(&rules, "https://shop.example/about", &mut fired).is_empty());
    }

    #[test]
    fn text_reads_as_a_person_reads_it() {
        assert_eq!(readable_text("\n   Start   free\ttrial\n  "), "Start free trial");
        assert_eq!(readable_text(""), "");
    }

    #[test]
    fn a_click_carries_text_selector_and_captured_properties_within_the_limits() {
        let rule = AutoRule {
            id: 1,
            event_name: "cta".into(),
            trigger: Trigger::Click("#buy".into()),
            properties: vec![("plan".into(), Source::Attribute("data-plan".into())), ("label".into(), Source::Text), ("missing".into(), Source::Attribute("data-x".into()))],
        };
        let long = "word ".repeat(100);
        let props = click_properties(&rule, "#buy", &long, &mut |name| (name == "data-plan").then(|| "pro".into()));
        let names: Vec<&str> = props.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["element_text", "selector", "plan", "label"]);
        assert_eq!(props[0].1.len(), 256);
        assert_eq!(props[1].1, "#buy");
        assert_eq!(props[2].1, "pro");
    }
}
