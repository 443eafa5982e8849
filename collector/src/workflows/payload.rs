//! The JSON a webhook step POSTs: what a receiver needs to act without calling back.
//!
//! ```json
//! {"id": "wt-enr12-step0", "type": "workflow.webhook", "attempt": 1,
//!  "workflow": {"id": 3, "name": "Welcome pro sign-ups"},
//!  "enrollment": {"id": 12, "step": 0, "enrolledAt": 1800000000000},
//!  "contact": {"id": 7, "email": "ada@example.com", "properties": {"firstname": "Ada"}},
//!  "event": {"id": "…", "name": "signup", "occurredAt": 1800000000000,
//!            "properties": {"plan": "pro"}, "pageProperties": {"path": "/pricing"}},
//!  "lastWait": {"step": 1, "event": "first_login", "outcome": "eventHappened",
//!               "eventId": "…", "at": 1800000360000}}
//! ```
//!
//! `id` is the idempotency key (also sent as the `Idempotency-Key` header): the same on every
//! attempt of one step of one enrollment. `event` is the completion that enrolled the contact;
//! `lastWait` is there after a "delay until event happens" step, its `outcome` either
//! `eventHappened` or `maxWaitPassed`.

use serde_json::{json, Map, Value};

use super::signature::idempotency_key;
use super::Workflow;
use crate::store::{ContactRecord, Enrollment, StoredEvent};

fn object(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str::<Map<String, Value>>(t).ok())
        .map_or_else(|| Value::Object(Map::new()), Value::Object)
}

/// The body of attempt `attempt` (from 1) of `e`'s current step.
pub fn body(
    workflow: &Workflow,
    e: &Enrollment,
    contact: Option<&ContactRecord>,
    event: Option<&StoredEvent>,
    attempt: i64,
) -> Vec<u8> {
    let key = idempotency_key(
        u64::try_from(e.id).unwrap_or(0),
        usize::try_from(e.step).unwrap_or(0),
    );
    let mut body = json!({
        "id": key,
        "type": "workflow.webhook",
        "attempt": attempt,
        "workflow": {"id": workflow.id, "name": workflow.name},
        "enrollment": {"id": e.id, "step": e.step, "enrolledAt": e.created_at},
        "contact": match contact {
            Some(c) => json!({
                "id": c.id,
                "email": c.email,
                "externalId": c.external_id,
                "properties": c.properties,
            }),
            None => json!({"id": e.contact}),
        },
        "event": match event {
            Some(ev) => json!({
                "id": ev.id,
                "name": ev.name,
                "occurredAt": ev.occurred_at,
                "properties": object(Some(&ev.props)),
                "pageProperties": object(ev.defaults.as_deref()),
            }),
            None => json!({"name": e.event_name}),
        },
    });
    if let Some(wait) = e.last_wait.as_deref() {
        body["lastWait"] = object(Some(wait));
    }
    body.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PrimaryObject;

    #[test]
    fn the_body_names_the_workflow_contact_event_and_the_last_wait() {
        let workflow: Workflow = serde_json::from_value(json!({
            "id": 3, "name": "Welcome", "triggers": [], "actions": []
        }))
        .unwrap();
        let e = Enrollment {
            id: 12,
            workflow: 3,
            contact: 7,
            event_seq: 40,
            event_name: "signup".into(),
            step: 2,
            state: "active".into(),
            created_at: 1_000,
            attempts: 4,
            wake_at: None,
            step_started_at: None,
            last_wait: Some(
                r#"{"step":1,"event":"first_login","outcome":"maxWaitPassed","at":5}"#.into(),
            ),
            finished_at: None,
        };
        let contact = ContactRecord {
            id: 7,
            email: Some("ada@example.com".into()),
            external_id: None,
            properties: [("firstname".to_owned(), "Ada".to_owned())].into(),
            created_at: 1,
            updated_at: 1,
        };
        let event = StoredEvent {
            id: "e-1".into(),
            name: "signup".into(),
            occurred_at: 900,
            object_type: PrimaryObject::Contact,
            object_id: Some(7),
            props: r#"{"plan":"pro"}"#.into(),
            defaults: Some(r#"{"path":"/pricing"}"#.into()),
        };
        let sent: Value =
            serde_json::from_slice(&body(&workflow, &e, Some(&contact), Some(&event), 5)).unwrap();
        assert_eq!(sent["id"], "wt-enr12-step2");
        assert_eq!(sent["attempt"], 5);
        assert_eq!(sent["workflow"], json!({"id": 3, "name": "Welcome"}));
        assert_eq!(sent["enrollment"]["step"], 2);
        assert_eq!(sent["contact"]["email"], "ada@example.com");
        assert_eq!(sent["contact"]["properties"]["firstname"], "Ada");
        assert_eq!(sent["event"]["properties"], json!({"plan": "pro"}));
        assert_eq!(sent["event"]["pageProperties"], json!({"path": "/pricing"}));
        assert_eq!(sent["lastWait"]["outcome"], "maxWaitPassed");

        let bare: Value = serde_json::from_slice(&body(
            &workflow,
            &Enrollment {
                last_wait: None,
                ..e
            },
            None,
            None,
            1,
        ))
        .unwrap();
        assert_eq!(bare["contact"], json!({"id": 7}));
        assert_eq!(bare["event"], json!({"name": "signup"}));
        assert!(bare.get("lastWait").is_none());
    }
}
