//! The JSON of `/events/v3/event-definitions`: HubSpot's request fields read into the model
//! (with every rule of SPEC §2 checked, all problems reported at once), and the model written
//! back in HubSpot's response shape (`fullyQualifiedName`, `labels`, `objectTypeId`, …).
//!
//! This collector's `fullyQualifiedName` is the name itself; a HubSpot-style `pe<id>_name`
//! is accepted wherever a name is read.

use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use wasmtrack_core::limits::check_name;

use crate::error::{ApiError, ErrorDetail};
use crate::model::definition::MAX_DEFINITION_PROPERTIES;
use crate::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyOption, PropertyType};
use crate::timestamp;
use wasmtrack_core::event::name_from_label;

/// Longest event label (HubSpot's limit).
pub const MAX_EVENT_LABEL: usize = 100;
/// Longest property label (HubSpot's limit).
pub const MAX_PROPERTY_LABEL: usize = 50;

/// Body of `POST /events/v3/event-definitions` (and of PATCH, which reads label and
/// description only). Unknown fields (`customMatchingId`, …) are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionBody {
    /// Shown to people; 1 to 100 characters. Required to create.
    #[schema(required = true, example = "Signed up")]
    pub label: Option<String>,
    /// Internal name: `a-z` first, then `a-z0-9_`, at most 50; derived from the label when
    /// absent. Cannot change.
    #[schema(example = "signup")]
    pub name: Option<String>,
    /// Help text.
    pub description: Option<String>,
    /// `CONTACT` (default), `COMPANY`, `DEAL` or `TICKET` (or `0-1`, `0-2`, `0-3`, `0-5`).
    /// Cannot change.
    pub primary_object: Option<String>,
    /// Custom properties, at most 500 (create only).
    pub property_definitions: Option<Vec<PropertyBody>>,
    /// Whether HubSpot's default `hs_*` properties are accepted (default true).
    pub include_default_properties: Option<bool>,
}

/// A property definition in a request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyBody {
    /// Internal name (the name rule); derived from the label when absent.
    pub name: Option<String>,
    /// Shown to people; 1 to 50 characters.
    #[schema(required = true)]
    pub label: Option<String>,
    /// Help text.
    pub description: Option<String>,
    /// `string`, `number`, `datetime` or `enumeration`.
    #[serde(rename = "type")]
    #[schema(required = true, example = "string")]
    pub kind: Option<String>,
    /// An enumeration's options (required for enumerations, refused for other types).
    pub options: Option<Vec<OptionBody>>,
}

/// An enumeration option in a request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OptionBody {
    /// Shown to people.
    #[schema(required = true)]
    pub label: Option<String>,
    /// What completions send: unique, without `;`.
    #[schema(required = true)]
    pub value: Option<String>,
    /// Position in lists (default: the option's position).
    pub display_order: Option<i64>,
    /// Hidden from pickers; still accepted (default false).
    pub hidden: Option<bool>,
    /// Help text.
    pub description: Option<String>,
}

/// Collects every problem of a request before answering.
#[derive(Default)]
pub struct Problems(Vec<ErrorDetail>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0
            .push(ErrorDetail::new("INVALID_FIELD", message).at(field));
    }

    /// The first problem's message, if any (the analyst app's live check shows it).
    pub fn first_message(&self) -> Option<String> {
        self.0.first().map(|p| p.message.clone())
    }

    pub fn finish(self) -> Result<(), ApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(ApiError::Validation {
                message: self.0[0].message.clone(),
                errors: self.0,
            }),
            n => Err(ApiError::Validation {
                message: format!("{n} problems in the request; see errors"),
                errors: self.0,
            }),
        }
    }
}

/// A label: required, non-blank, at most `max` characters.
pub fn label(value: Option<&str>, field: &str, max: usize, problems: &mut Problems) -> String {
    match value.map(str::trim) {
        None | Some("") => {
            problems.add(field, format!("{field} is required"));
            String::new()
        }
        Some(label) if label.chars().count() > max => {
            problems.add(field, format!("{field} is longer than {max} characters"));
            String::new()
        }
        Some(label) => label.to_owned(),
    }
}

/// An internal name: as given (checked), or derived from the label.
pub fn internal_name(
    given: Option<&str>,
    label: &str,
    field: &str,
    problems: &mut Problems,
) -> String {
    match given {
        Some(name) => {
            if let Err(e) = check_name(name) {
                problems.add(field, format!("{field} \"{name}\" is invalid: {}", e.message()));
            }
            name.to_owned()
        }
        None => name_from_label(label).unwrap_or_else(|| {
            if !label.is_empty() {
                problems.add(field, format!("no {field} given and none can be derived from the label \"{label}\"; give one that starts with a letter"));
            }
            String::new()
        }),
    }
}

