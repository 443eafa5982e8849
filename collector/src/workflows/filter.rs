//! Refinement filters on an event's properties: the "and the plan is pro" of a workflow's
//! trigger or of a "delay until event happens" step.
//!
//! The JSON form follows HubSpot's filters (`{"property":"plan","operator":"EQ","value":"pro"}`,
//! `IN` with a `values` array) so that people who wrote HubSpot workflow filters read ours
//! unchanged. [`Filter::matches`] judges one completion's stored properties.
//!
//! # How values compare
//!
//! * Stored values are text (`"3"`); numbers may also arrive as JSON numbers. Both are read as
//!   text first, so `"3"` and `3` match alike.
//! * An enumeration value may hold several options joined by `;` (`"red;blue"`). `EQ`, `NEQ` and
//!   `IN` treat a value as that set of options, and also as the whole text (so a string that
//!   happens to contain `;` still equals itself): `EQ` is true when any of them equals, `NEQ`
//!   when none does.
//! * `EQ`, `NEQ` and `IN` compare exactly, case included, as HubSpot compares enumeration
//!   values: an option's value is an identifier (`pro` is not `Pro`). `CONTAINS_TOKEN` ignores
//!   case (Unicode lowercase on both sides), as HubSpot's string search does: someone looking
//!   for "pricing" in a page title means "Pricing" too.
//! * `GT` and `LT` read the value as a decimal number; text that is not one (or several
//!   options) does not match.
//! * A property that is absent, `null` or empty text is unknown: only `NEQ` is true of it
//!   (HubSpot's "is not equal to" includes contacts without the property; its "is known" is
//!   false for an empty value).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One condition on one property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFilter", into = "RawFilter")]
pub struct Filter {
    /// The property's internal name.
    pub property: String,
    /// What its value must satisfy.
    pub op: Op,
}

/// A filter's operator and operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `EQ`: the value, or one of its `;` options, is exactly this.
    Equals(String),
    /// `NEQ`: neither the value nor any of its options is this; true when the property is
    /// unknown.
    NotEquals(String),
    /// `CONTAINS_TOKEN`: the value contains this text, case ignored.
    Contains(String),
    /// `HAS_PROPERTY`: the property has a non-empty value.
    IsKnown,
    /// `GT`: the value is a number greater than this.
    GreaterThan(f64),
    /// `LT`: the value is a number less than this.
    LessThan(f64),
    /// `IN`: the value, or one of its options, is one of these.
    IsAnyOf(Vec<String>),
}

impl Op {
    /// HubSpot's operator name (`EQ`, `IN`, …).
    pub fn operator(&self) -> &'static str {
        match self {
            Op::Equals(_) => "EQ",
            Op::NotEquals(_) => "NEQ",
            Op::Contains(_) => "CONTAINS_TOKEN",
            Op::IsKnown => "HAS_PROPERTY",
            Op::GreaterThan(_) => "GT",
            Op::LessThan(_) => "LT",
            Op::IsAnyOf(_) => "IN",
        }
    }
}

impl Filter {
    /// A filter on `property`.
    pub fn new(property: &str, op: Op) -> Self {
        Filter {
            property: property.to_owned(),
            op,
        }
    }

    /// Whether a completion with properties `props` passes this filter.
    pub fn matches(&self, props: &Map<String, Value>) -> bool {
        let Some(text) = props.get(&self.property).and_then(value_text) else {
            return matches!(self.op, Op::NotEquals(_));
        };
        match &self.op {
            Op::Equals(v) => has_option(&text, v),
            Op::NotEquals(v) => !has_option(&text, v),
            Op::Contains(v) => text.to_lowercase().contains(&v.to_lowercase()),
            Op::IsKnown => true,
            Op::GreaterThan(v) => number(&text).is_some_and(|n| n > *v),
            Op::LessThan(v) => number(&text).is_some_and(|n| n < *v),
            Op::IsAnyOf(vs) => vs.iter().any(|v| has_option(&text, v)),
        }
    }
}

/// Whether every filter passes (filters within a trigger are AND-ed; none is always true).
pub fn all_match(filters: &[Filter], props: &Map<String, Value>) -> bool {
    filters.iter().all(|f| f.matches(props))
}

