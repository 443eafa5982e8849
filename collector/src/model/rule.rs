//! Auto-tracking rules (SPEC §5): what the visualizer saves for a site, and every tracker of
//! that site then applies: "a click on an element matching this selector" or "a page view
//! whose URL matches", each recorded as completions of an event definition.
//!
//! A rule names its event; saving it creates the definition, or adds the properties the
//! existing one lacks ([`definition_for`]), so that the auto-tracked completions validate.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Serialize};
use wasmtrack_core::rules::{Rule as SharedRule, Trigger};

use super::definition::{DefinitionChange, EventDefinition, PrimaryObject, PropertyDef};
use super::{ChangeError, PropertyType};

/// A rule as the collector keeps it: the one rule model (`wasmtrack_core::rules::Rule`, which
/// the visualizer sends and trackers apply), and the site it belongs to and when it was made.
/// It reads as the shared rule (`Deref`), so `rule.event_name` is the model's field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// The site whose trackers apply it.
    pub site: String,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// The rule itself; its `id` is assigned by the store and never reused.
    #[serde(flatten)]
    pub rule: SharedRule,
}

impl Deref for Rule {
    type Target = SharedRule;
    fn deref(&self) -> &SharedRule {
        &self.rule
    }
}

impl DerefMut for Rule {
    fn deref_mut(&mut self) -> &mut SharedRule {
        &mut self.rule
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
            Trigger::Click(selector) => selector.len(),
            Trigger::PageView(url) => url.text().len() + 12,
        };
        let captures: usize = self
            .properties
            .iter()
            .map(|c| c.name.len() + c.source.to_text().len() + 2)
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

    use wasmtrack_core::rules::{Capture, Source, UrlRule};

    fn click(captures: &[&str]) -> Rule {
        Rule {
            site: "demo".into(),
            created_at: 1,
            rule: SharedRule {
                id: 1,
                event_name: "pricing_cta_clicked".into(),
                label: "Pricing CTA clicked".into(),
                trigger: Trigger::Click("#buy-pro".into()),
                properties: captures
                    .iter()
                    .map(|n| Capture {
                        name: (*n).into(),
                        source: Source::Text,
                    })
                    .collect(),
            },
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
        rule.trigger = Trigger::PageView(UrlRule::StartsWith("/pricing".into()));
        let def = definition_for(&rule, None, 1).unwrap().unwrap();
        assert!(def.properties.is_empty());
    }

    #[test]
    fn a_stored_rule_is_the_shared_json_with_its_site_and_creation_time() {
        let json = serde_json::to_value(click(&["plan"])).unwrap();
        assert_eq!(json["site"], "demo");
        assert_eq!(json["created_at"], 1);
        assert_eq!(json["eventName"], "pricing_cta_clicked");
        assert_eq!(json["kind"], "click");
        assert_eq!(
            serde_json::from_value::<Rule>(json).unwrap(),
            click(&["plan"])
        );
    }
}
