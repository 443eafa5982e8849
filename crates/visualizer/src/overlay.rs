//! The overlay: a toolbar and panels in a shadow root, and the modes a marketer works in.
//!
//! The shadow root keeps the site's CSS out and ours in; the host element is the only thing
//! added to the page, and removing it leaves the page as it was. While a click is being picked,
//! the page's own handlers do not run and links are not followed: the overlay's capture
//! listeners on `document` take the pointer events first and stop them.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, KeyboardEvent, ShadowRootInit, ShadowRootMode};

use super::api::{Answer, Api};
use super::inspect;
use super::ui::{add, attr, checked, el, on, set_value, target, value, Listeners};
use wasmtrack_browser::global::Global;
use wasmtrack_core::event::name_from_label;
use wasmtrack_core::rules::UrlRule;

static OVERLAY: Global<Option<Overlay>> = Global::new(None);

/// Runs `f` on the overlay, if it is open (and not already busy).
fn with(f: impl FnOnce(&mut Overlay)) {
    if let Ok(mut slot) = OVERLAY.cell().try_borrow_mut() {
        if let Some(overlay) = slot.as_mut() {
            f(overlay);
        }
    }
}

/// What the marketer is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Idle,
    /// Hovering outlines, a click selects.
    PickClick,
    /// An element is selected; the save panel is open.
    EditClick,
    /// The page-view rule panel is open.
    PageView,
    /// The site's visual events are listed.
    List,
}

struct Overlay {
    api: Api,
    doc: Document,
    host: Element,
    toolbar: Element,
    status: Element,
    panel: Element,
    outline: Element,
    tip: Element,
    marks: Element,
    mode: Mode,
    hovered: Option<Element>,
    selected: Option<Element>,
    listeners: Listeners,
}