/// A stored value as text; `None` when it is unknown (absent, null or empty).
fn value_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // Arrays are joined by `;` before they are stored (the tracker and the API do it); an
        // array seen here is read the same way.
        Value::Array(items) => items
            .iter()
            .filter_map(value_text)
            .collect::<Vec<_>>()
            .join(";"),
        Value::Object(_) => value.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

fn has_option(text: &str, wanted: &str) -> bool {
    text == wanted || text.split(';').any(|option| option == wanted)
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The JSON form, checked into a [`Filter`] on the way in.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFilter {
    property: String,
    operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
}

impl TryFrom<RawFilter> for Filter {
    type Error = String;

    fn try_from(raw: RawFilter) -> Result<Self, String> {
        let operator = raw.operator.as_str();
        let text = || match &raw.value {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(format!("operator {operator} needs a text \"value\"")),
        };
        let number = || {
            let n = match &raw.value {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            n.filter(|n| n.is_finite())
                .ok_or_else(|| format!("operator {operator} needs a number \"value\""))
        };
        let op = match operator {
            "EQ" => Op::Equals(text()?),
            "NEQ" => Op::NotEquals(text()?),
            "CONTAINS_TOKEN" => Op::Contains(text()?),
            "HAS_PROPERTY" => Op::IsKnown,
            "GT" => Op::GreaterThan(number()?),
            "LT" => Op::LessThan(number()?),
            "IN" => match raw.values {
                Some(values) if !values.is_empty() => Op::IsAnyOf(values),
                _ => return Err("operator IN needs a non-empty \"values\" array".into()),
            },
            other => {
                return Err(format!(
                    "unknown operator \"{other}\"; one of EQ, NEQ, CONTAINS_TOKEN, HAS_PROPERTY, GT, LT, IN"
                ))
            }
        };
        Ok(Filter {
            property: raw.property,
            op,
        })
    }
}

impl From<Filter> for RawFilter {
    fn from(filter: Filter) -> Self {
        let operator = filter.op.operator().to_owned();
        let (value, values) = match filter.op {
            Op::Equals(v) | Op::NotEquals(v) | Op::Contains(v) => (Some(Value::String(v)), None),
            Op::IsKnown => (None, None),
            Op::GreaterThan(n) | Op::LessThan(n) => (
                Some(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
                None,
            ),
            Op::IsAnyOf(vs) => (None, Some(vs)),
        };
        RawFilter {
            property: filter.property,
            operator,
            value,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn props(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("tests pass objects"),
        }
    }

    fn filter(json: Value) -> Filter {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn reads_hubspots_json_form() {
        let f = filter(json!({"property":"plan","operator":"EQ","value":"pro"}));
        assert_eq!(f, Filter::new("plan", Op::Equals("pro".into())));
        let f = filter(json!({"property":"plan","operator":"IN","values":["pro","team"]}));
        assert_eq!(f.op, Op::IsAnyOf(vec!["pro".to_owned(), "team".to_owned()]));
        assert_eq!(
            filter(json!({"property":"seats","operator":"GT","value":"3"})).op,
            Op::GreaterThan(3.0)
        );
        assert_eq!(
            filter(json!({"property":"seats","operator":"LT","value":2.5})).op,
            Op::LessThan(2.5)
        );
        assert_eq!(
            filter(json!({"property":"x","operator":"HAS_PROPERTY"})).op,
            Op::IsKnown
        );
    }

    #[test]
    fn refuses_malformed_filters_with_a_reason() {
        for (bad, says) in [
            (
                json!({"property":"p","operator":"LIKE","value":"x"}),
                "unknown operator",
            ),
            (json!({"property":"p","operator":"EQ"}), "needs a text"),
            (
                json!({"property":"p","operator":"GT","value":"many"}),
                "needs a number",
            ),
            (
                json!({"property":"p","operator":"GT","value":"NaN"}),
                "needs a number",
            ),
            (
                json!({"property":"p","operator":"IN","values":[]}),
                "non-empty",
            ),
            (
                json!({"property":"p","operator":"IN","value":"x"}),
                "non-empty",
            ),
        ] {
            let err = serde_json::from_value::<Filter>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn enumeration_values_are_sets_of_options() {
        let p = props(json!({"colors": "red;blue"}));
        assert!(Filter::new("colors", Op::Equals("blue".into())).matches(&p));
        assert!(Filter::new("colors", Op::Equals("red;blue".into())).matches(&p));
        assert!(!Filter::new("colors", Op::Equals("green".into())).matches(&p));
        assert!(!Filter::new("colors", Op::NotEquals("red".into())).matches(&p));
        assert!(Filter::new("colors", Op::NotEquals("green".into())).matches(&p));
        let any = Op::IsAnyOf(vec!["green".into(), "red".into()]);
        assert!(Filter::new("colors", any).matches(&p));
    }

    #[test]
    fn equality_keeps_case_and_contains_ignores_it() {
        let p = props(json!({"plan": "pro", "title": "Pricing — Acme"}));
        assert!(!Filter::new("plan", Op::Equals("Pro".into())).matches(&p));
        assert!(Filter::new("title", Op::Contains("pricing".into())).matches(&p));
        assert!(Filter::new("title", Op::Contains("ACME".into())).matches(&p));
        assert!(!Filter::new("title", Op::Contains("about".into())).matches(&p));
    }

    #[test]
    fn numbers_compare_whether_stored_as_text_or_as_numbers() {
        for p in [props(json!({"seats": "3"})), props(json!({"seats": 3}))] {
            assert!(Filter::new("seats", Op::GreaterThan(2.0)).matches(&p));
            assert!(!Filter::new("seats", Op::GreaterThan(3.0)).matches(&p));
            assert!(Filter::new("seats", Op::LessThan(3.5)).matches(&p));
            assert!(Filter::new("seats", Op::Equals("3".into())).matches(&p));
        }
        let p = props(json!({"seats": "several"}));
        assert!(!Filter::new("seats", Op::GreaterThan(0.0)).matches(&p));
        assert!(!Filter::new("seats", Op::LessThan(0.0)).matches(&p));
    }

    #[test]
    fn an_unknown_property_passes_only_not_equals() {
        for p in [
            props(json!({})),
            props(json!({"plan": null})),
            props(json!({"plan": ""})),
        ] {
            assert!(Filter::new("plan", Op::NotEquals("pro".into())).matches(&p));
            for op in [
                Op::Equals("pro".into()),
                Op::Contains("".into()),
                Op::IsKnown,
                Op::GreaterThan(-1e300),
                Op::LessThan(1e300),
                Op::IsAnyOf(vec!["pro".into()]),
            ] {
                assert!(!Filter::new("plan", op).matches(&p));
            }
        }
    }

    #[test]
    fn all_match_ands_and_an_empty_list_passes() {
        let p = props(json!({"plan": "pro", "seats": "4"}));
        assert!(all_match(&[], &p));
        let pro = Filter::new("plan", Op::Equals("pro".into()));
        let big = Filter::new("seats", Op::GreaterThan(10.0));
        assert!(all_match(std::slice::from_ref(&pro), &p));
        assert!(!all_match(&[pro, big], &p));
    }

    fn any_op() -> impl Strategy<Value = Op> {
        let text = "[a-zA-Z0-9; ]{0,8}";
        prop_oneof![
            text.prop_map(Op::Equals),
            text.prop_map(Op::NotEquals),
            text.prop_map(Op::Contains),
            Just(Op::IsKnown),
            (-1e6f64..1e6).prop_map(Op::GreaterThan),
            (-1e6f64..1e6).prop_map(Op::LessThan),
            proptest::collection::vec(text, 1..4).prop_map(Op::IsAnyOf),
        ]
    }

    proptest! {
        #[test]
        fn equals_and_not_equals_are_opposites(value in "[a-z;]{0,10}", wanted in "[a-z]{0,3}") {
            let p = props(json!({"p": value}));
            let eq = Filter::new("p", Op::Equals(wanted.clone())).matches(&p);
            let neq = Filter::new("p", Op::NotEquals(wanted.clone())).matches(&p);
            prop_assert_ne!(eq, neq);
            let is_in = Filter::new("p", Op::IsAnyOf(vec![wanted])).matches(&p);
            prop_assert_eq!(eq, is_in);
        }

        #[test]
        fn the_json_form_round_trips(property in "[a-z_]{1,12}", op in any_op()) {
            let f = Filter::new(&property, op);
            let back: Filter = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
            prop_assert_eq!(back, f);
        }
    }
}
