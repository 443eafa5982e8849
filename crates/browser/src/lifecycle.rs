//! The page events the tracker follows for the page's life (`listen` in `js/shell.js`):
//! leaving, coming back from the back/forward cache, going online, being hidden, clicks, and
//! single-page-app navigation (`pushState`, `replaceState`, `popstate`).

use super::wake::Wake;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/shell.js")]
extern "C" {
    fn listen(left: u32, back: u32, online: u32, hidden: u32, click: u32, navigated: u32);
}

/// Starts listening; each event wakes the tracker.
pub fn follow_page() {
    use Wake::*;
    listen(
        Left as u32,
        Back as u32,
        Online as u32,
        Hidden as u32,
        Click as u32,
        Navigated as u32,
    );
}
