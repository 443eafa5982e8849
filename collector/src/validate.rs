//! The HTTP semantics of SPEC §3: an event completion that breaks a limit or a type rule is
//! refused with a reason naming the event, the property and the rule. Never truncated.
//!
//! The limits and the name rule come from the tracker's `core::limits`, the one module both
//! sides read (STYLE §3); only the type rules, which need a definition, are written here.
//! `/events/v3/send` and `/v1/collect` both call [`check_event`], so a completion is judged
//! the same way whichever door it came through.

use std::collections::HashSet;
use std::sync::Arc;

use wasmtrack_core::event::is_builtin;
use wasmtrack_core::limits::{
    check_name, js_len, truncate_js, value_limit, NameError, MAX_NAME_LEN, MAX_PROPERTIES,
};
use wasmtrack_core::properties::Props;

use crate::error::ErrorDetail;
use crate::model::{hubspot_defaults, EventDefinition, PropertyOption, PropertyType};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Stable code, e.g. `PROPERTY_VALUE_TOO_LONG`.
    pub code: &'static str,
    /// A sentence naming the event, the property and the rule.
    pub message: String,
    /// The property concerned, if any.
    pub property: Option<String>,
    /// The limit broken, if it is a number.
    pub limit: Option<usize>,
}

impl Violation {
    /// A violation; [`Violation::on`] names its property.
    pub fn new(code: &'static str, message: String) -> Self {
        Violation {
            code,
            message,
            property: None,
            limit: None,
        }
    }

    fn on(mut self, property: &str) -> Self {
        self.property = Some(property.to_owned());
        self
    }

    fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// As an entry of HubSpot's `errors` list; `at` prefixes the location (`inputs[3].`).
    pub fn detail(&self, event: &str, at: &str) -> ErrorDetail {
        let location = match &self.property {
            Some(p) => format!("{at}properties.{p}"),
            None => format!("{at}eventName"),
        };
        let mut detail = ErrorDetail::new(self.code, self.message.clone())
            .at(location)
            .with("eventName", event);
        if let Some(p) = &self.property {
            detail = detail.with("propertyName", p.clone());
        }
        if let Some(limit) = self.limit {
            detail = detail.with("limit", limit.to_string());
        }
        detail
    }
}

/// What an event name refers to.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// `$pageview` or `$identify`: no definition, no type rules.
    Builtin(String),
    /// A defined event.
    Defined(Arc<EventDefinition>),
}

impl EventKind {
    /// The internal name.
    pub fn name(&self) -> &str {
        match self {
            EventKind::Builtin(name) => name,
            EventKind::Defined(def) => &def.name,
        }
    }
}

/// HubSpot clients send the fully qualified name `pe<portal id>_<name>`; this collector's
/// fully qualified name is the name itself, and the prefix is accepted and dropped.
pub fn strip_portal_prefix(sent: &str) -> Option<&str> {
    let rest = sent.strip_prefix("pe")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    rest[digits..].strip_prefix('_')
}

/// Finds the event `sent` names: a built-in, a definition by name, or a definition by
/// HubSpot's fully qualified name.
pub fn resolve_event(
    sent: &str,
    lookup: impl Fn(&str) -> Option<Arc<EventDefinition>>,
) -> Result<EventKind, Violation> {
    if is_builtin(sent) {
        return Ok(EventKind::Builtin(sent.to_owned()));
    }
    if let Some(def) = lookup(sent).or_else(|| strip_portal_prefix(sent).and_then(&lookup)) {
        return Ok(EventKind::Defined(def));
    }
    let message = match check_name(sent) {
        Err(NameError::Empty) => "eventName is required".to_owned(),
        Err(NameError::TooLong) => {
            format!("event \"{sent}\" is not defined: a name has at most {MAX_NAME_LEN} characters")
        }
        Err(e) => format!("event \"{sent}\" is not defined: {}", e.message()),
        Ok(()) => format!("event \"{sent}\" is not defined; create its definition first"),
    };
    Err(Violation::new("UNKNOWN_EVENT", message))
}

