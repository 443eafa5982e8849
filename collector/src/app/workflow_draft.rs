//! A workflow as its form holds it: every field as typed (text, so that nothing typed is lost
//! when the form comes back with problems), read from a post, changed by the form's buttons
//! (add or remove a trigger, a filter or a step, move a step), and turned into a
//! [`Workflow`] with the problems of what could not be read, each named by the same path as
//! [`Workflow::validate`]'s (`triggers[0].filters[1].value`).
//!
//! Field names: `name`, `reenroll`; a trigger's `t0-event`, its filters' `t0-f1-property`,
//! `t0-f1-operator`, `t0-f1-value`; a step's `a2-type` and, by kind, `a2-url`; `a2-amount`,
//! `a2-unit`; `a2-event`, `a2-f0-…`, `a2-max_amount`, `a2-max_unit`, `a2-forever`. A row
//! exists when its select or hidden field was posted (they always are), so an empty row added
//! a moment ago stays.

use crate::workflows::model::FieldError;
use crate::workflows::{Action, Filter, Op, Trigger, Workflow};

/// The operators a filter offers: (HubSpot's name, as the form says it).
pub const OPERATORS: [(&str, &str); 7] = [
    ("EQ", "is equal to"),
    ("NEQ", "is not equal to"),
    ("CONTAINS_TOKEN", "contains"),
    ("HAS_PROPERTY", "is known"),
    ("GT", "is greater than"),
    ("LT", "is less than"),
    ("IN", "is any of (comma-separated)"),
];

/// The units a wait is given in: (form value, ms, plural label).
pub const UNITS: [(&str, u64, &str); 4] = [
    ("seconds", 1_000, "seconds"),
    ("minutes", 60_000, "minutes"),
    ("hours", 3_600_000, "hours"),
    ("days", 86_400_000, "days"),
];

/// A form's fields as posted, in order.
pub type Fields = Vec<(String, String)>;

/// One filter as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterDraft {
    pub property: String,
    pub operator: String,
    pub value: String,
}

/// One trigger as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriggerDraft {
    pub event: String,
    pub filters: Vec<FilterDraft>,
}

/// The three kinds of step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Webhook,
    DelayUntil,
    Delay,
}

impl Kind {
    /// The form's (and the JSON's) name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::DelayUntil => "delayUntil",
            Kind::Delay => "delay",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        [Kind::Webhook, Kind::DelayUntil, Kind::Delay]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// What a step of this kind does, as its heading says.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Webhook => "Send a webhook",
            Kind::DelayUntil => "Delay until an event happens",
            Kind::Delay => "Delay",
        }
    }
}

/// One step as typed; the fields of the other kinds stay empty.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDraft {
    pub kind: Kind,
    pub url: String,
    pub amount: String,
    pub unit: String,
    pub event: String,
    pub filters: Vec<FilterDraft>,
    pub max_amount: String,
    pub max_unit: String,
    pub forever: bool,
}

impl ActionDraft {
    /// A new step of `kind`, with HubSpot's usual defaults (a delay of a day, a wait of at
    /// most a week).
    pub fn new(kind: Kind) -> Self {
        ActionDraft {
            kind,
            url: String::new(),
            amount: if kind == Kind::Delay { "1" } else { "" }.into(),
            unit: "days".into(),
            event: String::new(),
            filters: Vec::new(),
            max_amount: if kind == Kind::DelayUntil { "7" } else { "" }.into(),
            max_unit: "days".into(),
            forever: false,
        }
    }
}

/// The whole form.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub name: String,
    pub reenroll: bool,
    pub triggers: Vec<TriggerDraft>,
    pub actions: Vec<ActionDraft>,
}

/// What a button of the form asks for (its `op` value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Save,
    AddTrigger,
    RemoveTrigger(usize),
    /// To the trigger (`t0`) or the step (`a2`) of that prefix.
    AddFilter(String),
    /// The filter `k` of the prefix.
    RemoveFilter(String, usize),
    AddAction(Kind),
    RemoveAction(usize),
    MoveUp(usize),
    MoveDown(usize),
}

