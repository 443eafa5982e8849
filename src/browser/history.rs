//! Single-page-app navigation: `history.pushState` and `replaceState` are wrapped so that the
//! tracker hears of every URL change a framework makes, and `popstate` covers back/forward.
//!
//! The wrappers call the original first and return (or throw) exactly what it does, so the
//! page sees no difference. They stay installed for the page's life (`forget`): a wrapper
//! removed later would break a library that wrapped ours in turn.

use alloc::rc::Rc;
use core::cell::RefCell;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::listener::EventListener;

/// Calls `navigated` after every `pushState`, `replaceState` and `popstate`. The returned
/// listener handle covers `popstate`; the wrappers live as long as the page.
pub fn on_navigation(navigated: impl FnMut() + 'static) -> Option<EventListener> {
    let window = web_sys::window()?;
    let history = window.history().ok()?;
    let navigated = Rc::new(RefCell::new(navigated));
    for name in ["pushState", "replaceState"] {
        let Ok(original) = Reflect::get(&history, &JsValue::from_str(name)).and_then(|f| f.dyn_into::<Function>().map_err(JsValue::from)) else {
            continue;
        };
        let this = history.clone();
        let notify = navigated.clone();
        let wrapper = Closure::<dyn FnMut(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>::new(move |state, title, url| {
            let result = original.call3(&this, &state, &title, &url);
            if let Ok(mut f) = notify.try_borrow_mut() {
                (f)();
            }
            result
        });
        let _ = Reflect::set(&history, &JsValue::from_str(name), wrapper.as_ref());
        wrapper.forget();
    }
    let notify = navigated;
    Some(EventListener::new(&window, "popstate", false, move |_| {
        if let Ok(mut f) = notify.try_borrow_mut() {
            (f)();
        }
    }))
}
