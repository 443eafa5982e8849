//! The DOM reads auto-tracking needs (and two calls out of the tracker: adding the visualizer's
//! script, handing the rule list to the loader), in one JS function: which element a click rule's
//! selector picks for a click, its text and the attributes the rule captures. One import
//! instead of `instanceof`, `parentElement`, `closest`, `textContent` and `getAttribute`
//! bound one by one, each with its shim in the glue and its marshalling in the wasm.

use crate::js::Array;
use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/dom.js")]
extern "C" {
    #[wasm_bindgen(js_name = click_match)]
    fn click_match_js(target: &JsValue, selector: &str, names: &str) -> Option<Array>;
    fn add_script(src: &str, token: &str, collector: &str, site: &str) -> bool;
    #[wasm_bindgen(js_name = hand)]
    fn hand_js(to: &JsValue, text: &str);
}

/// Calls the page-side function `to` with `text`; nothing it throws reaches the caller.
pub fn hand(to: &JsValue, text: &str) {
    hand_js(to, text);
}

/// What [`click_match`] read of the element a click rule's selector picked.
pub struct Matched(Array);

impl Matched {
    /// The element's text as a person reads it (whitespace runs as one space, trimmed).
    pub fn text(&self) -> String {
        self.0.get(0).as_string().unwrap_or_default()
    }

    /// The value of the `i`-th attribute asked for.
    pub fn attribute(&self, i: usize) -> Option<String> {
        self.0.get(i as u32 + 1).as_string()
    }
}

/// The element `selector` picks for a click on `target` (the target or its nearest ancestor;
/// a click on text targets the text node), with its text and the space-separated
/// `attributes`; `None` when there is none or the browser cannot parse the selector.
pub fn click_match(target: &JsValue, selector: &str, attributes: &str) -> Option<Matched> {
    click_match_js(target, selector, attributes).map(Matched)
}

/// Adds `<script async src=url>` with `data-token`, `data-collector` and `data-site`.
pub fn load_script(url: &str, token: &str, collector: &str, site: &str) -> bool {
    add_script(url, token, collector, site)
}
