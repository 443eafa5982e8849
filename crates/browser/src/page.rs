//! Reads the facts behind the default properties (`location`, `document`, `screen`,
//! `navigator`) in one call to a few lines of JS, instead of a dozen web-sys bindings that
//! each cost a shim and marshalling. The URL's path and `utm_…` parameters come from the
//! browser's own URL parser, decoded as every other script on the page sees them. Any fact a
//! browser does not give is left empty.

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

use crate::protocol::PageOp;
use wasmtrack_core::context::PageInfo;
use wasmtrack_core::text::{parse_u64, split, split_once, Split};

// The string-valued reads share one import (`PageOp`; `page.js` says why and how fields are
// separated).
#[wasm_bindgen(module = "/src/page.js")]
extern "C" {
    fn page_read(op: u32, arg: &str) -> Option<String>;
    fn page_online() -> bool;
    fn page_no_track() -> bool;
}

fn page_text(op: PageOp, arg: &str) -> String {
    page_read(op as u32, arg).unwrap_or_default()
}

/// The current `location.href`.
pub fn href() -> String {
    page_text(PageOp::Href, "")
}

/// Reads the current page; `path_override` is the tracker's `setPath` value. `replayed` is a
/// page that calls are being replayed from (see `__replayPage`): its URL, referrer and title
/// stand in for the current page's; screen and language stay the current ones.
pub fn read(path_override: Option<String>, replayed: Option<&PageInfo>) -> PageInfo {
    let facts = page_text(PageOp::Facts, "");
    let mut parts = split(&facts, 1);
    let mut next = || String::from(parts.next().unwrap_or(""));
    let (href, referrer, title) = (next(), next(), next());
    let number = |text: String| {
        parse_u64(&text)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    };
    let screen = (number(next()), number(next()));
    let language = next();
    let mut info = PageInfo {
        href,
        referrer,
        title,
        path_override,
        screen,
        language,
        ..PageInfo::default()
    };
    match replayed {
        Some(page) => {
            info.href.clone_from(&page.href);
            info.referrer.clone_from(&page.referrer);
            info.title.clone_from(&page.title);
            read_url(
                split(&page_text(PageOp::UrlFacts, &page.href), 1),
                &mut info,
            );
        }
        // The rest of this page's facts are its URL's.
        None => read_url(parts, &mut info),
    }
    info
}

/// Path and `utm_…` parameters from `url_facts`' fields.
fn read_url(mut parts: Split<'_>, info: &mut PageInfo) {
    info.path = String::from(parts.next().unwrap_or("/"));
    info.utm = parts
        .filter_map(|p| split_once(p, 2))
        .map(|(k, v)| (String::from(k), String::from(v)))
        .collect::<Vec<_>>();
}

/// A query parameter of the current URL, decoded, which is then removed from the address bar
/// (`history.replaceState`, no navigation): what it held never reaches a recorded `url`, a
/// stored page or the next page's `referrer`.
pub fn take_param(name: &str) -> Option<String> {
    page_read(PageOp::TakeParam as u32, name)
}

/// `navigator.onLine`: false only when the browser knows it has no network.
pub fn is_online() -> bool {
    page_online()
}

/// Whether the visitor asked not to be tracked: Do Not Track or Global Privacy Control.
pub fn asks_not_to_track() -> bool {
    page_no_track()
}