/// Checks the custom properties of one completion of `event` against every limit and, for a
/// defined event, against its property definitions. On success the properties to store:
/// when a name repeats, the first is kept (SPEC §2).
pub fn check_event(event: &EventKind, props: Props) -> Result<Props, Vec<Violation>> {
    let name = event.name();
    let mut violations = Vec::new();
    if props.len() > MAX_PROPERTIES {
        violations.push(
            Violation::new(
                "TOO_MANY_PROPERTIES",
                format!(
                    "event \"{name}\" has {} properties, over the limit of {MAX_PROPERTIES}",
                    props.len()
                ),
            )
            .limit(MAX_PROPERTIES),
        );
    }
    // Which properties to store: in the usual case every one, and `props` is returned as is.
    let mut keep = vec![true; props.len()];
    let mut seen = Seen::with_capacity(props.len());
    for ((property, value), keep) in props.iter().zip(&mut keep) {
        if let Err(v) = check_pair(name, property, value) {
            violations.push(v);
            continue;
        }
        if !seen.insert(property) {
            *keep = false;
            continue;
        }
        if let EventKind::Defined(def) = event {
            if let Err(v) = check_type(def, property, value) {
                violations.push(v);
            }
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    if keep.iter().all(|k| *k) {
        return Ok(props);
    }
    Ok(props
        .into_iter()
        .zip(keep)
        .filter_map(|(pair, keep)| keep.then_some(pair))
        .collect())
}

/// The beacon semantics of SPEC §3 (what the JS API does, and what the collector keeps for what
/// the tracker sends): every property that breaks a rule is dropped or cut, and reported, and
/// the completion keeps the rest. A name that is not a valid name, a property the definition
/// lacks, or a value that does not fit its type or options is dropped; a value over its length
/// limit is cut at the limit (as the tracker cuts it); past 50 properties the rest are dropped.
/// The rules are [`check_event`]'s: one set of rules, two ways of applying them.
pub fn keep_event(event: &EventKind, props: Props) -> (Props, Vec<Violation>) {
    // Nearly every completion a tracker sends breaks no rule: then it is kept as it came,
    // without copying a property.
    if all_fit(event, &props) {
        return (props, Vec::new());
    }
    let def = match event {
        EventKind::Defined(def) => Some(&**def),
        EventKind::Builtin(_) => None,
    };
    keep(event.name(), &props, def, MAX_PROPERTIES, "properties")
}

/// The beacon semantics on `props`: invalid names dropped, values cut at their limit, a
/// repeated name kept once, values checked against `def` when given, at most `max` kept; the
/// rest dropped and said in one report (one per property could let one event fill data
/// quality with names).
fn keep(
    event: &str,
    props: &Props,
    def: Option<&EventDefinition>,
    max: usize,
    what: &str,
) -> (Props, Vec<Violation>) {
    let mut dropped = Vec::new();
    let mut kept: Props = Vec::with_capacity(props.len().min(max));
    let mut seen = Seen::with_capacity(props.len());
    let mut over = 0usize;
    for (property, value) in props {
        // A cut is reported only for a value that is kept.
        let (value, cut_report) = match cut(event, property, value) {
            Ok(Some((report, value))) => (value, Some(report)),
            Ok(None) => (value.as_str(), None),
            Err(v) => {
                dropped.push(v);
                continue;
            }
        };
        if !seen.insert(property) {
            continue;
        }
        if let Some(Err(v)) = def.map(|def| check_type(def, property, value)) {
            dropped.push(v);
            continue;
        }
        if kept.len() == max {
            over += 1;
            continue;
        }
        dropped.extend(cut_report);
        kept.push((property.clone(), value.to_owned()));
    }
    if over > 0 {
        dropped.push(
            Violation::new(
                "TOO_MANY_PROPERTIES",
                format!(
                    "event \"{event}\" has more than {max} valid {what}; {over} past the first {max} were dropped"
                ),
            )
            .limit(max),
        );
    }
    (kept, dropped)
}

/// Whether every property keeps every rule, and no name repeats.
fn all_fit(event: &EventKind, props: &Props) -> bool {
    if props.len() > MAX_PROPERTIES {
        return false;
    }
    let name = event.name();
    let mut seen = Seen::with_capacity(props.len());
    props.iter().all(|(property, value)| {
        check_pair(name, property, value).is_ok()
            && seen.insert(property)
            && match event {
                EventKind::Defined(def) => check_type(def, property, value).is_ok(),
                EventKind::Builtin(_) => true,
            }
    })
}

/// Default (page) properties with the beacon semantics: names checked, values cut at their
/// limit, at most [`MAX_DEFAULT_PROPERTIES`] (the tracker sends about a dozen).
pub fn keep_defaults(event: &str, props: &Props) -> (Props, Vec<Violation>) {
    keep(
        event,
        props,
        None,
        MAX_DEFAULT_PROPERTIES,
        "default properties",
    )
}

/// Most default (page) properties one beacon event keeps.
pub const MAX_DEFAULT_PROPERTIES: usize = 50;

/// The limits of one pair with the beacon semantics: an invalid name is an error; a value over
/// its limit is cut (`Some`, with the report of the cut).
fn cut<'a>(
    event: &str,
    property: &str,
    value: &'a str,
) -> Result<Option<(Violation, &'a str)>, Violation> {
    match check_pair(event, property, value) {
        Ok(()) => Ok(None),
        Err(v) if v.code == "PROPERTY_VALUE_TOO_LONG" => {
            let limit = value_limit(property);
            let message = format!(
                "event \"{event}\": value of property \"{property}\" was cut to the limit of {limit} characters"
            );
            Ok(Some((
                Violation::new("PROPERTY_VALUE_TOO_LONG", message)
                    .on(property)
                    .limit(limit),
                truncate_js(value, limit),
            )))
        }
        Err(v) => Err(v),
    }
}

/// Property names met so far: a few are found faster in a list than hashed.
enum Seen<'a> {
    Few(Vec<&'a str>),
    Many(HashSet<&'a str>),
}

impl<'a> Seen<'a> {
    fn with_capacity(n: usize) -> Self {
        if n <= 16 {
            Seen::Few(Vec::with_capacity(n))
        } else {
            Seen::Many(HashSet::with_capacity(n))
        }
    }

    /// False when `name` was met before.
    fn insert(&mut self, name: &'a str) -> bool {
        match self {
            Seen::Few(names) if names.contains(&name) => false,
            Seen::Few(names) => {
                names.push(name);
                true
            }
            Seen::Many(names) => names.insert(name),
        }
    }
}

/// The limits of SPEC §3 on one name/value pair.
fn check_pair(event: &str, property: &str, value: &str) -> Result<(), Violation> {
    match check_name(property) {
        Ok(()) => {}
        Err(NameError::TooLong) => {
            let len = js_len(property);
            let message = format!(
                "event \"{event}\": property name \"{property}\" is {len} characters, over the limit of {MAX_NAME_LEN}"
            );
            return Err(Violation::new("PROPERTY_NAME_TOO_LONG", message)
                .on(property)
                .limit(MAX_NAME_LEN));
        }
        Err(e) => {
            let message = format!(
                "event \"{event}\": property name \"{property}\" is invalid: {}",
                e.message()
            );
            return Err(Violation::new("INVALID_PROPERTY_NAME", message).on(property));
        }
    }
    let limit = value_limit(property);
    let len = js_len(value);
    if len > limit {
        let message = format!(
            "event \"{event}\": value of property \"{property}\" is {len} characters, over the limit of {limit}"
        );
        return Err(Violation::new("PROPERTY_VALUE_TOO_LONG", message)
            .on(property)
            .limit(limit));
    }
    Ok(())
}

/// The allowed values of an enumeration, from a definition or from HubSpot's defaults.
enum Options<'a> {
    Custom(&'a [PropertyOption]),
    Default(&'static [&'static str]),
}

impl Options<'_> {
    fn contains(&self, value: &str) -> bool {
        match self {
            Options::Custom(list) => list.iter().any(|o| o.value == value),
            Options::Default(list) => list.contains(&value),
        }
    }

    fn values(&self) -> Vec<&str> {
        match self {
            Options::Custom(list) => list.iter().map(|o| o.value.as_str()).collect(),
            Options::Default(list) => list.to_vec(),
        }
    }
}

