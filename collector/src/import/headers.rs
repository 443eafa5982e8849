//! Which property each column of a spreadsheet fills (SPEC §6 "column mapping").
//!
//! [`auto_map`] proposes a mapping from the header row, in the language the user says the
//! headers are written in (`header_names.rs` knows what headers say); the user then changes
//! any column, and [`check_mapping`] accepts the result or names what is wrong before a single
//! row is read. New event properties are named from the header by [`name_from_label`], the
//! rule every other place that names a property from a label follows.

use std::collections::HashMap;
use std::fmt;

use wasmtrack_core::event::name_from_label;
use wasmtrack_core::limits::check_name;

use super::error::{column_letters, ImportError};
use super::header_names::{
    alias_target, normalize, Language, CONTACT_PROPERTIES, EMAIL, OCCURRED_AT,
};
use crate::model::PropertyType;

/// What one column becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The contact's email address, which identifies it (required, once).
    Email,
    /// When the event happened (required, once).
    OccurredAt,
    /// A contact property, by its internal name (one of [`CONTACT_PROPERTIES`]).
    ContactProperty(String),
    /// An existing property of the event's definition, by its internal name.
    EventProperty(String),
    /// A property to add to the event's definition before the rows are imported.
    NewEventProperty {
        /// Internal name.
        name: String,
        /// Label (the column's header, unless the user changed it).
        label: String,
        /// Value type.
        kind: PropertyType,
    },
    /// "Don't import".
    Skip,
}

impl Target {
    /// A new event property named from `label` by the product's one rule; `None` when nothing
    /// of the label can make a name ("!!!").
    pub fn new_event_property(label: &str, kind: PropertyType) -> Option<Target> {
        Some(Target::NewEventProperty {
            name: name_from_label(label)?,
            label: label.trim().to_owned(),
            kind,
        })
    }

    /// How messages name the target.
    fn describe(&self) -> String {
        match self {
            Target::Email => "the email address".into(),
            Target::OccurredAt => "\"occurred at\"".into(),
            Target::ContactProperty(name) => format!("the contact property \"{name}\""),
            Target::EventProperty(name) | Target::NewEventProperty { name, .. } => {
                format!("the event property \"{name}\"")
            }
            Target::Skip => "nothing".into(),
        }
    }
}

fn target_of(key: &str) -> Target {
    match key {
        EMAIL => Target::Email,
        OCCURRED_AT => Target::OccurredAt,
        contact => Target::ContactProperty(contact.to_owned()),
    }
}

/// Proposes a target for each header: the email and "occurred at" columns by the names of the
/// chosen language (then English ones), then properties of the event's definition by internal
/// name or label (`event_properties` are `(name, label)` pairs), then contact properties by the
/// names of the chosen language, then English ones; anything else is [`Target::Skip`], so
/// nothing is created unless the user asks. Each target goes to the first column that matches
/// it; a later column matching it again is skipped, so the proposal always passes
/// [`check_mapping`]'s repetition rule.
pub fn auto_map(
    headers: &[String],
    language: Language,
    event_properties: &[(&str, &str)],
) -> Vec<Target> {
    let mut taken: Vec<Target> = Vec::new();
    headers
        .iter()
        .map(|header| {
            let key = normalize(header);
            let required = alias_target(&key, language, true)
                .filter(|t| *t == EMAIL || *t == OCCURRED_AT)
                .map(target_of);
            let event = || {
                event_properties
                    .iter()
                    .find(|(name, label)| normalize(name) == key || normalize(label) == key)
                    .map(|(name, _)| Target::EventProperty((*name).to_owned()))
            };
            let contact = || {
                alias_target(&key, language, false)
                    .or_else(|| alias_target(&key, Language::En, false))
                    .map(target_of)
            };
            let target = match required.or_else(event).or_else(contact) {
                Some(t) if !key.is_empty() && !taken.contains(&t) => t,
                _ => return Target::Skip,
            };
            taken.push(target.clone());
            target
        })
        .collect()
}

/// A mapping [`check_mapping`] accepted: where the two required columns are, and each
/// column's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Index of the email column.
    pub email: usize,
    /// Index of the "occurred at" column.
    pub occurred_at: usize,
    /// One target per column, in the file's order.
    pub columns: Vec<Target>,
}

impl Mapping {
    /// The properties to add to the definition before importing: `(name, label, kind)`.
    pub fn new_event_properties(&self) -> impl Iterator<Item = (&str, &str, PropertyType)> {
        self.columns.iter().filter_map(|t| match t {
            Target::NewEventProperty { name, label, kind } => {
                Some((name.as_str(), label.as_str(), *kind))
            }
            _ => None,
        })
    }
}

