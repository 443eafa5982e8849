//! Reads the facts behind the default properties from `location`, `document`, `screen` and
//! `navigator`. Any property a browser does not give is left empty.

use crate::core::context::PageInfo;
use alloc::string::String;

/// The current `location.href`, or "" outside a page.
pub fn href() -> String {
    web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default()
}

/// Reads the current page; `path_override` is the tracker's `setPath` value. `replayed` is a
/// page that calls are being replayed from (see `__replayPage`): its URL, referrer and title
/// stand in for the current page's.
pub fn read(path_override: Option<String>, replayed: Option<&PageInfo>) -> PageInfo {
    let mut info = read_current(path_override);
    if let Some(page) = replayed {
        // Same browser: screen and language stay the current ones.
        info.href.clone_from(&page.href);
        info.referrer.clone_from(&page.referrer);
        info.title.clone_from(&page.title);
    }
    info
}

fn read_current(path_override: Option<String>) -> PageInfo {
    let Some(window) = web_sys::window() else {
        return PageInfo::default();
    };
    let (referrer, title) = match window.document() {
        Some(d) => (d.referrer(), d.title()),
        None => (String::new(), String::new()),
    };
    let screen = window
        .screen()
        .ok()
        .map(|s| (s.width().unwrap_or(0).max(0) as u32, s.height().unwrap_or(0).max(0) as u32))
        .unwrap_or((0, 0));
    PageInfo {
        href: href(),
        referrer,
        title,
        path_override,
        screen,
        language: window.navigator().language().unwrap_or_default(),
    }
}

/// `navigator.onLine`: false only when the browser knows it has no network.
pub fn is_online() -> bool {
    web_sys::window().map(|w| w.navigator().on_line()).unwrap_or(true)
}

/// Whether the visitor asked not to be tracked: Do Not Track or Global Privacy Control.
pub fn asks_not_to_track() -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    let dnt = crate::browser::convert::get(&navigator, "doNotTrack").as_string().as_deref() == Some("1");
    let gpc = crate::browser::convert::get(&navigator, "globalPrivacyControl").as_bool() == Some(true);
    dnt || gpc
}

/// Whether the document is hidden (tab in the background, page being left).
pub fn is_hidden() -> bool {
    web_sys::window().and_then(|w| w.document()).map(|d| d.hidden()).unwrap_or(false)
}
