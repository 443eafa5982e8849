//! The JS built-ins the tracker calls, bound here rather than through js-sys (see the note on
//! js-sys in `Cargo.toml`): time, randomness, property reads, arrays, dates and a resolved
//! promise. Each is one import.

use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Date, js_name = now)]
    fn date_now() -> f64;
    #[wasm_bindgen(js_namespace = Math, js_name = random)]
    fn math_random() -> f64;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Promise, js_name = resolve)]
    fn promise_resolve() -> JsValue;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> bool;
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;
    /// JavaScript's `String(value)`.
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: &JsValue) -> String;
}

// The types apart from the functions above: in one block, `js_namespace = Date` would make
// `date_now` a static method of the `Date` type.
#[wasm_bindgen]
extern "C" {
    /// A JS array.
    pub type Array;
    /// `array.length`.
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &Array) -> u32;
    /// `array[index]`.
    #[wasm_bindgen(method, indexing_getter)]
    pub fn get(this: &Array, index: u32) -> JsValue;

    /// A JS `Date`.
    #[wasm_bindgen(js_name = Date)]
    pub type Date;
    /// `date.getTime()`: epoch milliseconds, `NaN` for an invalid date.
    #[wasm_bindgen(method, js_name = getTime)]
    pub fn get_time(this: &Date) -> f64;
}

/// `Date.now()`, in epoch milliseconds.
pub fn now() -> u64 {
    date_now() as u64
}

/// `Math.random()`.
pub fn random() -> f64 {
    math_random()
}

/// `obj[key]`, or `None` when reading throws (a getter, a proxy, a primitive).
pub fn try_get(obj: &JsValue, key: &str) -> Option<JsValue> {
    reflect_get(obj, key).ok()
}

/// A promise resolved with `undefined`.
pub fn resolved() -> JsValue {
    promise_resolve()
}

/// `Array.isArray(value)`.
pub fn is_array(value: &JsValue) -> bool {
    array_is_array(value)
}

/// `Object.keys(value)`, or `None` when that throws.
pub fn keys(value: &JsValue) -> Option<Array> {
    object_keys(value).ok()
}

/// `String(value)`: numbers and bigints printed exactly as the page sees them.
pub fn string(value: &JsValue) -> String {
    js_string(value)
}