impl Edit {
    /// Reads a button's `op` value; anything else (Enter in a text field posts no `op`)
    /// saves.
    pub fn parse(op: &str) -> Edit {
        let (verb, arg) = op.split_once(':').unwrap_or((op, ""));
        let index = || arg.parse::<usize>().ok();
        let edit = match verb {
            "add_trigger" => Some(Edit::AddTrigger),
            "remove_trigger" => index().map(Edit::RemoveTrigger),
            "add_filter" => valid_prefix(arg).then(|| Edit::AddFilter(arg.to_owned())),
            "remove_filter" => arg.split_once("-f").and_then(|(p, k)| {
                let k = k.parse().ok()?;
                valid_prefix(p).then(|| Edit::RemoveFilter(p.to_owned(), k))
            }),
            "add_action" => Kind::parse(arg).map(Edit::AddAction),
            "remove_action" => index().map(Edit::RemoveAction),
            "up" => index().map(Edit::MoveUp),
            "down" => index().map(Edit::MoveDown),
            _ => None,
        };
        edit.unwrap_or(Edit::Save)
    }
}

/// `t0`, `a12`…
fn valid_prefix(p: &str) -> bool {
    let mut chars = p.chars();
    matches!(chars.next(), Some('t' | 'a'))
        && !chars.as_str().is_empty()
        && chars.all(|c| c.is_ascii_digit())
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn text(fields: &Fields, name: &str) -> String {
    field(fields, name).unwrap_or_default().to_owned()
}

fn read_filters(fields: &Fields, prefix: &str) -> Vec<FilterDraft> {
    (0..)
        .map_while(|k| {
            let at = format!("{prefix}-f{k}");
            field(fields, &format!("{at}-operator")).map(|operator| FilterDraft {
                property: text(fields, &format!("{at}-property")),
                operator: operator.to_owned(),
                value: text(fields, &format!("{at}-value")),
            })
        })
        .collect()
}

impl Draft {
    /// The form of a new workflow: one trigger to fill in and one webhook.
    pub fn blank() -> Draft {
        Draft {
            name: String::new(),
            reenroll: false,
            triggers: vec![TriggerDraft::default()],
            actions: vec![ActionDraft::new(Kind::Webhook)],
        }
    }

    /// The form as posted.
    pub fn read(fields: &Fields) -> Draft {
        let triggers = (0..)
            .map_while(|i| {
                field(fields, &format!("t{i}-event")).map(|event| TriggerDraft {
                    event: event.to_owned(),
                    filters: read_filters(fields, &format!("t{i}")),
                })
            })
            .collect();
        let actions = (0..)
            .map_while(|j| {
                let kind = field(fields, &format!("a{j}-type"))?;
                let at = |name: &str| text(fields, &format!("a{j}-{name}"));
                Some(ActionDraft {
                    // An unknown kind (a page edited by hand) reads as a webhook, whose URL
                    // check then refuses it.
                    kind: Kind::parse(kind).unwrap_or(Kind::Webhook),
                    url: at("url"),
                    amount: at("amount"),
                    unit: at("unit"),
                    event: at("event"),
                    filters: read_filters(fields, &format!("a{j}")),
                    max_amount: at("max_amount"),
                    max_unit: at("max_unit"),
                    forever: field(fields, &format!("a{j}-forever")).is_some(),
                })
            })
            .collect();
        Draft {
            name: text(fields, "name"),
            reenroll: field(fields, "reenroll").is_some(),
            triggers,
            actions,
        }
    }

    /// A stored workflow in its form.
    pub fn of(w: &Workflow) -> Draft {
        let filters = |fs: &[Filter]| fs.iter().map(filter_draft).collect();
        Draft {
            name: w.name.clone(),
            reenroll: w.reenroll,
            triggers: w
                .triggers
                .iter()
                .map(|t| TriggerDraft {
                    event: t.event.clone(),
                    filters: filters(&t.filters),
                })
                .collect(),
            actions: w
                .actions
                .iter()
                .map(|a| match a {
                    Action::Webhook { url } => ActionDraft {
                        url: url.clone(),
                        ..ActionDraft::new(Kind::Webhook)
                    },
                    Action::Delay { ms } => {
                        let (amount, unit) = amount_of(*ms);
                        ActionDraft {
                            amount,
                            unit,
                            ..ActionDraft::new(Kind::Delay)
                        }
                    }
                    Action::DelayUntil {
                        event,
                        filters: fs,
                        max_wait_ms,
                    } => {
                        let (max_amount, max_unit) = max_wait_ms.map(amount_of).unwrap_or_default();
                        ActionDraft {
                            event: event.clone(),
                            filters: filters(fs),
                            max_amount,
                            max_unit: if max_unit.is_empty() {
                                "days".into()
                            } else {
                                max_unit
                            },
                            forever: max_wait_ms.is_none(),
                            ..ActionDraft::new(Kind::DelayUntil)
                        }
                    }
                })
                .collect(),
        }
    }

    /// Applies a button's edit; returns the id of the field to focus next (the new row's
    /// first field, or where the removed one was), `None` for [`Edit::Save`] or an edit of a
    /// row that is not there.
    pub fn apply(&mut self, edit: &Edit) -> Option<String> {
        match edit {
            Edit::Save => None,
            Edit::AddTrigger => {
                self.triggers.push(TriggerDraft::default());
                Some(format!("t{}-event", self.triggers.len() - 1))
            }
            Edit::RemoveTrigger(i) => {
                (*i < self.triggers.len()).then(|| self.triggers.remove(*i))?;
                Some("add_trigger".into())
            }
            Edit::AddFilter(prefix) => {
                let filters = self.filters_mut(prefix)?;
                filters.push(FilterDraft {
                    operator: "EQ".into(),
                    ..FilterDraft::default()
                });
                Some(format!("{prefix}-f{}-property", filters.len() - 1))
            }
            Edit::RemoveFilter(prefix, k) => {
                let filters = self.filters_mut(prefix)?;
                (*k < filters.len()).then(|| filters.remove(*k))?;
                Some(format!("{prefix}-add_filter"))
            }
            Edit::AddAction(kind) => {
                self.actions.push(ActionDraft::new(*kind));
                let j = self.actions.len() - 1;
                Some(match kind {
                    Kind::Webhook => format!("a{j}-url"),
                    Kind::Delay => format!("a{j}-amount"),
                    Kind::DelayUntil => format!("a{j}-event"),
                })
            }
            Edit::RemoveAction(j) => {
                (*j < self.actions.len()).then(|| self.actions.remove(*j))?;
                Some("add_action".into())
            }
            Edit::MoveUp(j) => {
                (*j > 0 && *j < self.actions.len()).then(|| self.actions.swap(j - 1, *j))?;
                Some(format!("a{}-title", j - 1))
            }
            Edit::MoveDown(j) => {
                (j + 1 < self.actions.len()).then(|| self.actions.swap(*j, j + 1))?;
                Some(format!("a{}-title", j + 1))
            }
        }
    }

    fn filters_mut(&mut self, prefix: &str) -> Option<&mut Vec<FilterDraft>> {
        let index: usize = prefix.get(1..)?.parse().ok()?;
        if prefix.starts_with('t') {
            self.triggers.get_mut(index).map(|t| &mut t.filters)
        } else {
            let action = self.actions.get_mut(index)?;
            (action.kind == Kind::DelayUntil).then_some(&mut action.filters)
        }
    }

    /// The workflow the form describes (on top of `base`: its id, secret, times and
    /// switch), and the problems of what could not be read. A row that cannot be read still
    /// takes its place, so that [`Workflow::validate`]'s paths name the rows as the form
    /// shows them.
    pub fn to_workflow(&self, base: Workflow) -> (Workflow, Vec<FieldError>) {
        let mut errors = Vec::new();
        let triggers = self
            .triggers
            .iter()
            .enumerate()
            .map(|(i, t)| Trigger {
                event: t.event.trim().to_owned(),
                filters: read_filter_list(&t.filters, &format!("triggers[{i}]"), &mut errors),
            })
            .collect();
        let actions = self
            .actions
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let at = format!("actions[{j}]");
                match a.kind {
                    Kind::Webhook => Action::Webhook {
                        url: a.url.trim().to_owned(),
                    },
                    Kind::Delay => Action::Delay {
                        ms: read_wait(&a.amount, &a.unit, &format!("{at}.ms"), &mut errors),
                    },
                    Kind::DelayUntil => Action::DelayUntil {
                        event: a.event.trim().to_owned(),
                        filters: read_filter_list(&a.filters, &at, &mut errors),
                        max_wait_ms: (!a.forever).then(|| {
                            read_wait(
                                &a.max_amount,
                                &a.max_unit,
                                &format!("{at}.maxWaitMs"),
                                &mut errors,
                            )
                        }),
                    },
                }
            })
            .collect();
        let workflow = Workflow {
            name: self.name.trim().to_owned(),
            reenroll: self.reenroll,
            triggers,
            actions,
            ..base
        };
        (workflow, errors)
    }
}

