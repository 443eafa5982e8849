//! The send queue and its batching policy: when to send, which events go in one request, and
//! how a batch is written.
//!
//! A queued event is its own JSON body plus a shared *context* (visitor, session, identity,
//! default properties), which every event of one page state has in common. A batch writes each
//! distinct context once and the events refer to it by index, so an event costs about 100
//! bytes plus its properties instead of 400; 200 events left on a page fit one 64 KiB beacon.
//! Byte counts are kept as events arrive, never re-encoded per event (Segment's
//! `kilobytes(JSON.stringify(buffer))` is quadratic).
//!
//! A send starts when [`BatchPolicy::max_events`] wait, and carries every waiting event that
//! fits [`BatchPolicy::max_bytes`]: a quiet page sends its few events at once, a burst leaves
//! in a few large requests instead of one per `max_events` (a batch of 200 events gzips to a
//! tenth of its size, one of 20 to a sixth, and each request costs headers and a round trip).

use super::payload::{push_int, push_json_str};
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

/// Browsers refuse a `sendBeacon` or `keepalive` body over 64 KiB (in flight, per page).
pub const BEACON_LIMIT: usize = 64 * 1024;

/// Largest body of a `fetch` from a living page, before compression. A backlog (a burst, or
/// what a collector outage left) leaves in requests this large: at ~300 bytes an event, one
/// carries 1,700 events, more than the default queue holds, so a burst is sent as fast as the
/// collector answers instead of overflowing the queue while 60 KiB requests take turns. Its
/// gzip (a tenth of it) still fits `keepalive`; without `CompressionStream` it goes without
/// `keepalive`, which costs nothing: its events stay stored until answered. Half the
/// collector's 1 MiB body limit, so that one event's worth of growth never reaches it.
pub const FETCH_MAX_BYTES: usize = 512 * 1024;

/// When a batch is sent and how big it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// Send as soon as this many events are queued (the request takes every waiting event
    /// that fits `max_bytes`, however many).
    pub max_events: usize,
    /// Largest request body, in bytes, before any compression; below [`BEACON_LIMIT`] with room
    /// to spare, so that a batch also fits a beacon when the page is left.
    pub max_bytes: usize,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        BatchPolicy {
            max_events: 20,
            max_bytes: 60 * 1024,
        }
    }
}

/// The encoded context of the page state events were queued in, shared by those events.
/// (`Rc<String>`, not `Rc<str>`: wrapping the encoder's `String` moves it instead of copying
/// it into a new allocation, and costs less code.)
pub type Context = Rc<String>;

/// One queued event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The context JSON object, shared (by pointer) with the events of the same page state.
    pub ctx: Context,
    /// The event's own fields as an unclosed JSON object: `{"id":…,"name":…,"ts":…,"p":{…}`.
    pub body: String,
}

/// Bytes an event adds to a batch besides its context: the body, `,"c":NN}` and a comma.
fn event_bytes(e: &Entry) -> usize {
    e.body.len() + 9
}

/// Bytes a batch adds around its events and contexts.
pub fn batch_overhead(site: &str) -> usize {
    // 13-digit timestamps until the year 2286; a site id may need escaping (6 bytes a byte).
    r#"{"site":"","sent":0000000000000,"ctx":[],"events":[]}"#.len() + site.len() * 6
}

/// Events waiting for the collector's acknowledgement, oldest first. The first
/// [`SendQueue::in_flight`] of them are being sent.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SendQueue {
    entries: Vec<Entry>,
    bytes: usize,
    in_flight: usize,
}

impl SendQueue {
    /// Adds an event; `true` when the waiting events reach a size that should be sent now.
    pub fn push(&mut self, entry: Entry, policy: &BatchPolicy) -> bool {
        self.bytes += event_bytes(&entry);
        self.entries.push(entry);
        let waiting = self.entries.len() - self.in_flight;
        waiting >= policy.max_events || self.bytes >= policy.max_bytes
    }

    /// Adds events in front of the queue (adopted from another tab, or from storage).
    pub fn prepend(&mut self, entries: Vec<Entry>) {
        self.bytes += entries.iter().map(event_bytes).sum::<usize>();
        let rest = core::mem::replace(&mut self.entries, entries);
        self.entries.extend(rest);
    }

    /// Every queued event, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of queued events (in flight included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Approximate bytes of the queued events in a batch (contexts not counted).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of events at the front that a request is carrying.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Events waiting that no request carries.
    pub fn waiting(&self) -> usize {
        self.entries.len() - self.in_flight
    }

