//! A column's target as one line of text, the same for the HTTP API (`mapping`), the CLI
//! (`--map HEADER=TARGET`) and the app's form values:
//!
//! | text | target |
//! |---|---|
//! | `email` | the contact's email (required) |
//! | `occurred_at` | when the event happened (required) |
//! | `contact:firstname` | a contact property |
//! | `event:plan` | a property of the event's definition |
//! | `new:string:Room` | a new event property of that type (`string`, `number`, `datetime`), labelled `Room` |
//! | `skip` | don't import |
//!
//! A new enumeration cannot be made here: its options must be defined first, on the event.

use super::Target;
use crate::model::PropertyType;

/// The text of `target`.
pub fn target_text(target: &Target) -> String {
    match target {
        Target::Email => "email".into(),
        Target::OccurredAt => "occurred_at".into(),
        Target::ContactProperty(name) => format!("contact:{name}"),
        Target::EventProperty(name) => format!("event:{name}"),
        Target::NewEventProperty { label, kind, .. } => format!("new:{}:{label}", kind.as_str()),
        Target::Skip => "skip".into(),
    }
}

/// The target `text` names, or what is wrong with it.
pub fn parse_target(text: &str) -> Result<Target, String> {
    let text = text.trim();
    let (head, rest) = text.split_once(':').unwrap_or((text, ""));
    match (head, rest) {
        ("email", "") => Ok(Target::Email),
        ("occurred_at", "") => Ok(Target::OccurredAt),
        ("skip", "") => Ok(Target::Skip),
        ("contact", name) if !name.is_empty() => Ok(Target::ContactProperty(name.to_owned())),
        ("event", name) if !name.is_empty() => Ok(Target::EventProperty(name.to_owned())),
        ("new", spec) => {
            let (kind, label) = spec.split_once(':').unwrap_or((spec, ""));
            let kind = match PropertyType::parse(kind) {
                Some(PropertyType::Enumeration) => {
                    return Err(format!(
                        "\"{text}\": a new enumeration needs its options; add the property to the event first, then map the column to event:<name>"
                    ))
                }
                Some(kind) => kind,
                None => {
                    return Err(format!(
                        "\"{text}\": a new property's type is string, number or datetime (new:string:Label)"
                    ))
                }
            };
            Target::new_event_property(label, kind).ok_or_else(|| {
                format!("\"{text}\": the label \"{label}\" cannot make a property name")
            })
        }
        _ => Err(format!(
            "\"{text}\" is not a column target: use email, occurred_at, contact:<name>, event:<name>, new:<type>:<label> or skip"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_reads_back_from_its_text_and_bad_text_says_what_is_allowed() {
        for target in [
            Target::Email,
            Target::OccurredAt,
            Target::Skip,
            Target::ContactProperty("firstname".into()),
            Target::EventProperty("plan".into()),
            Target::new_event_property("Room number", PropertyType::Number).unwrap(),
        ] {
            assert_eq!(parse_target(&target_text(&target)), Ok(target));
        }
        assert_eq!(
            parse_target("new:string:Room"),
            Ok(Target::NewEventProperty {
                name: "room".into(),
                label: "Room".into(),
                kind: PropertyType::String
            })
        );
        assert!(parse_target("nope").unwrap_err().contains("contact:<name>"));
        assert!(parse_target("new:enumeration:Size")
            .unwrap_err()
            .contains("options"));
        assert!(parse_target("new:colour:Size")
            .unwrap_err()
            .contains("string, number or datetime"));
        assert!(parse_target("new:string:!!!").is_err());
    }
}