fn check_type(def: &EventDefinition, property: &str, value: &str) -> Result<(), Violation> {
    let event = &def.name;
    let (kind, options) = match def.property(property) {
        Some(p) => (p.kind, Options::Custom(&p.options)),
        None => match hubspot_defaults::lookup(property).filter(|_| def.include_default_properties)
        {
            Some((kind, options)) => (kind, Options::Default(options)),
            None => {
                let message = format!("event \"{event}\" has no property \"{property}\"; add it to the definition first");
                return Err(Violation::new("PROPERTY_NOT_DEFINED", message).on(property));
            }
        },
    };
    let (ok, code, rule) = match kind {
        PropertyType::String => (true, "INVALID_PROPERTY_VALUE", String::new()),
        PropertyType::Number => (
            value.parse::<f64>().is_ok_and(f64::is_finite),
            "INVALID_NUMBER",
            "a number".to_owned(),
        ),
        PropertyType::Datetime => (
            crate::timestamp::parse(value).is_some(),
            "INVALID_DATETIME",
            "a datetime (epoch milliseconds or ISO 8601)".to_owned(),
        ),
        PropertyType::Enumeration => (
            value.split(';').all(|v| options.contains(v)),
            "INVALID_ENUMERATION_VALUE",
            format!(
                "one or more `;`-separated values among the options [{}]",
                options.values().join(", ")
            ),
        ),
    };
    if ok {
        return Ok(());
    }
    let message =
        format!("event \"{event}\": value \"{value}\" of property \"{property}\" is not {rule}");
    Err(Violation::new(code, message).on(property))
}