/// Reads a new definition; `id` is assigned by the store.
pub fn new_definition(body: DefinitionBody, now: i64) -> Result<EventDefinition, ApiError> {
    let mut problems = Problems::default();
    let label = label(
        body.label.as_deref(),
        "label",
        MAX_EVENT_LABEL,
        &mut problems,
    );
    let name = internal_name(body.name.as_deref(), &label, "name", &mut problems);
    let primary_object = match body.primary_object.as_deref() {
        None => PrimaryObject::Contact,
        Some(text) => PrimaryObject::parse(text).unwrap_or_else(|| {
            problems.add(
                "primaryObject",
                format!("primaryObject \"{text}\" is not one of CONTACT, COMPANY, DEAL, TICKET"),
            );
            PrimaryObject::Contact
        }),
    };
    let bodies = body.property_definitions.unwrap_or_default();
    if bodies.len() > MAX_DEFINITION_PROPERTIES {
        problems.add(
            "propertyDefinitions",
            format!(
                "an event definition has at most {MAX_DEFINITION_PROPERTIES} properties; this one has {}",
                bodies.len()
            ),
        );
    }
    let mut properties: Vec<PropertyDef> = Vec::with_capacity(bodies.len());
    for (i, p) in bodies.into_iter().enumerate() {
        let property = property(p, &format!("propertyDefinitions[{i}]."), now, &mut problems);
        if !property.name.is_empty() && properties.iter().any(|q| q.name == property.name) {
            problems.add(
                format!("propertyDefinitions[{i}].name"),
                format!("property \"{}\" is defined twice", property.name),
            );
        }
        properties.push(property);
    }
    problems.finish()?;
    Ok(EventDefinition {
        id: 0,
        name,
        label,
        description: body.description.filter(|d| !d.is_empty()),
        primary_object,
        include_default_properties: body.include_default_properties.unwrap_or(true),
        properties,
        index: Default::default(),
        created_at: now,
        updated_at: now,
    })
}

/// Reads one property definition; `at` prefixes field names in errors.
pub fn property(body: PropertyBody, at: &str, now: i64, problems: &mut Problems) -> PropertyDef {
    let label = label(
        body.label.as_deref(),
        &format!("{at}label"),
        MAX_PROPERTY_LABEL,
        problems,
    );
    let name = internal_name(body.name.as_deref(), &label, &format!("{at}name"), problems);
    let kind = match body.kind.as_deref() {
        Some(text) => PropertyType::parse(text).unwrap_or_else(|| {
            problems.add(
                format!("{at}type"),
                format!("type \"{text}\" is not one of string, number, datetime, enumeration"),
            );
            PropertyType::String
        }),
        None => {
            problems.add(format!("{at}type"), format!("{at}type is required"));
            PropertyType::String
        }
    };
    let options = match (kind, body.options) {
        (PropertyType::Enumeration, None) => {
            problems.add(
                format!("{at}options"),
                "an enumeration property needs at least one option",
            );
            vec![]
        }
        (PropertyType::Enumeration, Some(list)) => options(list, &format!("{at}options"), problems),
        (_, Some(list)) if !list.is_empty() => {
            problems.add(
                format!("{at}options"),
                "only enumeration properties take options",
            );
            vec![]
        }
        (_, _) => vec![],
    };
    PropertyDef {
        name,
        label,
        description: body.description.filter(|d| !d.is_empty()),
        kind,
        options,
        created_at: now,
        updated_at: now,
    }
}

/// Reads enumeration options: at least one, each with a label and a unique value.
pub fn options(list: Vec<OptionBody>, at: &str, problems: &mut Problems) -> Vec<PropertyOption> {
    if list.is_empty() {
        problems.add(at, "an enumeration property needs at least one option");
    }
    let mut out: Vec<PropertyOption> = Vec::with_capacity(list.len());
    for (i, o) in list.into_iter().enumerate() {
        let value = match o.value {
            Some(v) if !v.is_empty() && !v.contains(';') => v,
            _ => {
                problems.add(
                    format!("{at}[{i}].value"),
                    "an option needs a value, without `;` (it separates multiple values)",
                );
                continue;
            }
        };
        if out.iter().any(|p| p.value == value) {
            problems.add(
                format!("{at}[{i}].value"),
                format!("option value \"{value}\" is given twice"),
            );
            continue;
        }
        let label = o
            .label
            .filter(|l| !l.trim().is_empty())
            .unwrap_or_else(|| value.clone());
        out.push(PropertyOption {
            label,
            value,
            display_order: o.display_order.unwrap_or(i64::try_from(i).unwrap_or(0)),
            hidden: o.hidden.unwrap_or(false),
            description: o.description.filter(|d| !d.is_empty()),
        });
    }
    out
}

