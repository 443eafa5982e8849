//! Small builders for the overlay's DOM. Every text is set with `textContent`, never as HTML,
//! so nothing read from the page or the collector can inject markup into the overlay.

use alloc::vec::Vec;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget};

/// The page's document (the visualizer only runs in one).
pub fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// `<tag class=…>text</tag>`.
pub fn el(doc: &Document, tag: &str, class: &str, text: &str) -> Option<Element> {
    let element = doc.create_element(tag).ok()?;
    if !class.is_empty() {
        let _ = element.set_attribute("class", class);
    }
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    Some(element)
}

/// Appends `child` to `parent`.
pub fn add(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// Sets an attribute.
pub fn attr(element: &Element, name: &str, value: &str) {
    let _ = element.set_attribute(name, value);
}

/// The value of an `<input>` or `<select>`.
pub fn value(element: &Element) -> alloc::string::String {
    js_sys::Reflect::get(element, &JsValue::from_str("value"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Sets the value of an `<input>`.
pub fn set_value(element: &Element, value: &str) {
    let _ = js_sys::Reflect::set(
        element,
        &JsValue::from_str("value"),
        &JsValue::from_str(value),
    );
}

/// Whether a checkbox is checked.
pub fn checked(element: &Element) -> bool {
    js_sys::Reflect::get(element, &JsValue::from_str("checked"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Listeners the overlay holds for its whole life; dropped (removed) when it closes.
pub type Listeners = Vec<crate::listener::EventListener>;

/// Listens for `kind` on `target`.
pub fn on(
    listeners: &mut Listeners,
    target: &EventTarget,
    kind: &'static str,
    capture: bool,
    f: impl FnMut(Event) + 'static,
) {
    listeners.push(crate::listener::EventListener::new(
        target, kind, capture, f,
    ));
}

/// `target` as an `EventTarget`.
pub fn target(element: &Element) -> &EventTarget {
    element.unchecked_ref()
}