fn filter_draft(f: &Filter) -> FilterDraft {
    let value = match &f.op {
        Op::Equals(v) | Op::NotEquals(v) | Op::Contains(v) => v.clone(),
        Op::IsKnown => String::new(),
        Op::GreaterThan(n) | Op::LessThan(n) => n.to_string(),
        Op::IsAnyOf(vs) => vs.join(", "),
    };
    FilterDraft {
        property: f.property.clone(),
        operator: f.op.operator().to_owned(),
        value,
    }
}

fn read_filter_list(drafts: &[FilterDraft], at: &str, errors: &mut Vec<FieldError>) -> Vec<Filter> {
    drafts
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let at = format!("{at}.filters[{k}]");
            let mut problem = |field: &str, message: &str| {
                errors.push(FieldError {
                    field: format!("{at}.{field}"),
                    message: message.into(),
                });
                // Stands in for the row, so the next rows keep their numbers; the problem
                // above is what is shown.
                Op::IsKnown
            };
            let value = d.value.trim();
            let number = || value.parse::<f64>().ok().filter(|n| n.is_finite());
            let op = match d.operator.as_str() {
                "EQ" => Op::Equals(value.into()),
                "NEQ" => Op::NotEquals(value.into()),
                "CONTAINS_TOKEN" => Op::Contains(value.into()),
                "HAS_PROPERTY" => Op::IsKnown,
                "GT" => {
                    number().map_or_else(|| problem("value", "enter a number"), Op::GreaterThan)
                }
                "LT" => number().map_or_else(|| problem("value", "enter a number"), Op::LessThan),
                "IN" => {
                    let values: Vec<String> = value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if values.is_empty() {
                        problem("value", "enter one or more values, separated by commas")
                    } else {
                        Op::IsAnyOf(values)
                    }
                }
                _ => problem("operator", "choose an operator"),
            };
            Filter::new(d.property.trim(), op)
        })
        .collect()
}

