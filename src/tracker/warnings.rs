//! Where the tracker's warnings go, and how they wait until they may.
//!
//! A warning is reported with [`report`] from anywhere, with no parameter threaded through
//! every signature: it waits in a page-wide list until the call that caused it has released
//! the tracker's state ([`deliver`]), because the page's `onWarning` may call back into the
//! tracker. The sink (the `onWarning` callback, and whether to print) lives outside the
//! tracker's state for the same reason, and so that a tracker stuck after a trap can still say
//! so.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsValue;

use wasmtrack_browser::global::Global;
use wasmtrack_browser::warn;
use wasmtrack_core::warning::Warning;

/// One warning, with the event and the name (property, option, reason) it concerns.
struct Report {
    warning: Warning,
    event: Option<String>,
    detail: Option<String>,
}

static PENDING: Global<Vec<Report>> = Global::new(Vec::new());
static SINK: Global<Option<Sink>> = Global::new(None);
static TRAPPED: Global<bool> = Global::new(false);

/// Notes a warning about `detail` within `event`; it reaches the page at the next [`deliver`].
pub fn report(warning: Warning, event: Option<&str>, detail: Option<&str>) {
    report_owned(warning, event.map(str::to_owned), detail.map(str::to_owned));
}

/// [`report`] with owned texts.
pub fn report_owned(warning: Warning, event: Option<String>, detail: Option<String>) {
    if let Ok(mut pending) = PENDING.cell().try_borrow_mut() {
        pending.push(Report {
            warning,
            event,
            detail,
        });
    }
}

/// Delivers every pending warning. Call with no state borrowed: the page's callback may call
/// back into the tracker (its warnings are delivered by that call).
pub fn deliver() {
    let reports = match PENDING.cell().try_borrow_mut() {
        Ok(mut pending) if !pending.is_empty() => core::mem::take(&mut *pending),
        _ => return,
    };
    let sink = current_sink();
    for r in reports {
        sink.emit_one(r.warning, r.event.as_deref(), r.detail.as_deref());
    }
}

/// Where warnings go: the `onWarning` callback, and the console in debug mode.
#[derive(Clone, Default)]
pub struct Sink {
    on_warning: JsValue,
    debug: bool,
}

impl Sink {
    /// A sink from the `init` options object.
    pub fn from_options(options: &JsValue, debug: bool) -> Sink {
        Sink {
            on_warning: wasmtrack_browser::convert::get(options, "onWarning"),
            debug,
        }
    }

    /// Delivers one warning about `detail` within `event` at once. Runs with no state
    /// borrowed: the callback may call back into us.
    #[inline(never)]
    pub fn emit_one(&self, warning: Warning, event: Option<&str>, detail: Option<&str>) {
        let loud = self.debug
            || matches!(
                warning,
                Warning::MissingOption | Warning::NotInitialized | Warning::TrackerUnavailable
            );
        warn::warn(&self.on_warning, loud, warning.text(), event, detail);
    }

    /// Makes this the running tracker's sink.
    pub fn install(self) {
        if let Ok(mut sink) = SINK.cell().try_borrow_mut() {
            *sink = Some(self);
        }
    }
}

/// The running tracker's sink (a default, console-only sink before `init`).
fn current_sink() -> Sink {
    SINK.cell()
        .try_borrow()
        .ok()
        .and_then(|s| s.clone())
        .unwrap_or_default()
}

/// Records that a call into the tracker threw while it held its state, which is now stuck:
/// from then on calls answer `tracker_unavailable` instead of `not_initialized`.
pub fn trapped() {
    if let Ok(mut t) = TRAPPED.cell().try_borrow_mut() {
        *t = true;
    }
}

/// The warning for a call that found the tracker's state unavailable: not started yet (or a
/// page callback re-entering it), or stuck after a trap.
pub fn unavailable() -> Warning {
    if TRAPPED.cell().try_borrow().is_ok_and(|t| *t) {
        Warning::TrackerUnavailable
    } else {
        Warning::NotInitialized
    }
}
