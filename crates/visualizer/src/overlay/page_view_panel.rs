//! The page-view panel: how the URL must match (exactly, starts with, contains, a pattern),
//! whether the current page does, and the event's label and name.

use alloc::format;
use alloc::vec::Vec;
use web_sys::Element;

use super::Overlay;
use crate::ui::{add, attr, el, on, set_value, target, value};
use wasmtrack_core::rules::{Trigger, UrlMatch, UrlRule};

impl Overlay {
    pub(super) fn page_view_panel(&mut self) {
        let location = self.doc.location();
        let href = location
            .as_ref()
            .and_then(|l| l.href().ok())
            .unwrap_or_default();
        let path = location
            .as_ref()
            .and_then(|l| l.pathname().ok())
            .unwrap_or_default();
        let (Some(title), Some(current)) = (
            el(
                &self.doc,
                "div",
                "title",
                "Track views of pages like this one",
            ),
            el(&self.doc, "div", "muted", &href),
        ) else {
            return;
        };
        add(&self.panel, &title);
        add(&self.panel, &current);
        let Some(kind) = el(&self.doc, "select", "", "") else {
            return;
        };
        for (kind_of, text) in [
            (UrlMatch::Exact, "is exactly"),
            (UrlMatch::StartsWith, "starts with"),
            (UrlMatch::Contains, "contains"),
            (UrlMatch::Pattern, "matches the pattern (* = anything)"),
        ] {
            if let Some(option) = el(&self.doc, "option", "", text) {
                attr(&option, "value", kind_of.as_str());
                add(&kind, &option);
            }
        }
        set_value(&kind, UrlMatch::Exact.as_str());
        let (Some(kind_field), Some(value_input)) =
            (self.field("The URL", "match", &kind), self.input(&path))
        else {
            return;
        };
        let Some(value_field) = self.field(
            "Value (a path like /pricing, or a full URL)",
            "value",
            &value_input,
        ) else {
            return;
        };
        let Some(verdict) = el(&self.doc, "div", "muted", "") else {
            return;
        };
        attr(&verdict, "data-role", "page-matches");
        add(&self.panel, &kind_field);
        add(&self.panel, &value_field);
        add(&self.panel, &verdict);
        let update = {
            let (kind, value_input, verdict, href) = (
                kind.clone(),
                value_input.clone(),
                verdict.clone(),
                href.clone(),
            );
            move || {
                let matches = url_rule(&kind, &value_input).is_some_and(|r| r.matches(&href));
                verdict.set_text_content(Some(if matches {
                    "This page matches."
                } else {
                    "This page does not match."
                }));
            }
        };
        update();
        let again = update.clone();
        on(
            &mut self.listeners,
            target(&kind),
            "change",
            false,
            move |_| again(),
        );
        on(
            &mut self.listeners,
            target(&value_input),
            "input",
            false,
            move |_| update(),
        );
        let title_text = self.doc.title();
        let label = if title_text.is_empty() {
            format!("Viewed {path}")
        } else {
            format!("Viewed {title_text}")
        };
        let Some((label_input, name_input)) = self.name_fields(&label) else {
            return;
        };
        self.save_button(label_input, name_input, move || {
            let rule = url_rule(&kind, &value_input)
                .unwrap_or_else(|| UrlRule::Exact(value(&value_input)));
            (Trigger::PageView(rule), Vec::new())
        });
        self.say("Choose how the URL must match, name the event, and save.");
    }
}

/// The rule the kind `<select>` and the value input say (the select offers only the kinds
/// `UrlMatch` reads).
fn url_rule(kind: &Element, value_input: &Element) -> Option<UrlRule> {
    UrlMatch::parse(&value(kind)).map(|m| m.with(value(value_input)))
}
