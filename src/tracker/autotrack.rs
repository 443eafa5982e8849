//! Auto-tracking the events a marketer defined in the visualizer (SPEC §5): the site's rules
//! come from the collector (`GET /v1/sites/{site}/rules`), are kept in `localStorage` so they
//! apply from the first moment of the next page, and are revalidated on every page by the
//! browser's HTTP cache with the ETag. Page-view rules fire on load and on single-page-app
//! navigation; click rules through one delegated capture listener using `closest(selector)`.
//! Rules the collector no longer lists stop firing as soon as the fresh list arrives.

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::Array;
use wasm_bindgen::JsValue;

use super::{Reports, Tracker};
use crate::browser::convert::{get, get_f64, get_string};
use crate::browser::dom;
use crate::browser::page;
use crate::browser::transport;
use crate::browser::wake::Wake;
use crate::core::autotrack::{click_properties, page_views, AutoRule, Source, Trigger};
use crate::core::rules::UrlRule;

const KEY_RULES: &str = "rules";

impl Tracker {
    /// The rules stored by an earlier page, then the collector's current list.
    pub fn start_autotrack(&mut self) {
        if let Some(text) = self.store.get(KEY_RULES) {
            self.rules = parse_rules(&text);
        }
        let mut url = self.opts.collector.clone();
        url.push_str("/v1/sites/");
        url.push_str(&self.opts.site);
        url.push_str("/rules");
        transport::get(&url, Wake::Rules);
    }

    pub(super) fn rules_arrived(&mut self, body: String, reports: &mut Reports) {
        self.rules = parse_rules(&body);
        if self.may_store() {
            self.store_set(KEY_RULES, &body, reports);
        }
        self.track_rule_page_views(reports);
    }

    /// Fires the page-view rules that match the current URL and have not fired for it yet.
    pub fn track_rule_page_views(&mut self, reports: &mut Reports) {
        let href = page::href();
        if href != self.rules_href {
            self.rules_href = href.clone();
            self.rules_fired.clear();
        }
        let names: Vec<String> = page_views(&self.rules, &href, &mut self.rules_fired).into_iter().map(|r| r.event_name.clone()).collect();
        for name in names {
            self.enqueue(name, Vec::new(), None, reports);
        }
    }

    /// The URL changed without a page load (pushState, replaceState, popstate).
    pub fn navigated(&mut self, reports: &mut Reports) {
        if page::href() != self.rules_href {
            self.reread_page();
            self.track_rule_page_views(reports);
        }
    }

    /// A click anywhere: each click rule whose selector matches the target or an ancestor
    /// tracks its event.
    pub fn clicked(&mut self, target: JsValue, reports: &mut Reports) {
        let Some(target) = dom::target_element(target) else {
            return;
        };
        let mut hits = Vec::new();
        for rule in &self.rules {
            if let Trigger::Click(selector) = &rule.trigger {
                if let Some(element) = dom::closest(&target, selector) {
                    let text = dom::text(&element);
                    let props = click_properties(rule, selector, &text, &mut |name| dom::attribute(&element, name));
                    hits.push((rule.event_name.clone(), props));
                }
            }
        }
        for (name, props) in hits {
            self.enqueue(name, props, None, reports);
        }
    }
}

/// The collector's `{"version","rules":[…]}` as rules; anything unreadable is skipped.
fn parse_rules(text: &str) -> Vec<AutoRule> {
    let Ok(list) = js_sys::JSON::parse(text) else {
        return Vec::new();
    };
    let rules = get(&list, "rules");
    if !Array::is_array(&rules) {
        return Vec::new();
    }
    Array::from(&rules).iter().filter_map(|item| parse_rule(&item)).collect()
}

fn parse_rule(item: &JsValue) -> Option<AutoRule> {
    let id = get_f64(item, "id")? as u64;
    let event_name = get_string(item, "eventName")?;
    let trigger = match get_string(item, "kind")?.as_str() {
        "click" => Trigger::Click(get_string(item, "selector")?),
        "pageview" => {
            let value = get_string(item, "value")?;
            Trigger::PageView(match get_string(item, "match")?.as_str() {
                "exact" => UrlRule::Exact(value),
                "startsWith" => UrlRule::StartsWith(value),
                "contains" => UrlRule::Contains(value),
                "pattern" => UrlRule::Pattern(value),
                _ => return None,
            })
        }
        _ => return None,
    };
    let captured = get(item, "properties");
    let properties = if Array::is_array(&captured) {
        Array::from(&captured)
            .iter()
            .filter_map(|p| Some((get_string(&p, "name")?, Source::parse(&get_string(&p, "source")?)?)))
            .collect()
    } else {
        Vec::new()
    };
    Some(AutoRule { id, event_name, trigger, properties })
}

impl Tracker {
    /// Opens the visualizer when the page URL carries `wt_visualize=<token>`.
    pub fn open_visualizer_from_url(&mut self) {
        let href = page::href();
        let token = crate::core::context::query_pairs(crate::core::context::url_query(&href)).find(|(k, _)| k == "wt_visualize").map(|(_, v)| v);
        if let Some(token) = token.filter(|t| !t.is_empty()) {
            self.open_visualizer(&token);
        }
    }

    /// Loads the visualizer module (its own script and wasm) with `token`. Nothing of it is
    /// part of a normal page load.
    pub fn open_visualizer(&mut self, token: &str) {
        dom::load_script(&self.opts.visualizer_url, token, &self.opts.collector, &self.opts.site);
    }
}
