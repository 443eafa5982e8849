//! Times as the API speaks them: epoch milliseconds inside, ISO 8601 or epoch milliseconds
//! outside (SPEC §2 "datetime accepts epoch milliseconds or ISO 8601").
//!
//! One parser serves `occurredAt`, datetime property values and query bounds, so that what a
//! client may send in one place it may send in all.

use std::time::{SystemTime, UNIX_EPOCH};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// Latest accepted instant: the last millisecond of the year 9999.
pub const MAX_MS: i64 = 253_402_300_799_999;

/// The current time in epoch milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(MAX_MS))
}

/// Reads epoch milliseconds (`"1700000000000"`) or an ISO 8601 date-time (with or without an
/// offset, UTC when it has none) or date (midnight UTC). `None` for anything else or for an
/// instant before 1970 or after 9999.
pub fn parse(text: &str) -> Option<i64> {
    let ms = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().ok()?
    } else {
        parse_iso(text)?
    };
    (0..=MAX_MS).contains(&ms).then_some(ms)
}

/// Largest UTC offset accepted, in seconds: 18 hours (real zones span −12 to +14; the `time`
/// crate would read up to ±25:59:59, which no clock shows).
const MAX_OFFSET_SECONDS: i32 = 18 * 3600;

fn parse_iso(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::DEFAULT))
        .or_else(|_| {
            PrimitiveDateTime::parse(text, &Iso8601::DEFAULT).map(PrimitiveDateTime::assume_utc)
        })
        .or_else(|_| Date::parse(text, &Iso8601::DEFAULT).map(|d| d.midnight().assume_utc()))
        .ok()
        .filter(|at| at.offset().whole_seconds().abs() <= MAX_OFFSET_SECONDS)?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Formats epoch milliseconds as `2024-01-31T12:00:00.000Z`.
pub fn format(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms.clamp(0, MAX_MS)) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_epoch_milliseconds_and_iso_forms() {
        assert_eq!(parse("1700000000123"), Some(1_700_000_000_123));
        assert_eq!(parse("2023-11-14T22:13:20.123Z"), Some(1_700_000_000_123));
        assert_eq!(
            parse("2023-11-14T23:13:20.123+01:00"),
            Some(1_700_000_000_123)
        );
        assert_eq!(parse("2023-11-14T22:13:20"), Some(1_700_000_000_000));
        assert_eq!(parse("2023-11-14"), Some(1_699_920_000_000));
        assert_eq!(
            parse("2023-11-15T12:13:20.123+14:00"),
            Some(1_700_000_000_123)
        );
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for text in [
            "",
            "soon",
            "-5",
            "1.5",
            "2023-13-01",
            "2023-11-14T25:00:00Z",
            "2023-11-14T22:13:20+25:00",
            "2023-11-14T22:13:20-19:00",
            "99999999999999999999",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(format(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse(&format(1_234_567)), Some(1_234_567));
    }
}
