//! Event definitions (SPEC §2): an event's internal name, label, associated object and typed
//! properties. An event must be defined before completions of it are accepted.
//!
//! Edits are a small closed set of [`DefinitionChange`]s applied by one pure function, so the
//! store can apply them inside its write transaction and the rules are tested without it.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Most custom properties one definition may have. The 50 of SPEC §3 is per completion ("each
/// event can contain data for up to 50 properties"), not per definition: a definition collects
/// every property any of its completions may carry (a checkout event sends a different 20 for
/// each payment method), and HubSpot's clients define events with a few dozen to a few hundred
/// properties. 500 leaves that room while a definition stays small enough to be kept in memory
/// and read on every beacon (≈ 150 bytes a property; enumerations add their options).
pub const MAX_DEFINITION_PROPERTIES: usize = 500;

/// The CRM object an event's completions are associated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrimaryObject {
    /// A person; the default. Completions may name it by email, objectId or visitor (utk).
    Contact,
    /// A company; completions need an objectId.
    Company,
    /// A deal; completions need an objectId.
    Deal,
    /// A ticket; completions need an objectId.
    Ticket,
}

impl PrimaryObject {
    /// Reads `CONTACT`, `contact`, `contacts` or HubSpot's type id `0-1` (and the same for the
    /// other objects).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "contact" | "contacts" | "0-1" => Some(PrimaryObject::Contact),
            "company" | "companies" | "0-2" => Some(PrimaryObject::Company),
            "deal" | "deals" | "0-3" => Some(PrimaryObject::Deal),
            "ticket" | "tickets" | "0-5" => Some(PrimaryObject::Ticket),
            _ => None,
        }
    }

    /// `CONTACT`, `COMPANY`, `DEAL` or `TICKET`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrimaryObject::Contact => "CONTACT",
            PrimaryObject::Company => "COMPANY",
            PrimaryObject::Deal => "DEAL",
            PrimaryObject::Ticket => "TICKET",
        }
    }

    /// HubSpot's object type id (`0-1` for contacts).
    pub fn type_id(self) -> &'static str {
        match self {
            PrimaryObject::Contact => "0-1",
            PrimaryObject::Company => "0-2",
            PrimaryObject::Deal => "0-3",
            PrimaryObject::Ticket => "0-5",
        }
    }
}

/// A property's value type (SPEC §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropertyType {
    /// Any text within the length limit.
    String,
    /// A decimal number.
    Number,
    /// Epoch milliseconds or ISO 8601.
    Datetime,
    /// One or more (`;`-separated) values among the property's options.
    Enumeration,
}

impl PropertyType {
    /// Reads `string`, `number`, `datetime` or `enumeration`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "string" => Some(PropertyType::String),
            "number" => Some(PropertyType::Number),
            "datetime" => Some(PropertyType::Datetime),
            "enumeration" => Some(PropertyType::Enumeration),
            _ => None,
        }
    }

    /// The type's name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyType::String => "string",
            PropertyType::Number => "number",
            PropertyType::Datetime => "datetime",
            PropertyType::Enumeration => "enumeration",
        }
    }

    /// HubSpot's `fieldType` for the type.
    pub fn field_type(self) -> &'static str {
        match self {
            PropertyType::String => "text",
            PropertyType::Number => "number",
            PropertyType::Datetime => "date",
            PropertyType::Enumeration => "select",
        }
    }
}

/// One option of an enumeration property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyOption {
    /// Shown to people.
    pub label: String,
    /// What completions send.
    pub value: String,
    /// Position in lists.
    pub display_order: i64,
    /// Hidden from pickers; still accepted in completions.
    pub hidden: bool,
    /// Help text.
    pub description: Option<String>,
}

/// One custom property of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyDef {
    /// Internal name (the key completions use).
    pub name: String,
    /// Shown to people.
    pub label: String,
    /// Help text.
    pub description: Option<String>,
    /// Value type.
    pub kind: PropertyType,
    /// Options of an enumeration; empty otherwise.
    pub options: Vec<PropertyOption>,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// Last change, epoch ms.
    pub updated_at: i64,
}

