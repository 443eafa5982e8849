//! How a tab's queue is kept in `localStorage`, and when another tab may take it over.
//!
//! Each tab writes only its own key (`q:<tab id>`), so tabs never overwrite each other's
//! events. The text is line-based, because JSON escapes every newline, so a line is always
//! one record:
//!
//! ```text
//! wt1 <heartbeat ms> <0|1 left>
//! c {"vid":…,"sid":…,"d":{…}}            a context, used by the events after it
//! e {"id":…,"name":…,"ts":…,"p":{…}       an event body
//! ```
//!
//! A queue whose page has left (`pagehide` wrote `left = 1`), or whose heartbeat is older than
//! [`ORPHAN_AFTER_MS`], is an orphan: the next tab of the site adopts it and sends its events.
//! Events a beacon may already have delivered are sent again that way; the collector stores
//! each event id once, so at-least-once sending is exactly-once storing.

use super::batch::{Context, Entry};
use super::text::{parse_u64, split};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

/// A tab that has not refreshed its queue's heartbeat for this long is gone (milliseconds):
/// five missed heartbeats.
pub const ORPHAN_AFTER_MS: u64 = 10_000;
/// How often a tab with queued events refreshes its heartbeat (milliseconds).
pub const HEARTBEAT_MS: u64 = 2_000;

/// A queue as read from storage.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQueue {
    /// When its tab last said it was alive, epoch milliseconds.
    pub heartbeat: u64,
    /// Whether its page has been left (`pagehide`).
    pub left: bool,
    /// Its events, oldest first.
    pub entries: Vec<Entry>,
}

impl StoredQueue {
    /// Whether another tab may adopt this queue at `now`.
    pub fn is_orphan(&self, now: u64) -> bool {
        self.left || now.saturating_sub(self.heartbeat) >= ORPHAN_AFTER_MS
    }
}

/// Writes a queue's storage text.
pub fn encode(heartbeat: u64, left: bool, entries: &[Entry]) -> String {
    let mut out =
        String::with_capacity(16 + entries.iter().map(|e| e.body.len() + 3).sum::<usize>());
    out.push_str("wt1 ");
    super::payload::push_int(&mut out, heartbeat as i64);
    out.push_str(if left { " 1" } else { " 0" });
    let mut last: Option<&Context> = None;
    for entry in entries {
        if !last.is_some_and(|c| Rc::ptr_eq(c, &entry.ctx) || **c == *entry.ctx) {
            out.push_str("\nc ");
            out.push_str(&entry.ctx);
            last = Some(&entry.ctx);
        }
        out.push_str("\ne ");
        out.push_str(&entry.body);
    }
    out
}

/// Reads a queue's storage text; `None` when it is not in this format (another version, or
/// damaged), so that a bad key is removed rather than sent.
pub fn decode(text: &str) -> Option<StoredQueue> {
    let mut lines = split(text, b'\n');
    let mut header = split(lines.next()?, b' ');
    if header.next()? != "wt1" {
        return None;
    }
    let heartbeat = parse_u64(header.next()?)?;
    let left = header.next()? == "1";
    let mut entries = Vec::new();
    let mut ctx: Option<Context> = None;
    for line in lines {
        match line.split_at_checked(2)? {
            ("c ", json) => ctx = Some(Rc::new(String::from(json))),
            ("e ", body) => entries.push(Entry {
                ctx: ctx.clone()?,
                body: body.into(),
            }),
            _ => return None,
        }
    }
    Some(StoredQueue {
        heartbeat,
        left,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        let a: Context = Rc::new(r#"{"vid":"v","sid":"s","d":{"path":"/"}}"#.into());
        let b: Context = Rc::new(r#"{"vid":"v","sid":"s","d":{"path":"/b"}}"#.into());
        vec![
            Entry {
                ctx: a.clone(),
                body: r#"{"id":"1","name":"x","ts":1,"p":{"t":"line\nbreak"}"#.replace('\n', "\\n"),
            },
            Entry {
                ctx: a,
                body: r#"{"id":"2","name":"x","ts":2,"p":{}"#.into(),
            },
            Entry {
                ctx: b,
                body: r#"{"id":"3","name":"y","ts":3,"p":{}"#.into(),
            },
        ]
    }

    #[test]
    fn a_queue_round_trips_writing_each_context_once() {
        let text = encode(1_700_000_000_000, false, &entries());
        assert_eq!(text.matches("\nc ").count(), 2);
        let stored = decode(&text).expect("readable");
        assert_eq!(
            stored,
            StoredQueue {
                heartbeat: 1_700_000_000_000,
                left: false,
                entries: entries()
            }
        );
        assert_eq!(
            decode(&encode(5, true, &[])),
            Some(StoredQueue {
                heartbeat: 5,
                left: true,
                entries: vec![]
            })
        );
    }

    #[test]
    fn damaged_or_foreign_text_is_not_read() {
        assert_eq!(decode(""), None);
        assert_eq!(decode("wt2 5 0"), None);
        assert_eq!(decode("wt1 x 0"), None);
        assert_eq!(
            decode("wt1 5 0\ne {\"id\":1"),
            None,
            "an event before any context"
        );
        assert_eq!(decode("wt1 5 0\nc {}\nz what"), None);
        assert_eq!(decode("wt1 5 0\nc {}\ne"), None);
    }

    #[test]
    fn a_queue_is_an_orphan_when_its_page_left_or_went_quiet() {
        let q = |heartbeat, left| StoredQueue {
            heartbeat,
            left,
            entries: vec![],
        };
        assert!(q(100, true).is_orphan(100));
        assert!(!q(100, false).is_orphan(100 + ORPHAN_AFTER_MS - 1));
        assert!(q(100, false).is_orphan(100 + ORPHAN_AFTER_MS));
        assert!(
            !q(200, false).is_orphan(100),
            "a heartbeat from the future is alive"
        );
    }
}
