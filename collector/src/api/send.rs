//! `POST /events/v3/send` and `POST /events/v3/send/batch`: completions sent by back ends,
//! with HubSpot's HTTP semantics. Every input is checked against every rule (SPEC §3) before
//! anything is stored; one failing input fails the whole request with a 400 listing every
//! problem, and nothing of it is stored. Answers 204.
//!
//! Who a completion is about follows HubSpot's priority: `objectId`, then `email`, then `utk`
//! (the visitor id). A `utk` sent with an `objectId` or `email` links that visitor to the
//! contact, as the tracker's `identify` does.

use std::fmt;

use axum::extract::State;
use axum::http::StatusCode;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;
use wasmtrack_core::properties::Props;

use super::openapi::schemas;
use super::props_json;
use crate::error::{ApiError, AppJson, ErrorDetail};
use crate::model::PrimaryObject;
use crate::store::{Ingest, NewEvent, Subject};
use crate::timestamp::{self, now_ms};
use crate::validate::{check_event, normalize_email, resolve_event, EventKind};
use crate::AppState;

/// Most inputs in one batch (HubSpot's limit).
pub const MAX_BATCH_INPUTS: usize = 500;
/// Longest `uuid`, `utk`.
const MAX_ID_LEN: usize = 128;

/// One completion as HubSpot's clients send it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendInput {
    /// The event's internal name, or HubSpot's fully qualified `pe<portal>_<name>`.
    #[schema(required = true, example = "signup")]
    event_name: Option<String>,
    /// The contact, by email (created if new).
    email: Option<String>,
    /// The record: a positive integer, as a number or a string. Required for events of
    /// `COMPANY`, `DEAL` and `TICKET` definitions.
    #[schema(value_type = Option<String>)]
    object_id: Option<Value>,
    /// A visitor id (the tracker's); with `objectId` or `email` it links that visitor.
    utk: Option<String>,
    /// ISO 8601 or epoch milliseconds (default: now).
    #[schema(value_type = Option<String>)]
    occurred_at: Option<Value>,
    /// The completion's id: a second completion with the same id is not stored again.
    uuid: Option<String>,
    /// At most 50 properties: strings, numbers or booleans.
    #[schema(value_type = Option<Object>)]
    properties: Option<Box<RawValue>>,
}

/// Body of `send/batch`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchInput {
    /// 1 to 500 completions.
    #[schema(required = true)]
    inputs: Option<Vec<SendInput>>,
}

