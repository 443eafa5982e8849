//! The site's rules, listed: each with what fires it, Highlight (a click rule's matches on
//! this page) and Delete. Read from the collector as the shared rule model.

use alloc::format;
use alloc::vec::Vec;
use serde::Deserialize;

use super::form::match_text;
use super::{with, Mode, Overlay};
use crate::api::Answer;
use crate::ui::{add, el, on, target};
use wasmtrack_core::rules::{Rule, Trigger, UrlMatch};

/// `GET /v1/sites/{site}/rules`: the rules (its `version` is the cache's business).
#[derive(Deserialize)]
struct RuleList {
    rules: Vec<Rule>,
}

impl Overlay {
    pub(super) fn list_panel(&mut self) {
        self.say("Loading the site's visual events…");
        self.api
            .rules(|answer: Answer| with(|o| o.show_list(answer)));
    }

    fn show_list(&mut self, answer: Answer) {
        if self.mode != Mode::List {
            return;
        }
        let list = match answer.status {
            200 => serde_wasm_bindgen::from_value::<RuleList>(answer.body).ok(),
            _ => None,
        };
        let Some(list) = list else {
            self.say("Could not load the visual events.");
            return;
        };
        self.say(&format!(
            "{} visual event rule(s) on this site.",
            list.rules.len()
        ));
        for rule in list.rules {
            let detail = match &rule.trigger {
                Trigger::Click(selector) => format!("click on {selector}"),
                Trigger::PageView(url) => format!(
                    "page view: URL {} {}",
                    UrlMatch::of(url).as_str(),
                    url.text()
                ),
            };
            let (Some(item), Some(texts), Some(name), Some(what), Some(actions)) = (
                el(&self.doc, "div", "item", ""),
                el(&self.doc, "div", "", ""),
                el(
                    &self.doc,
                    "div",
                    "",
                    &format!("{} ({})", rule.label, rule.event_name),
                ),
                el(&self.doc, "div", "muted", &detail),
                el(&self.doc, "div", "row", ""),
            ) else {
                continue;
            };
            add(&texts, &name);
            add(&texts, &what);
            add(&item, &texts);
            if let Trigger::Click(selector) = rule.trigger {
                if let Some(highlight) = el(&self.doc, "button", "", "Highlight") {
                    on(
                        &mut self.listeners,
                        target(&highlight),
                        "click",
                        false,
                        move |_| {
                            with(|o| {
                                let n = o.mark_all(&selector);
                                o.say(&match_text(n));
                            })
                        },
                    );
                    add(&actions, &highlight);
                }
            }
            if let Some(delete) = el(&self.doc, "button", "", "Delete") {
                let id = rule.id;
                on(
                    &mut self.listeners,
                    target(&delete),
                    "click",
                    false,
                    move |_| {
                        with(|o| {
                            o.api.delete_rule(id, |_| with(|o| o.list_panel_again()));
                        })
                    },
                );
                add(&actions, &delete);
            }
            add(&item, &actions);
            add(&self.panel, &item);
        }
    }

    fn list_panel_again(&mut self) {
        self.panel.set_text_content(None);
        self.clear_marks();
        self.list_panel();
    }
}