/// Why a mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingError {
    /// Not one target per column.
    WrongLength {
        /// Columns in the file.
        headers: usize,
        /// Targets given.
        targets: usize,
    },
    /// No column is the email address, or none is "occurred at", or both.
    Missing {
        /// No email column.
        email: bool,
        /// No "occurred at" column.
        occurred_at: bool,
    },
    /// Two columns fill the same thing.
    Repeated {
        /// What they both fill, as a message names it.
        target: String,
        /// Their headers.
        columns: (String, String),
    },
    /// An existing event property the definition does not have.
    UnknownEventProperty {
        /// The column's header.
        column: String,
        /// The property asked for.
        name: String,
    },
    /// A contact property outside [`CONTACT_PROPERTIES`].
    UnknownContactProperty {
        /// The column's header.
        column: String,
        /// The property asked for.
        name: String,
    },
    /// A new event property whose name the definition already has.
    NewPropertyExists {
        /// The column's header.
        column: String,
        /// The name.
        name: String,
    },
    /// A new event property whose name breaks the naming rule.
    InvalidNewName {
        /// The column's header.
        column: String,
        /// The name.
        name: String,
        /// The rule broken.
        reason: &'static str,
    },
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MappingError::WrongLength { headers, targets } => write!(
                f,
                "the file has {headers} columns but the mapping gives {targets} targets"
            ),
            MappingError::Missing { email: true, occurred_at: true } => write!(
                f,
                "no column is mapped to the email address nor to \"occurred at\": both are required"
            ),
            MappingError::Missing { email: true, .. } => write!(
                f,
                "no column is mapped to the email address, which is required"
            ),
            MappingError::Missing { .. } => write!(
                f,
                "no column is mapped to \"occurred at\", which is required"
            ),
            MappingError::Repeated { target, columns } => write!(
                f,
                "columns \"{}\" and \"{}\" are both mapped to {target}: map one of them elsewhere or to \"don't import\"",
                columns.0, columns.1
            ),
            MappingError::UnknownEventProperty { column, name } => write!(
                f,
                "column \"{column}\" is mapped to the event property \"{name}\", which the event does not have: create it or pick another"
            ),
            MappingError::UnknownContactProperty { column, name } => write!(
                f,
                "column \"{column}\" is mapped to the contact property \"{name}\", which does not exist"
            ),
            MappingError::NewPropertyExists { column, name } => write!(
                f,
                "column \"{column}\" would create the event property \"{name}\", which the event already has: map the column to it"
            ),
            MappingError::InvalidNewName { column, name, reason } => write!(
                f,
                "column \"{column}\" would create the event property \"{name}\", but a property {reason}"
            ),
        }
    }
}

impl std::error::Error for MappingError {}

/// Accepts `targets` (one per header) or says what is wrong: the required columns first, so
/// that a file without them is refused with that reason before anything else, then targets
/// that do not exist, then two columns with the same target.
pub fn check_mapping(
    headers: &[String],
    targets: &[Target],
    event_properties: &[(&str, &str)],
) -> Result<Mapping, MappingError> {
    if headers.len() != targets.len() {
        return Err(MappingError::WrongLength {
            headers: headers.len(),
            targets: targets.len(),
        });
    }
    let email = targets.iter().position(|t| *t == Target::Email);
    let occurred_at = targets.iter().position(|t| *t == Target::OccurredAt);
    let (Some(email), Some(occurred_at)) = (email, occurred_at) else {
        return Err(MappingError::Missing {
            email: email.is_none(),
            occurred_at: occurred_at.is_none(),
        });
    };
    let has_event_property = |name: &str| event_properties.iter().any(|(n, _)| *n == name);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, (header, target)) in headers.iter().zip(targets).enumerate() {
        let column = || header.clone();
        match target {
            Target::EventProperty(name) if !has_event_property(name) => {
                return Err(MappingError::UnknownEventProperty {
                    column: column(),
                    name: name.clone(),
                })
            }
            Target::ContactProperty(name) if !CONTACT_PROPERTIES.iter().any(|(n, _)| n == name) => {
                return Err(MappingError::UnknownContactProperty {
                    column: column(),
                    name: name.clone(),
                })
            }
            Target::NewEventProperty { name, .. } => {
                if let Err(e) = check_name(name) {
                    return Err(MappingError::InvalidNewName {
                        column: column(),
                        name: name.clone(),
                        reason: e.message(),
                    });
                }
                if has_event_property(name) {
                    return Err(MappingError::NewPropertyExists {
                        column: column(),
                        name: name.clone(),
                    });
                }
            }
            _ => {}
        }
        if *target == Target::Skip {
            continue;
        }
        // An existing and a new event property of one name are one target.
        let key = match target {
            Target::NewEventProperty { name, .. } => Target::EventProperty(name.clone()).describe(),
            other => other.describe(),
        };
        if let Some(&first) = seen.get(&key) {
            return Err(MappingError::Repeated {
                target: key,
                columns: (headers[first].clone(), column()),
            });
        }
        seen.insert(key, i);
    }
    Ok(Mapping {
        email,
        occurred_at,
        columns: targets.to_vec(),
    })
}