impl PropertyDef {
    /// A property labelled by its name, with options labelled by their values in the order
    /// given, created `now`: what tests and generated data need.
    pub fn plain(name: &str, kind: PropertyType, options: &[&str], now: i64) -> Self {
        PropertyDef {
            name: name.into(),
            label: name.into(),
            description: None,
            kind,
            options: options
                .iter()
                .zip(0..)
                .map(|(value, display_order)| PropertyOption {
                    label: value.to_string(),
                    value: value.to_string(),
                    display_order,
                    hidden: false,
                    description: None,
                })
                .collect(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// A stored event definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDefinition {
    /// Numeric id, assigned by the store.
    pub id: i64,
    /// Internal name; immutable.
    pub name: String,
    /// Shown to people.
    pub label: String,
    /// Help text.
    pub description: Option<String>,
    /// The object its completions belong to; immutable.
    pub primary_object: PrimaryObject,
    /// Whether HubSpot's default `hs_*` properties are accepted too.
    pub include_default_properties: bool,
    /// Custom properties, in creation order.
    pub properties: Vec<PropertyDef>,
    /// Finds properties by name without a scan of up to [`MAX_DEFINITION_PROPERTIES`] names
    /// for each property of each completion; built on first use, and again after a change.
    #[serde(skip)]
    pub index: PropertyIndex,
    /// Creation time, epoch ms.
    pub created_at: i64,
    /// Last change, epoch ms.
    pub updated_at: i64,
}

/// An edit of a definition (HubSpot allows label, description and properties to change).
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionChange {
    /// New label and/or description (`Some(None)` clears the description).
    Relabel {
        /// New label.
        label: Option<String>,
        /// New description.
        description: Option<Option<String>>,
    },
    /// A new property.
    AddProperty(PropertyDef),
    /// New label, description or options of an existing property.
    UpdateProperty {
        /// The property's name.
        name: String,
        /// New label.
        label: Option<String>,
        /// New description.
        description: Option<Option<String>>,
        /// New options (enumerations only).
        options: Option<Vec<PropertyOption>>,
    },
    /// Removes a property; stored completions keep their values.
    RemoveProperty(String),
}

/// Why a change cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeError {
    /// A property of that name exists.
    PropertyExists(String),
    /// No property of that name.
    PropertyNotFound(String),
    /// The definition already has [`MAX_DEFINITION_PROPERTIES`] properties.
    TooManyProperties,
    /// Options were given for a property that is not an enumeration.
    OptionsNotAllowed(String),
    /// An enumeration would be left without options.
    OptionsRequired(String),
}

impl ChangeError {
    /// A sentence for the error body.
    pub fn message(&self, event: &str) -> String {
        match self {
            ChangeError::PropertyExists(p) => {
                format!("event \"{event}\" already has a property \"{p}\"")
            }
            ChangeError::PropertyNotFound(p) => {
                format!("event \"{event}\" has no property \"{p}\"")
            }
            ChangeError::TooManyProperties => {
                format!("event \"{event}\" already has {MAX_DEFINITION_PROPERTIES} properties, the limit of a definition")
            }
            ChangeError::OptionsNotAllowed(p) => {
                format!("property \"{p}\" of event \"{event}\" is not an enumeration; it takes no options")
            }
            ChangeError::OptionsRequired(p) => {
                format!(
                    "enumeration property \"{p}\" of event \"{event}\" needs at least one option"
                )
            }
        }
    }
}

impl EventDefinition {
    /// The custom property `name`, if defined.
    pub fn property(&self, name: &str) -> Option<&PropertyDef> {
        if self.properties.len() <= INDEX_FROM {
            return self.properties.iter().find(|p| p.name == name);
        }
        let index = self.index.0.get_or_init(|| {
            let mut names: Vec<(Box<str>, usize)> = self
                .properties
                .iter()
                .enumerate()
                .map(|(i, p)| (p.name.as_str().into(), i))
                .collect();
            names.sort_unstable();
            names
        });
        let at = index.binary_search_by(|(n, _)| (**n).cmp(name)).ok()?;
        self.properties.get(index[at].1)
    }

    /// Applies `change` at time `now`; on error the definition is unchanged.
    pub fn apply(&mut self, change: DefinitionChange, now: i64) -> Result<(), ChangeError> {
        match change {
            DefinitionChange::Relabel { label, description } => {
                if let Some(label) = label {
                    self.label = label;
                }
                if let Some(description) = description {
                    self.description = description;
                }
            }
            DefinitionChange::AddProperty(property) => {
                if self.property(&property.name).is_some() {
                    return Err(ChangeError::PropertyExists(property.name));
                }
                if self.properties.len() >= MAX_DEFINITION_PROPERTIES {
                    return Err(ChangeError::TooManyProperties);
                }
                self.properties.push(property);
            }
            DefinitionChange::UpdateProperty {
                name,
                label,
                description,
                options,
            } => {
                let Some(property) = self.properties.iter_mut().find(|p| p.name == name) else {
                    return Err(ChangeError::PropertyNotFound(name));
                };
                if let Some(options) = &options {
                    if property.kind != PropertyType::Enumeration {
                        return Err(ChangeError::OptionsNotAllowed(name));
                    }
                    if options.is_empty() {
                        return Err(ChangeError::OptionsRequired(name));
                    }
                }
                if let Some(label) = label {
                    property.label = label;
                }
                if let Some(description) = description {
                    property.description = description;
                }
                if let Some(options) = options {
                    property.options = options;
                }
                property.updated_at = now;
            }
            DefinitionChange::RemoveProperty(name) => {
                let before = self.properties.len();
                self.properties.retain(|p| p.name != name);
                if self.properties.len() == before {
                    return Err(ChangeError::PropertyNotFound(name));
                }
            }
        }
        self.updated_at = now;
        self.index = PropertyIndex::default();
        Ok(())
    }
}

/// Up to this many properties, a scan is as fast as the index.
const INDEX_FROM: usize = 16;

/// A definition's properties by name: (name, position in `properties`), sorted. Derived data:
/// never stored, not compared, and a clone starts empty (a clone is what changes are applied
/// to, and [`EventDefinition::apply`] empties it after each change).
#[derive(Default)]
pub struct PropertyIndex(OnceLock<Vec<(Box<str>, usize)>>);

impl Clone for PropertyIndex {
    fn clone(&self) -> Self {
        PropertyIndex::default()
    }
}

impl PartialEq for PropertyIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for PropertyIndex {}

impl std::fmt::Debug for PropertyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PropertyIndex")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn property(name: &str, kind: PropertyType) -> PropertyDef {
        PropertyDef {
            name: name.into(),
            label: name.into(),
            description: None,
            kind,
            options: vec![],
            created_at: 1,
            updated_at: 1,
        }
    }

