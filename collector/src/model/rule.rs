//! Auto-tracking rules (SPEC §5): what the visualizer saves for a site, and every tracker of
//! that site then applies: "a click on an element matching this selector" or "a page view
//! whose URL matches", each recorded as completions of an event definition.
//!
//! A rule names its event; saving it creates the definition, or adds the properties the
//! existing one lacks ([`definition_for`]), so that the auto-tracked completions validate.

use serde::{Deserialize, Serialize};

use super::definition::{DefinitionChange, EventDefinition, PrimaryObject, PropertyDef};
use super::{ChangeError, PropertyType};

/// Property every click completion carries: the clicked element's text.
pub const ELEMENT_TEXT: &str = "element_text";
/// Property every click completion carries: the selector of the rule that matched.
pub const SELECTOR: &str = "selector";
/// Most properties a rule may capture.
pub const MAX_RULE_PROPERTIES: usize = 20;
/// Longest selector, and longest page-view match value (UTF-16 units, as JavaScript counts).
pub const MAX_RULE_TEXT: usize = 1024;

/// How a page-view rule compares the page's URL path with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UrlMatch {
    /// The whole value.
    Exact,
    /// A prefix.
    StartsWith,
    /// A substring.
    Contains,
    /// The value with `*` wildcards.
    Pattern,
}

impl UrlMatch {
    /// Every kind, as the API spells them.
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

    /// Reads the API's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A click on (or inside) an element matching the CSS selector.
    Click {
        /// The selector, as the visualizer saved it.
        selector: String,
    },
    /// A page view whose URL matches.
    PageView {
        /// How to compare.
        matching: UrlMatch,
        /// What to compare with.
        value: String,
    },
}

/// A property a rule captures from the clicked element: `text` or `attr:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capture {
    /// The property's name in the completion.
    pub name: String,
    /// Where its value comes from: `text`, or `attr:` and an attribute name.
    pub source: String,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Assigned by the store; never reused.
    pub id: i64,
    /// The site whose trackers apply it.
    pub site: String,
    /// The event definition its completions belong to.
    pub event_name: String,
    /// Shown to people (also the label of a definition it creates).
    pub label: String,
    /// When it fires.
    pub trigger: Trigger,
    /// Properties captured from the element, in order.
    pub properties: Vec<Capture>,
    /// Creation time, epoch ms.
    pub created_at: i64,
}

impl Rule {
    /// The (string) properties the rule's completions carry, in order: for clicks
    /// `element_text` and `selector` first, then the captured ones.
    pub fn property_names(&self) -> Vec<&str> {
        let automatic: &[&str] = match self.trigger {
            Trigger::Click { .. } => &[ELEMENT_TEXT, SELECTOR],
            Trigger::PageView { .. } => &[],
        };
        automatic
            .iter()
            .copied()
            .chain(self.properties.iter().map(|c| c.name.as_str()))
            .collect()
    }
}

/// Most rules one site may have: every page view of the site fetches its rule list.
pub const MAX_RULES_PER_SITE: usize = 200;
/// Most bytes of a site's rules, as trackers read them (about what they download on a page
/// view that revalidates the list); a few hundred ordinary rules fit.
pub const MAX_RULES_BYTES: usize = 64 * 1024;

impl Rule {
    /// About the bytes the rule takes in the trackers' rule list (its text fields and a few
    /// separators per field): what [`MAX_RULES_BYTES`] bounds.
    pub fn wire_len(&self) -> usize {
        let trigger = match &self.trigger {
            Trigger::Click { selector } => selector.len(),
            Trigger::PageView { value, .. } => value.len() + 12,
        };
        let captures: usize = self
            .properties
            .iter()
            .map(|c| c.name.len() + c.source.len() + 2)
            .sum();
        24 + self.event_name.len() + trigger + captures
    }
}

