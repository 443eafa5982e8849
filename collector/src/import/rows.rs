//! One row of a spreadsheet to one completion and its contact, judged by the HTTP API's rules
//! (SPEC §3, [`crate::validate::check_event`]): names, lengths, 50 properties, types,
//! enumeration options. A row that breaks one is a [`RowRefusal`] naming its line, the column
//! at fault and the reason, never an error that stops the import.
//!
//! # Exactly once
//! A row's event id is `imp-<identity>-<line>`: the import's identity is a hash of the file's
//! bytes and the event's name, so importing the same file again, or resuming an interrupted
//! import, sends the same ids, and the collector's id uniqueness stores each row once.

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Cell, DateReader, Mapping, Row, RowRefusal, Target};
use crate::model::{EventDefinition, PrimaryObject, PropertyType};
use crate::store::{ContactUpdate, NewEvent, Subject};
use crate::validate::{check_event, normalize_email, EventKind};

/// Longest contact property value kept (HubSpot's limit for a text property).
pub const MAX_CONTACT_VALUE: usize = 65_536;

/// The identity of importing `file_hash` (hex SHA-256 of the file's bytes) into `event`: what
/// every row's id is made from.
pub fn identity(file_hash: &str, event: &str) -> String {
    let mut h = Sha256::new();
    h.update(file_hash.as_bytes());
    h.update([0]);
    h.update(event.as_bytes());
    let digest = h.finalize();
    crate::auth::hex(&digest[..12])
}

/// Everything decided once per import that turns its rows into completions.
pub struct RowPlan {
    /// The event the rows complete (with any property the mapping added).
    pub event: Arc<EventDefinition>,
    /// The file's header.
    pub headers: Vec<String>,
    /// What each column becomes.
    pub mapping: Mapping,
    /// How the "occurred at" column (and datetime properties in date cells) is read.
    pub dates: DateReader,
    /// See [`identity`].
    pub identity: String,
    /// Now, epoch ms: the received time, and the limit for "occurred at".
    pub now_ms: i64,
}

impl RowPlan {
    /// The completion a row makes, and the contact update its contact columns ask for.
    pub fn convert(&self, row: &Row) -> Result<(NewEvent, Option<ContactUpdate>), RowRefusal> {
        let refuse = |column: Option<usize>, reason: String| RowRefusal {
            line: row.line,
            column: column.and_then(|c| self.headers.get(c)).cloned(),
            reason,
        };
        let cell = |i: usize| row.cells.get(i).unwrap_or(&Cell::Empty);
        let email_text = cell(self.mapping.email).as_text();
        let email = normalize_email(email_text.trim()).ok_or_else(|| {
            let reason = if email_text.trim().is_empty() {
                "the email address is empty".to_owned()
            } else {
                format!("\"{}\" is not an email address", email_text.trim())
            };
            refuse(Some(self.mapping.email), reason)
        })?;
        let occurred_at = self
            .dates
            .occurred_at(cell(self.mapping.occurred_at), self.now_ms)
            .map_err(|e| refuse(Some(self.mapping.occurred_at), e.to_string()))?;
        let mut props: Vec<(String, String)> = Vec::new();
        let mut contact: BTreeMap<String, String> = BTreeMap::new();
        let mut column_of: BTreeMap<String, usize> = BTreeMap::new();
        for (i, target) in self.mapping.columns.iter().enumerate() {
            let value = cell(i);
            if value.is_blank() {
                continue;
            }
            match target {
                Target::EventProperty(name) | Target::NewEventProperty { name, .. } => {
                    let text = self
                        .property_text(name, value)
                        .map_err(|r| refuse(Some(i), r))?;
                    column_of.insert(name.clone(), i);
                    props.push((name.clone(), text));
                }
                Target::ContactProperty(name) => {
                    let text = value.as_text().trim().to_owned();
                    if text.chars().count() > MAX_CONTACT_VALUE {
                        return Err(refuse(
                            Some(i),
                            format!(
                                "a contact property holds at most {MAX_CONTACT_VALUE} characters"
                            ),
                        ));
                    }
                    contact.insert(name.clone(), text);
                }
                Target::Email | Target::OccurredAt | Target::Skip => {}
            }
        }
        let props = check_event(&EventKind::Defined(self.event.clone()), props).map_err(|v| {
            let first = &v[0];
            let column = first
                .property
                .as_ref()
                .and_then(|p| column_of.get(p))
                .copied();
            refuse(column, first.message.clone())
        })?;
        let event = NewEvent {
            id: format!("imp-{}-{}", self.identity, row.line),
            name: self.event.name.clone(),
            occurred_at,
            received_at: self.now_ms,
            object_type: PrimaryObject::Contact,
            subject: Subject::Contact {
                email: Some(email.clone()),
                external_id: None,
            },
            vid: None,
            sid: None,
            site: None,
            props: crate::api::props_json(&props),
            defaults: None,
        };
        let update = (!contact.is_empty()).then_some(ContactUpdate {
            email,
            properties: contact,
            at: self.now_ms,
        });
        Ok((event, update))
    }

