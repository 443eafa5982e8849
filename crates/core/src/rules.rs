//! The auto-tracking rule: one model for everyone who touches a rule.
//!
//! A marketer makes rules in the visualizer (which sends them as JSON), the collector checks,
//! stores and serves them (JSON to people and the visualizer, the compact text of
//! [`super::autotrack`] to trackers), and every tracker of the site applies them. All of them
//! read and write this [`Rule`]: the JSON shape is its serde form (behind the `serde`
//! feature, so the tracker pays nothing for it), the text is [`super::autotrack`]'s encoding
//! of it, and matching a URL is [`UrlRule::matches`].
//!
//! # JSON
//! ```text
//! {"id":7,"eventName":"pricing_cta_clicked","label":"Pricing CTA clicked",
//!  "kind":"click","selector":"#buy-pro",
//!  "properties":[{"name":"plan","source":"attr:data-plan"}]}
//! {"id":8,"eventName":"viewed_pricing","label":"Viewed pricing",
//!  "kind":"pageview","match":"startsWith","value":"/pricing","properties":[]}
//! ```
//! `id` is left out before the collector has assigned one (0).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

pub use super::url_match::UrlRule;

/// Property every click event carries: the clicked element's text.
pub const ELEMENT_TEXT: &str = "element_text";
/// Property every click event carries: the selector of the rule that matched.
pub const SELECTOR: &str = "selector";
/// Most properties a rule may capture.
pub const MAX_RULE_PROPERTIES: usize = 20;
/// Longest selector, and longest page-view match value (UTF-16 units, as JavaScript counts).
pub const MAX_RULE_TEXT: usize = 1024;

/// One rule of a site: when it fires, which event it records, and what that event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The collector's id of the rule; 0 before it has one.
    pub id: u64,
    /// The event definition its completions belong to.
    pub event_name: String,
    /// Shown to people (and the label of a definition it creates). The trackers' text does
    /// not carry it: trackers read it as empty.
    pub label: String,
    /// When it fires.
    pub trigger: Trigger,
    /// Properties captured from the clicked element, in order.
    pub properties: Vec<Capture>,
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A click on (or inside) an element matching the CSS selector.
    Click(String),
    /// A page view whose URL matches.
    PageView(UrlRule),
}

/// A property a rule captures from the clicked element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The property's name in the completion.
    pub name: String,
    /// Where its value comes from.
    pub source: Source,
}

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

    /// `text` or `attr:<name>`, as [`Source::parse`] reads it.
    pub fn to_text(&self) -> String {
        match self {
            Source::Text => "text".to_owned(),
            Source::Attribute(name) => ["attr:", name].concat(),
        }
    }
}

impl Rule {
    /// The (string) properties the rule's completions carry, in order: for clicks
    /// `element_text` and `selector` first, then the captured ones.
    pub fn property_names(&self) -> Vec<&str> {
        let automatic: &[&str] = match self.trigger {
            Trigger::Click(_) => &[ELEMENT_TEXT, SELECTOR],
            Trigger::PageView(_) => &[],
        };
        automatic
            .iter()
            .copied()
            .chain(self.properties.iter().map(|c| c.name.as_str()))
            .collect()
    }

    /// The attributes the rule's properties are read from, space-separated (attribute names
    /// hold no whitespace), in the order `autotrack::click_properties` asks for them by index.
    pub fn attribute_names(&self) -> String {
        let mut names = String::new();
        for capture in &self.properties {
            if let Source::Attribute(attr) = &capture.source {
                if !names.is_empty() {
                    names.push(' ');
                }
                names.push_str(attr);
            }
        }
        names
    }
}

/// Whether `text` is an attribute name a rule may read: a letter, `_` or `:` first, then
/// letters, digits, `_`, `:`, `.`, `-` (`data-plan`, `aria-label`, `xlink:href`); at most 100.
pub fn valid_attribute(text: &str) -> bool {
    let mut bytes = text.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b':'));
    first_ok
        && text.len() <= 100
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-'))
}