const STYLE: &str = r#"
:host { all: initial; }
* { box-sizing: border-box; font: 13px/1.4 system-ui, sans-serif; }
.bar { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; display: flex; flex-direction: column; gap: 8px; width: 340px;
  background: #111827; color: #f9fafb; border-radius: 10px; padding: 10px; box-shadow: 0 8px 30px rgba(0,0,0,.35); }
.row { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
button { background: #374151; color: #f9fafb; border: 0; border-radius: 6px; padding: 6px 10px; cursor: pointer; }
button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid #fb923c; outline-offset: 1px; }
button.primary { background: #ea580c; }
button[aria-pressed="true"] { background: #ea580c; }
label { display: flex; flex-direction: column; gap: 2px; color: #d1d5db; }
input, select { background: #1f2937; color: #f9fafb; border: 1px solid #4b5563; border-radius: 6px; padding: 5px 7px; width: 100%; }
label.check { flex-direction: row; align-items: center; gap: 6px; }
label.check input { width: auto; }
.status { color: #fdba74; min-height: 1.4em; }
.panel { display: flex; flex-direction: column; gap: 8px; }
.panel:empty { display: none; }
.title { font-weight: 600; }
.item { display: flex; justify-content: space-between; gap: 6px; align-items: center; border-top: 1px solid #374151; padding-top: 6px; }
.muted { color: #9ca3af; word-break: break-all; }
.outline { position: fixed; z-index: 2147483646; pointer-events: none; border: 2px solid #ea580c; background: rgba(234,88,12,.08); border-radius: 3px; display: none; }
.mark { position: fixed; z-index: 2147483645; pointer-events: none; border: 2px dashed #2563eb; background: rgba(37,99,235,.08); }
.tip { position: fixed; z-index: 2147483647; pointer-events: none; background: #111827; color: #fdba74; padding: 2px 6px; border-radius: 4px;
  font: 12px ui-monospace, monospace; display: none; max-width: 60vw; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
"#;

/// Builds the overlay on the page and starts listening. Called once the token is confirmed.
pub fn open(api: Api) {
    let Some(doc) = super::ui::document() else {
        return;
    };
    let Some(body) = doc.body() else {
        return;
    };
    let Some(host) = el(&doc, "div", "", "") else {
        return;
    };
    attr(&host, "id", "wasmtrack-visualizer");
    let init = ShadowRootInit::new(ShadowRootMode::Open);
    let Ok(root) = host.attach_shadow(&init) else {
        return;
    };
    let (
        Some(style),
        Some(bar),
        Some(buttons),
        Some(status),
        Some(panel),
        Some(outline),
        Some(tip),
        Some(marks),
    ) = (
        el(&doc, "style", "", STYLE),
        el(&doc, "div", "bar", ""),
        el(&doc, "div", "row", ""),
        el(&doc, "div", "status", "wasmtrack visualizer"),
        el(&doc, "div", "panel", ""),
        el(&doc, "div", "outline", ""),
        el(&doc, "div", "tip", ""),
        el(&doc, "div", "", ""),
    )
    else {
        return;
    };
    attr(&bar, "role", "toolbar");
    attr(&bar, "aria-label", "wasmtrack event visualizer");
    attr(&status, "role", "status");
    attr(&status, "aria-live", "polite");
    let mut listeners = Listeners::new();
    for (label, id, mode) in [
        ("Track a click", "pick", Mode::PickClick),
        ("Track a page view", "pageview", Mode::PageView),
        ("Visual events", "list", Mode::List),
    ] {
        if let Some(button) = el(&doc, "button", "", label) {
            attr(&button, "data-action", id);
            attr(&button, "aria-pressed", "false");
            on(&mut listeners, target(&button), "click", false, move |_| {
                with(|o| o.enter(mode))
            });
            add(&buttons, &button);
        }
    }
    if let Some(close) = el(&doc, "button", "", "Close") {
        attr(&close, "data-action", "close");
        on(&mut listeners, target(&close), "click", false, |_| {
            close_overlay()
        });
        add(&buttons, &close);
    }
    add(&bar, &buttons);
    add(&bar, &status);
    add(&bar, &panel);
    for part in [&style, &bar, &outline, &tip, &marks] {
        let _ = root.append_child(part);
    }
    let _ = body.append_child(&host);

    // The page's pointer and key events pass through the overlay first (capture on document).
    let page = doc.clone();
    on(
        &mut listeners,
        page.unchecked_ref(),
        "mousemove",
        true,
        |e| with(|o| o.hover(&e)),
    );
    for kind in [
        "mousedown",
        "mouseup",
        "pointerdown",
        "pointerup",
        "auxclick",
        "dblclick",
    ] {
        on(&mut listeners, page.unchecked_ref(), kind, true, |e| {
            with(|o| o.swallow(&e))
        });
    }
    on(&mut listeners, page.unchecked_ref(), "click", true, |e| {
        with(|o| o.click(&e))
    });
    on(&mut listeners, page.unchecked_ref(), "keydown", true, |e| {
        with(|o| o.key(&e))
    });
    let _ = root;

    let overlay = Overlay {
        api,
        doc,
        host,
        toolbar: buttons,
        status,
        panel,
        outline,
        tip,
        marks,
        mode: Mode::Idle,
        hovered: None,
        selected: None,
        listeners,
    };
    if let Ok(mut slot) = OVERLAY.cell().try_borrow_mut() {
        *slot = Some(overlay);
    }
}

/// Removes the overlay and every listener it added; the page is as it was.
fn close_overlay() {
    let closed = OVERLAY
        .cell()
        .try_borrow_mut()
        .ok()
        .and_then(|mut slot| slot.take());
    if let Some(overlay) = closed {
        overlay.host.remove();
        drop(overlay.listeners);
    }
}

impl Overlay {
    fn say(&self, text: &str) {
        self.status.set_text_content(Some(text));
    }

    fn enter(&mut self, mode: Mode) {
        self.mode = mode;
        self.hovered = None;
        self.hide_outline();
        self.clear_marks();
        self.panel.set_text_content(None);
        let pressed = match mode {
            Mode::PickClick | Mode::EditClick => "pick",
            Mode::PageView => "pageview",
            Mode::List => "list",
            Mode::Idle => "",
        };
        let buttons = self.toolbar.children();
        for i in 0..buttons.length() {
            if let Some(button) = buttons.item(i) {
                let is = button.get_attribute("data-action").as_deref() == Some(pressed);
                attr(&button, "aria-pressed", if is { "true" } else { "false" });
            }
        }
        match mode {
            Mode::PickClick => {
                self.say("Point at an element and click it (Enter selects, Escape leaves).")
            }
            Mode::PageView => self.page_view_panel(),
            Mode::List => self.list_panel(),
            Mode::Idle => self.say("wasmtrack visualizer"),
            Mode::EditClick => {}
        }
    }

    /// Whether `element` is the overlay itself (events from inside the shadow root are
    /// retargeted to the host).
    fn is_ours(&self, element: &Element) -> bool {
        *element == self.host || self.host.contains(Some(element.unchecked_ref()))
    }

    fn page_element(&self, event: &Event) -> Option<Element> {
        let element = inspect::event_element(event)?;
        (!self.is_ours(&element)).then_some(element)
    }

    fn hover(&mut self, event: &Event) {
        if self.mode != Mode::PickClick {
            return;
        }
        let Some(element) = self.page_element(event) else {
            self.hide_outline();
            return;
        };
        let element = inspect::clickable(&element);
        if self.hovered.as_ref() == Some(&element) {
            return;
        }
        let selector = inspect::selector_for(&element, false);
        self.show_outline(&element, &selector);
        self.hovered = Some(element);
    }

    /// While picking, the page must not react to the pointer.
    fn swallow(&mut self, event: &Event) {
        if self.mode == Mode::PickClick && self.page_element(event).is_some() {
            event.prevent_default();
            event.stop_immediate_propagation();
        }
    }

    fn click(&mut self, event: &Event) {
        if self.mode != Mode::PickClick {
            return;
        }
        let Some(element) = self.page_element(event) else {
            return;
        };
        event.prevent_default();
        event.stop_immediate_propagation();
        self.select(inspect::clickable(&element));
    }

    fn key(&mut self, event: &Event) {
        let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
            return;
        };
        match key.as_str() {
            "Escape" if self.mode != Mode::Idle => {
                event.prevent_default();
                self.enter(Mode::Idle);
            }
            "Enter" if self.mode == Mode::PickClick => {
                if let Some(element) = self.hovered.clone() {
                    event.prevent_default();
                    event.stop_immediate_propagation();
                    self.select(element);
                }
            }
            _ => {}
        }
    }

    fn show_outline(&self, element: &Element, selector: &str) {
        let rect = element.get_bounding_client_rect();
        attr(
            &self.outline,
            "style",
            &format!(
                "display:block;left:{}px;top:{}px;width:{}px;height:{}px",
                rect.left(),
                rect.top(),
                rect.width(),
                rect.height()
            ),
        );
        self.tip.set_text_content(Some(selector));
        let top = if rect.top() > 24.0 {
            rect.top() - 22.0
        } else {
            rect.bottom() + 4.0
        };
        attr(
            &self.tip,
            "style",
            &format!(
                "display:block;left:{}px;top:{}px",
                rect.left().max(0.0),
                top
            ),
        );
    }

    fn hide_outline(&self) {
        attr(&self.outline, "style", "display:none");
        attr(&self.tip, "style", "display:none");
    }

    fn clear_marks(&self) {
        self.marks.set_text_content(None);
    }

    /// Outlines every element matching `selector`; returns how many there are.
    fn mark_all(&self, selector: &str) -> usize {
        self.clear_marks();
        let Ok(list) = self.doc.query_selector_all(selector) else {
            return 0;
        };
        let mut count = 0;
        for i in 0..list.length() {
            let Some(element) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            if self.is_ours(&element) {
                continue;
            }
            count += 1;
            let rect = element.get_bounding_client_rect();
            if let Some(mark) = el(&self.doc, "div", "mark", "") {
                attr(
                    &mark,
                    "style",
                    &format!(
                        "left:{}px;top:{}px;width:{}px;height:{}px",
                        rect.left(),
                        rect.top(),
                        rect.width(),
                        rect.height()
                    ),
                );
                add(&self.marks, &mark);
            }
        }
        count
    }

    fn select(&mut self, element: Element) {
        self.mode = Mode::EditClick;
        self.hovered = None;
        self.hide_outline();
        let selector = inspect::selector_for(&element, false);
        // The text exactly as the tracker will capture it for this element.
        let text = wasmtrack_browser::dom::click_match(&element, "*", "")
            .map(|m| m.text())
            .unwrap_or_default();
        let label = if text.is_empty() {
            format!("Clicked {}", element.tag_name().to_lowercase())
        } else {
            format!("Clicked {}", text.chars().take(40).collect::<String>())
        };
        self.selected = Some(element.clone());
        self.edit_panel(&element, &selector, &label);
        // The chosen element stays outlined, with its selector, while its panel is open.
        self.show_outline(&element, &selector);
    }

    fn field(&self, label: &str, name: &str, input: &Element) -> Option<Element> {
        let wrap = el(&self.doc, "label", "", "")?;
        let caption = el(&self.doc, "span", "", label)?;
        attr(input, "name", name);
        add(&wrap, &caption);
        add(&wrap, input);
        Some(wrap)
    }

    fn input(&self, value: &str) -> Option<Element> {
        let input = el(&self.doc, "input", "", "")?;
        attr(&input, "type", "text");
        set_value(&input, value);
        Some(input)
    }

    /// Label and internal name inputs; the name follows the label until edited.
    fn name_fields(&mut self, label: &str) -> Option<(Element, Element)> {
        let label_input = self.input(label)?;
        let name_input = self.input(&name_from_label(label).unwrap_or_default())?;
        let (label_ref, name_ref) = (label_input.clone(), name_input.clone());
        on(
            &mut self.listeners,
            target(&label_input),
            "input",
            false,
            move |_| {
                if name_ref.get_attribute("data-edited").is_none() {
                    set_value(
                        &name_ref,
                        &name_from_label(&value(&label_ref)).unwrap_or_default(),
                    );
                }
            },
        );
        let edited = name_input.clone();
        on(
            &mut self.listeners,
            target(&name_input),
            "input",
            false,
            move |_| attr(&edited, "data-edited", ""),
        );
        let label_field = self.field("Event label", "label", &label_input)?;
        let name_field = self.field("Internal name", "name", &name_input)?;
        add(&self.panel, &label_field);
        add(&self.panel, &name_field);
        Some((label_input, name_input))
    }

    fn edit_panel(&mut self, element: &Element, selector: &str, label: &str) {
        self.panel.set_text_content(None);
        let Some(title) = el(&self.doc, "div", "title", "Track clicks on this element") else {
            return;
        };
        add(&self.panel, &title);
        let Some(selector_input) = self.input(selector) else {
            return;
        };
        let Some(selector_field) = self.field("CSS selector", "selector", &selector_input) else {
            return;
        };
        add(&self.panel, &selector_field);
        let Some(count) = el(&self.doc, "div", "muted", "") else {
            return;
        };
        attr(&count, "data-role", "match-count");
        add(&self.panel, &count);
        let matched = self.mark_all(selector);
        count.set_text_content(Some(&match_text(matched)));

        let similar = el(&self.doc, "input", "", "");
        if let (Some(similar), Some(wrap), Some(caption)) = (
            similar,
            el(&self.doc, "label", "check", ""),
            el(&self.doc, "span", "", "All similar elements"),
        ) {
            attr(&similar, "type", "checkbox");
            attr(&similar, "name", "similar");
            add(&wrap, &similar);
            add(&wrap, &caption);
            add(&self.panel, &wrap);
            let (chosen, field, box_) = (element.clone(), selector_input.clone(), similar.clone());
            on(
                &mut self.listeners,
                target(&similar),
                "change",
                false,
                move |_| {
                    set_value(&field, &inspect::selector_for(&chosen, checked(&box_)));
                    with(|o| o.selector_edited(&field));
                },
            );
        }
        let field = selector_input.clone();
        on(
            &mut self.listeners,
            target(&selector_input),
            "input",
            false,
            move |_| with(|o| o.selector_edited(&field)),
        );

        let Some((label_input, name_input)) = self.name_fields(label) else {
            return;
        };
        // Properties: the element's text and selector always; chosen attributes besides.
        let mut captures = Vec::new();
        if let Some(note) = el(
            &self.doc,
            "div",
            "muted",
            "Every click sends the element's text (element_text) and the selector.",
        ) {
            add(&self.panel, &note);
        }
        for name in inspect::capturable_attributes(element) {
            let (Some(check), Some(wrap)) = (
                el(&self.doc, "input", "", ""),
                el(&self.doc, "label", "check", ""),
            ) else {
                continue;
            };
            attr(&check, "type", "checkbox");
            attr(&check, "name", &format!("attr:{name}"));
            let caption = format!("Capture {name} as {}", inspect::property_name(&name));
            if let Some(text) = el(&self.doc, "span", "", &caption) {
                add(&wrap, &check);
                add(&wrap, &text);
                add(&self.panel, &wrap);
                captures.push((name, check));
            }
        }
        self.save_button("click", label_input, name_input, move |rule| {
            set(rule, "selector", &value(&selector_input).into());
            let properties = Array::new();
            for (name, check) in &captures {
                if checked(check) {
                    let p = Object::new();
                    set(&p, "name", &inspect::property_name(name).into());
                    set(&p, "source", &format!("attr:{name}").into());
                    properties.push(&p);
                }
            }
            set(rule, "properties", &properties);
        });
        if let Some(first) = self.panel.query_selector("input").ok().flatten() {
            if let Some(input) = first.dyn_ref::<web_sys::HtmlElement>() {
                let _ = input.focus();
            }
        }
        self.say("Check the selector, name the event, and save.");
    }

    fn selector_edited(&mut self, field: &Element) {
        let selector = value(field);
        let matched = self.mark_all(&selector);
        if let Some(count) = self
            .panel
            .query_selector("[data-role=match-count]")
            .ok()
            .flatten()
        {
            count.set_text_content(Some(&match_text(matched)));
        }
    }

    fn page_view_panel(&mut self) {
        let location = self.doc.location();
        let href = location
            .as_ref()
            .and_then(|l| l.href().ok())
            .unwrap_or_default();
        let path = location
            .as_ref()
            .and_then(|l| l.pathname().ok())
            .unwrap_or_default();
        let (Some(title), Some(current)) = (
            el(
                &self.doc,
                "div",
                "title",
                "Track views of pages like this one",
            ),
            el(&self.doc, "div", "muted", &href),
        ) else {
            return;
        };
        add(&self.panel, &title);
        add(&self.panel, &current);
        let Some(kind) = el(&self.doc, "select", "", "") else {
            return;
        };
        for (value, text) in [
            ("exact", "is exactly"),
            ("startsWith", "starts with"),
            ("contains", "contains"),
            ("pattern", "matches the pattern (* = anything)"),
        ] {
            if let Some(option) = el(&self.doc, "option", "", text) {
                attr(&option, "value", value);
                add(&kind, &option);
            }
        }
        set_value(&kind, "exact");
        let (Some(kind_field), Some(value_input)) =
            (self.field("The URL", "match", &kind), self.input(&path))
        else {
            return;
        };
        let Some(value_field) = self.field(
            "Value (a path like /pricing, or a full URL)",
            "value",
            &value_input,
        ) else {
            return;
        };
        let Some(verdict) = el(&self.doc, "div", "muted", "") else {
            return;
        };
        attr(&verdict, "data-role", "page-matches");
        add(&self.panel, &kind_field);
        add(&self.panel, &value_field);
        add(&self.panel, &verdict);
        let update = {
            let (kind, value_input, verdict, href) = (
                kind.clone(),
                value_input.clone(),
                verdict.clone(),
                href.clone(),
            );
            move || {
                let matches =
                    url_rule(&value(&kind), value(&value_input)).is_some_and(|r| r.matches(&href));
                verdict.set_text_content(Some(if matches {
                    "This page matches."
                } else {
                    "This page does not match."
                }));
            }
        };
        update();
        let again = update.clone();
        on(
            &mut self.listeners,
            target(&kind),
            "change",
            false,
            move |_| again(),
        );
        on(
            &mut self.listeners,
            target(&value_input),
            "input",
            false,
            move |_| update(),
        );
        let title_text = self.doc.title();
        let label = if title_text.is_empty() {
            format!("Viewed {path}")
        } else {
            format!("Viewed {title_text}")
        };
        let Some((label_input, name_input)) = self.name_fields(&label) else {
            return;
        };
        self.save_button("pageview", label_input, name_input, move |rule| {
            set(rule, "match", &value(&kind).into());
            set(rule, "value", &value(&value_input).into());
            set(rule, "properties", &Array::new());
        });
        self.say("Choose how the URL must match, name the event, and save.");
    }

    /// The panel's Save button: the rule of `kind` with its label and name, completed by `fill`.
    fn save_button(
        &mut self,
        kind: &'static str,
        label_input: Element,
        name_input: Element,
        fill: impl Fn(&Object) + 'static,
    ) {
        let Some(save) = el(&self.doc, "button", "primary", "Save event") else {
            return;
        };
        attr(&save, "data-action", "save");
        add(&self.panel, &save);
        on(
            &mut self.listeners,
            target(&save),
            "click",
            false,
            move |_| {
                let rule = Object::new();
                set(&rule, "kind", &kind.into());
                set(&rule, "label", &value(&label_input).into());
                set(&rule, "eventName", &value(&name_input).into());
                fill(&rule);
                with(|o| o.save(rule.into()));
            },
        );
    }

    fn save(&mut self, rule: JsValue) {
        self.say("Saving…");
        self.api.create_rule(&rule, |answer: Answer| {
            with(|o| {
                if answer.status == 201 {
                    let name = get_text(&answer.body, "eventName");
                    o.enter(Mode::Idle);
                    o.say(&format!("Saved: every visitor now tracks {name}."));
                } else {
                    let message = get_text(&answer.body, "message");
                    o.say(&format!("Not saved ({}): {message}", answer.status));
                }
            });
        });
    }

    fn list_panel(&mut self) {
        self.say("Loading the site's visual events…");
        self.api
            .rules(|answer: Answer| with(|o| o.show_list(&answer)));
    }

    fn show_list(&mut self, answer: &Answer) {
        if self.mode != Mode::List {
            return;
        }
        let rules = Reflect::get(&answer.body, &"rules".into()).unwrap_or(JsValue::UNDEFINED);
        if answer.status != 200 || !Array::is_array(&rules) {
            self.say("Could not load the visual events.");
            return;
        }
        let rules = Array::from(&rules);
        self.say(&format!(
            "{} visual event rule(s) on this site.",
            rules.length()
        ));
        for rule in rules.iter() {
            let kind = get_text(&rule, "kind");
            let detail = if kind == "click" {
                format!("click on {}", get_text(&rule, "selector"))
            } else {
                format!(
                    "page view: URL {} {}",
                    get_text(&rule, "match"),
                    get_text(&rule, "value")
                )
            };
            let (Some(item), Some(texts), Some(name), Some(what), Some(actions)) = (
                el(&self.doc, "div", "item", ""),
                el(&self.doc, "div", "", ""),
                el(
                    &self.doc,
                    "div",
                    "",
                    &format!(
                        "{} ({})",
                        get_text(&rule, "label"),
                        get_text(&rule, "eventName")
                    ),
                ),
                el(&self.doc, "div", "muted", &detail),
                el(&self.doc, "div", "row", ""),
            ) else {
                continue;
            };
            add(&texts, &name);
            add(&texts, &what);
            add(&item, &texts);
            if kind == "click" {
                if let Some(highlight) = el(&self.doc, "button", "", "Highlight") {
                    let selector = get_text(&rule, "selector");
                    on(
                        &mut self.listeners,
                        target(&highlight),
                        "click",
                        false,
                        move |_| {
                            with(|o| {
                                let n = o.mark_all(&selector);
                                o.say(&match_text(n));
                            })
                        },
                    );
                    add(&actions, &highlight);
                }
            }
            if let Some(delete) = el(&self.doc, "button", "", "Delete") {
                let id = Reflect::get(&rule, &"id".into())
                    .ok()
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0) as u64;
                on(
                    &mut self.listeners,
                    target(&delete),
                    "click",
                    false,
                    move |_| {
                        with(|o| {
                            o.api.delete_rule(id, |_| with(|o| o.list_panel_again()));
                        })
                    },
                );
                add(&actions, &delete);
            }
            add(&item, &actions);
            add(&self.panel, &item);
        }
    }

    fn list_panel_again(&mut self) {
        self.panel.set_text_content(None);
        self.clear_marks();
        self.list_panel();
    }
}

fn match_text(count: usize) -> String {
    match count {
        0 => "No element on this page matches.".to_owned(),
        1 => "1 element on this page matches.".to_owned(),
        n => format!("{n} elements on this page match."),
    }
}

fn url_rule(kind: &str, value: String) -> Option<UrlRule> {
    Some(match kind {
        "exact" => UrlRule::Exact(value),
        "startsWith" => UrlRule::StartsWith(value),
        "contains" => UrlRule::Contains(value),
        "pattern" => UrlRule::Pattern(value),
        _ => return None,
    })
}

fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

fn get_text(value: &JsValue, key: &str) -> String {
    Reflect::get(value, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