    /// An event property's value as the API would receive it: text as written (trimmed); a
    /// date cell for a datetime property as epoch ms, in the import's zone.
    fn property_text(&self, name: &str, value: &Cell) -> Result<String, String> {
        let kind = self
            .event
            .properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.kind);
        match (kind, value) {
            (Some(PropertyType::Datetime), Cell::ExcelDate(_)) => self
                .dates
                .read(value)
                .map(|ms| ms.to_string())
                .map_err(|e| e.to_string()),
            _ => Ok(value.as_text().trim().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{check_mapping, DateFormat};
    use crate::model::PropertyDef;

    fn plan(targets: Vec<Target>) -> RowPlan {
        let event = EventDefinition {
            id: 1,
            name: "attended".into(),
            label: "Attended".into(),
            description: None,
            primary_object: PrimaryObject::Contact,
            include_default_properties: false,
            properties: vec![
                PropertyDef::plain("session", PropertyType::Enumeration, &["am", "pm"], 0),
                PropertyDef::plain("seats", PropertyType::Number, &[], 0),
            ],
            index: Default::default(),
            created_at: 0,
            updated_at: 0,
        };
        let headers: Vec<String> = ["E-mail", "Date", "Session", "Seats", "First name", "Notes"]
            .map(String::from)
            .to_vec();
        let props = [("session", "Session"), ("seats", "Seats")];
        let mapping = check_mapping(&headers, &targets, &props).unwrap();
        RowPlan {
            event: Arc::new(event),
            headers,
            mapping,
            dates: DateReader::new(DateFormat::Dmy, "Europe/Paris").unwrap(),
            identity: identity("abc", "attended"),
            now_ms: 1_800_000_000_000,
        }
    }

    fn targets() -> Vec<Target> {
        vec![
            Target::Email,
            Target::OccurredAt,
            Target::EventProperty("session".into()),
            Target::EventProperty("seats".into()),
            Target::ContactProperty("firstname".into()),
            Target::Skip,
        ]
    }

    fn row(line: u64, cells: [&str; 6]) -> Row {
        Row {
            line,
            cells: cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn a_row_becomes_a_completion_of_its_contact_with_an_id_from_the_import_and_the_line() {
        let plan = plan(targets());
        let (event, contact) = plan
            .convert(&row(
                7,
                [
                    "Ada@Example.com ",
                    "31/03/2024 02:30",
                    "pm",
                    "3",
                    "Ada",
                    "x",
                ],
            ))
            .unwrap();
        assert_eq!(event.id, format!("imp-{}-7", identity("abc", "attended")));
        assert_eq!(
            event.subject,
            Subject::Contact {
                email: Some("ada@example.com".into()),
                external_id: None
            }
        );
        // 02:30 does not exist in Paris that night: moved forward by the gap, 03:30 CEST.
        assert_eq!(event.occurred_at, 1_711_848_600_000);
        assert_eq!(event.props, r#"{"session":"pm","seats":"3"}"#);
        let contact = contact.unwrap();
        assert_eq!(contact.email, "ada@example.com");
        assert_eq!(
            contact.properties.get("firstname").map(String::as_str),
            Some("Ada")
        );
        assert_ne!(identity("abc", "attended"), identity("abd", "attended"));
        assert_ne!(identity("abc", "attended"), identity("abc", "other"));
    }

    #[test]
    fn a_row_that_breaks_a_rule_is_refused_naming_its_line_column_and_reason() {
        let plan = plan(targets());
        let refused = |cells| plan.convert(&row(9, cells)).unwrap_err();
        let r = refused(["nobody", "01/01/2024", "am", "1", "", ""]);
        assert_eq!((r.line, r.column.as_deref()), (9, Some("E-mail")));
        assert!(r.reason.contains("nobody"), "{}", r.reason);
        let r = refused(["a@b.example", "01/01/2099", "am", "1", "", ""]);
        assert_eq!(r.column.as_deref(), Some("Date"));
        let r = refused(["a@b.example", "2024-01-01", "am", "1", "", ""]);
        assert_eq!(r.column.as_deref(), Some("Date"), "{}", r.reason);
        let r = refused(["a@b.example", "01/01/2024", "evening", "1", "", ""]);
        assert_eq!(r.column.as_deref(), Some("Session"));
        assert!(r.reason.contains("evening"), "{}", r.reason);
        let r = refused(["a@b.example", "01/01/2024", "am", "many", "", ""]);
        assert_eq!(r.column.as_deref(), Some("Seats"), "{}", r.reason);
        // Empty cells are no value, not an error.
        assert!(plan
            .convert(&row(3, ["a@b.example", "01/01/2024", "", "", "", ""]))
            .is_ok());
    }
}
