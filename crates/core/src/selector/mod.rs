//! CSS selectors for the element a visualizer user points at, built from a plain description
//! of its ancestry, so that the choices are tested on the host and the browser shell only reads
//! the DOM and counts matches.
//!
//! A click rule outlives the page it was made on: the site is redeployed, CSS-in-JS hashes
//! change, lists grow. So the selector is built from the most stable facts first — a unique
//! id, then `data-*` attributes (test ids first), then stable class names — and only then from
//! positions (`:nth-of-type`). Within that order the fewest compounds win.
//!
//! Matching needs the page, so the caller passes a counter (`document.querySelectorAll(sel)
//! .length` in the browser, a fake DOM in the tests). Every candidate is built only from facts
//! of the element and its own ancestors, so it always matches the element: a count of 1 means
//! "exactly this element". The same argument gives "all similar" (see [`similar_selector`]).
//! The counter is asked at most [`MAX_CHECKS`] times per selector; past that, the full
//! positional path from `body` is returned, which is unique by construction.

// The parts are private and the API is re-exported here, so callers keep naming
// `selector::unique_selector` and friends whatever file holds them.
mod css;
mod element;
mod search;
mod stability;
#[cfg(test)]
mod test_dom;

pub use css::{push_ident, push_string};
pub use element::{clickable_target, ElementInfo, MAX_CLIMB};
pub use search::{similar_selector, unique_selector, MAX_CHECKS};
pub use stability::looks_generated;
