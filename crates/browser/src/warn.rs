//! Handing warnings to the page: the console in debug mode, and the `onWarning` callback.
//! Built in a few lines of JS from plain strings: building the object field by field from
//! wasm would cost a JS round trip per field.

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;
use wasmtrack_core::text::{split, split_once};

#[wasm_bindgen(module = "/src/warn.js")]
extern "C" {
    fn report(callback: &JsValue, loud: bool, text: &str, event: Option<&str>, name: Option<&str>);
}

/// Prints the warning when `loud` and calls `callback` (when it is a function) with
/// `{ code, message, event, name }` (`text` is `code` and `message`, tab-separated:
/// [`Warning::text`](wasmtrack_core::warning::Warning::text)). A throwing callback is the page's
/// own bug: it is caught.
pub fn warn(callback: &JsValue, loud: bool, text: &str, event: Option<&str>, name: Option<&str>) {
    report(callback, loud, text, event, name);
}

/// The events a collector refused, as `(name, reason)`, from the shell's reading of its answer
/// (`name` U+0001 `reason`, a line each; see `woken_text` in `wake.js`).
pub fn rejected_events(text: &str) -> Vec<(String, String)> {
    split(text, b'\n')
        .filter_map(|line| split_once(line, 1))
        .map(|(name, reason)| (String::from(name), String::from(reason)))
        .collect()
}
