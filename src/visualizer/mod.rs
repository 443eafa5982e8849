//! The event visualizer (SPEC §5): an overlay in which a marketer defines click and page-view
//! events on the live site. It is its own wasm module (built with the `visualizer` feature),
//! loaded by the tracker only when a page is opened with a visualizer token, so normal page
//! loads never download it.
//!
//! Nothing is shown until the collector confirms the token: opening it without a valid token
//! shows nothing and can save nothing.

mod api;
mod inspect;
mod overlay;
mod ui;

use alloc::string::String;
use wasm_bindgen::prelude::*;

use crate::browser::convert::get_string;

/// Starts the visualizer: `{ token, collector, site }` (the loader reads them from its
/// script tag's `data-*` attributes).
#[wasm_bindgen]
pub fn start(options: JsValue) {
    let field = |name: &str| get_string(&options, name).filter(|v| !v.is_empty());
    let (Some(token), Some(collector), Some(site)) = (field("token"), field("collector"), field("site")) else {
        return;
    };
    let collector: String = String::from(collector.trim_end_matches('/'));
    let api = api::Api { collector, site, token };
    let confirmed = api.clone();
    api.session(move |answer| {
        if answer.status == 200 {
            overlay::open(confirmed);
        } else {
            crate::browser::console::warn("visualizer token refused; nothing is shown", &JsValue::from(answer.status));
        }
    });
}
