//! The overlay: a toolbar and panels in a shadow root, and the modes a marketer works in.
//!
//! The shadow root keeps the site's CSS out and ours in (`style.css`); the host element is the
//! only thing added to the page, and removing it leaves the page as it was. While a click is
//! being picked, the page's own handlers do not run and links are not followed: the overlay's
//! capture listeners on `document` take the pointer events first and stop them.
//!
//! This file holds the overlay's state, opening and closing it, and the modes; each room has
//! its own file: picking an element (`picking.rs`), the click panel (`click_panel.rs`), the
//! page-view panel (`page_view_panel.rs`), the list of the site's rules (`list.rs`), and the
//! form parts the panels share (`form.rs`).

mod click_panel;
mod form;
mod list;
mod page_view_panel;
mod picking;

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, ShadowRootInit, ShadowRootMode};

use super::api::Api;
use super::ui::{add, attr, el, on, target, Listeners};
use wasmtrack_browser::global::Global;

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
    /// The selector whose matches are outlined, to outline them again after a scroll.
    marked: Option<String>,
    /// A re-marking waiting for typing or scrolling to pause (dropping it cancels it).
    remark: Option<Timeout>,
    listeners: Listeners,
}

/// The overlay's CSS (`style.css`).
const STYLE: &str = include_str!("style.css");

/// Builds the overlay on the page and starts listening. Called once the token is confirmed.
pub fn open(api: Api) {
    let Some(doc) = super::ui::document() else {
        return;
    };
    let Some(body) = doc.body() else {
        return;
    };
    // A tag of our own rather than a `div`: the page's `div` rules never match it.
    let Some(host) = el(&doc, "wasmtrack-visualizer", "", "") else {
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
    // Outlines are fixed boxes measured once: after a scroll or resize they are measured
    // again, once the movement pauses.
    for (target_, kind) in [
        (page.unchecked_ref::<web_sys::EventTarget>(), "scroll"),
        (page.unchecked_ref(), "resize"),
    ] {
        on(&mut listeners, target_, kind, true, |_| {
            with(Overlay::moved)
        });
    }
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
        marked: None,
        remark: None,
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
    pub(super) fn say(&self, text: &str) {
        self.status.set_text_content(Some(text));
    }

    pub(super) fn enter(&mut self, mode: Mode) {
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
}
