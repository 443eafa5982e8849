//! Single-page-app navigation: `history.pushState` and `replaceState` are wrapped so that the
//! tracker hears of every URL change a framework makes, and `popstate` covers back/forward.
//!
//! The wrappers call the original first and return (or throw) exactly what it does, so the
//! page sees no difference; they stay for the page's life, because one removed later would
//! break a library that wrapped ours in turn. Written in JS: the wrapping is JS's own idiom,
//! and a few lines there cost less than the bindings to do it from Rust.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function watch_navigation(notify) {
  const tell = () => { try { notify(); } catch (e) {} };
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    if (typeof original !== 'function') continue;
    history[name] = function () {
      const result = original.apply(this, arguments);
      tell();
      return result;
    };
  }
  addEventListener('popstate', tell);
}
"#)]
extern "C" {
    fn watch_navigation(notify: &JsValue);
}

/// Calls `navigated` after every `pushState`, `replaceState` and `popstate`, for the page's
/// life.
pub fn on_navigation(navigated: impl FnMut() + 'static) {
    let callback = Closure::<dyn FnMut()>::new(navigated);
    watch_navigation(callback.as_ref());
    // Lives as long as the page: the wrapped history methods call it.
    callback.forget();
}
