//! Picking an element: the outline and selector tip that follow the pointer, the page's
//! pointer events swallowed while picking, the keyboard (Enter selects, Escape leaves), and
//! the dashed marks on every element a selector matches.

use alloc::format;
use alloc::string::String;
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent};

use super::{with, Mode, Overlay};
use crate::inspect;
use crate::ui::{add, attr, el};

/// How long the page must stay still before the marks are measured again (ms).
const SETTLE_MS: u32 = 120;

impl Overlay {
    /// Whether `element` is the overlay itself (events from inside the shadow root are
    /// retargeted to the host).
    pub(super) fn is_ours(&self, element: &Element) -> bool {
        *element == self.host || self.host.contains(Some(element.unchecked_ref()))
    }

    pub(super) fn page_element(&self, event: &Event) -> Option<Element> {
        let element = inspect::event_element(event)?;
        (!self.is_ours(&element)).then_some(element)
    }

    pub(super) fn hover(&mut self, event: &Event) {
        if self.mode != Mode::PickClick {
            return;
        }
        let Some(element) = self.page_element(event) else {
            self.hide_outline();
            return;
        };
        let element = inspect::clickable(&element);
        if self.hovered.as_ref() == Some(&element) {
            return;
        }
        let selector = inspect::selector_for(&element, false);
        self.show_outline(&element, &selector);
        self.hovered = Some(element);
    }

    /// While picking, the page must not react to the pointer.
    pub(super) fn swallow(&mut self, event: &Event) {
        if self.mode == Mode::PickClick && self.page_element(event).is_some() {
            event.prevent_default();
            event.stop_immediate_propagation();
        }
    }

    pub(super) fn click(&mut self, event: &Event) {
        if self.mode != Mode::PickClick {
            return;
        }
        let Some(element) = self.page_element(event) else {
            return;
        };
        event.prevent_default();
        event.stop_immediate_propagation();
        self.select(inspect::clickable(&element));
    }

    pub(super) fn key(&mut self, event: &Event) {
        let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
            return;
        };
        match key.as_str() {
            "Escape" if self.mode != Mode::Idle => {
                event.prevent_default();
                self.enter(Mode::Idle);
            }
            "Enter" if self.mode == Mode::PickClick => {
                if let Some(element) = self.hovered.clone() {
                    event.prevent_default();
                    event.stop_immediate_propagation();
                    self.select(element);
                }
            }
            _ => {}
        }
    }

    pub(super) fn show_outline(&self, element: &Element, selector: &str) {
        let rect = element.get_bounding_client_rect();
        attr(
            &self.outline,
            "style",
            &format!(
                "display:block;left:{}px;top:{}px;width:{}px;height:{}px",
                rect.left(),
                rect.top(),
                rect.width(),
                rect.height()
            ),
        );
        self.tip.set_text_content(Some(selector));
        let top = if rect.top() > 24.0 {
            rect.top() - 22.0
        } else {
            rect.bottom() + 4.0
        };
        attr(
            &self.tip,
            "style",
            &format!(
                "display:block;left:{}px;top:{}px",
                rect.left().max(0.0),
                top
            ),
        );
    }

    pub(super) fn hide_outline(&self) {
        attr(&self.outline, "style", "display:none");
        attr(&self.tip, "style", "display:none");
    }

    pub(super) fn clear_marks(&mut self) {
        self.marks.set_text_content(None);
        self.marked = None;
    }

    /// Outlines every element matching `selector`; returns how many there are.
    pub(super) fn mark_all(&mut self, selector: &str) -> usize {
        self.clear_marks();
        self.marked = Some(selector.into());
        let Ok(list) = self.doc.query_selector_all(selector) else {
            return 0;
        };
        let mut count = 0;
        for i in 0..list.length() {
            let Some(element) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            if self.is_ours(&element) {
                continue;
            }
            count += 1;
            let rect = element.get_bounding_client_rect();
            if let Some(mark) = el(&self.doc, "div", "mark", "") {
                attr(
                    &mark,
                    "style",
                    &format!(
                        "left:{}px;top:{}px;width:{}px;height:{}px",
                        rect.left(),
                        rect.top(),
                        rect.width(),
                        rect.height()
                    ),
                );
                add(&self.marks, &mark);
            }
        }
        count
    }

    pub(super) fn select(&mut self, element: Element) {
        self.mode = Mode::EditClick;
        self.hovered = None;
        self.hide_outline();
        let selector = inspect::selector_for(&element, false);
        // The text exactly as the tracker will capture it for this element.
        let text = wasmtrack_browser::dom::click_match(&element, "*", "")
            .map(|m| m.text())
            .unwrap_or_default();
        let label = if text.is_empty() {
            format!("Clicked {}", element.tag_name().to_lowercase())
        } else {
            format!("Clicked {}", text.chars().take(40).collect::<String>())
        };
        self.selected = Some(element.clone());
        self.edit_panel(&element, &selector, &label);
        // The chosen element stays outlined, with its selector, while its panel is open.
        self.show_outline(&element, &selector);
    }

    /// The page scrolled or was resized: the outlines, fixed boxes measured once, are measured
    /// again when it has settled (a timeout per movement would re-query the page per frame).
    pub(super) fn moved(&mut self) {
        if self.marked.is_some() || self.selected.is_some() {
            self.remark = Some(Timeout::new(SETTLE_MS, || with(Overlay::remeasure)));
        }
    }

    fn remeasure(&mut self) {
        self.remark = None;
        if let Some(selector) = self.marked.clone() {
            self.mark_all(&selector);
        }
        if let Some(element) = self.selected.clone() {
            let selector: String = self.tip.text_content().unwrap_or_default();
            self.show_outline(&element, &selector);
        }
    }
}
