//! The retry policy: what to do with a batch after the collector answered (or did not), and how
//! long to wait before the next try. Pure functions of the status, the header and the jitter,
//! so every case is tested without a network or a clock.

/// First retry delay, in milliseconds; each further failure doubles it.
pub const BACKOFF_BASE_MS: u64 = 1_000;
/// Longest delay between two tries, in milliseconds.
pub const BACKOFF_CAP_MS: u64 = 60_000;
/// Longest `Retry-After` honoured, in milliseconds: a collector asking for more still gets
/// events within five minutes.
pub const RETRY_AFTER_CAP_MS: u64 = 300_000;

/// What the answer to a batch means for its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered: remove the events from the queue.
    Delivered,
    /// Try again later: network error, 5xx, 429 (and 408, a timeout).
    Retry,
    /// Refused for good (any other 4xx): remove the events and warn; retrying cannot help.
    Drop,
}

/// Classifies an HTTP status; `None` is a network error (no answer at all).
pub fn classify(status: Option<u16>) -> Verdict {
    match status {
        None => Verdict::Retry,
        Some(200..=299) => Verdict::Delivered,
        Some(408 | 429) => Verdict::Retry,
        Some(500..=599) => Verdict::Retry,
        // 1xx/3xx never reach a fetch caller for a POST here; treat anything odd as retryable
        // rather than silently dropping events.
        Some(400..=499) => Verdict::Drop,
        Some(_) => Verdict::Retry,
    }
}

/// The wait a `Retry-After` header asks for, in milliseconds, capped at
/// [`RETRY_AFTER_CAP_MS`]. Only the delay-seconds form is read (what collectors send); an
/// HTTP-date or garbage falls back to the backoff.
pub fn retry_after(status: u16, header: Option<&str>) -> Option<u64> {
    if status != 429 && status != 503 {
        return None;
    }
    let seconds = super::text::parse_u64(header?.trim_ascii())?;
    // Capped before it is multiplied: u64 overflow checks are 128-bit multiplies on wasm32.
    Some(seconds.min(RETRY_AFTER_CAP_MS / 1_000) * 1_000)
}

/// Delay before try number `attempt + 1` after `attempt` consecutive failures (1 = the first
/// failure), with "equal jitter": half the exponential delay is fixed, the other half scaled by
/// `jitter` in `[0, 1)`. So tabs that failed together do not retry together, yet no retry comes
/// sooner than half the nominal delay.
// Not `f64::clamp`: its assertion message prints floats, which would link float formatting
// into the tracker's wasm (see `clamp` in `options.rs`).
#[allow(clippy::manual_clamp)]
pub fn backoff(attempt: u32, jitter: f64) -> u64 {
    let exponent = attempt.saturating_sub(1).min(16);
    let nominal = (BACKOFF_BASE_MS << exponent).min(BACKOFF_CAP_MS);
    let jitter = if jitter.is_finite() {
        jitter.max(0.0).min(1.0)
    } else {
        0.0
    };
    nominal / 2 + ((nominal / 2) as f64 * jitter) as u64
}

/// The delay before retrying after `attempt` consecutive failures, the last answered with
/// `status` (if any) and `Retry-After` header `header`.
pub fn next_delay(attempt: u32, status: Option<u16>, header: Option<&str>, jitter: f64) -> u64 {
    status
        .and_then(|s| retry_after(s, header))
        .unwrap_or_else(|| backoff(attempt, jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_by_the_table() {
        assert_eq!(classify(Some(200)), Verdict::Delivered);
        assert_eq!(classify(Some(204)), Verdict::Delivered);
        assert_eq!(classify(None), Verdict::Retry);
        assert_eq!(classify(Some(500)), Verdict::Retry);
        assert_eq!(classify(Some(503)), Verdict::Retry);
        assert_eq!(classify(Some(429)), Verdict::Retry);
        assert_eq!(classify(Some(408)), Verdict::Retry);
        assert_eq!(classify(Some(400)), Verdict::Drop);
        assert_eq!(classify(Some(403)), Verdict::Drop);
        assert_eq!(classify(Some(413)), Verdict::Drop);
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        assert_eq!(retry_after(429, Some("1")), Some(1_000));
        assert_eq!(retry_after(503, Some(" 7 ")), Some(7_000));
        assert_eq!(retry_after(429, Some("86400")), Some(RETRY_AFTER_CAP_MS));
        assert_eq!(
            retry_after(429, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(retry_after(429, None), None);
        assert_eq!(retry_after(500, Some("1")), None);
    }

    #[test]
    fn backoff_doubles_with_equal_jitter_up_to_the_cap() {
        assert_eq!(backoff(1, 0.0), 500);
        assert_eq!(backoff(1, 0.999_999), 999);
        assert_eq!(backoff(2, 0.0), 1_000);
        assert_eq!(backoff(3, 0.5), 3_000);
        assert_eq!(backoff(7, 0.0), 30_000);
        assert_eq!(backoff(8, 1.0), 60_000);
        assert_eq!(backoff(500, 0.0), 30_000);
        assert_eq!(backoff(0, 0.0), 500);
        assert_eq!(backoff(2, f64::NAN), 1_000);
    }

    #[test]
    fn retry_after_wins_over_the_backoff() {
        assert_eq!(next_delay(3, Some(429), Some("1"), 0.9), 1_000);
        assert_eq!(next_delay(3, Some(503), None, 0.0), 2_000);
        assert_eq!(next_delay(1, None, None, 0.0), 500);
    }
}
