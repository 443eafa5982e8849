//! Reads the facts behind the default properties (`location`, `document`, `screen`,
//! `navigator`) in one call to a few lines of JS, instead of a dozen web-sys bindings that
//! each cost a shim and marshalling. Any fact a browser does not give is left empty.

use alloc::string::String;
use wasm_bindgen::prelude::*;

use crate::core::context::PageInfo;

#[wasm_bindgen(inline_js = r#"
export function page_facts() {
  const d = document, s = window.screen || {};
  return [location.href, d.referrer, d.title, s.width || 0, s.height || 0, navigator.language || ''].join('\u0001');
}
export function page_href() { return location.href; }
export function page_online() { return navigator.onLine !== false; }
export function page_no_track() { return navigator.doNotTrack === '1' || navigator.globalPrivacyControl === true; }
"#)]
extern "C" {
    fn page_facts() -> String;
    fn page_href() -> String;
    fn page_online() -> bool;
    fn page_no_track() -> bool;
}

/// The current `location.href`.
pub fn href() -> String {
    page_href()
}

/// Reads the current page; `path_override` is the tracker's `setPath` value. `replayed` is a
/// page that calls are being replayed from (see `__replayPage`): its URL, referrer and title
/// stand in for the current page's; screen and language stay the current ones.
pub fn read(path_override: Option<String>, replayed: Option<&PageInfo>) -> PageInfo {
    let facts = page_facts();
    let mut parts = facts.split('\u{1}');
    let mut next = || parts.next().unwrap_or("");
    let (href, referrer, title) = (String::from(next()), String::from(next()), String::from(next()));
    let screen = (next().parse().unwrap_or(0), next().parse().unwrap_or(0));
    let language = String::from(next());
    let mut info = PageInfo { href, referrer, title, path_override, screen, language };
    if let Some(page) = replayed {
        info.href.clone_from(&page.href);
        info.referrer.clone_from(&page.referrer);
        info.title.clone_from(&page.title);
    }
    info
}

/// `navigator.onLine`: false only when the browser knows it has no network.
pub fn is_online() -> bool {
    page_online()
}

/// Whether the visitor asked not to be tracked: Do Not Track or Global Privacy Control.
pub fn asks_not_to_track() -> bool {
    page_no_track()
}
