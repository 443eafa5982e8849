//! Reads the facts behind the default properties (`location`, `document`, `screen`,
//! `navigator`) in one call to a few lines of JS, instead of a dozen web-sys bindings that
//! each cost a shim and marshalling. The URL's path and `utm_…` parameters come from the
//! browser's own URL parser, decoded as every other script on the page sees them. Any fact a
//! browser does not give is left empty.

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

use wasmtrack_core::context::PageInfo;
use wasmtrack_core::text::{parse_u64, split, split_once, Split};

// Fields are separated by U+0001, a `utm_` name from its value by U+0002: neither survives
// in a URL, a title or a language tag (`URL` percent-encodes control characters).
// The string-valued reads share one import (`op`: 0 the page's facts, 1 `location.href`, 2 the
// facts of the URL `arg`, 3 takes the current URL's query parameter `arg` out of the address
// bar): each import returning a string costs its own marshalling shim in the glue.
#[wasm_bindgen(inline_js = r#"
function url_facts(href) {
  try {
    const u = new URL(href);
    const utm = [...u.searchParams].filter(([k]) => k.startsWith('utm_')).map(([k, v]) => k + '\u0002' + v);
    return [u.pathname, ...utm].join('\u0001');
  } catch (e) {
    return '/';
  }
}
export function page_read(op, arg) {
  const href = location.href;
  if (op === 0) {
    const d = document, s = window.screen || {};
    return [href, d.referrer, d.title, s.width || 0, s.height || 0, navigator.language || '', url_facts(href)].join('\u0001');
  }
  switch (op) {
    case 1: return href;
    case 2: return url_facts(arg);
    default: try {
      const u = new URL(href), v = u.searchParams.get(arg);
      if (v !== null) { u.searchParams.delete(arg); history.replaceState(history.state, '', u); }
      return v;
    } catch (e) { return null; }
  }
}
export function page_online() { return navigator.onLine !== false; }
export function page_no_track() { return navigator.doNotTrack === '1' || navigator.globalPrivacyControl === true; }
"#)]
extern "C" {
    fn page_read(op: u32, arg: &str) -> Option<String>;
    fn page_online() -> bool;
    fn page_no_track() -> bool;
}

const FACTS: u32 = 0;
const HREF: u32 = 1;
const URL_FACTS: u32 = 2;
const PARAM: u32 = 3;

fn page_text(op: u32, arg: &str) -> String {
    page_read(op, arg).unwrap_or_default()
}

/// The current `location.href`.
pub fn href() -> String {
    page_text(HREF, "")
}

/// Reads the current page; `path_override` is the tracker's `setPath` value. `replayed` is a
/// page that calls are being replayed from (see `__replayPage`): its URL, referrer and title
/// stand in for the current page's; screen and language stay the current ones.
pub fn read(path_override: Option<String>, replayed: Option<&PageInfo>) -> PageInfo {
    let facts = page_text(FACTS, "");
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
            read_url(split(&page_text(URL_FACTS, &page.href), 1), &mut info);
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
    page_read(PARAM, name)
}

/// `navigator.onLine`: false only when the browser knows it has no network.
pub fn is_online() -> bool {
    page_online()
}

/// Whether the visitor asked not to be tracked: Do Not Track or Global Privacy Control.
pub fn asks_not_to_track() -> bool {
    page_no_track()
}
