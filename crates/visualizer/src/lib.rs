//! The event visualizer (SPEC §5): an overlay in which a marketer defines click and page-view
//! events on the live site. It is its own crate and wasm module, loaded by the tracker only
//! when a page is opened with a visualizer token, so normal page loads never download it; that
//! is why it may use std, `web-sys` and `js-sys` where the tracker binds what it calls itself.
//!
//! Nothing is shown until the collector confirms the token: opening it without a valid token
//! shows nothing and can save nothing.
//!
//! On other targets the crate is empty: it is compiled and linted for `wasm32` only.
#![cfg(target_arch = "wasm32")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;

mod api;
mod console;
mod inspect;
mod listener;
mod overlay;
mod ui;

use alloc::string::String;
use wasm_bindgen::prelude::*;

use wasmtrack_browser::convert::get_string;

/// Starts the visualizer: `{ token, collector, site }` (the loader reads them from its
/// script tag's `data-*` attributes).
#[wasm_bindgen]
pub fn start(options: JsValue) {
    let field = |name: &str| get_string(&options, name).filter(|v| !v.is_empty());
    let (Some(token), Some(collector), Some(site)) =
        (field("token"), field("collector"), field("site"))
    else {
        return;
    };
    let collector: String = String::from(collector.trim_end_matches('/'));
    let api = api::Api {
        collector,
        site,
        token,
    };
    let confirmed = api.clone();
    api.session(move |answer| {
        if answer.status == 200 {
            overlay::open(confirmed);
        } else {
            crate::console::warn(
                "visualizer token refused; nothing is shown",
                &JsValue::from(answer.status),
            );
        }
    });
}
