//! The JS API in a real headless Chromium, called with real JS values.
//!
//! `fetch` is replaced by a recorder before the tracker starts, so each test reads exactly the
//! batch body the tracker would have posted. The tracker is one per page, so every test shares
//! one `init`; each test starts by clearing the recordings, and awaits `flush()` (delivery is
//! one acknowledged request at a time).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(code: &str) -> JsValue {
    js_sys::eval(code).expect("test JavaScript runs")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).expect("readable")
}

fn text(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

/// Starts the tracker once, with `fetch` recorded and warnings collected; clears both.
fn setup() {
    js(r#"
        if (!globalThis.__sent) {
            globalThis.__sent = [];
            globalThis.__warnings = [];
            globalThis.fetch = async (url, init) => {
                if (init.method !== 'POST') {
                    return new Response('wr2', { status: 200 });
                }
                // Batches come gzipped (a Blob) where the browser has CompressionStream.
                const gzip = typeof init.body !== 'string';
                const text = gzip
                    ? await new Response(init.body.stream().pipeThrough(new DecompressionStream('gzip'))).text()
                    : init.body;
                __sent.push({ url, body: JSON.parse(text), keepalive: init.keepalive, gzip });
                return new Response(null, { status: 200 });
            };
        }
    "#);
    if js("globalThis.__started").is_undefined() {
        js("globalThis.__started = true");
        let _ = wasmtrack::init(js(
            "({ collector: 'http://127.0.0.1:9/', site: 'site-1', autoPageView: false, flushAt: 100, onWarning: (w) => __warnings.push(w) })",
        ));
    }
    js("__sent.length = 0; __warnings.length = 0;");
}

async fn flush() {
    JsFuture::from(wasmtrack::flush().unchecked_into::<js_sys::Promise>())
        .await
        .expect("flush never rejects");
}

/// Every event sent since `setup`, each with its batch context merged in as `ctx`.
fn sent_events() -> Array {
    js("__sent.flatMap((s) => s.body.events.map((e) => ({ ...e, ctx: s.body.ctx[e.c] })))")
        .unchecked_into::<Array>()
}

/// Tracks the event written in JS, flushes, and returns the one event that was sent.
async fn track(event_js: &str) -> JsValue {
    wasmtrack::track_custom_behavioral_event(js(event_js));
    flush().await;
    let events = sent_events();
    assert_eq!(events.length(), 1, "one event sent for {event_js}");
    events.get(0)
}

fn warning_codes() -> Vec<String> {
    let list = js("__warnings.map((w) => w.code + ':' + (w.name ?? ''))").unchecked_into::<Array>();
    list.iter().filter_map(|v| v.as_string()).collect()
}

#[wasm_bindgen_test]
async fn a_sixty_property_object_keeps_the_first_fifty() {
    setup();
    let event = track("(() => { const p = {}; for (let i = 0; i < 60; i++) p['p' + i] = i; return { name: 'many', properties: p }; })()").await;
    let keys = js_sys::Object::keys(&get(&event, "p").unchecked_into::<js_sys::Object>())
        .unchecked_into::<Array>();
    assert_eq!(keys.length(), 50);
    assert_eq!(keys.get(0).as_string().as_deref(), Some("p0"));
    assert_eq!(keys.get(49).as_string().as_deref(), Some("p49"));
    assert_eq!(text(&get(&event, "p"), "p7").as_deref(), Some("7"));
    assert_eq!(warning_codes(), vec!["too_many_properties:p50".to_string()]);
}

#[wasm_bindgen_test]
async fn a_value_is_cut_before_an_emoji_that_straddles_the_limit() {
    setup();
    // 255 units, then a two-unit emoji at units 256-257, then more: the emoji is left out.
    let event =
        track("({ name: 'long', properties: { note: 'a'.repeat(255) + '😀' + 'b'.repeat(44) } })")
            .await;
    let note = text(&get(&event, "p"), "note").expect("note kept");
    assert_eq!(note, "a".repeat(255));
    assert_eq!(js_sys::JsString::from(note).length(), 255);
    assert_eq!(warning_codes(), vec!["value_truncated:note".to_string()]);

    setup();
    let event =
        track("({ name: 'long', properties: { note: 'a'.repeat(254) + '😀' + 'b'.repeat(44) } })")
            .await;
    assert_eq!(
        text(&get(&event, "p"), "note"),
        Some(format!("{}😀", "a".repeat(254)))
    );
}

#[wasm_bindgen_test]
async fn dates_arrays_nested_objects_and_null_are_converted_or_dropped() {
    setup();
    let event = track(
        "({ name: 'values', properties: { when: new Date(1700000000123), tags: ['a', 2, true, null, new Date(5)], nested: { x: 1 }, gone: null, undef: undefined, ok: 1.5, yes: false, big: 12345678901234567890n } })",
    )
    .await;
    let p = get(&event, "p");
    assert_eq!(text(&p, "when").as_deref(), Some("1700000000123"));
    assert_eq!(text(&p, "tags").as_deref(), Some("a;2;true;5"));
    assert_eq!(text(&p, "ok").as_deref(), Some("1.5"));
    assert_eq!(text(&p, "yes").as_deref(), Some("false"));
    assert_eq!(text(&p, "big").as_deref(), Some("12345678901234567890"));
    for dropped in ["nested", "gone", "undef"] {
        assert!(get(&p, dropped).is_undefined(), "{dropped} dropped");
    }
    assert_eq!(
        warning_codes(),
        vec!["nested_value_dropped:nested".to_string()]
    );
}

#[wasm_bindgen_test]
async fn an_eighty_character_name_is_truncated_to_fifty() {
    setup();
    let event = track("({ name: 'E'.repeat(80), properties: {} })").await;
    assert_eq!(text(&event, "name"), Some("e".repeat(50)));
    assert!(warning_codes()
        .iter()
        .any(|c| c.starts_with("name_truncated")));
}

#[wasm_bindgen_test]
async fn property_names_are_lowercased_bad_ones_dropped_and_the_first_duplicate_wins() {
    setup();
    let event = track("({ name: 'names', properties: { Plan: 'pro', plan: 'free', '2fa': 'x', 'with-dash': 'y', ['n'.repeat(60)]: 'z' } })").await;
    let p = get(&event, "p");
    assert_eq!(text(&p, "plan").as_deref(), Some("pro"));
    assert_eq!(text(&p, &"n".repeat(50)).as_deref(), Some("z"));
    assert!(get(&p, "2fa").is_undefined() && get(&p, "with-dash").is_undefined());
    assert_eq!(
        warning_codes(),
        vec![
            "duplicate_property_name:plan".to_string(),
            "invalid_property_name:2fa".to_string(),
            "invalid_property_name:with-dash".to_string(),
            format!("name_truncated:{}", "n".repeat(60)),
        ]
    );
}

#[wasm_bindgen_test]
async fn utm_parameters_of_the_url_are_copied_decoded() {
    setup();
    js("globalThis.__before = location.href");
    js("history.replaceState(null, '', location.pathname + '?utm_source=news&utm_campaign=black%20friday&utm_campaign=again&utm_x=1&q=caf%C3%A9#top')");
    let event = track("({ name: 'utm' })").await;
    js("history.replaceState(null, '', __before)");
    let d = get(&get(&event, "ctx"), "d");
    assert_eq!(text(&d, "utm_source").as_deref(), Some("news"));
    assert_eq!(
        text(&d, "utm_campaign").as_deref(),
        Some("black friday"),
        "decoded, the first of two"
    );
    assert!(
        get(&d, "utm_x").is_undefined(),
        "only the five UTM parameters"
    );
    assert!(get(&d, "q").is_undefined());
    assert_eq!(text(&d, "path"), js("location.pathname").as_string());
    assert!(
        text(&d, "url").is_some_and(|u| u.ends_with("&q=caf%C3%A9#top")),
        "the URL as it was"
    );
}

#[wasm_bindgen_test]
async fn every_event_carries_ids_and_default_properties() {
    setup();
    let event = track("({ name: 'ids' })").await;
    let id = text(&event, "id").expect("id");
    assert!(
        wasmtrack_core::uuid::is_uuid(&id) && id.as_bytes()[14] == b'4',
        "{id} is a UUID v4"
    );
    let ctx = get(&event, "ctx");
    assert!(wasmtrack_core::uuid::is_uuid(
        &text(&ctx, "vid").expect("visitor id")
    ));
    assert!(wasmtrack_core::uuid::is_uuid(
        &text(&ctx, "sid").expect("session id")
    ));
    let d = get(&ctx, "d");
    assert_eq!(text(&d, "url"), js("location.href").as_string());
    assert_eq!(text(&d, "path"), js("location.pathname").as_string());
    assert_eq!(text(&d, "language"), js("navigator.language").as_string());
    assert_eq!(
        text(&d, "screen_width"),
        Some(js("String(screen.width)").as_string().expect("width"))
    );
    let sent = js("__sent[0]");
    assert_eq!(
        text(&sent, "url").as_deref(),
        Some("http://127.0.0.1:9/v1/collect")
    );
    assert_eq!(text(&get(&sent, "body"), "site").as_deref(), Some("site-1"));
    assert_eq!(get(&sent, "keepalive").as_bool(), Some(true));

    setup();
    let second = track("({ name: 'ids' })").await;
    assert_ne!(text(&second, "id"), Some(id), "each event has its own id");
    assert_eq!(
        text(&get(&second, "ctx"), "vid"),
        text(&ctx, "vid"),
        "the visitor stays the same"
    );
}

/// Chromium has `CompressionStream`: a batch over 1,000 characters leaves gzipped, a quiet
/// page's single event as it is (the compression's detour would delay it for little gain).
#[wasm_bindgen_test]
async fn batches_leave_gzipped_and_a_single_event_as_it_is() {
    setup();
    track("({ name: 'alone' })").await;
    assert_eq!(get(&js("__sent[0]"), "gzip").as_bool(), Some(false));

    setup();
    for i in 0..20 {
        wasmtrack::track_custom_behavioral_event(js(&format!(
            "({{ name: 'many', properties: {{ i: {i} }} }})"
        )));
    }
    flush().await;
    assert_eq!(js("__sent.length").as_f64(), Some(1.0));
    assert_eq!(get(&js("__sent[0]"), "gzip").as_bool(), Some(true));
    assert_eq!(sent_events().length(), 20);
}

/// Pages served over plain http have no `crypto.randomUUID`: ids are still UUID v4, all
/// different, made from `crypto.getRandomValues`.
#[wasm_bindgen_test]
async fn ids_are_uuid_v4_without_crypto_random_uuid_too() {
    setup();
    js("globalThis.__randomUUID = Crypto.prototype.randomUUID; delete Crypto.prototype.randomUUID");
    for i in 0..20 {
        wasmtrack::track_custom_behavioral_event(js(&format!(
            "({{ name: 'no_random_uuid', properties: {{ i: {i} }} }})"
        )));
    }
    flush().await;
    js("Crypto.prototype.randomUUID = __randomUUID");
    let ids: Vec<String> = sent_events()
        .iter()
        .filter_map(|e| text(&e, "id"))
        .collect();
    assert_eq!(ids.len(), 20);
    for id in &ids {
        let b = id.as_bytes();
        assert!(
            wasmtrack_core::uuid::is_uuid(id) && id.to_ascii_lowercase() == *id,
            "{id}"
        );
        assert!(
            b[14] == b'4' && matches!(b[19], b'8' | b'9' | b'a' | b'b'),
            "{id}: version 4, variant 1"
        );
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
}

#[wasm_bindgen_test]
async fn set_path_and_identify_shape_the_following_events() {
    setup();
    wasmtrack::set_path(JsValue::from_str("/virtual/cart"));
    wasmtrack::identify(js("({ email: 'ada@example.com' })"));
    wasmtrack::track_custom_behavioral_event(js("({ name: 'after' })"));
    flush().await;
    let events = sent_events();
    assert_eq!(events.length(), 2);
    assert_eq!(text(&events.get(0), "name").as_deref(), Some("$identify"));
    let after = get(&events.get(1), "ctx");
    assert_eq!(text(&after, "email").as_deref(), Some("ada@example.com"));
    assert_eq!(
        text(&get(&after, "d"), "path").as_deref(),
        Some("/virtual/cart")
    );
    assert_eq!(
        js("__sent[0].body.ctx.length").as_f64(),
        Some(1.0),
        "one context for both events"
    );
    wasmtrack::set_path(js("location.pathname"));
}

#[wasm_bindgen_test]
async fn bad_input_never_throws_and_is_reported() {
    setup();
    for bad in [
        "undefined",
        "null",
        "42",
        "({})",
        "({ name: '' })",
        "({ name: 'x', properties: 'nope' })",
    ] {
        wasmtrack::track_custom_behavioral_event(js(bad));
    }
    // A getter that throws is read as an unusable value, not an exception.
    wasmtrack::track_custom_behavioral_event(js(
        "({ name: 'getter', properties: { get boom() { throw new Error('no'); }, fine: 1 } })",
    ));
    wasmtrack::identify(JsValue::NULL);
    wasmtrack::set_path(JsValue::from_f64(3.0));
    flush().await;
    let events = sent_events();
    assert_eq!(events.length(), 2, "only `x` and `getter` have names");
    assert_eq!(text(&events.get(0), "name").as_deref(), Some("x"));
    let getter = events.get(1);
    assert_eq!(text(&get(&getter, "p"), "fine").as_deref(), Some("1"));
    let codes = warning_codes();
    assert_eq!(
        codes
            .iter()
            .filter(|c| c.starts_with("missing_event_name"))
            .count(),
        5,
        "{codes:?}"
    );
    assert!(
        codes.contains(&"bad_argument:properties".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"nested_value_dropped:boom".to_string()),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"bad_argument:path".to_string()),
        "{codes:?}"
    );
}

#[wasm_bindgen_test]
async fn opting_out_stops_sending_and_opting_in_resumes() {
    setup();
    wasmtrack::opt_out();
    wasmtrack::track_custom_behavioral_event(js("({ name: 'while_out' })"));
    flush().await;
    assert_eq!(js("__sent.length").as_f64(), Some(0.0));
    assert_eq!(
        js("localStorage.getItem('wasmtrack:v1:consent')")
            .as_string()
            .as_deref(),
        Some("out")
    );
    assert!(
        js("localStorage.getItem('wasmtrack:v1:vid')").is_null(),
        "the visitor id is forgotten"
    );
    wasmtrack::opt_in();
    let event = track("({ name: 'back_in' })").await;
    assert_eq!(text(&event, "name").as_deref(), Some("back_in"));
}
