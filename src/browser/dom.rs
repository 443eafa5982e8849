//! The few DOM reads auto-tracking needs (the clicked element, `closest`, its text and
//! attributes) and loading a script. An invalid selector (`closest` throws) reads as no match.

use alloc::string::String;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;
#[cfg(feature = "visualizer")]
use web_sys::Event;

/// The element an event happened on (for clicks on text, its element).
#[cfg(feature = "visualizer")]
pub fn event_element(event: &Event) -> Option<Element> {
    target_element(event.target()?.into())
}

/// The element an event target is, or is in (text nodes).
pub fn target_element(target: JsValue) -> Option<Element> {
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

/// Adds `<script async src=url>` with `data-token`, `data-collector` and `data-site`.
pub fn load_script(url: &str, token: &str, collector: &str, site: &str) -> bool {
    add_script(url, token, collector, site)
}

#[wasm_bindgen(inline_js = r#"
export function add_script(src, token, collector, site) {
  try {
    const s = document.createElement('script');
    s.src = src;
    s.async = true;
    Object.assign(s.dataset, { token, collector, site });
    document.documentElement.appendChild(s);
    return true;
  } catch (e) {
    return false;
  }
}
"#)]
extern "C" {
    fn add_script(src: &str, token: &str, collector: &str, site: &str) -> bool;
}
