//! When a webhook delivery is tried again, and when it is given up: pure policy, with the
//! jitter passed in so the schedule is tested exactly.
//!
//! Delivery is at least once. A failed attempt waits 30 s, then each wait doubles up to one
//! hour, and then stays at an hour: [`MAX_ATTEMPTS`] attempts (the first and 30 retries) span
//! about a day (24 h 3 min 30 s nominal), long enough to outlast a receiver's bad night, short
//! enough that a dead endpoint stops costing work the next day.
//!
//! # Jitter
//!
//! Each wait is cut by up to 15 %: `wait = nominal × (1 − 0.15 × jitter)`, `jitter` uniform in
//! `0..1` from the caller. Full jitter (anywhere in `0..nominal`, AWS's advice for many clients
//! contending for one server) and equal jitter (`nominal/2..nominal`) spread retries more, but
//! a delivery's retries could then all be spent in half a day or in minutes, and the promise
//! to the receiver is "about a day" whatever the dice say: with this jitter all waits add up
//! to between 20.4 h and 24.1 h. It still spreads deliveries that failed together (an outage)
//! over 4.5 s at the first retry and 9 minutes at the hourly ones, and it only ever shortens a
//! wait, so no wait exceeds the one-hour cap.
//!
//! # `Retry-After`
//!
//! A receiver's `Retry-After` lengthens a wait, never shortens it, and is itself capped at an
//! hour: one receiver cannot park a delivery for a week. A receiver asking for an hour every
//! time stretches the schedule to at most 30 h (30 waits of an hour).

/// Attempts of one delivery, the first included; after the last failed one the delivery fails.
pub const MAX_ATTEMPTS: u32 = 31;

/// The first wait, in ms.
pub const FIRST_WAIT_MS: u64 = 30_000;

/// The longest wait, in ms, `Retry-After` included.
pub const MAX_WAIT_MS: u64 = 3_600_000;

/// The largest share of a wait the jitter takes off.
pub const JITTER_SHARE: f64 = 0.15;

/// What an attempt's answer means for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx: done.
    Delivered,
    /// Worth trying again: no answer (timeout, refused connection, TLS failure), 408, 425,
    /// 429 or a 5xx.
    Retry,
    /// 410 Gone: the receiver says the endpoint is no more; the workflow is paused until
    /// someone fixes its URL.
    Pause,
    /// Another 4xx, or a redirect: the request will not succeed as it is, so it is not
    /// repeated. Redirects are not followed because their target would bypass the URL policy
    /// (a public URL answering 307 to `http://169.254.169.254/`).
    Fail,
}

/// What the answer `status` (`None` for a timeout or a connection error) means.
pub fn classify(status: Option<u16>) -> Outcome {
    match status {
        None => Outcome::Retry,
        Some(200..=299) => Outcome::Delivered,
        Some(410) => Outcome::Pause,
        Some(408 | 425 | 429) => Outcome::Retry,
        Some(300..=499) => Outcome::Fail,
        // 5xx, and codes no server should send (1xx as a final answer, 600+): the receiver
        // is in trouble, not the request.
        Some(_) => Outcome::Retry,
    }
}

/// The wait before the next attempt, in ms, after `attempt` attempts failed (0 is read as 1),
/// or `None` when the delivery has had its [`MAX_ATTEMPTS`]. `jitter` is uniform in `0..1`
/// (values outside are clamped, NaN read as 0); `retry_after_ms` is the receiver's
/// `Retry-After`, if it sent one.
pub fn next_delay_ms(attempt: u32, jitter: f64, retry_after_ms: Option<u64>) -> Option<u64> {
    let attempt = attempt.max(1);
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = attempt - 1;
    let nominal = if doublings >= 7 {
        MAX_WAIT_MS
    } else {
        (FIRST_WAIT_MS << doublings).min(MAX_WAIT_MS)
    };
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    // Exact in f64: waits are below 2^53 ms.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let wait = (nominal as f64 * (1.0 - JITTER_SHARE * jitter)).round() as u64;
    let asked = retry_after_ms.unwrap_or(0).min(MAX_WAIT_MS);
    Some(wait.max(asked))
}

