//! Every number the browser shell's JS and the Rust side exchange, named once.
//!
//! The shell calls the tracker back with a [`Wake`] code, and the tracker asks the shell for
//! page facts, storage and what a wake-up carries with small operation codes
//! ([`PageOp`], [`StorageOp`], [`Carried`]): plain numbers cross the wasm boundary without a
//! shim or a string, which is why they are numbers at all. Each JS file beside a Rust module
//! names the codes it uses as `const WAKE_… = n;`, `const PAGE_… = n;` and so on, and the test
//! below holds every such name to the value here: change a code in one place and the test says
//! where else. (Terser inlines the constants: naming them costs the download nothing.)
//!
//! This module is plain Rust, compiled on every target, so that the test runs on the host.

/// Why the browser woke the tracker: the first argument of the one function the shell calls
/// (`wake.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Wake {
    /// The batch timer: send what waits.
    FlushTimer = 0,
    /// The backoff is over.
    RetryTimer = 1,
    /// Rewrite the stored queue so other tabs see this page alive.
    Heartbeat = 2,
    /// Look again for queues of pages that are gone.
    AdoptTimer = 3,
    /// `pagehide`.
    Left = 4,
    /// `pageshow` from the back/forward cache.
    Back = 5,
    /// `online`.
    Online = 6,
    /// `visibilitychange` to hidden.
    Hidden = 7,
    /// The collector answered a batch; comes with status, `Retry-After` and the refused events.
    Sent = 8,
    /// The collector answered the rules request; comes with status and body.
    Rules = 9,
    /// The adoption lock is held.
    Adopt = 10,
    /// The end of the task in which events were queued: store them.
    Persist = 11,
    /// A call into the tracker threw (a trap, or a page's JS throwing through it): its state
    /// may be left mid-change, so from now on it answers `tracker_unavailable`.
    Trapped = 12,
}

impl Wake {
    /// Every code, in order: `ALL[n]` is the code `n`.
    pub const ALL: [Wake; 13] = [
        Wake::FlushTimer,
        Wake::RetryTimer,
        Wake::Heartbeat,
        Wake::AdoptTimer,
        Wake::Left,
        Wake::Back,
        Wake::Online,
        Wake::Hidden,
        Wake::Sent,
        Wake::Rules,
        Wake::Adopt,
        Wake::Persist,
        Wake::Trapped,
    ];

    /// The code the shell passed.
    pub fn from_number(n: u32) -> Option<Wake> {
        Wake::ALL.get(n as usize).copied()
    }
}

/// What the tracker asks of the current wake-up beyond its numbers (`woken_text` in `wake.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Carried {
    /// The `Retry-After` header of a collector's answer.
    RetryAfter = 0,
    /// The body of a collector's answer.
    Body = 1,
    /// The events a collector's answer refused, read from its body by the shell:
    /// `name` U+0001 `reason`, a line each.
    Refused = 2,
}

/// What `page_read` in `page.js` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum PageOp {
    /// The facts behind the default properties, U+0001-separated.
    Facts = 0,
    /// `location.href`.
    Href = 1,
    /// Path and `utm_…` parameters of another URL.
    UrlFacts = 2,
    /// Takes a query parameter out of the address bar and returns it.
    TakeParam = 3,
}

/// What `storage` in `storage.js` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum StorageOp {
    /// Reads a key.
    Get = 0,
    /// Writes a key.
    Set = 1,
    /// Removes a key.
    Remove = 2,
    /// Lists the keys with a prefix, a line each.
    Keys = 3,
    /// Reaches `localStorage` without writing.
    Probe = 4,
}