/// `amount` `unit`s in ms; 0 (which validation refuses) with a problem at `at` when it is not
/// a positive number of a known unit.
fn read_wait(amount: &str, unit: &str, at: &str, errors: &mut Vec<FieldError>) -> u64 {
    let per = UNITS
        .iter()
        .find(|(u, _, _)| *u == unit)
        .map(|(_, ms, _)| *ms);
    let n = amount
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0);
    match (n, per) {
        (Some(n), Some(per)) => (n * per as f64).round().clamp(0.0, u64::MAX as f64) as u64,
        _ => {
            errors.push(FieldError {
                field: at.into(),
                message: "enter how long: a number greater than 0".into(),
            });
            0
        }
    }
}

/// `ms` as an amount of the largest unit that divides it (seconds, with decimals, at worst).
pub fn amount_of(ms: u64) -> (String, String) {
    for (unit, per, _) in UNITS.iter().rev() {
        if ms > 0 && ms.is_multiple_of(*per) {
            return ((ms / per).to_string(), (*unit).into());
        }
    }
    ((ms as f64 / 1000.0).to_string(), "seconds".into())
}

/// `ms` as people say it: "7 days", "1 hour", "90 minutes".
pub fn duration(ms: u64) -> String {
    let (amount, unit) = amount_of(ms);
    if amount == "1" {
        format!("1 {}", unit.trim_end_matches('s'))
    } else {
        format!("{amount} {unit}")
    }
}

