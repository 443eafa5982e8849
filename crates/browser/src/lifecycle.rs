//! The page events the tracker follows for the page's life (`listen` in `lifecycle.js`):
//! leaving, coming back from the back/forward cache, going online and being hidden (clicks and
//! single-page-app navigation are the auto-tracking module's, `crates/autotrack`). Each wakes the tracker
//! with its own [`Wake`](crate::protocol::Wake) code, named in the JS file.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/lifecycle.js")]
extern "C" {
    fn listen();
}

/// Starts listening; each event wakes the tracker.
pub fn follow_page() {
    listen();
}