#[cfg(feature = "serde")]
mod json {
    //! The rule's JSON (module docs of `rules`): a flat object, `kind` saying which trigger
    //! fields are there. Read leniently (absent lists are empty, unknown fields are ignored,
    //! so a stored rule or a newer collector's answer still reads); checking what a person
    //! sent is the collector's job, which names every problem.
    use super::{Capture, Rule, Source, Trigger, UrlRule};
    use alloc::string::String;
    use alloc::vec::Vec;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// How a page-view rule compares the URL, as the JSON spells it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub enum UrlMatch {
        /// [`UrlRule::Exact`].
        Exact,
        /// [`UrlRule::StartsWith`].
        StartsWith,
        /// [`UrlRule::Contains`].
        Contains,
        /// [`UrlRule::Pattern`].
        Pattern,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Click,
        Pageview,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Flat {
        #[serde(default, skip_serializing_if = "is_zero")]
        id: u64,
        event_name: String,
        #[serde(default)]
        label: String,
        kind: Kind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        selector: Option<String>,
        #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
        matching: Option<UrlMatch>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default)]
        properties: Vec<FlatCapture>,
    }

    #[derive(Serialize, Deserialize)]
    struct FlatCapture {
        name: String,
        source: String,
    }

    fn is_zero(id: &u64) -> bool {
        *id == 0
    }

    impl UrlMatch {
        /// Every kind, as the JSON spells them.
        pub const ALL: [UrlMatch; 4] = [
            UrlMatch::Exact,
            UrlMatch::StartsWith,
            UrlMatch::Contains,
            UrlMatch::Pattern,
        ];

        /// `exact`, `startsWith`, `contains` or `pattern`.
        pub fn as_str(self) -> &'static str {
            match self {
                UrlMatch::Exact => "exact",
                UrlMatch::StartsWith => "startsWith",
                UrlMatch::Contains => "contains",
                UrlMatch::Pattern => "pattern",
            }
        }

        /// Reads the JSON's spelling.
        pub fn parse(text: &str) -> Option<UrlMatch> {
            UrlMatch::ALL.into_iter().find(|m| m.as_str() == text)
        }

        /// The rule of this kind with `value`.
        pub fn with(self, value: String) -> UrlRule {
            match self {
                UrlMatch::Exact => UrlRule::Exact(value),
                UrlMatch::StartsWith => UrlRule::StartsWith(value),
                UrlMatch::Contains => UrlRule::Contains(value),
                UrlMatch::Pattern => UrlRule::Pattern(value),
            }
        }

        /// The kind of `rule`.
        pub fn of(rule: &UrlRule) -> UrlMatch {
            match rule {
                UrlRule::Exact(_) => UrlMatch::Exact,
                UrlRule::StartsWith(_) => UrlMatch::StartsWith,
                UrlRule::Contains(_) => UrlMatch::Contains,
                UrlRule::Pattern(_) => UrlMatch::Pattern,
            }
        }
    }

    impl Serialize for Rule {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let (kind, selector, matching, value) = match &self.trigger {
                Trigger::Click(selector) => (Kind::Click, Some(selector.clone()), None, None),
                Trigger::PageView(url) => (
                    Kind::Pageview,
                    None,
                    Some(UrlMatch::of(url)),
                    Some(url.text().into()),
                ),
            };
            Flat {
                id: self.id,
                event_name: self.event_name.clone(),
                label: self.label.clone(),
                kind,
                selector,
                matching,
                value,
                properties: self
                    .properties
                    .iter()
                    .map(|c| FlatCapture {
                        name: c.name.clone(),
                        source: c.source.to_text(),
                    })
                    .collect(),
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Rule {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Rule, D::Error> {
            use serde::de::Error;
            let flat = Flat::deserialize(d)?;
            let trigger = match flat.kind {
                Kind::Click => Trigger::Click(
                    flat.selector
                        .ok_or_else(|| D::Error::missing_field("selector"))?,
                ),
                Kind::Pageview => Trigger::PageView(
                    flat.matching
                        .ok_or_else(|| D::Error::missing_field("match"))?
                        .with(flat.value.ok_or_else(|| D::Error::missing_field("value"))?),
                ),
            };
            let properties = flat
                .properties
                .into_iter()
                .map(|c| match Source::parse(&c.source) {
                    Some(source) => Ok(Capture {
                        name: c.name,
                        source,
                    }),
                    None => Err(D::Error::custom(alloc::format!(
                        "source \"{}\" is not `text` or `attr:` and an attribute name",
                        c.source
                    ))),
                })
                .collect::<Result<_, _>>()?;
            Ok(Rule {
                id: flat.id,
                event_name: flat.event_name,
                label: flat.label,
                trigger,
                properties,
            })
        }
    }
}

#[cfg(feature = "serde")]
pub use json::UrlMatch;

#[cfg(test)]
mod tests {
    use super::*;

    fn click() -> Rule {
        Rule {
            id: 7,
            event_name: "pricing_cta_clicked".into(),
            label: "Pricing CTA clicked".into(),
            trigger: Trigger::Click("#buy-pro".into()),
            properties: vec![Capture {
                name: "plan".into(),
                source: Source::Attribute("data-plan".into()),
            }],
        }
    }

    #[test]
    fn a_click_rule_carries_text_and_selector_before_its_captures() {
        assert_eq!(
            click().property_names(),
            ["element_text", "selector", "plan"]
        );
        assert_eq!(click().attribute_names(), "data-plan");
        let view = Rule {
            trigger: Trigger::PageView(UrlRule::Exact("/pricing".into())),
            properties: vec![],
            ..click()
        };
        assert!(view.property_names().is_empty());
    }

    #[test]
    fn sources_and_attributes() {
        for text in ["text", "attr:data-plan"] {
            assert_eq!(Source::parse(text).unwrap().to_text(), text);
        }
        assert_eq!(Source::parse("attr:"), None);
        assert_eq!(Source::parse("html"), None);
        assert!(valid_attribute("data-plan") && valid_attribute("xlink:href"));
        assert!(!valid_attribute("") && !valid_attribute("data plan") && !valid_attribute("1a"));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn match_kinds_read_back() {
        for m in UrlMatch::ALL {
            assert_eq!(UrlMatch::parse(m.as_str()), Some(m));
            assert_eq!(UrlMatch::of(&m.with("/x".into())), m);
        }
        assert_eq!(UrlMatch::parse("regex"), None);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn the_json_is_the_documented_shape_and_reads_back() {
        let json = serde_json::to_value(click()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": 7, "eventName": "pricing_cta_clicked", "label": "Pricing CTA clicked",
                "kind": "click", "selector": "#buy-pro",
                "properties": [{"name": "plan", "source": "attr:data-plan"}]})
        );
        assert_eq!(serde_json::from_value::<Rule>(json).unwrap(), click());
        let view = Rule {
            id: 0,
            trigger: Trigger::PageView(UrlRule::StartsWith("/pricing".into())),
            properties: vec![],
            ..click()
        };
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["kind"], "pageview");
        assert_eq!(json["match"], "startsWith");
        assert_eq!(json["value"], "/pricing");
        assert!(json.get("id").is_none() && json.get("selector").is_none());
        assert_eq!(serde_json::from_value::<Rule>(json).unwrap(), view);
        // Extra fields (a stored rule's site, the API's createdAt) are ignored.
        let with_extra = serde_json::json!({"eventName": "a", "kind": "click", "selector": "b", "createdAt": "x"});
        assert!(serde_json::from_value::<Rule>(with_extra).is_ok());
        for bad in [
            serde_json::json!({"eventName": "a", "kind": "click"}),
            serde_json::json!({"eventName": "a", "kind": "pageview", "value": "/"}),
            serde_json::json!({"eventName": "a", "kind": "hover", "selector": "b"}),
            serde_json::json!({"eventName": "a", "kind": "click", "selector": "b", "properties": [{"name": "p", "source": "html"}]}),
        ] {
            assert!(
                serde_json::from_value::<Rule>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
