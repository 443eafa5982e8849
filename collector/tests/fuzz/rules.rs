//! Rule bodies under fuzzing: `POST /v1/sites/{site}/rules` answers a 201 or a 4xx for any
//! body. A 201 rule is what every tracker then reads: the trackers' text of the list decodes
//! (with the tracker's own decoder) to that very rule. A 4xx changes neither the rules (their
//! version stays) nor any definition (a rule creates or extends its definition in the same
//! transaction, so a refused one must leave no trace).

use axum::body::Body;
use axum::http::{Method, StatusCode};
use proptest::test_runner::TestCaseError;
use proptest::{prop_assert, prop_assert_eq};
use serde_json::{json, Value};
use wasmtrack_core::autotrack::decode_rules;
use wasmtrack_core::rules::{Capture, Rule, Source, Trigger, UrlRule};

use crate::app::{check_answer, fail, FuzzApp, ORIGIN};
use crate::corpus;
use crate::mutations::{as_is, json_inputs, Input};
use crate::runner;

const RULES: &str = "/v1/sites/shop/rules";
const DEFS: &str = "/events/v3/event-definitions";

/// Rules version and every definition: what a refused rule must leave as it was.
fn state(app: &FuzzApp) -> Result<(Value, Value), TestCaseError> {
    let version = app.get(RULES)?["version"].clone();
    Ok((
        version,
        app.get(&format!("{DEFS}?limit=500"))?["results"].clone(),
    ))
}

/// The rule as trackers should read it (no label: their text does not carry it), from the
/// API's JSON of it, read here by hand rather than by the model's own serde.
fn as_trackers_read_it(rule: &Value) -> Option<Rule> {
    let text = |key: &str| rule[key].as_str().map(str::to_owned);
    let trigger = match rule["kind"].as_str()? {
        "click" => Trigger::Click(text("selector")?),
        "pageview" => {
            let value = text("value")?;
            Trigger::PageView(match rule["match"].as_str()? {
                "exact" => UrlRule::Exact(value),
                "startsWith" => UrlRule::StartsWith(value),
                "contains" => UrlRule::Contains(value),
                "pattern" => UrlRule::Pattern(value),
                _ => return None,
            })
        }
        _ => return None,
    };
    let properties = rule["properties"]
        .as_array()?
        .iter()
        .map(|p| {
            Some(Capture {
                name: p["name"].as_str()?.to_owned(),
                source: Source::parse(p["source"].as_str()?)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Rule {
        id: rule["id"].as_u64()?,
        event_name: text("eventName")?,
        label: String::new(),
        trigger,
        properties,
    })
}

fn save(app: &FuzzApp, input: &Input) -> Result<(), TestCaseError> {
    let before = state(app)?;
    let answer = app.admin(Method::POST, RULES, input.bytes.clone())?;
    check_answer(&format!("POST {RULES}"), &answer)?;
    if !answer.status.is_success() {
        prop_assert_eq!(
            &state(app)?,
            &before,
            "a {} answer changed rules or definitions: {}",
            answer.status,
            answer.text
        );
        return Ok(());
    }
    prop_assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let expected = as_trackers_read_it(&answer.json)
        .ok_or_else(|| fail(format!("a 201 that is not a rule: {}", answer.text)))?;
    let listed = app.get(RULES)?;
    prop_assert!(
        listed["rules"]
            .as_array()
            .is_some_and(|r| r.contains(&answer.json)),
        "the saved rule {} is not listed: {}",
        answer.text,
        listed
    );
    let text = app.admin(Method::GET, &format!("{RULES}?format=text"), Body::empty())?;
    prop_assert_eq!(text.status, StatusCode::OK, "{}", text.text);
    let read = decode_rules(&text.text);
    prop_assert!(
        read.contains(&expected),
        "trackers read {:?} from {:?}, not the saved {:?}",
        read,
        text.text,
        expected
    );
    let deleted = app.admin(
        Method::DELETE,
        &format!("{RULES}/{}", expected.id),
        Body::empty(),
    )?;
    prop_assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    Ok(())
}

#[test]
fn any_rule_body_answers_201_or_4xx_and_trackers_read_every_saved_rule_as_saved() {
    let app = FuzzApp::new();
    app.setup(
        Method::POST,
        "/v1/sites",
        json!({"id": "shop", "origins": [ORIGIN]}),
    );
    app.setup(
        Method::POST,
        DEFS,
        json!({"label": "Signed up", "name": "signup", "propertyDefinitions": [
            {"name": "plan", "label": "Plan", "type": "enumeration",
             "options": [{"label": "Free", "value": "free"}, {"label": "Pro", "value": "pro"}]}]}),
    );
    app.setup(
        Method::POST,
        DEFS,
        json!({"label": "Renewed", "name": "renewed", "primaryObject": "COMPANY"}),
    );
    let seeds = corpus::seeds("rule");
    for input in as_is(&seeds) {
        save(&app, &input).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
    }
    runner::run("rule", 400, json_inputs(seeds), |input| save(&app, &input));
}
