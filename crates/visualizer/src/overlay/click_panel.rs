//! The click panel: the chosen element's selector (editable, with its matches counted and
//! marked, and "All similar elements" to widen it), the event's label and name, and which of
//! the element's attributes to capture as properties.

use alloc::format;
use alloc::vec::Vec;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::form::match_text;
use super::{with, Overlay};
use crate::inspect;
use crate::ui::{add, attr, checked, el, on, set_value, target, value};
use wasmtrack_core::rules::{Capture, Source, Trigger, ELEMENT_TEXT, SELECTOR};

/// How long typing in the selector must pause before its matches are shown (ms).
const TYPING_PAUSE_MS: u32 = 150;

impl Overlay {
    pub(super) fn edit_panel(&mut self, element: &Element, selector: &str, label: &str) {
        self.panel.set_text_content(None);
        let Some(title) = el(&self.doc, "div", "title", "Track clicks on this element") else {
            return;
        };
        add(&self.panel, &title);
        let Some(selector_input) = self.input(selector) else {
            return;
        };
        let Some(selector_field) = self.field("CSS selector", "selector", &selector_input) else {
            return;
        };
        add(&self.panel, &selector_field);
        let Some(count) = el(&self.doc, "div", "muted", "") else {
            return;
        };
        attr(&count, "data-role", "match-count");
        add(&self.panel, &count);
        let matched = self.mark_all(selector);
        count.set_text_content(Some(&match_text(matched)));

        let similar = el(&self.doc, "input", "", "");
        if let (Some(similar), Some(wrap), Some(caption)) = (
            similar,
            el(&self.doc, "label", "check", ""),
            el(&self.doc, "span", "", "All similar elements"),
        ) {
            attr(&similar, "type", "checkbox");
            attr(&similar, "name", "similar");
            add(&wrap, &similar);
            add(&wrap, &caption);
            add(&self.panel, &wrap);
            let (chosen, field, box_) = (element.clone(), selector_input.clone(), similar.clone());
            on(
                &mut self.listeners,
                target(&similar),
                "change",
                false,
                move |_| {
                    set_value(&field, &inspect::selector_for(&chosen, checked(&box_)));
                    with(|o| o.show_selector(&field));
                },
            );
        }
        let field = selector_input.clone();
        on(
            &mut self.listeners,
            target(&selector_input),
            "input",
            false,
            move |_| with(|o| o.selector_edited(&field)),
        );

        let Some((label_input, name_input)) = self.name_fields(label) else {
            return;
        };
        // Properties: the element's text and selector always; chosen attributes besides.
        let mut captures = Vec::new();
        if let Some(note) = el(
            &self.doc,
            "div",
            "muted",
            &format!("Every click sends the element's text ({ELEMENT_TEXT}) and the selector ({SELECTOR})."),
        ) {
            add(&self.panel, &note);
        }
        for name in inspect::capturable_attributes(element) {
            let (Some(check), Some(wrap)) = (
                el(&self.doc, "input", "", ""),
                el(&self.doc, "label", "check", ""),
            ) else {
                continue;
            };
            attr(&check, "type", "checkbox");
            attr(&check, "name", &format!("attr:{name}"));
            let caption = format!("Capture {name} as {}", inspect::property_name(&name));
            if let Some(text) = el(&self.doc, "span", "", &caption) {
                add(&wrap, &check);
                add(&wrap, &text);
                add(&self.panel, &wrap);
                captures.push((name, check));
            }
        }
        self.save_button(label_input, name_input, move || {
            let properties = captures
                .iter()
                .filter(|(_, check)| checked(check))
                .map(|(name, _)| Capture {
                    name: inspect::property_name(name),
                    source: Source::Attribute(name.clone()),
                })
                .collect();
            (Trigger::Click(value(&selector_input)), properties)
        });
        if let Some(first) = self.panel.query_selector("input").ok().flatten() {
            if let Some(input) = first.dyn_ref::<web_sys::HtmlElement>() {
                let _ = input.focus();
            }
        }
        self.say("Check the selector, name the event, and save.");
    }

    /// The selector was typed in: shown once typing pauses (each showing queries the page).
    fn selector_edited(&mut self, field: &Element) {
        let field = field.clone();
        self.remark = Some(Timeout::new(TYPING_PAUSE_MS, move || {
            with(|o| o.show_selector(&field))
        }));
    }

    /// Shows what the selector in `field` picks: every match marked and counted, and the
    /// chosen element's tip saying this selector, the one that will be saved (also after
    /// "All similar elements" widened it).
    fn show_selector(&mut self, field: &Element) {
        self.remark = None;
        let selector = value(field);
        let matched = self.mark_all(&selector);
        if let Some(count) = self
            .panel
            .query_selector("[data-role=match-count]")
            .ok()
            .flatten()
        {
            count.set_text_content(Some(&match_text(matched)));
        }
        if let Some(element) = self.selected.clone() {
            self.show_outline(&element, &selector);
        }
    }
}
