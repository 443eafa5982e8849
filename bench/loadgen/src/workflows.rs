//! `workflows COUNT HOOK_URL`: the workflows the throughput-with-workflows figure enables (issue
//! 17 point 2), one JSON body of `POST /v1/workflows` per line.
//!
//! They are what an account with twenty workflows on its sign-up event looks like: triggers on
//! the benchmark event with every operator, on its own properties and on the page's, one
//! filter or several, one trigger or two; some pass the benchmark's completions and some do
//! not, because a collector matches every completion against every enabled workflow whether
//! it enrolls anyone or not. Each sends a webhook to `HOOK_URL/<n>` (the bench's receiver);
//! some wait a day and send a second one, as a nudge does. Re-enrollment stays off, HubSpot's
//! default. Which of them enroll is not written here: the collector decides, and the bench
//! counts its enrollments.

use serde_json::{json, Value};

/// A workflow's name and its triggers, each a list of `(property, operator, operand)`;
/// `IN`'s operand is its values joined by `,`.
type Spec = (
    &'static str,
    &'static [&'static [(&'static str, &'static str, &'static str)]],
);

/// The catalogue, cycled when more are asked for. Properties: the benchmark event's
/// (`bench/event.json`) and the page's (`beacon::DEFAULTS`).
const SPECS: [Spec; 20] = [
    ("Pro trials", &[&[("plan", "EQ", "pro")]]),
    ("Enterprise trials", &[&[("plan", "EQ", "enterprise")]]),
    ("Teams over 10 seats", &[&[("seats", "GT", "10")]]),
    ("Solo trials", &[&[("seats", "LT", "2")]]),
    ("Outside the US", &[&[("currency", "NEQ", "USD")]]),
    ("Any campaign", &[&[("campaign", "HAS_PROPERTY", "")]]),
    (
        "Spring sale from the pricing page",
        &[&[
            ("campaign", "EQ", "spring_sale"),
            ("source", "EQ", "pricing_page"),
        ]],
    ),
    (
        "Blog and newsletter",
        &[&[("source", "IN", "blog,newsletter")]],
    ),
    ("Variants A and C", &[&[("variant", "IN", "a,c")]]),
    (
        "Free-trial button",
        &[&[("label", "CONTAINS_TOKEN", "free trial")]],
    ),
    ("Checkout page", &[&[("path", "EQ", "/checkout")]]),
    ("Pricing page", &[&[("path", "EQ", "/pricing")]]),
    (
        "From the bench campaign",
        &[&[("utm_source", "EQ", "bench")]],
    ),
    ("Cheap plans", &[&[("price", "LT", "20")]]),
    ("Past step 2", &[&[("step", "GT", "2")]]),
    ("Every trial", &[&[]]),
    (
        "Enterprise or very large",
        &[&[("plan", "EQ", "enterprise")], &[("seats", "GT", "100")]],
    ),
    (
        "Euro pro teams",
        &[&[
            ("currency", "EQ", "EUR"),
            ("plan", "EQ", "pro"),
            ("seats", "GT", "5"),
        ]],
    ),
    ("Trials", &[&[("trial", "EQ", "true")]]),
    ("German speakers", &[&[("language", "EQ", "de-DE")]]),
];

/// Every `nudge`-th workflow waits a day after its first webhook and sends a second.
const NUDGE_EVERY: usize = 4;

/// A day, in ms: the nudge's wait, far beyond any run, so it never fires during one.
const DAY_MS: u64 = 86_400_000;

/// `count` workflow definitions on event `event`, their webhooks under `hook`.
pub fn definitions(event: &str, count: usize, hook: &str) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let (name, triggers) = SPECS[i % SPECS.len()];
            let round = i / SPECS.len();
            let name = if round == 0 {
                name.to_owned()
            } else {
                format!("{name} ({})", round + 1)
            };
            let triggers: Vec<Value> = triggers
                .iter()
                .map(|filters| {
                    let filters: Vec<Value> = filters.iter().map(|f| filter(*f)).collect();
                    json!({ "event": event, "filters": filters })
                })
                .collect();
            let mut actions =
                vec![json!({ "type": "webhook", "url": format!("{hook}/{}", i + 1) })];
            if i % NUDGE_EVERY == NUDGE_EVERY - 1 {
                actions.push(json!({ "type": "delay", "ms": DAY_MS }));
                actions
                    .push(json!({ "type": "webhook", "url": format!("{hook}/{}/nudge", i + 1) }));
            }
            json!({
                "name": name, "enabled": true, "reenroll": false,
                "triggers": triggers, "actions": actions,
            })
        })
        .collect()
}