    /// Marks the next batch as in flight and returns its events: the oldest waiting events that
    /// fit one request (at most `max_bytes` with contexts and overhead, and always at least
    /// one, so an event larger than the cap still leaves by `fetch`).
    pub fn start_batch(&mut self, policy: &BatchPolicy, overhead: usize) -> &[Entry] {
        let from = self.in_flight;
        let count = fitting(&self.entries[from..], policy, overhead);
        self.in_flight += count;
        &self.entries[from..from + count]
    }

    /// The collector answered for the in-flight events: remove them.
    pub fn acknowledge(&mut self) {
        self.drop_oldest(usize::MAX, usize::MAX, self.in_flight);
    }

    /// The in-flight request failed: its events wait again, in their place.
    pub fn release(&mut self) {
        self.in_flight = 0;
    }

    /// Drops the oldest events until at most `max_events` and `max_bytes` remain; returns how
    /// many were dropped. In-flight events are dropped too if they are the oldest: the bound
    /// protects the page's storage and memory, which matters more than one request.
    pub fn bound(&mut self, max_events: usize, max_bytes: usize) -> usize {
        self.drop_oldest(max_events, max_bytes, 0)
    }

    /// Drops at least `at_least` of the oldest events, and more until at most `max_events`
    /// and `max_bytes` remain; returns how many were dropped.
    fn drop_oldest(&mut self, max_events: usize, max_bytes: usize, at_least: usize) -> usize {
        let mut drop = 0;
        let mut bytes = self.bytes;
        while drop < self.entries.len()
            && (drop < at_least || self.entries.len() - drop > max_events || bytes > max_bytes)
        {
            bytes -= event_bytes(&self.entries[drop]);
            drop += 1;
        }
        if drop > 0 {
            self.entries.drain(..drop);
            self.bytes = bytes;
            self.in_flight = self.in_flight.saturating_sub(drop);
        }
        drop
    }

    /// Removes everything.
    pub fn clear(&mut self) {
        *self = SendQueue::default();
    }
}

/// How many of `entries`, from the front, fit one request.
pub fn fitting(entries: &[Entry], policy: &BatchPolicy, overhead: usize) -> usize {
    let mut size = overhead;
    let mut count = 0;
    let mut last_ctx: Option<&Context> = None;
    for entry in entries {
        let mut add = event_bytes(entry);
        if !last_ctx.is_some_and(|c| Rc::ptr_eq(c, &entry.ctx) || **c == *entry.ctx) {
            // Counted per change of context: a context that comes back later is written once
            // by `encode_batch`, so this only ever overestimates.
            add += entry.ctx.len() + 1;
        }
        if count > 0 && size + add > policy.max_bytes {
            break;
        }
        size += add;
        count += 1;
        last_ctx = Some(&entry.ctx);
    }
    count
}

