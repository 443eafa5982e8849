//! The visualizer's requests to the collector, each with the visualizer token: the session
//! check, and the site's rules (list, create, delete). Answers come back as parsed JSON.

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::Cell;
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Headers, RequestInit, Response};

/// Where the collector is and how the visualizer may talk to it.
#[derive(Clone)]
pub struct Api {
    /// Collector base URL.
    pub collector: String,
    /// Site id.
    pub site: String,
    /// Visualizer token (`Authorization: Bearer`).
    pub token: String,
}

/// An answer: status and parsed JSON body (`undefined` when there is none).
pub struct Answer {
    /// HTTP status; 0 when the collector could not be reached.
    pub status: u16,
    /// The body as JSON.
    pub body: JsValue,
}

impl Api {
    fn url(&self, path: &str) -> String {
        let mut url = self.collector.clone();
        url.push_str(path);
        url
    }

    /// `GET /v1/visualizer/session`: 200 only for a valid token.
    pub fn session(&self, done: impl FnOnce(Answer) + 'static) {
        self.send("GET", &self.url("/v1/visualizer/session"), None, done);
    }

    fn rules_path(&self) -> String {
        let mut path = String::from("/v1/sites/");
        path.push_str(&self.site);
        path.push_str("/rules");
        path
    }

    /// `GET /v1/sites/{site}/rules`.
    pub fn rules(&self, done: impl FnOnce(Answer) + 'static) {
        self.send("GET", &self.url(&self.rules_path()), None, done);
    }

    /// `POST /v1/sites/{site}/rules` with `rule` (a JSON value).
    pub fn create_rule(&self, rule: &JsValue, done: impl FnOnce(Answer) + 'static) {
        let body = js_sys::JSON::stringify(rule)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        self.send("POST", &self.url(&self.rules_path()), Some(&body), done);
    }

    /// `DELETE /v1/sites/{site}/rules/{id}`.
    pub fn delete_rule(&self, id: u64, done: impl FnOnce(Answer) + 'static) {
        let mut path = self.rules_path();
        path.push('/');
        path.push_str(&wasmtrack_core::payload::int_string(id as i64));
        self.send("DELETE", &self.url(&path), None, done);
    }

    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&str>,
        done: impl FnOnce(Answer) + 'static,
    ) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let init = RequestInit::new();
        init.set_method(method);
        if let Ok(headers) = Headers::new() {
            let mut auth = String::from("Bearer ");
            auth.push_str(&self.token);
            let _ = headers.set("authorization", &auth);
            if body.is_some() {
                let _ = headers.set("content-type", "application/json");
            }
            init.set_headers(&headers);
        }
        if let Some(body) = body {
            init.set_body(&JsValue::from_str(body));
        }
        let done = Rc::new(Cell::new(Some(done)));
        let failed = {
            let done = done.clone();
            Closure::once_into_js(move |_: JsValue| {
                if let Some(f) = done.take() {
                    f(Answer {
                        status: 0,
                        body: JsValue::UNDEFINED,
                    });
                }
            })
        };
        let answered = Closure::once_into_js(move |resp: JsValue| -> JsValue {
            let resp: Response = resp.unchecked_into();
            let status = resp.status();
            let text = resp
                .text()
                .unwrap_or_else(|_| Promise::resolve(&JsValue::from_str("")));
            let read = Closure::once_into_js(move |text: JsValue| {
                let body = text
                    .as_string()
                    .filter(|t| !t.is_empty())
                    .and_then(|t| js_sys::JSON::parse(&t).ok())
                    .unwrap_or(JsValue::UNDEFINED);
                if let Some(f) = done.take() {
                    f(Answer { status, body });
                }
            });
            then(&text, &read)
        });
        let fetched = window.fetch_with_str_and_init(url, &init);
        let chained = then(&fetched, &answered);
        let _ = catch(&chained, &failed);
    }
}

fn then(promise: &Promise, f: &JsValue) -> JsValue {
    call_method(promise, "then", f)
}

fn catch(promise: &JsValue, f: &JsValue) -> JsValue {
    call_method(promise, "catch", f)
}

fn call_method(target: &JsValue, name: &str, arg: &JsValue) -> JsValue {
    Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .and_then(|m| m.dyn_into::<js_sys::Function>().ok())
        .and_then(|m| m.call1(target, arg).ok())
        .unwrap_or(JsValue::UNDEFINED)
}
