//! The few DOM reads auto-tracking needs (the clicked element, `closest`, its text and
//! attributes) and loading a script. An invalid selector (`closest` throws) reads as no match.

use alloc::string::String;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

/// The element an event happened on (for clicks on text, its element).
pub fn event_element(event: &Event) -> Option<Element> {
    let target = event.target()?;
    match target.dyn_into::<Element>() {
        Ok(element) => Some(element),
        Err(node) => node.dyn_into::<web_sys::Node>().ok()?.parent_element(),
    }
}

/// `element.closest(selector)`; `None` also for a selector the browser cannot parse.
pub fn closest(element: &Element, selector: &str) -> Option<Element> {
    element.closest(selector).ok().flatten()
}

/// `element.textContent` (no layout, unlike `innerText`).
pub fn text(element: &Element) -> String {
    element.text_content().unwrap_or_default()
}

/// `element.getAttribute(name)`.
pub fn attribute(element: &Element, name: &str) -> Option<String> {
    element.get_attribute(name)
}

/// Adds `<script async src=url>` with `data-*` attributes to the document.
pub fn load_script(url: &str, data: &[(&str, &str)]) -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let (Ok(script), Some(root)) = (document.create_element("script"), document.document_element()) else {
        return false;
    };
    let _ = script.set_attribute("src", url);
    let _ = script.set_attribute("async", "");
    for (name, value) in data {
        let mut attr = String::from("data-");
        attr.push_str(name);
        let _ = script.set_attribute(&attr, value);
    }
    root.append_child(&script).is_ok()
}