/// Trims headers, names those that have none by their column (`Column C`; `first_column` is
/// the 0-based column of the first header, for a table that does not start in column A), and
/// refuses a name used twice (ignoring case): the mapping and every refusal name columns by
/// header, so each name must be one column.
pub fn settle_headers(raw: Vec<String>, first_column: usize) -> Result<Vec<String>, ImportError> {
    let headers: Vec<String> = raw
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let h = h.trim();
            if h.is_empty() {
                format!("Column {}", column_letters(first_column + i))
            } else {
                h.to_owned()
            }
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, header) in headers.iter().enumerate() {
        if let Some(&first) = seen.get(&header.to_lowercase()) {
            return Err(ImportError::DuplicateHeader {
                name: headers[first].clone(),
                columns: (
                    column_letters(first_column + first),
                    column_letters(first_column + i),
                ),
            });
        }
        seen.insert(header.to_lowercase(), i);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn contact(name: &str) -> Target {
        Target::ContactProperty(name.into())
    }

    #[test]
    fn english_french_and_danish_headers_map_to_the_same_targets() {
        let expected = vec![
            Target::Email,
            Target::OccurredAt,
            contact("firstname"),
            contact("lastname"),
            contact("phone"),
            Target::Skip,
        ];
        let cases = [
            (
                Language::En,
                [
                    "Email",
                    "Occurred at",
                    "First name",
                    "Last name",
                    "Phone",
                    "Notes",
                ],
            ),
            (
                Language::En,
                [
                    "E-MAIL ",
                    "occurred_at",
                    "firstname",
                    "Last-Name",
                    "telephone",
                    "?",
                ],
            ),
            (
                Language::Fr,
                [
                    "Adresse e-mail",
                    "Date",
                    "Prénom",
                    "Nom",
                    "Téléphone",
                    "Remarques",
                ],
            ),
            (
                Language::Fr,
                ["Courriel", "Survenu le", "prenom", "NOM", "Tél.", ""],
            ),
            (
                Language::Da,
                [
                    "E-mailadresse",
                    "Dato",
                    "Fornavn",
                    "Efternavn",
                    "Telefon",
                    "Noter",
                ],
            ),
            (
                Language::Da,
                ["E-mail", "Opstået ved", "FORNAVN", "efternavn", "Tlf.", "x"],
            ),
        ];
        for (language, headers) in cases {
            assert_eq!(
                auto_map(&strings(&headers), language, &[]),
                expected,
                "{headers:?}"
            );
        }
    }

    #[test]
    fn the_language_decides_what_an_ambiguous_header_means() {
        // "Nom" is the last name in French and nothing in English; "By" is the city in Danish.
        assert_eq!(
            auto_map(&strings(&["Nom"]), Language::Fr, &[]),
            [contact("lastname")]
        );
        assert_eq!(
            auto_map(&strings(&["Nom"]), Language::En, &[]),
            [Target::Skip]
        );
        assert_eq!(
            auto_map(&strings(&["By"]), Language::Da, &[]),
            [contact("city")]
        );
        assert_eq!(
            auto_map(&strings(&["By"]), Language::En, &[]),
            [Target::Skip]
        );
        // English headers are understood in a French or Danish file too.
        assert_eq!(
            auto_map(
                &strings(&["Email", "Occurred at", "City"]),
                Language::Da,
                &[]
            ),
            [Target::Email, Target::OccurredAt, contact("city")]
        );
    }

    #[test]
    fn event_properties_match_by_name_or_label_before_contact_properties() {
        let props = [("order_total", "Montant"), ("title", "Title of the talk")];
        let headers = strings(&["E-mail", "Date", "Order total", "montant", "Title", "Ville"]);
        assert_eq!(
            auto_map(&headers, Language::Fr, &props),
            [
                Target::Email,
                Target::OccurredAt,
                Target::EventProperty("order_total".into()),
                // The same property again: left for the user to decide.
                Target::Skip,
                // An event property named "title" wins over the contact's job title.
                Target::EventProperty("title".into()),
                contact("city"),
            ]
        );
    }

    #[test]
    fn only_the_first_of_two_matching_columns_is_mapped() {
        let headers = strings(&["Email", "E-mail", "Date", "Occurred at"]);
        let targets = auto_map(&headers, Language::En, &[]);
        assert_eq!(
            targets,
            [
                Target::Email,
                Target::Skip,
                Target::OccurredAt,
                Target::Skip
            ]
        );
        assert!(check_mapping(&headers, &targets, &[]).is_ok());
    }

    #[test]
    fn new_properties_are_named_by_the_products_rule() {
        assert_eq!(
            Target::new_event_property(" Order total (€) ", PropertyType::Number),
            Some(Target::NewEventProperty {
                name: "order_total".into(),
                label: "Order total (€)".into(),
                kind: PropertyType::Number,
            })
        );
        assert_eq!(
            Target::new_event_property("2024 promo", PropertyType::String).map(|t| t.describe()),
            Some("the event property \"e_2024_promo\"".into())
        );
        assert_eq!(
            Target::new_event_property("!!!", PropertyType::String),
            None
        );
    }

    #[test]
    fn a_mapping_without_the_required_columns_is_refused_naming_them() {
        let headers = strings(&["Email", "Date", "Name"]);
        let refuse = |targets: &[Target]| {
            check_mapping(&headers, targets, &[])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refuse(&[Target::Skip, Target::Skip, Target::Skip]),
            "no column is mapped to the email address nor to \"occurred at\": both are required"
        );
        assert_eq!(
            refuse(&[Target::Skip, Target::OccurredAt, Target::Skip]),
            "no column is mapped to the email address, which is required"
        );
        assert_eq!(
            refuse(&[Target::Email, Target::Skip, contact("firstname")]),
            "no column is mapped to \"occurred at\", which is required"
        );
        assert_eq!(
            refuse(&[Target::Email, Target::OccurredAt]),
            "the file has 3 columns but the mapping gives 2 targets"
        );
    }

    #[test]
    fn a_mapping_naming_what_does_not_exist_or_twice_is_refused() {
        let headers = strings(&["Email", "Date", "Total", "Sum"]);
        let props = [("total", "Total")];
        let refuse = |third: Target, fourth: Target| {
            check_mapping(
                &headers,
                &[Target::Email, Target::OccurredAt, third, fourth],
                &props,
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            refuse(Target::EventProperty("sum".into()), Target::Skip),
            "column \"Total\" is mapped to the event property \"sum\", which the event does not have: create it or pick another"
        );
        assert_eq!(
            refuse(contact("shoe_size"), Target::Skip),
            "column \"Total\" is mapped to the contact property \"shoe_size\", which does not exist"
        );
        assert_eq!(
            refuse(Target::new_event_property("Total", PropertyType::Number).unwrap(), Target::Skip),
            "column \"Total\" would create the event property \"total\", which the event already has: map the column to it"
        );
        assert_eq!(
            refuse(
                Target::NewEventProperty { name: "Sum!".into(), label: "Sum".into(), kind: PropertyType::Number },
                Target::Skip
            ),
            "column \"Total\" would create the event property \"Sum!\", but a property name must start with a letter a-z"
        );
        assert_eq!(
            refuse(Target::EventProperty("total".into()), Target::EventProperty("total".into())),
            "columns \"Total\" and \"Sum\" are both mapped to the event property \"total\": map one of them elsewhere or to \"don't import\""
        );
        assert_eq!(
            refuse(contact("city"), contact("city")),
            "columns \"Total\" and \"Sum\" are both mapped to the contact property \"city\": map one of them elsewhere or to \"don't import\""
        );
        let two_new = check_mapping(
            &headers,
            &[
                Target::Email,
                Target::OccurredAt,
                Target::new_event_property("Sum x", PropertyType::Number).unwrap(),
                Target::new_event_property("sum-x", PropertyType::String).unwrap(),
            ],
            &props,
        );
        assert!(matches!(two_new, Err(MappingError::Repeated { .. })));
    }

    #[test]
    fn an_accepted_mapping_says_where_things_are() {
        let headers = strings(&["Date", "Email", "Plan"]);
        let targets = [
            Target::OccurredAt,
            Target::Email,
            Target::new_event_property("Plan", PropertyType::Enumeration).unwrap(),
        ];
        let mapping = check_mapping(&headers, &targets, &[]).unwrap();
        assert_eq!((mapping.email, mapping.occurred_at), (1, 0));
        assert_eq!(
            mapping.new_event_properties().collect::<Vec<_>>(),
            [("plan", "Plan", PropertyType::Enumeration)]
        );
    }

    #[test]
    fn headers_are_trimmed_named_when_blank_and_unique() {
        assert_eq!(
            settle_headers(strings(&[" Email ", "", "Date"]), 0).unwrap(),
            strings(&["Email", "Column B", "Date"])
        );
        let e = settle_headers(strings(&["Email", "Date", "Note", "EMAIL"]), 0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "two columns are named \"Email\" (columns A and D): rename one of them"
        );
        assert_eq!(
            settle_headers(strings(&["Email", ""]), 2).unwrap(),
            strings(&["Email", "Column D"])
        );
    }
}