/// Every named code, as the JS files spell them.
pub const JS_NAMES: &[(&str, u32)] = &[
    ("WAKE_FLUSH_TIMER", Wake::FlushTimer as u32),
    ("WAKE_RETRY_TIMER", Wake::RetryTimer as u32),
    ("WAKE_HEARTBEAT", Wake::Heartbeat as u32),
    ("WAKE_ADOPT_TIMER", Wake::AdoptTimer as u32),
    ("WAKE_LEFT", Wake::Left as u32),
    ("WAKE_BACK", Wake::Back as u32),
    ("WAKE_ONLINE", Wake::Online as u32),
    ("WAKE_HIDDEN", Wake::Hidden as u32),
    ("WAKE_SENT", Wake::Sent as u32),
    ("WAKE_RULES", Wake::Rules as u32),
    ("WAKE_ADOPT", Wake::Adopt as u32),
    ("WAKE_PERSIST", Wake::Persist as u32),
    ("WAKE_TRAPPED", Wake::Trapped as u32),
    ("CARRIED_RETRY_AFTER", Carried::RetryAfter as u32),
    ("CARRIED_BODY", Carried::Body as u32),
    ("CARRIED_REFUSED", Carried::Refused as u32),
    ("PAGE_FACTS", PageOp::Facts as u32),
    ("PAGE_HREF", PageOp::Href as u32),
    ("PAGE_URL_FACTS", PageOp::UrlFacts as u32),
    ("PAGE_TAKE_PARAM", PageOp::TakeParam as u32),
    ("STORAGE_GET", StorageOp::Get as u32),
    ("STORAGE_SET", StorageOp::Set as u32),
    ("STORAGE_REMOVE", StorageOp::Remove as u32),
    ("STORAGE_KEYS", StorageOp::Keys as u32),
    ("STORAGE_PROBE", StorageOp::Probe as u32),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefixes of [`JS_NAMES`]: a JS constant with one of them is a protocol code.
    const PREFIXES: [&str; 4] = ["WAKE_", "CARRIED_", "PAGE_", "STORAGE_"];

    /// The shell's JS files, each beside the Rust module that calls it.
    const JS: [(&str, &str); 12] = [
        ("wake.js", include_str!("wake.js")),
        ("timer.js", include_str!("timer.js")),
        ("microtask.js", include_str!("microtask.js")),
        ("locks.js", include_str!("locks.js")),
        ("transport.js", include_str!("transport.js")),
        ("lifecycle.js", include_str!("lifecycle.js")),
        ("flush.js", include_str!("flush.js")),
        ("page.js", include_str!("page.js")),
        ("storage.js", include_str!("storage.js")),
        ("warn.js", include_str!("warn.js")),
        ("dom.js", include_str!("dom.js")),
        ("random.js", include_str!("random.js")),
    ];

    /// `(file, name, value)` of every `const NAME = n;` with a protocol prefix.
    fn js_constants() -> Vec<(&'static str, String, u32)> {
        let mut out = Vec::new();
        for (file, text) in JS {
            for line in text.lines() {
                let Some(rest) = line.trim().strip_prefix("const ") else {
                    continue;
                };
                let Some((name, value)) = rest.split_once(" = ") else {
                    continue;
                };
                if PREFIXES.iter().any(|p| name.starts_with(p)) {
                    let value = value.trim_end_matches(';').parse().unwrap_or_else(|_| {
                        panic!("{file}: `{line}` is not `const {name} = <number>;`")
                    });
                    out.push((file, name.to_owned(), value));
                }
            }
        }
        out
    }

    #[test]
    fn every_code_the_js_names_is_the_one_rust_uses() {
        let constants = js_constants();
        assert!(constants.len() >= 15, "found only {constants:?}");
        for (file, name, value) in constants {
            match JS_NAMES.iter().find(|(n, _)| *n == name) {
                Some((_, rust)) => {
                    assert_eq!(value, *rust, "{file}: {name} is {value}, Rust says {rust}")
                }
                None => panic!("{file}: {name} is no code of protocol.rs (JS_NAMES)"),
            }
        }
    }

    #[test]
    fn the_js_handles_every_operation_it_is_asked_for() {
        let named: Vec<String> = js_constants().into_iter().map(|(_, n, _)| n).collect();
        for (name, _) in JS_NAMES {
            // Wake codes the Rust side passes itself (timers, requests) need no JS name.
            if !name.starts_with("WAKE_") {
                assert!(named.iter().any(|n| n == name), "no JS file names {name}");
            }
        }
        for required in [
            "WAKE_LEFT",
            "WAKE_BACK",
            "WAKE_ONLINE",
            "WAKE_HIDDEN",
            "WAKE_TRAPPED",
        ] {
            assert!(
                named.iter().any(|n| n == required),
                "the shell no longer wakes with {required}"
            );
        }
    }

    #[test]
    fn codes_are_their_index() {
        for (i, w) in Wake::ALL.iter().enumerate() {
            assert_eq!(*w as usize, i);
            assert_eq!(Wake::from_number(i as u32), Some(*w));
        }
        assert_eq!(Wake::from_number(Wake::ALL.len() as u32), None);
        let mut names: Vec<_> = JS_NAMES.iter().map(|(n, _)| n).collect();
        names.dedup();
        assert_eq!(names.len(), JS_NAMES.len());
    }
}
