//! Debug output. A local binding to `console.warn` costs one import, where web-sys's `console`
//! feature would bring a family of them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(prefix: &str, message: &str, detail: &JsValue);
}

/// Prints `[wasmtrack] message detail` as a console warning.
pub fn warn(message: &str, detail: &JsValue) {
    console_warn("[wasmtrack]", message, detail);
}
