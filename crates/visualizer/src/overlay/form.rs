//! What the panels share: labelled inputs, the event's label and internal name (the name
//! follows the label, by the rule the API uses, until it is edited), and saving a rule.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde::Deserialize;
use web_sys::Element;

use super::{with, Mode, Overlay};
use crate::api::Answer;
use crate::ui::{add, attr, el, on, set_value, target, value};
use wasmtrack_core::event::name_from_label;
use wasmtrack_core::rules::{Capture, Rule, Trigger};

/// What a collector's refusal says (HubSpot's error body; only the message is shown).
#[derive(Deserialize)]
struct Refusal {
    #[serde(default)]
    message: String,
}

impl Overlay {
    pub(super) fn field(&self, label: &str, name: &str, input: &Element) -> Option<Element> {
        let wrap = el(&self.doc, "label", "", "")?;
        let caption = el(&self.doc, "span", "", label)?;
        attr(input, "name", name);
        add(&wrap, &caption);
        add(&wrap, input);
        Some(wrap)
    }

    pub(super) fn input(&self, value: &str) -> Option<Element> {
        let input = el(&self.doc, "input", "", "")?;
        attr(&input, "type", "text");
        set_value(&input, value);
        Some(input)
    }

    /// Label and internal name inputs; the name follows the label until edited.
    pub(super) fn name_fields(&mut self, label: &str) -> Option<(Element, Element)> {
        let label_input = self.input(label)?;
        let name_input = self.input(&name_from_label(label).unwrap_or_default())?;
        let (label_ref, name_ref) = (label_input.clone(), name_input.clone());
        on(
            &mut self.listeners,
            target(&label_input),
            "input",
            false,
            move |_| {
                if name_ref.get_attribute("data-edited").is_none() {
                    set_value(
                        &name_ref,
                        &name_from_label(&value(&label_ref)).unwrap_or_default(),
                    );
                }
            },
        );
        let edited = name_input.clone();
        on(
            &mut self.listeners,
            target(&name_input),
            "input",
            false,
            move |_| attr(&edited, "data-edited", ""),
        );
        let label_field = self.field("Event label", "label", &label_input)?;
        let name_field = self.field("Internal name", "name", &name_input)?;
        add(&self.panel, &label_field);
        add(&self.panel, &name_field);
        Some((label_input, name_input))
    }

    /// The panel's Save button: saves the rule `make` says (its trigger and captured
    /// properties) with the label and name typed, as the shared rule model.
    pub(super) fn save_button(
        &mut self,
        label_input: Element,
        name_input: Element,
        make: impl Fn() -> (Trigger, Vec<Capture>) + 'static,
    ) {
        let Some(save) = el(&self.doc, "button", "primary", "Save event") else {
            return;
        };
        attr(&save, "data-action", "save");
        add(&self.panel, &save);
        on(
            &mut self.listeners,
            target(&save),
            "click",
            false,
            move |_| {
                let (trigger, properties) = make();
                let rule = Rule {
                    id: 0,
                    event_name: value(&name_input),
                    label: value(&label_input),
                    trigger,
                    properties,
                };
                with(|o| o.save(&rule));
            },
        );
    }

    fn save(&mut self, rule: &Rule) {
        let Ok(body) = serde_wasm_bindgen::to_value(rule) else {
            return self.say("Not saved: the rule could not be encoded.");
        };
        self.say("Saving…");
        self.api.create_rule(&body, |answer: Answer| {
            with(|o| {
                if answer.status == 201 {
                    let name = serde_wasm_bindgen::from_value::<Rule>(answer.body)
                        .map(|saved| saved.event_name)
                        .unwrap_or_default();
                    o.enter(Mode::Idle);
                    o.say(&format!("Saved: every visitor now tracks {name}."));
                } else {
                    let message = serde_wasm_bindgen::from_value::<Refusal>(answer.body)
                        .map(|r| r.message)
                        .unwrap_or_default();
                    o.say(&format!("Not saved ({}): {message}", answer.status));
                }
            });
        });
    }
}

/// "3 elements on this page match."
pub(super) fn match_text(count: usize) -> String {
    match count {
        0 => "No element on this page matches.".to_owned(),
        1 => "1 element on this page matches.".to_owned(),
        n => format!("{n} elements on this page match."),
    }
}