/// Normalizes a contact email: trimmed and lowercased; `None` unless it looks like
/// `local@domain` within 254 characters.
pub fn normalize_email(text: &str) -> Option<String> {
    let email = text.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    // Control characters (NUL included) and spaces have no place in an address, and would
    // reach every screen and export that shows the contact.
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PrimaryObject, PropertyDef};

    fn prop(name: &str, kind: PropertyType, options: &[&str]) -> PropertyDef {
        PropertyDef::plain(name, kind, options, 0)
    }

    fn signup() -> EventKind {
        EventKind::Defined(Arc::new(EventDefinition {
            id: 1,
            name: "signup".into(),
            label: "Signup".into(),
            description: None,
            primary_object: PrimaryObject::Contact,
            include_default_properties: true,
            properties: vec![
                prop("plan", PropertyType::Enumeration, &["free", "pro"]),
                prop("seats", PropertyType::Number, &[]),
                prop("trial_end", PropertyType::Datetime, &[]),
                prop("note", PropertyType::String, &[]),
                prop("landing_url", PropertyType::String, &[]),
            ],
            index: Default::default(),
            created_at: 0,
            updated_at: 0,
        }))
    }

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn codes(result: Result<Props, Vec<Violation>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|v| v.code)
            .collect()
    }

    #[test]
    fn valid_values_of_every_type_pass() {
        let ok = check_event(
            &signup(),
            props(&[
                ("plan", "free;pro"),
                ("seats", "3.5"),
                ("trial_end", "2024-01-31T00:00:00Z"),
                ("note", ""),
                ("hs_device_type", "PDA;Smartphone"),
                ("hs_city", "Cambridge"),
            ]),
        );
        assert_eq!(ok.map(|p| p.len()), Ok(6));
    }

    #[test]
    fn type_rules_are_enforced() {
        assert_eq!(
            codes(check_event(&signup(), props(&[("seats", "three")]))),
            ["INVALID_NUMBER"]
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("seats", "inf")]))),
            ["INVALID_NUMBER"]
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("trial_end", "tomorrow")]))),
            ["INVALID_DATETIME"]
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("plan", "pro;gold")]))),
            ["INVALID_ENUMERATION_VALUE"]
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("color", "red")]))),
            ["PROPERTY_NOT_DEFINED"]
        );
    }

    #[test]
    fn limits_are_enforced_at_their_exact_edges() {
        let name51 = "a".repeat(51);
        assert_eq!(
            codes(check_event(&signup(), props(&[(&name51, "x")]))),
            ["PROPERTY_NAME_TOO_LONG"]
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("note", &"v".repeat(256))]))),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("note", &"v".repeat(257))]))),
            ["PROPERTY_VALUE_TOO_LONG"]
        );
        assert_eq!(
            codes(check_event(
                &signup(),
                props(&[("landing_url", &"u".repeat(1024))])
            )),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(check_event(
                &signup(),
                props(&[("landing_url", &"u".repeat(1025))])
            )),
            ["PROPERTY_VALUE_TOO_LONG"]
        );
        assert_eq!(
            codes(check_event(&signup(), props(&[("Note", "x")]))),
            ["INVALID_PROPERTY_NAME"]
        );
        let many: Vec<(String, String)> = (0..51)
            .map(|i| (format!("p{i}"), "x".to_string()))
            .collect();
        let builtin = EventKind::Builtin("$pageview".into());
        assert_eq!(codes(check_event(&builtin, many)), ["TOO_MANY_PROPERTIES"]);
    }

    #[test]
    fn messages_name_event_property_and_rule() {
        let err = check_event(&signup(), props(&[("note", &"v".repeat(257))])).unwrap_err();
        assert_eq!(
            err[0].message,
            "event \"signup\": value of property \"note\" is 257 characters, over the limit of 256"
        );
        let detail = err[0].detail("signup", "inputs[2].");
        assert_eq!(
            detail.location.as_deref(),
            Some("inputs[2].properties.note")
        );
        assert_eq!(detail.context["limit"], serde_json::json!(["256"]));
    }

    #[test]
    fn beacons_keep_what_fits_and_name_what_they_drop() {
        let (kept, dropped) = keep_event(
            &signup(),
            props(&[
                ("plan", "pro"),
                ("color", "red"),
                ("seats", "many"),
                ("note", &"v".repeat(300)),
                ("Bad", "x"),
                ("plan", "free"),
            ]),
        );
        assert_eq!(kept[0], ("plan".to_owned(), "pro".to_owned()));
        assert_eq!(kept[1].0, "note");
        assert_eq!(kept[1].1.len(), 256);
        assert_eq!(kept.len(), 2);
        let codes: Vec<(&str, Option<&str>)> = dropped
            .iter()
            .map(|v| (v.code, v.property.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("PROPERTY_NOT_DEFINED", Some("color")),
                ("INVALID_NUMBER", Some("seats")),
                ("PROPERTY_VALUE_TOO_LONG", Some("note")),
                ("INVALID_PROPERTY_NAME", Some("Bad")),
            ]
        );
        let fine = props(&[("plan", "pro"), ("seats", "2")]);
        assert_eq!(keep_event(&signup(), fine.clone()), (fine, vec![]));
        let builtin = EventKind::Builtin("$pageview".into());
        let many: Props = (0..60)
            .map(|i| (format!("p{i}"), "x".to_string()))
            .collect();
        let (kept, dropped) = keep_event(&builtin, many);
        assert_eq!(kept.len(), 50);
        assert_eq!(dropped.len(), 1);
        assert!(dropped[0].message.contains("10 past the first 50"));
    }

    #[test]
    fn a_repeated_name_keeps_the_first() {
        let kept = check_event(&signup(), props(&[("note", "a"), ("note", "b")]));
        assert_eq!(kept, Ok(props(&[("note", "a")])));
        // Among many properties too (names are then hashed rather than listed).
        let mut many: Props = (0..20)
            .map(|i| (format!("p{i}"), "x".to_string()))
            .collect();
        many.push(("p3".into(), "again".into()));
        let builtin = EventKind::Builtin("$pageview".into());
        let kept = check_event(&builtin, many.clone()).unwrap();
        assert_eq!(kept, many[..20].to_vec());
    }

    #[test]
    fn events_resolve_by_name_fully_qualified_name_or_builtin() {
        let def = match signup() {
            EventKind::Defined(d) => d,
            EventKind::Builtin(_) => unreachable!(),
        };
        let lookup = |n: &str| (n == "signup").then(|| def.clone());
        assert!(matches!(
            resolve_event("signup", lookup),
            Ok(EventKind::Defined(_))
        ));
        assert!(matches!(
            resolve_event("pe1234567_signup", lookup),
            Ok(EventKind::Defined(_))
        ));
        assert!(matches!(
            resolve_event("$pageview", lookup),
            Ok(EventKind::Builtin(_))
        ));
        let unknown = resolve_event("checkout", lookup).unwrap_err();
        assert_eq!(
            unknown.message,
            "event \"checkout\" is not defined; create its definition first"
        );
        assert_eq!(strip_portal_prefix("pe_x"), None);
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(
            normalize_email(" Mark.S@Lumon.Industries ").as_deref(),
            Some("mark.s@lumon.industries")
        );
        assert_eq!(normalize_email("nobody"), None);
        assert_eq!(normalize_email("@x"), None);
        assert_eq!(normalize_email("ada\u{0}@example.com"), None);
        assert_eq!(normalize_email("ada lovelace@example.com"), None);
    }
}