/// A definition in HubSpot's response shape.
pub fn definition_json(def: &EventDefinition, include_properties: bool) -> Value {
    let properties: Vec<Value> = if include_properties {
        def.properties.iter().map(property_json).collect()
    } else {
        vec![]
    };
    json!({
        "id": def.id.to_string(),
        "name": def.name,
        "fullyQualifiedName": def.name,
        "label": def.label,
        "labels": { "singular": def.label, "plural": def.label },
        "description": def.description.clone().unwrap_or_default(),
        "primaryObject": def.primary_object.as_str(),
        "primaryObjectId": def.primary_object.type_id(),
        "objectTypeId": format!("6-{}", def.id),
        "trackingType": "MANUAL",
        "includeDefaultProperties": def.include_default_properties,
        "archived": false,
        "associations": [],
        "properties": properties,
        "createdAt": timestamp::format(def.created_at),
        "updatedAt": timestamp::format(def.updated_at),
    })
}

/// A property in HubSpot's response shape.
pub fn property_json(p: &PropertyDef) -> Value {
    let options: Vec<Value> = p
        .options
        .iter()
        .map(|o| {
            json!({
                "label": o.label,
                "value": o.value,
                "displayOrder": o.display_order,
                "hidden": o.hidden,
                "description": o.description.clone().unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "name": p.name,
        "label": p.label,
        "type": p.kind.as_str(),
        "fieldType": p.kind.field_type(),
        "description": p.description.clone().unwrap_or_default(),
        "groupName": "event_properties",
        "options": options,
        "displayOrder": -1,
        "hidden": false,
        "hubspotDefined": false,
        "archived": false,
        "calculated": false,
        "externalOptions": false,
        "hasUniqueValue": false,
        "formField": false,
        "modificationMetadata": { "archivable": true, "readOnlyDefinition": false, "readOnlyValue": false },
        "createdAt": timestamp::format(p.created_at),
        "updatedAt": timestamp::format(p.updated_at),
    })
}

/// The ready-to-paste JS call for `def`, every custom property filled with an example of its
/// type (SPEC §2 "JS code").
pub fn snippet(def: &EventDefinition) -> String {
    let props: Vec<String> = def
        .properties
        .iter()
        .map(|p| format!("{}: {}", p.name, example(p)))
        .collect();
    let properties = if props.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", props.join(", "))
    };
    format!(
        "_wtq.push(['trackCustomBehavioralEvent', {{ name: {}, properties: {properties} }}]);\n",
        js_string(&def.name)
    )
}

fn example(p: &PropertyDef) -> String {
    match p.kind {
        PropertyType::String => js_string("example text"),
        PropertyType::Number => "42".to_owned(),
        PropertyType::Datetime => "new Date().toISOString()".to_owned(),
        PropertyType::Enumeration => {
            let first = p.options.iter().find(|o| !o.hidden).or(p.options.first());
            js_string(first.map_or("", |o| o.value.as_str()))
        }
    }
}

/// A single-quoted JS string literal.
fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '<' => out.push_str("\\x3c"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> DefinitionBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_name_is_derived_from_the_label() {
        let def = new_definition(body(r#"{"label":"Clicked Pricing"}"#), 1).unwrap();
        assert_eq!(def.name, "clicked_pricing");
        assert_eq!(def.primary_object, PrimaryObject::Contact);
        assert!(def.include_default_properties);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = new_definition(
            body(
                r#"{"name":"Bad Name","primaryObject":"LEAD","propertyDefinitions":[
                {"name":"a","label":"A","type":"enumeration"},
                {"name":"a","label":"A","type":"color"}]}"#,
            ),
            1,
        )
        .unwrap_err();
        let ApiError::Validation { errors, .. } = err else {
            panic!("not a validation error")
        };
        let fields: Vec<_> = errors.iter().filter_map(|e| e.location.clone()).collect();
        assert_eq!(
            fields,
            [
                "label",
                "name",
                "primaryObject",
                "propertyDefinitions[0].options",
                "propertyDefinitions[1].type",
                "propertyDefinitions[1].name"
            ]
        );
    }

    #[test]
    fn snippets_fill_every_property_with_an_example() {
        let def = new_definition(
            body(r#"{"label":"Signup","propertyDefinitions":[
                {"name":"plan","label":"Plan","type":"enumeration","options":[{"label":"Pro","value":"pro"}]},
                {"name":"seats","label":"Seats","type":"number"},
                {"name":"note","label":"Note","type":"string"},
                {"name":"trial_end","label":"Trial end","type":"datetime"}]}"#),
            1,
        )
        .unwrap();
        assert_eq!(
            snippet(&def),
            "_wtq.push(['trackCustomBehavioralEvent', { name: 'signup', properties: { plan: 'pro', seats: 42, note: 'example text', trial_end: new Date().toISOString() } }]);\n"
        );
        assert_eq!(js_string("it's </script>"), "'it\\'s \\x3c/script>'");
    }
}
