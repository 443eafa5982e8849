//! The few DOM reads auto-tracking needs (the clicked element, `closest`, its text and
//! attributes) and loading a script. An invalid selector (`closest` throws) reads as no match.
//! Bound here rather than through web-sys (see the note on js-sys in `Cargo.toml`).

use alloc::string::String;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// A DOM element.
    pub type Element;
    #[wasm_bindgen(method, catch, js_name = closest)]
    fn closest_or_throw(this: &Element, selector: &str) -> Result<Option<Element>, JsValue>;
    #[wasm_bindgen(method, getter, js_name = textContent)]
    fn text_content(this: &Element) -> Option<String>;
    #[wasm_bindgen(method, js_name = getAttribute)]
    fn get_attribute(this: &Element, name: &str) -> Option<String>;

    /// A DOM node (text nodes are clicked too).
    type Node;
    #[wasm_bindgen(method, getter, js_name = parentElement)]
    fn parent_element(this: &Node) -> Option<Element>;
}

/// The element an event happened on (for clicks on text, its element).
#[cfg(feature = "visualizer")]
pub fn event_element(event: &web_sys::Event) -> Option<web_sys::Element> {
    let target: JsValue = event.target()?.into();
    target_element(target).map(JsCast::unchecked_into)
}

/// The element an event target is, or is in (text nodes).
pub fn target_element(target: JsValue) -> Option<Element> {
    match target.dyn_into::<Element>() {
        Ok(element) => Some(element),
        Err(node) => node.dyn_into::<Node>().ok()?.parent_element(),
    }
}

/// `element.closest(selector)`; `None` also for a selector the browser cannot parse.
pub fn closest(element: &Element, selector: &str) -> Option<Element> {
    element.closest_or_throw(selector).ok().flatten()
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