/// One filter in HubSpot's JSON form.
fn filter((property, operator, operand): (&str, &str, &str)) -> Value {
    match operator {
        "HAS_PROPERTY" => json!({ "property": property, "operator": operator }),
        "IN" => json!({
            "property": property, "operator": operator,
            "values": operand.split(',').collect::<Vec<_>>(),
        }),
        _ => json!({ "property": property, "operator": operator, "value": operand }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::beacon;
    use serde_json::Map;
    use std::sync::Arc;
    use wasmtrack_collector::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyType};
    use wasmtrack_collector::workflows::{UrlPolicy, Workflow};

    /// The benchmark completion's properties as the enroller's filters see them: the page's,
    /// overlaid with the event's own.
    fn completion() -> (String, Map<String, Value>) {
        let (name, props) = beacon::event();
        let mut all: Map<String, Value> = serde_json::from_str(beacon::DEFAULTS).unwrap();
        all.extend(serde_json::from_str::<Map<String, Value>>(&props).unwrap());
        (name, all)
    }

    fn parsed(count: usize) -> Vec<Workflow> {
        let (name, _) = completion();
        definitions(&name, count, "http://127.0.0.1:9/hook")
            .into_iter()
            .map(|body| {
                let mut w: Workflow = serde_json::from_value(body).expect("a workflow body");
                w.secret = "s".repeat(64);
                w
            })
            .collect()
    }

    /// The benchmark event's definition as the collector stores it from `beacon::definition`
    /// (its properties; HubSpot's defaults are on by default).
    fn stored_definition() -> Arc<EventDefinition> {
        let body: Value = serde_json::from_str(&beacon::definition()).unwrap();
        let properties = body["propertyDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let kind = PropertyType::parse(p["type"].as_str().unwrap()).unwrap();
                PropertyDef::plain(p["name"].as_str().unwrap(), kind, &[], 0)
            })
            .collect();
        Arc::new(EventDefinition {
            id: 1,
            name: body["name"].as_str().unwrap().to_owned(),
            label: "Trial started".into(),
            description: None,
            primary_object: PrimaryObject::Contact,
            include_default_properties: true,
            properties,
            index: Default::default(),
            created_at: 0,
            updated_at: 0,
        })
    }

    #[test]
    fn the_collector_accepts_every_definition() {
        let definition = stored_definition();
        let urls = UrlPolicy {
            allow_private: true,
        };
        for w in parsed(20) {
            let checked = w.validate(
                |n| (n == definition.name).then(|| definition.clone()),
                &urls,
            );
            assert_eq!(checked, Ok(()), "{}", w.name);
        }
    }

    #[test]
    fn some_workflows_enroll_the_benchmark_completions_and_some_do_not() {
        let (name, props) = completion();
        let triggered = parsed(20)
            .iter()
            .filter(|w| w.triggered_by(&name, &props))
            .count();
        assert!(
            triggered > 0 && triggered < 20,
            "{triggered} of 20 triggered"
        );
    }

    #[test]
    fn more_than_the_catalogue_are_named_apart_with_their_own_hooks() {
        let all = parsed(45);
        let names: std::collections::HashSet<_> = all.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names.len(), 45);
        let hooks = definitions("e", 45, "http://h");
        assert_eq!(hooks[44]["actions"][0]["url"], "http://h/45");
    }
}