/// Writes one batch body: `{"site":…,"sent":…,"ctx":[…],"events":[…]}`, each distinct context
/// once, each event with `"c"`, the index of its context.
pub fn encode_batch(site: &str, sent: u64, entries: &[Entry]) -> String {
    let mut contexts: Vec<&Context> = Vec::new();
    let mut events = String::with_capacity(entries.iter().map(event_bytes).sum());
    for (i, entry) in entries.iter().enumerate() {
        let index = match contexts
            .iter()
            .position(|c| Rc::ptr_eq(c, &entry.ctx) || ***c == *entry.ctx)
        {
            Some(at) => at,
            None => {
                contexts.push(&entry.ctx);
                contexts.len() - 1
            }
        };
        if i > 0 {
            events.push(',');
        }
        events.push_str(&entry.body);
        events.push_str(",\"c\":");
        push_int(&mut events, index as i64);
        events.push('}');
    }
    let mut out = String::with_capacity(
        events.len() + contexts.iter().map(|c| c.len() + 1).sum::<usize>() + batch_overhead(site),
    );
    out.push_str("{\"site\":");
    push_json_str(&mut out, site);
    out.push_str(",\"sent\":");
    push_int(&mut out, sent as i64);
    out.push_str(",\"ctx\":[");
    for (i, ctx) in contexts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(ctx);
    }
    out.push_str("],\"events\":[");
    out.push_str(&events);
    out.push_str("]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(text: &str) -> Context {
        Rc::new(text.into())
    }

    fn entry(c: &Context, n: usize) -> Entry {
        Entry {
            ctx: c.clone(),
            body: format!("{{\"id\":\"{}\"", "x".repeat(n)),
        }
    }

    #[test]
    fn asks_to_send_at_the_event_count_of_waiting_events() {
        let policy = BatchPolicy {
            max_events: 3,
            max_bytes: 10_000,
        };
        let c = ctx("{}");
        let mut q = SendQueue::default();
        assert!(!q.push(entry(&c, 1), &policy));
        assert!(!q.push(entry(&c, 1), &policy));
        assert!(q.push(entry(&c, 1), &policy));
        q.start_batch(&policy, 50);
        assert!(
            !q.push(entry(&c, 1), &policy),
            "in-flight events do not count"
        );
    }

    #[test]
    fn asks_to_send_at_the_byte_cap() {
        let policy = BatchPolicy {
            max_events: 100,
            max_bytes: 1000,
        };
        let c = ctx("{}");
        let mut q = SendQueue::default();
        assert!(!q.push(entry(&c, 400), &policy));
        assert!(q.push(entry(&c, 600), &policy));
    }

    #[test]
    fn batches_take_what_fits_the_byte_cap_in_order_and_wait_for_acknowledgement() {
        // Each body is n + 8 bytes, and 9 more in a batch; the context is 11 + 1.
        let policy = BatchPolicy {
            max_events: 2,
            max_bytes: 950,
        };
        let c = ctx("{\"vid\":\"v\"}");
        let mut q = SendQueue::default();
        for n in [100, 200, 300, 400, 500] {
            q.push(entry(&c, n), &policy);
        }
        assert_eq!(
            q.start_batch(&policy, 50).len(),
            3,
            "50 + 12 + 117 + 217 + 317 fit 950, more than max_events"
        );
        assert_eq!((q.in_flight(), q.waiting(), q.len()), (3, 2, 5));
        q.acknowledge();
        assert_eq!(
            q.start_batch(&policy, 50).len(),
            1,
            "50 + 12 + 417 + 517 exceed 950"
        );
        q.release();
        assert_eq!(q.waiting(), 2, "a failed batch waits again in its place");
        assert_eq!(q.start_batch(&policy, 50)[0].body.len(), 408);
        q.acknowledge();
        assert_eq!(q.start_batch(&policy, 50).len(), 1);
        q.acknowledge();
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn a_backlog_leaves_in_as_few_requests_as_the_byte_cap_allows() {
        // The benchmark's burst: 1,000 events of 277 bytes in a batch, tracked while the first
        // batch of 20 is in flight; then 220 fit each 60 KiB request.
        let policy = BatchPolicy::default();
        let c = ctx(&format!("{{\"vid\":\"{}\"}}", "v".repeat(300)));
        let mut q = SendQueue::default();
        let mut sizes = Vec::new();
        for _ in 0..1000 {
            if q.push(entry(&c, 260), &policy) && q.in_flight() == 0 {
                sizes.push(q.start_batch(&policy, 60).len());
            }
        }
        q.acknowledge();
        while !q.is_empty() {
            let batch = q.start_batch(&policy, 60);
            sizes.push(batch.len());
            let body = encode_batch("s", 1, batch);
            assert!(body.len() <= policy.max_bytes, "{}", body.len());
            q.acknowledge();
        }
        assert_eq!(sizes, [20, 220, 220, 220, 220, 100]);
    }

    #[test]
    fn an_oversized_event_still_leaves_alone() {
        let policy = BatchPolicy {
            max_events: 20,
            max_bytes: 100,
        };
        let c = ctx("{}");
        let mut q = SendQueue::default();
        q.push(entry(&c, 500), &policy);
        q.push(entry(&c, 10), &policy);
        assert_eq!(q.start_batch(&policy, 50).len(), 1);
    }

    #[test]
    fn the_oldest_events_go_first_when_the_queue_is_over_its_bound() {
        let policy = BatchPolicy::default();
        let c = ctx("{}");
        let mut q = SendQueue::default();
        for n in 1..=5 {
            q.push(entry(&c, n), &policy);
        }
        assert_eq!(q.bound(3, usize::MAX), 2);
        assert_eq!(q.entries()[0].body.len(), 3 + 8);
        let before = q.bytes();
        assert_eq!(q.bound(3, before - 1), 1);
        assert_eq!(q.len(), 2);
        q.prepend(vec![entry(&c, 9)]);
        assert_eq!(q.entries()[0].body.len(), 9 + 8);
    }

    #[test]
    fn a_batch_writes_each_context_once() {
        let a = ctx(r#"{"vid":"a"}"#);
        let b = ctx(r#"{"vid":"b"}"#);
        let same_as_a = ctx(r#"{"vid":"a"}"#);
        let entries = vec![entry(&a, 1), entry(&b, 2), entry(&same_as_a, 3)];
        let body = encode_batch("s\"1", 7, &entries);
        assert_eq!(
            body,
            r#"{"site":"s\"1","sent":7,"ctx":[{"vid":"a"},{"vid":"b"}],"events":[{"id":"x","c":0},{"id":"xx","c":1},{"id":"xxx","c":0}]}"#
        );
        let size = fitting(&entries, &BatchPolicy::default(), batch_overhead("s\"1"));
        assert_eq!(size, 3);
    }
}