/// The id of the form field a validation path names: `triggers[0].filters[1].values[2]` →
/// `t0-f1-value`, `actions[2].ms` → `a2-amount`; a path naming no field (`secret`) names
/// itself.
pub fn input_of(path: &str) -> String {
    path.split('.')
        .map(|part| {
            let indexed = |prefix: &str, short: &str| {
                part.strip_prefix(prefix)
                    .and_then(|r| r.strip_suffix(']'))
                    .map(|n| format!("{short}{n}"))
            };
            indexed("triggers[", "t")
                .or_else(|| indexed("actions[", "a"))
                .or_else(|| indexed("filters[", "f"))
                .unwrap_or_else(|| match part {
                    p if p.starts_with("values[") => "value".into(),
                    "ms" => "amount".into(),
                    "maxWaitMs" => "max_amount".into(),
                    other => other.into(),
                })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Where a validation path is, as people read it: `triggers[0].filters[1].value` →
/// "Trigger 1, filter 2, value".
pub fn place_of(path: &str) -> String {
    path.split('.')
        .map(|part| {
            let n = |prefix: &str| {
                part.strip_prefix(prefix)
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .map(|n| n + 1)
            };
            if let Some(i) = n("triggers[") {
                format!("Trigger {i}")
            } else if let Some(j) = n("actions[") {
                format!("Step {j}")
            } else if let Some(k) = n("filters[") {
                format!("filter {k}")
            } else {
                match part {
                    "name" => "Name",
                    "secret" => "Signing secret",
                    "triggers" => "Triggers",
                    "actions" => "Steps",
                    "filters" => "filters",
                    "event" => "event",
                    "property" => "property",
                    "operator" => "operator",
                    "url" => "URL",
                    "ms" => "how long",
                    "maxWaitMs" => "maximum wait",
                    _ => "value",
                }
                .to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn posted(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn validation_paths_name_the_forms_fields() {
        assert_eq!(input_of("name"), "name");
        assert_eq!(input_of("triggers[0].event"), "t0-event");
        assert_eq!(
            input_of("triggers[3].filters[1].property"),
            "t3-f1-property"
        );
        assert_eq!(input_of("actions[2].filters[0].values[4]"), "a2-f0-value");
        assert_eq!(input_of("actions[1].ms"), "a1-amount");
        assert_eq!(input_of("actions[1].maxWaitMs"), "a1-max_amount");
        assert_eq!(input_of("triggers[0].filters"), "t0-filters");
        assert_eq!(
            place_of("triggers[0].filters[1].property"),
            "Trigger 1, filter 2, property"
        );
        assert_eq!(place_of("actions[1].maxWaitMs"), "Step 2, maximum wait");
    }

    #[test]
    fn the_posted_form_reads_back_with_its_empty_rows() {
        let draft = Draft::read(&posted(&[
            ("name", "Welcome"),
            ("t0-event", "signup"),
            ("t0-f0-property", "plan"),
            ("t0-f0-operator", "EQ"),
            ("t0-f0-value", "pro"),
            ("t0-f1-property", ""),
            ("t0-f1-operator", "EQ"),
            ("t1-event", ""),
            ("a0-type", "delayUntil"),
            ("a0-event", "first_login"),
            ("a0-max_amount", "3"),
            ("a0-max_unit", "hours"),
            ("a1-type", "webhook"),
            ("a1-url", "https://hooks.example.com/x"),
        ]));
        assert_eq!(draft.triggers.len(), 2);
        assert_eq!(draft.triggers[0].filters.len(), 2);
        assert_eq!(draft.actions[0].kind, Kind::DelayUntil);
        assert!(!draft.reenroll && !draft.actions[0].forever);
    }

    #[test]
    fn buttons_add_remove_and_move_rows_and_say_where_to_focus() {
        let mut d = Draft::blank();
        assert_eq!(
            d.apply(&Edit::parse("add_filter:t0")).as_deref(),
            Some("t0-f0-property")
        );
        d.triggers[0].filters[0].value = "kept".into();
        d.apply(&Edit::parse("add_filter:t0"));
        d.apply(&Edit::parse("remove_filter:t0-f1"));
        assert_eq!(d.triggers[0].filters.len(), 1);
        assert_eq!(d.triggers[0].filters[0].value, "kept");
        d.apply(&Edit::parse("add_action:delay"));
        d.apply(&Edit::parse("up:1"));
        assert_eq!(d.actions[0].kind, Kind::Delay);
        assert_eq!(d.apply(&Edit::parse("remove_trigger:7")), None);
        assert_eq!(
            d.apply(&Edit::parse("add_filter:a1")),
            None,
            "a webhook has none"
        );
        assert_eq!(Edit::parse("<script>"), Edit::Save);
        assert_eq!(Edit::parse("remove_filter:x-f1"), Edit::Save);
    }

    #[test]
    fn a_stored_workflow_comes_back_the_same_through_its_form() {
        let w: Workflow = serde_json::from_value(json!({
            "name": "W", "reenroll": true,
            "triggers": [{"event": "signup", "filters": [
                {"property": "plan", "operator": "IN", "values": ["pro", "team"]},
                {"property": "seats", "operator": "GT", "value": 3.5},
                {"property": "x", "operator": "HAS_PROPERTY"}]}],
            "actions": [
                {"type": "webhook", "url": "https://h.example.com"},
                {"type": "delayUntil", "event": "first_login", "filters": [], "maxWaitMs": 604800000},
                {"type": "delayUntil", "event": "first_login"},
                {"type": "delay", "ms": 1500}]
        }))
        .unwrap();
        let (back, errors) = Draft::of(&w).to_workflow(w.clone());
        assert_eq!(errors, []);
        assert_eq!(back, w);
    }

    #[test]
    fn what_cannot_be_read_is_named_and_keeps_its_place() {
        let mut d = Draft::blank();
        d.triggers[0].filters = vec![
            FilterDraft {
                property: "seats".into(),
                operator: "GT".into(),
                value: "many".into(),
            },
            FilterDraft {
                property: "plan".into(),
                operator: "EQ".into(),
                value: "pro".into(),
            },
        ];
        d.actions = vec![ActionDraft::new(Kind::Delay)];
        d.actions[0].amount = "soon".into();
        let (w, errors) = d.to_workflow(Workflow {
            id: 0,
            name: String::new(),
            enabled: false,
            reenroll: false,
            triggers: vec![],
            actions: vec![],
            secret: String::new(),
            created_at: 0,
            updated_at: 0,
            paused_reason: None,
        });
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["triggers[0].filters[0].value", "actions[0].ms"]);
        assert_eq!(w.triggers[0].filters.len(), 2);
        assert_eq!(w.triggers[0].filters[1].op, Op::Equals("pro".into()));
    }

    #[test]
    fn durations_read_in_the_largest_whole_unit() {
        assert_eq!(duration(86_400_000), "1 day");
        assert_eq!(duration(7 * 86_400_000), "7 days");
        assert_eq!(duration(90 * 60_000), "90 minutes");
        assert_eq!(duration(1_500), "1.5 seconds");
    }
}
