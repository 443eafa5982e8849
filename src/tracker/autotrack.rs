//! Auto-tracking the events a marketer defined in the visualizer (SPEC §5): the site's rules
//! come from the collector (`GET /v1/sites/{site}/rules?format=text`, read by
//! `core::autotrack::decode_rules`), are kept in `localStorage` so they
//! apply from the first moment of the next page, and are revalidated on every page by the
//! browser's HTTP cache with the ETag. Page-view rules fire on load and on single-page-app
//! navigation; click rules through one delegated capture listener using `closest(selector)`.
//! Rules the collector no longer lists stop firing as soon as the fresh list arrives.

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsValue;

use super::Tracker;
use wasmtrack_browser::dom;
use wasmtrack_browser::page;
use wasmtrack_browser::transport;
use wasmtrack_browser::wake::Wake;
use wasmtrack_core::autotrack::{click_properties, decode_rules, page_views};
use wasmtrack_core::rules::{Rule, Trigger};

/// The site's rules as this page applies them.
#[derive(Default)]
pub struct AutoTrack {
    /// The site's auto-tracking rules (from storage, then from the collector).
    pub rules: Vec<Rule>,
    /// The URL the page-view rules last fired for, and which fired.
    pub href: String,
    pub fired: Vec<u64>,
}

const KEY_RULES: &str = "rules";

impl Tracker {
    /// The rules stored by an earlier page, then the collector's current list.
    pub fn start_autotrack(&mut self) {
        if let Some(text) = self.persist.store.get(KEY_RULES) {
            self.autotrack.rules = decode_rules(&text);
        }
        let mut url = self.opts.collector.clone();
        url.push_str("/v1/sites/");
        url.push_str(&self.opts.site);
        url.push_str("/rules?format=text");
        transport::get(&url, Wake::Rules);
    }

    pub(super) fn rules_arrived(&mut self, body: String) {
        self.autotrack.rules = decode_rules(&body);
        if self.persist.may_store() {
            self.persist.set(KEY_RULES, &body);
        }
        self.track_rule_page_views();
    }

    /// Fires the page-view rules that match the current URL and have not fired for it yet.
    pub fn track_rule_page_views(&mut self) {
        let href = page::href();
        if href != self.autotrack.href {
            self.autotrack.href = href.clone();
            self.autotrack.fired.clear();
        }
        let names: Vec<String> =
            page_views(&self.autotrack.rules, &href, &mut self.autotrack.fired)
                .into_iter()
                .map(|r| r.event_name.clone())
                .collect();
        for name in names {
            self.enqueue(name, Vec::new(), None);
        }
    }

    /// The URL changed without a page load (pushState, replaceState, popstate).
    pub fn navigated(&mut self) {
        if page::href() != self.autotrack.href {
            self.reread_page();
            self.track_rule_page_views();
        }
    }

    /// A click anywhere: each click rule whose selector matches the target or an ancestor
    /// tracks its event.
    pub fn clicked(&mut self, target: JsValue) {
        let mut hits = Vec::new();
        for rule in &self.autotrack.rules {
            if let Trigger::Click(selector) = &rule.trigger {
                if let Some(element) = dom::click_match(&target, selector, &rule.attribute_names())
                {
                    let props = click_properties(rule, selector, element.text(), &mut |i| {
                        element.attribute(i)
                    });
                    hits.push((rule.event_name.clone(), props));
                }
            }
        }
        for (name, props) in hits {
            self.enqueue(name, props, None);
        }
    }
}

impl Tracker {
    /// The visualizer token of a page opened with `?wt_visualize=<token>`, taken out of the
    /// address bar. Called before anything records the page's URL: a token in a page view's
    /// `url`, a stored queue or the next page's referrer would let anyone who reads them
    /// change the site's rules until it expires.
    pub fn take_visualizer_token() -> Option<String> {
        page::take_param("wt_visualize").filter(|t| !t.is_empty())
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
