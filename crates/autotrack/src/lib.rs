//! wasmtrack's auto-tracking module: the click and page-view rules a marketer defined in the
//! visualizer, applied on a page (SPEC §5). The tracker loads it only for a site whose rule
//! list has a rule (`src/tracker/autotrack.rs`), so that other sites never download it.
//!
//! What fires is decided by `wasmtrack_core::autotrack::Applied`; this crate is its state on
//! the page and three entry points its loader (`js/autotrack.js`) calls: a new rule list, a
//! click, a URL change. Each hands the events that fire to the loader, which tracks them through the
//! tracker's own `trackCustomBehavioralEvent`, so they are limited, queued and delivered as
//! every other event is.
//!
//! Built as the tracker is (`no_std`, talc, a trapping panic handler; see its manifest); on
//! other targets the crate is empty.
#![cfg(target_arch = "wasm32")]
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;
use wasmtrack_browser::global::Global;
use wasmtrack_browser::{dom, page};
use wasmtrack_core::autotrack::Applied;

#[cfg(feature = "tiny")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic traps; the loader catches it (`js/autotrack.js`).
#[cfg(feature = "tiny")]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}

static APPLIED: Global<Option<Applied>> = Global::new(None);

/// Runs `f` on the page's rules and hands what fired to the loader's `fire` (not a returned
/// string: wasm-bindgen returns one as two values, which the strict-CSP build, wasm2js,
/// cannot translate). Nothing fires if a trap left the rules borrowed.
fn apply(fire: &JsValue, f: impl FnOnce(&mut Applied) -> String) {
    if let Ok(mut applied) = APPLIED.cell().try_borrow_mut() {
        let fired = f(applied.get_or_insert_with(Applied::default));
        if !fired.is_empty() {
            dom::hand(fire, &fired);
        }
    }
}

/// Takes the site's rule list (the collector's text); the page-view events that fire go to
/// `fire`.
#[wasm_bindgen]
pub fn rules(text: &str, fire: JsValue) {
    let href = page::href();
    apply(&fire, |a| a.set_rules(text, &href));
}

/// A click on `target`; the click events that fire go to `fire`.
#[wasm_bindgen]
pub fn clicked(target: JsValue, fire: JsValue) {
    apply(&fire, |a| {
        a.click(&mut |selector, names| {
            let element = dom::click_match(&target, selector, names)?;
            let count = if names.is_empty() {
                0
            } else {
                names.split(' ').count()
            };
            let attributes: Vec<_> = (0..count).map(|i| element.attribute(i)).collect();
            Some((element.text(), attributes))
        })
    });
}

/// The page's script changed the URL (`pushState`, `replaceState`, `popstate`); the page-view
/// events that fire go to `fire`.
#[wasm_bindgen]
pub fn navigated(fire: JsValue) {
    let href = page::href();
    apply(&fire, |a| a.page_view(&href));
}