/// `POST /events/v3/send` → 204.
#[utoipa::path(
    post, path = "/events/v3/send", tag = "Events",
    operation_id = "sendEvent",
    summary = "Send one completion (HubSpot's HTTP semantics: all or nothing)",
    request_body = SendInput,
    responses(
        (status = 204, description = "Stored (or already stored under its uuid)"),
        (status = 400, description = "An input breaks a rule: every problem is listed and nothing is stored", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 429, description = "Over the credential's rate limit: retry after `Retry-After`", body = schemas::Error),
        (status = 503, description = "Busy: retry after `Retry-After`", body = schemas::Error),
    ),
    security(("bearer" = ["send"])),
)]
pub async fn single(
    State(state): State<AppState>,
    AppJson(input): AppJson<SendInput>,
) -> Result<StatusCode, ApiError> {
    let now = now_ms();
    let event = prepare(&state, input, "", now).map_err(fail)?;
    state
        .store
        .ingest(Ingest {
            events: vec![event],
            ..Ingest::default()
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /events/v3/send/batch` with `{"inputs":[…]}` (1 to 500) → 204, all or nothing.
#[utoipa::path(
    post, path = "/events/v3/send/batch", tag = "Events",
    operation_id = "sendEventBatch",
    summary = "Send 1 to 500 completions, all or nothing",
    request_body = BatchInput,
    responses(
        (status = 204, description = "All stored"),
        (status = 400, description = "An input breaks a rule: every problem is listed and nothing is stored", body = schemas::Error),
        (status = 401, description = "No or wrong credential", body = schemas::Error),
        (status = 403, description = "The credential lacks the scope", body = schemas::Error),
        (status = 429, description = "Over the credential's rate limit: retry after `Retry-After`", body = schemas::Error),
        (status = 503, description = "Busy: retry after `Retry-After`", body = schemas::Error),
    ),
    security(("bearer" = ["send"])),
)]
pub async fn batch(
    State(state): State<AppState>,
    AppJson(batch): AppJson<BatchInput>,
) -> Result<StatusCode, ApiError> {
    let inputs = batch.inputs.unwrap_or_default();
    if inputs.is_empty() || inputs.len() > MAX_BATCH_INPUTS {
        return Err(ApiError::field(
            "inputs",
            format!(
                "inputs must hold 1 to {MAX_BATCH_INPUTS} events; it holds {}",
                inputs.len()
            ),
        ));
    }
    let now = now_ms();
    let mut events = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        match prepare(&state, input, &format!("inputs[{i}]."), now) {
            Ok(event) => events.push(event),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if !errors.is_empty() {
        return Err(fail(errors));
    }
    state
        .store
        .ingest(Ingest {
            events,
            ..Ingest::default()
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn fail(errors: Vec<ErrorDetail>) -> ApiError {
    let message = match errors.as_slice() {
        [one] => one.message.clone(),
        many => format!(
            "{} problems; nothing was stored: {}",
            many.len(),
            many[0].message
        ),
    };
    ApiError::Validation { message, errors }
}

/// Checks one input; `at` prefixes locations (`inputs[3].`).
fn prepare(
    state: &AppState,
    input: SendInput,
    at: &str,
    now: i64,
) -> Result<NewEvent, Vec<ErrorDetail>> {
    let sent_name = input.event_name.unwrap_or_default();
    let kind = resolve_event(&sent_name, |n| state.store.definition(n))
        .map_err(|v| vec![v.detail(&sent_name, at)])?;
    let name = kind.name().to_owned();
    let field = |f: &str, message: String| {
        ErrorDetail::new("INVALID_FIELD", message)
            .at(format!("{at}{f}"))
            .with("eventName", name.clone())
    };
    let mut errors = Vec::new();

    let props = match read_properties(input.properties.as_deref()) {
        Ok(props) => props,
        Err(message) => {
            errors.push(field("properties", format!("event \"{name}\": {message}")));
            vec![]
        }
    };
    let props = check_event(&kind, props).unwrap_or_else(|violations| {
        errors.extend(violations.iter().map(|v| v.detail(&name, at)));
        vec![]
    });

    let object_type = match &kind {
        EventKind::Defined(def) => def.primary_object,
        EventKind::Builtin(_) => PrimaryObject::Contact,
    };
    let object_id = match &input.object_id {
        None | Some(Value::Null) => None,
        Some(v) => match object_id(v) {
            Some(id) => Some(id),
            None => {
                errors.push(field(
                    "objectId",
                    format!("objectId {v} is not a record id (a positive integer)"),
                ));
                None
            }
        },
    };
    let email = match input.email.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(text) => normalize_email(text).or_else(|| {
            errors.push(field(
                "email",
                format!("email \"{text}\" is not an email address"),
            ));
            None
        }),
    };
    let utk = input.utk.filter(|u| !u.is_empty());
    if utk.as_ref().is_some_and(|u| u.len() > MAX_ID_LEN) {
        errors.push(field(
            "utk",
            format!("utk is longer than {MAX_ID_LEN} characters"),
        ));
    }
    let subject = match (object_id, email, object_type) {
        (Some(id), _, _) => Subject::ObjectId(id),
        (None, email @ Some(_), PrimaryObject::Contact) => Subject::Contact {
            email,
            external_id: None,
        },
        (None, None, PrimaryObject::Contact) if utk.is_some() => Subject::Anonymous,
        (None, _, PrimaryObject::Contact) => {
            errors.push(field(
                "objectId",
                format!("event \"{name}\": one of objectId, email or utk is required"),
            ));
            Subject::Anonymous
        }
        (None, _, other) => {
            errors.push(field(
                "objectId",
                format!(
                    "event \"{name}\" belongs to {} records: objectId is required",
                    other.as_str()
                ),
            ));
            Subject::Anonymous
        }
    };

    let occurred_at = match &input.occurred_at {
        None | Some(Value::Null) => now,
        Some(Value::String(text)) => timestamp::parse(text).unwrap_or_else(|| {
            errors.push(field(
                "occurredAt",
                format!("occurredAt \"{text}\" is not ISO 8601 or epoch milliseconds"),
            ));
            now
        }),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|ms| (0..=timestamp::MAX_MS).contains(ms))
            .unwrap_or_else(|| {
                errors.push(field(
                    "occurredAt",
                    format!("occurredAt {n} is not epoch milliseconds"),
                ));
                now
            }),
        Some(other) => {
            errors.push(field(
                "occurredAt",
                format!("occurredAt {other} is not ISO 8601 or epoch milliseconds"),
            ));
            now
        }
    };
    let id = match input.uuid.filter(|u| !u.is_empty()) {
        None => crate::random::uuid(),
        Some(uuid) if uuid.len() > MAX_ID_LEN => {
            errors.push(field(
                "uuid",
                format!("uuid is longer than {MAX_ID_LEN} characters"),
            ));
            uuid
        }
        Some(uuid) => uuid,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewEvent {
        id,
        name,
        occurred_at,
        received_at: now,
        object_type,
        subject,
        vid: utk,
        sid: None,
        site: None,
        props: props_json(&props),
        defaults: None,
    })
}

/// A record id given as a number or a string of digits (leading zeros allowed).
fn object_id(value: &Value) -> Option<i64> {
    let id = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()?
        }
        _ => return None,
    };
    (id > 0).then_some(id)
}

/// Reads `properties`: an object of strings, numbers and booleans (`null` values are left
/// out), in its key order. An object encoded as a JSON string, as some of HubSpot's own
/// examples send it, is read as that object.
fn read_properties(raw: Option<&RawValue>) -> Result<Props, String> {
    let Some(raw) = raw else { return Ok(vec![]) };
    let text = raw.get();
    let parsed: Result<Ordered, _> = if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
        serde_json::from_str(&inner)
    } else if text == "null" {
        return Ok(vec![]);
    } else {
        serde_json::from_str(text)
    };
    let Ordered(pairs) = parsed
        .map_err(|_| "properties must be an object of property names to values".to_owned())?;
    let mut props = Vec::with_capacity(pairs.len());
    for (name, value) in pairs {
        let value = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "property \"{name}\" must be a string, number or boolean"
                ));
            }
        };
        props.push((name, value));
    }
    Ok(props)
}

/// A JSON object's entries in document order, repeats included.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn properties_keep_order_and_read_scalars() {
        let props =
            read_properties(Some(&raw(r#"{"b":"x","a":3,"c":true,"d":null,"b":"y"}"#))).unwrap();
        assert_eq!(
            props,
            vec![
                ("b".into(), "x".into()),
                ("a".into(), "3".into()),
                ("c".into(), "true".into()),
                ("b".into(), "y".into())
            ]
        );
    }

    #[test]
    fn properties_encoded_as_a_string_are_read() {
        let props = read_properties(Some(&raw(r#""{\"hs_page_id\":\"1\"}""#))).unwrap();
        assert_eq!(props, vec![("hs_page_id".into(), "1".into())]);
    }

    #[test]
    fn nested_values_and_non_objects_are_refused() {
        assert!(read_properties(Some(&raw(r#"{"a":{"b":1}}"#))).is_err());
        assert!(read_properties(Some(&raw("[1]"))).is_err());
        assert_eq!(read_properties(None), Ok(vec![]));
    }

    #[test]
    fn object_ids_are_positive_integers() {
        assert_eq!(object_id(&serde_json::json!("089274502")), Some(89_274_502));
        assert_eq!(object_id(&serde_json::json!(608051)), Some(608_051));
        assert_eq!(object_id(&serde_json::json!("abc")), None);
        assert_eq!(object_id(&serde_json::json!(0)), None);
    }
}
