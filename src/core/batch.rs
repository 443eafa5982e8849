//! The send queue and its batching policy: when to send, and which events go in one request.
//!
//! Events are kept already encoded, with a running byte count, so deciding whether to send
//! costs nothing per event (Segment re-encodes the whole buffer on every event).

use alloc::string::String;
use alloc::vec::Vec;

/// Browsers refuse a `sendBeacon` or `keepalive` body over 64 KiB.
pub const BEACON_LIMIT: usize = 64 * 1024;

/// When a batch is sent and how big it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPolicy {
    /// Send as soon as this many events are queued.
    pub max_events: usize,
    /// Largest request body, in bytes; below [`BEACON_LIMIT`] with room to spare.
    pub max_bytes: usize,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        BatchPolicy { max_events: 20, max_bytes: 60 * 1024 }
    }
}

/// Encoded events waiting to be sent, oldest first.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SendQueue {
    // A Vec, not a VecDeque: batches leave from the front rarely and in bulk, and VecDeque's
    // generic code costs kilobytes of wasm.
    events: Vec<String>,
    bytes: usize,
}

impl SendQueue {
    /// Adds an encoded event; `true` when the queue has reached a size that should be sent now.
    pub fn push(&mut self, encoded: String, policy: &BatchPolicy, overhead: usize) -> bool {
        self.bytes += encoded.len() + 1;
        self.events.push(encoded);
        self.events.len() >= policy.max_events || self.bytes + overhead >= policy.max_bytes
    }

    /// Puts a batch that could not be sent back at the front, in its original order.
    pub fn unshift(&mut self, batch: Vec<String>) {
        self.bytes += batch.iter().map(|e| e.len() + 1).sum::<usize>();
        self.events.splice(0..0, batch);
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Bytes the queued events take when joined into a body.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Removes and returns the oldest events that fit in one request: at most
    /// `policy.max_events`, at most `policy.max_bytes` with the batch `overhead`, and always at
    /// least one so that an event larger than the cap still leaves (by `fetch`, not beacon).
    pub fn take_batch(&mut self, policy: &BatchPolicy, overhead: usize) -> Vec<String> {
        let mut size = overhead;
        let mut count = 0;
        for event in self.events.iter().take(policy.max_events) {
            if count > 0 && size + event.len() + 1 > policy.max_bytes {
                break;
            }
            size += event.len() + 1;
            count += 1;
        }
        let batch: Vec<String> = self.events.drain(..count).collect();
        self.bytes -= batch.iter().map(|e| e.len() + 1).sum::<usize>();
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> String {
        "x".repeat(n)
    }

    #[test]
    fn asks_to_send_at_the_event_count() {
        let policy = BatchPolicy { max_events: 3, max_bytes: 10_000 };
        let mut q = SendQueue::default();
        assert!(!q.push(event(10), &policy, 50));
        assert!(!q.push(event(10), &policy, 50));
        assert!(q.push(event(10), &policy, 50));
    }

    #[test]
    fn asks_to_send_at_the_byte_cap() {
        let policy = BatchPolicy { max_events: 100, max_bytes: 1000 };
        let mut q = SendQueue::default();
        assert!(!q.push(event(400), &policy, 50));
        assert!(q.push(event(600), &policy, 50));
        assert_eq!(q.bytes(), 1002);
    }

    #[test]
    fn batches_respect_both_caps_in_order() {
        let policy = BatchPolicy { max_events: 3, max_bytes: 1000 };
        let mut q = SendQueue::default();
        for n in [100, 200, 300, 400, 500] {
            q.push(event(n), &policy, 50);
        }
        let sizes = |b: Vec<String>| b.iter().map(String::len).collect::<Vec<_>>();
        assert_eq!(sizes(q.take_batch(&policy, 50)), vec![100, 200, 300]);
        assert_eq!(sizes(q.take_batch(&policy, 50)), vec![400, 500]);
        assert!(q.is_empty());
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn a_failed_batch_goes_back_in_front_in_order() {
        let policy = BatchPolicy { max_events: 2, max_bytes: 1000 };
        let mut q = SendQueue::default();
        for n in [1, 2, 3] {
            q.push(event(n), &policy, 0);
        }
        let batch = q.take_batch(&policy, 0);
        q.unshift(batch);
        assert_eq!(q.bytes(), 2 + 3 + 4);
        let sizes: Vec<usize> = q.take_batch(&BatchPolicy { max_events: 5, max_bytes: 1000 }, 0).iter().map(String::len).collect();
        assert_eq!(sizes, vec![1, 2, 3]);
    }

    #[test]
    fn an_oversized_event_still_leaves_alone() {
        let policy = BatchPolicy { max_events: 20, max_bytes: 100 };
        let mut q = SendQueue::default();
        q.push(event(500), &policy, 50);
        q.push(event(10), &policy, 50);
        assert_eq!(q.take_batch(&policy, 50).len(), 1);
        assert_eq!(q.take_batch(&policy, 50).len(), 1);
    }
}
