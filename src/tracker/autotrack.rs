//! Auto-tracking the events a marketer defined in the visualizer (SPEC §5): the site's rules
//! come from the collector (`GET /v1/sites/{site}/rules?format=text`), are kept in
//! `localStorage` so that they apply from the first moment of the next page, and are
//! revalidated on every page by the browser's HTTP cache with the ETag.
//!
//! Applying them is not this module's: the rule list goes, as text, to the loader's function
//! (`__autotrack` among `init`'s options, set by `js/loader.js` and `js/npm.js`), which loads
//! the auto-tracking module (`crates/autotrack`, its own small wasm) the first time a list has
//! a rule, and hands it every later list. A site without rules never downloads it, and every
//! page pays for rule matching, click listening and URL patterns only where they are used.
//! An empty list is handed on too, so that rules the collector no longer lists stop firing.

use alloc::string::String;

use super::Tracker;
use wasmtrack_browser::dom;
use wasmtrack_browser::transport;
use wasmtrack_browser::wake::Wake;

const KEY_RULES: &str = "rules";

impl Tracker {
    /// The rules stored by an earlier page, then the collector's current list.
    pub fn start_autotrack(&mut self) {
        if let Some(text) = self.persist.store.get(KEY_RULES) {
            self.hand_rules(&text);
        }
        let mut url = self.opts.collector.clone();
        url.push_str("/v1/sites/");
        url.push_str(&self.opts.site);
        url.push_str("/rules?format=text");
        transport::get(&url, Wake::Rules);
    }

    pub(super) fn rules_arrived(&mut self, body: String) {
        if self.persist.may_store() {
            self.persist.set(KEY_RULES, &body);
        }
        self.hand_rules(&body);
    }

    fn hand_rules(&self, text: &str) {
        dom::hand(&self.autotrack, text);
    }
}

impl Tracker {
    /// The visualizer token of a page opened with `?wt_visualize=<token>`, taken out of the
    /// address bar. Called before anything records the page's URL: a token in a page view's
    /// `url`, a stored queue or the next page's referrer would let anyone who reads them
    /// change the site's rules until it expires.
    pub fn take_visualizer_token() -> Option<String> {
        wasmtrack_browser::page::take_param("wt_visualize").filter(|t| !t.is_empty())
    }

    /// Loads the visualizer module (its own script and wasm) with `token`. Nothing of it is
    /// part of a normal page load.
    pub fn open_visualizer(&mut self, token: &str) {
        dom::load_script(
            &self.opts.visualizer_url,
            token,
            &self.opts.collector,
            &self.opts.site,
        );
    }
}
