//! Reads JS values into the core's [`RawValue`]. Reading is defensive: a getter that throws, a
//! proxy, a cyclic array — each ends as a value the core can drop, never as an exception.

use super::js::{self, Array, Date};
use alloc::string::String;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasmtrack_core::value::RawValue;

/// `String(v)` for a number or bigint.
pub fn number_text(v: &JsValue) -> String {
    js::string(v)
}

/// Arrays nested deeper than this read as [`RawValue::Nested`] (also stops cycles).
const MAX_ARRAY_DEPTH: u32 = 4;
/// Items read from one array: more could never fit in a 1024-character value anyway.
const MAX_ARRAY_ITEMS: u32 = 1024;

/// `obj[key]`, or `undefined` when reading throws.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js::try_get(obj, key).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key]` as a string, if it is one.
pub fn get_string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

/// `obj[key]` as a boolean, if it is one.
pub fn get_bool(obj: &JsValue, key: &str) -> Option<bool> {
    get(obj, key).as_bool()
}

/// `obj[key]` as a number, if it is one.
pub fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

/// Whether `v` is an object whose own properties can be read as a property map.
pub fn is_plain_object(v: &JsValue) -> bool {
    v.is_object() && !js::is_array(v) && !v.is_function()
}

/// The own enumerable properties of `obj` in the object's own key order, read lazily so that
/// only the properties the core keeps are converted.
pub fn entries(obj: &JsValue) -> impl Iterator<Item = (String, RawValue)> + '_ {
    let keys = js::keys(obj);
    let count = keys.as_ref().map_or(0, Array::length);
    (0..count).filter_map(move |i| {
        let key = keys.as_ref()?.get(i).as_string()?;
        let value = match js::try_get(obj, &key) {
            Some(v) => raw_value(&v, 0),
            None => RawValue::Nested,
        };
        Some((key, value))
    })
}

/// One JS value as the core sees it.
pub fn raw_value(v: &JsValue, depth: u32) -> RawValue {
    if let Some(s) = v.as_string() {
        return RawValue::Str(s);
    }
    if v.is_undefined() || v.is_null() {
        return RawValue::Null;
    }
    if let Some(b) = v.as_bool() {
        return RawValue::Bool(b);
    }
    if v.as_f64().is_some() || v.is_bigint() {
        // JavaScript's own number printing, so the value reads as the page author wrote it.
        return RawValue::Num(number_text(v));
    }
    if let Some(date) = v.dyn_ref::<Date>() {
        return RawValue::Date(date.get_time());
    }
    if js::is_array(v) && depth < MAX_ARRAY_DEPTH {
        let array: &Array = v.unchecked_ref();
        let items = (0..array.length().min(MAX_ARRAY_ITEMS))
            .map(|i| raw_value(&array.get(i), depth + 1))
            .collect();
        return RawValue::Array(items);
    }
    RawValue::Nested
}