    fn definition() -> EventDefinition {
        EventDefinition {
            id: 1,
            name: "signup".into(),
            label: "Signup".into(),
            description: None,
            primary_object: PrimaryObject::Contact,
            include_default_properties: true,
            properties: vec![
                property("plan", PropertyType::Enumeration),
                property("seats", PropertyType::Number),
            ],
            index: PropertyIndex::default(),
            created_at: 1,
            updated_at: 1,
        }
    }

    fn option(value: &str) -> PropertyOption {
        PropertyOption {
            label: value.into(),
            value: value.into(),
            display_order: 0,
            hidden: false,
            description: None,
        }
    }

    #[test]
    fn object_names_read_like_hubspot() {
        assert_eq!(
            PrimaryObject::parse("CONTACT"),
            Some(PrimaryObject::Contact)
        );
        assert_eq!(
            PrimaryObject::parse("companies"),
            Some(PrimaryObject::Company)
        );
        assert_eq!(PrimaryObject::parse("0-5"), Some(PrimaryObject::Ticket));
        assert_eq!(PrimaryObject::parse("lead"), None);
    }

    #[test]
    fn properties_are_added_updated_and_removed() {
        let mut d = definition();
        d.apply(
            DefinitionChange::AddProperty(property("note", PropertyType::String)),
            5,
        )
        .unwrap();
        assert_eq!(d.properties.len(), 3);
        assert_eq!(d.updated_at, 5);
        assert_eq!(
            d.apply(
                DefinitionChange::AddProperty(property("note", PropertyType::String)),
                6
            ),
            Err(ChangeError::PropertyExists("note".into()))
        );
        let update = DefinitionChange::UpdateProperty {
            name: "plan".into(),
            label: Some("Plan".into()),
            description: None,
            options: Some(vec![option("pro")]),
        };
        d.apply(update, 7).unwrap();
        assert_eq!(d.property("plan").map(|p| p.options.len()), Some(1));
        d.apply(DefinitionChange::RemoveProperty("note".into()), 8)
            .unwrap();
        assert!(d.property("note").is_none());
        assert_eq!(
            d.apply(DefinitionChange::RemoveProperty("note".into()), 9),
            Err(ChangeError::PropertyNotFound("note".into()))
        );
    }