/// Whether `rule` may join a site's `existing` rules: at most [`MAX_RULES_PER_SITE`] rules and
/// [`MAX_RULES_BYTES`] bytes a site. `Err` says which bound, for the 409.
pub fn fits(existing: &[std::sync::Arc<Rule>], rule: &Rule) -> Result<(), String> {
    if existing.len() >= MAX_RULES_PER_SITE {
        return Err(format!(
            "site \"{}\" has {MAX_RULES_PER_SITE} rules, the most a site may have (every page view fetches them); delete some first",
            rule.site
        ));
    }
    let bytes: usize = existing.iter().map(|r| r.wire_len()).sum::<usize>() + rule.wire_len();
    if bytes > MAX_RULES_BYTES {
        return Err(format!(
            "site \"{}\"'s rules would take {bytes} bytes, over the {MAX_RULES_BYTES} every page view may fetch; delete some first",
            rule.site
        ));
    }
    Ok(())
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

/// The definition to store so that `rule`'s completions validate: a new contact definition
/// with the rule's label and properties when there is none, else `existing` with the
/// properties it lacks added (as strings). `None` when `existing` already has them all.
pub fn definition_for(
    rule: &Rule,
    existing: Option<&EventDefinition>,
    now: i64,
) -> Result<Option<EventDefinition>, ChangeError> {
    let property = |name: &str| PropertyDef {
        name: name.to_owned(),
        label: property_label(name),
        description: None,
        kind: PropertyType::String,
        options: vec![],
        created_at: now,
        updated_at: now,
    };
    let Some(existing) = existing else {
        return Ok(Some(EventDefinition {
            id: 0,
            name: rule.event_name.clone(),
            label: rule.label.clone(),
            description: None,
            primary_object: PrimaryObject::Contact,
            include_default_properties: true,
            properties: rule.property_names().into_iter().map(property).collect(),
            index: Default::default(),
            created_at: now,
            updated_at: now,
        }));
    };
    let mut def = existing.clone();
    let mut changed = false;
    for name in rule.property_names() {
        if def.property(name).is_none() {
            def.apply(DefinitionChange::AddProperty(property(name)), now)?;
            changed = true;
        }
    }
    Ok(changed.then_some(def))
}

/// `element_text` → `Element text`.
fn property_label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => spaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click(captures: &[&str]) -> Rule {
        Rule {
            id: 1,
            site: "demo".into(),
            event_name: "pricing_cta_clicked".into(),
            label: "Pricing CTA clicked".into(),
            trigger: Trigger::Click {
                selector: "#buy-pro".into(),
            },
            properties: captures
                .iter()
                .map(|n| Capture {
                    name: (*n).into(),
                    source: "text".into(),
                })
                .collect(),
            created_at: 1,
        }
    }

    #[test]
    fn a_click_rule_creates_a_contact_definition_with_text_selector_and_captures() {
        let def = definition_for(&click(&["plan"]), None, 5).unwrap().unwrap();
        assert_eq!(def.name, "pricing_cta_clicked");
        assert_eq!(def.label, "Pricing CTA clicked");
        assert_eq!(def.primary_object, PrimaryObject::Contact);
        let names: Vec<_> = def.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["element_text", "selector", "plan"]);
        assert!(def
            .properties
            .iter()
            .all(|p| p.kind == PropertyType::String));
        assert_eq!(def.properties[0].label, "Element text");
    }

    #[test]
    fn an_existing_definition_gains_only_what_it_lacks() {
        let first = definition_for(&click(&["plan"]), None, 5).unwrap().unwrap();
        assert_eq!(definition_for(&click(&["plan"]), Some(&first), 6), Ok(None));
        let second = definition_for(&click(&["seats", "plan"]), Some(&first), 6)
            .unwrap()
            .unwrap();
        let names: Vec<_> = second.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["element_text", "selector", "plan", "seats"]);
        assert_eq!(second.label, first.label);
        assert_eq!(second.updated_at, 6);
    }

    #[test]
    fn a_page_view_rule_adds_only_its_captures() {
        let mut rule = click(&[]);
        rule.trigger = Trigger::PageView {
            matching: UrlMatch::StartsWith,
            value: "/pricing".into(),
        };
        let def = definition_for(&rule, None, 1).unwrap().unwrap();
        assert!(def.properties.is_empty());
    }

    #[test]
    fn match_kinds_and_attributes() {
        for m in UrlMatch::ALL {
            assert_eq!(UrlMatch::parse(m.as_str()), Some(m));
        }
        assert_eq!(UrlMatch::parse("regex"), None);
        assert!(valid_attribute("data-plan") && valid_attribute("xlink:href"));
        assert!(!valid_attribute("") && !valid_attribute("data plan") && !valid_attribute("1a"));
    }
}