/// Reads a `Retry-After` header: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), as ms from `now_ms`. A date in the past is 0; anything
/// else unreadable is `None` (the schedule's own wait then applies).
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            value
                .parse::<u64>()
                .unwrap_or(u64::MAX)
                .saturating_mul(1_000),
        );
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let at_ms = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some(u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: u64 = 3_600_000;

    fn schedule(jitter: f64) -> Vec<u64> {
        (1..)
            .map_while(|attempt| next_delay_ms(attempt, jitter, None))
            .collect()
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(Some(200)), Outcome::Delivered);
        assert_eq!(classify(Some(204)), Outcome::Delivered);
        assert_eq!(classify(None), Outcome::Retry);
        for retried in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(classify(Some(retried)), Outcome::Retry, "{retried}");
        }
        assert_eq!(classify(Some(410)), Outcome::Pause);
        for failed in [301, 307, 400, 401, 403, 404, 413, 422] {
            assert_eq!(classify(Some(failed)), Outcome::Fail, "{failed}");
        }
    }

    #[test]
    fn waits_double_from_30_seconds_to_an_hour_then_stop_after_a_day() {
        let waits = schedule(0.0);
        assert_eq!(
            &waits[..9],
            &[30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, HOUR, HOUR]
        );
        assert_eq!(waits.len(), 30);
        assert_eq!(waits.iter().sum::<u64>(), 86_610_000);
        assert_eq!(next_delay_ms(MAX_ATTEMPTS - 1, 0.0, None), Some(HOUR));
        assert_eq!(next_delay_ms(MAX_ATTEMPTS, 0.0, None), None);
        assert_eq!(next_delay_ms(u32::MAX, 0.0, None), None);
        assert_eq!(next_delay_ms(0, 0.0, None), Some(30_000));
    }

    #[test]
    fn jitter_only_shortens_and_by_at_most_15_percent() {
        assert_eq!(next_delay_ms(1, 1.0, None), Some(25_500));
        assert_eq!(next_delay_ms(20, 1.0, None), Some(3_060_000));
        assert_eq!(next_delay_ms(1, f64::NAN, None), Some(30_000));
        assert_eq!(next_delay_ms(1, 7.0, None), Some(25_500));
    }

    #[test]
    fn retry_after_lengthens_a_wait_up_to_an_hour() {
        assert_eq!(next_delay_ms(1, 0.0, Some(120_000)), Some(120_000));
        assert_eq!(next_delay_ms(1, 0.0, Some(1_000)), Some(30_000));
        assert_eq!(next_delay_ms(1, 0.0, Some(7 * 24 * HOUR)), Some(HOUR));
        assert_eq!(next_delay_ms(MAX_ATTEMPTS, 0.0, Some(1_000)), None);
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("120", 0), Some(120_000));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(0));
        // 2015-10-21T07:28:00Z is 1445412480 s.
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(
            parse_retry_after(date, 1_445_412_480_000 - 5_000),
            Some(5_000)
        );
        assert_eq!(parse_retry_after(date, 1_445_412_480_000 + 5_000), Some(0));
        assert_eq!(parse_retry_after("soon", 0), None);
        assert_eq!(parse_retry_after("-5", 0), None);
        assert_eq!(parse_retry_after("", 0), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", 0),
            Some(u64::MAX)
        );
    }

    proptest! {
        #[test]
        fn the_whole_schedule_lasts_about_a_day(jitters in proptest::collection::vec(0.0f64..=1.0, 30)) {
            let total: u64 = (1..)
                .map_while(|attempt| {
                    let jitter = jitters.get(usize::try_from(attempt).ok()? - 1).copied().unwrap_or(0.0);
                    next_delay_ms(attempt, jitter, None)
                })
                .sum();
            prop_assert!(total >= 20 * HOUR, "{total}");
            prop_assert!(total <= 25 * HOUR, "{total}");
        }

        #[test]
        fn a_wait_is_never_below_retry_after_within_the_cap(
            attempt in 1u32..MAX_ATTEMPTS,
            jitter in 0.0f64..=1.0,
            asked in 0u64..10 * HOUR,
        ) {
            let wait = next_delay_ms(attempt, jitter, Some(asked));
            prop_assert!(wait.is_some_and(|w| w >= asked.min(MAX_WAIT_MS) && w <= MAX_WAIT_MS));
        }

        #[test]
        fn attempts_end(jitter in 0.0f64..=1.0, asked in proptest::option::of(0u64..10 * HOUR)) {
            let tries = (1..=1_000u32).take_while(|&a| next_delay_ms(a, jitter, asked).is_some()).count();
            prop_assert_eq!(tries, usize::try_from(MAX_ATTEMPTS - 1).unwrap());
            prop_assert!((MAX_ATTEMPTS..1_000).all(|a| next_delay_ms(a, jitter, asked).is_none()));
        }
    }
}