    #[test]
    fn options_belong_to_enumerations_only() {
        let mut d = definition();
        let seats = DefinitionChange::UpdateProperty {
            name: "seats".into(),
            label: None,
            description: None,
            options: Some(vec![option("1")]),
        };
        assert_eq!(
            d.apply(seats, 2),
            Err(ChangeError::OptionsNotAllowed("seats".into()))
        );
        let empty = DefinitionChange::UpdateProperty {
            name: "plan".into(),
            label: None,
            description: None,
            options: Some(vec![]),
        };
        assert_eq!(
            d.apply(empty, 2),
            Err(ChangeError::OptionsRequired("plan".into()))
        );
        assert_eq!(d, definition());
    }

    #[test]
    fn properties_are_found_by_name_in_wide_definitions_and_after_changes() {
        let mut d = definition();
        d.properties = (0..200)
            .map(|i| property(&format!("p{i}"), PropertyType::String))
            .collect();
        assert_eq!(d.property("p117").map(|p| p.name.as_str()), Some("p117"));
        assert!(d.property("p200").is_none());
        // The index built by these lookups follows every change.
        d.apply(
            DefinitionChange::AddProperty(property("p200", PropertyType::Number)),
            2,
        )
        .unwrap();
        assert_eq!(
            d.property("p200").map(|p| p.kind),
            Some(PropertyType::Number)
        );
        d.apply(DefinitionChange::RemoveProperty("p3".into()), 3)
            .unwrap();
        assert!(d.property("p3").is_none());
        assert_eq!(d.property("p199").map(|p| p.name.as_str()), Some("p199"));
        let copy = d.clone();
        assert_eq!(copy.property("p4").map(|p| p.name.as_str()), Some("p4"));
    }

    #[test]
    fn a_definition_holds_more_than_fifty_properties_up_to_its_limit() {
        let mut d = definition();
        d.properties = (0..50)
            .map(|i| property(&format!("p{i}"), PropertyType::String))
            .collect();
        d.apply(
            DefinitionChange::AddProperty(property("p50", PropertyType::String)),
            2,
        )
        .unwrap();
        d.properties = (0..MAX_DEFINITION_PROPERTIES)
            .map(|i| property(&format!("p{i}"), PropertyType::String))
            .collect();
        assert_eq!(
            d.apply(
                DefinitionChange::AddProperty(property("one_more", PropertyType::String)),
                2
            ),
            Err(ChangeError::TooManyProperties)
        );
    }
}
