//! The "occurred at" column: from a cell, in the date format and time zone the user picked, to
//! epoch milliseconds (SPEC §6 "the user chooses the date format of the occurred at column").
//!
//! A spreadsheet's dates carry no zone: `31/03/2024 02:30` is a wall-clock time somewhere. The
//! import names that place with an IANA zone, and the zone's own rules decide the offset of each
//! date, summer time included. Where a wall-clock time happens twice (the hour clocks go back)
//! or never (the hour they skip forward), the *compatible* choice is made, as RFC 5545 and
//! Temporal do: the earlier of two, and past a gap by its length (02:30 on the night clocks
//! jump from 02:00 to 03:00 is 03:30). Dates that carry an offset (ISO 8601 / RFC 3339 with
//! `Z` or `+02:00`) and epoch milliseconds ignore the zone.
//!
//! A date cell of a workbook is read whatever format was picked: the cell itself says it is a
//! date, the format is only how text is written. Nothing here reads a clock: the future is
//! whatever comes after the `now_ms` the caller passes.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{self, Date, DateTime};
use jiff::tz::TimeZone;
use jiff::SignedDuration;

use super::Cell;
use crate::timestamp::MAX_MS;

/// How the "occurred at" column's text is written. The three orders take an optional time
/// (`HH:MM` or `HH:MM:SS`, fractions of seconds and AM/PM accepted) after a space or `T`, and
/// any of `-`, `/` and `.` between the date's parts (`31.03.2024` and `31-03-2024` are Danish
/// habits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateFormat {
    /// `YYYY-MM-DD` (CLI/API: `YYYY-MM-DD`).
    Ymd,
    /// `DD/MM/YYYY` (CLI/API: `DD/MM/YYYY`).
    Dmy,
    /// `MM/DD/YYYY` (CLI/API: `MM/DD/YYYY`).
    Mdy,
    /// ISO 8601 / RFC 3339: with an offset it is an instant, without one a wall-clock time in
    /// the import's zone (CLI/API: `iso8601`, also `rfc3339`).
    Iso8601,
    /// Milliseconds since 1970-01-01T00:00:00Z, as text or a number cell (CLI/API: `epoch-ms`).
    EpochMs,
    /// Excel serial day numbers written as plain numbers, for a date column a workbook does not
    /// format as dates (CLI/API: `excel`).
    ExcelSerial,
}

impl DateFormat {
    /// Every format, in the order a picker lists them.
    pub const ALL: [DateFormat; 6] = [
        DateFormat::Ymd,
        DateFormat::Dmy,
        DateFormat::Mdy,
        DateFormat::Iso8601,
        DateFormat::EpochMs,
        DateFormat::ExcelSerial,
    ];

    /// The name the CLI and API use, which [`FromStr`] reads back.
    pub fn as_str(self) -> &'static str {
        match self {
            DateFormat::Ymd => "YYYY-MM-DD",
            DateFormat::Dmy => "DD/MM/YYYY",
            DateFormat::Mdy => "MM/DD/YYYY",
            DateFormat::Iso8601 => "iso8601",
            DateFormat::EpochMs => "epoch-ms",
            DateFormat::ExcelSerial => "excel",
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DateFormat {
    type Err = DateError;

    /// Reads the names of [`DateFormat::as_str`], case-insensitively; the three orders may be
    /// followed by a time pattern (`DD/MM/YYYY HH:MM`), which changes nothing since the time is
    /// optional anyway.
    fn from_str(text: &str) -> Result<Self, DateError> {
        let lower = text.trim().to_ascii_lowercase();
        let date_part = lower
            .split_once([' ', 't'])
            .filter(|(_, time)| matches!(*time, "hh:mm" | "hh:mm:ss"))
            .map_or(lower.as_str(), |(date, _)| date);
        match date_part {
            "yyyy-mm-dd" => Ok(DateFormat::Ymd),
            "dd/mm/yyyy" => Ok(DateFormat::Dmy),
            "mm/dd/yyyy" => Ok(DateFormat::Mdy),
            "iso8601" | "iso-8601" | "rfc3339" | "rfc-3339" => Ok(DateFormat::Iso8601),
            "epoch-ms" | "epoch_ms" | "epochms" => Ok(DateFormat::EpochMs),
            "excel" | "excel-serial" => Ok(DateFormat::ExcelSerial),
            _ => Err(DateError::UnknownFormat(text.to_owned())),
        }
    }
}

/// Why a date could not be read, for a person (the row's refusal reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// [`DateFormat::from_str`] did not know the name.
    UnknownFormat(String),
    /// Not an IANA time zone name.
    UnknownZone(String),
    /// The cell is empty.
    Empty,
    /// Text that does not follow the format.
    NotInFormat {
        /// The cell's text.
        text: String,
        /// The format picked.
        format: DateFormat,
    },
    /// Follows the format, but no such day or time exists (31/02, 25:00).
    NoSuchDate(String),
    /// A number, or a boolean, where the format wants text.
    NotText {
        /// The cell as text.
        text: String,
        /// The format picked.
        format: DateFormat,
    },
    /// Serial 60 of Excel's 1900 date system, the 29 February 1900 that never was.
    Excel1900LeapDay,
    /// Before 1970-01-01T00:00:00Z or after 9999 (what the collector stores, SPEC §2).
    OutOfRange(String),
    /// Later than the import's "now": only past events can be imported (SPEC §6).
    Future(i64),
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::UnknownFormat(name) => write!(
                f,
                "\"{name}\" is not a date format; use one of {}",
                DateFormat::ALL.map(DateFormat::as_str).join(", ")
            ),
            DateError::UnknownZone(name) => write!(
                f,
                "\"{name}\" is not a known time zone; use an IANA name such as Europe/Copenhagen"
            ),
            DateError::Empty => write!(f, "the date is empty"),
            DateError::NotInFormat { text, format } => {
                write!(f, "\"{text}\" is not a date in the format {format}")
            }
            DateError::NoSuchDate(text) => write!(f, "\"{text}\" is not a real date or time"),
            DateError::NotText { text, format } => write!(
                f,
                "{text} is a number, not a date written as {format} (pick the \"excel\" or \"epoch-ms\" format for a column of numbers)"
            ),
            DateError::Excel1900LeapDay => write!(
                f,
                "29 February 1900 does not exist (an error of Excel's 1900 date system)"
            ),
            DateError::OutOfRange(text) => {
                write!(f, "\"{text}\" is before 1970 or after 9999")
            }
            DateError::Future(ms) => write!(
                f,
                "{} is in the future; only past events can be imported",
                crate::timestamp::format(*ms)
            ),
        }
    }
}

impl std::error::Error for DateError {}

/// Reads dates in one format and zone: built once per import, used for every row.
#[derive(Debug, Clone)]
pub struct DateReader {
    format: DateFormat,
    zone: TimeZone,
}

impl DateReader {
    /// A reader of `format` whose zone-less dates are wall-clock times in `zone` (an IANA name
    /// such as `Europe/Copenhagen`, or `UTC`), from the time zone database compiled into the
    /// binary.
    pub fn new(format: DateFormat, zone: &str) -> Result<Self, DateError> {
        let zone = TimeZone::get(zone).map_err(|_| DateError::UnknownZone(zone.to_owned()))?;
        Ok(DateReader { format, zone })
    }

    /// The format this reader reads.
    pub fn format(&self) -> DateFormat {
        self.format
    }

    /// The cell's instant in epoch milliseconds, refused past `now_ms`: the "occurred at" of a
    /// row.
    pub fn occurred_at(&self, cell: &Cell, now_ms: i64) -> Result<i64, DateError> {
        let ms = self.read(cell)?;
        if ms > now_ms {
            return Err(DateError::Future(ms));
        }
        Ok(ms)
    }

    /// The cell's instant in epoch milliseconds, between 1970 and 9999 (also for datetime
    /// event properties, which may lie in the future).
    pub fn read(&self, cell: &Cell) -> Result<i64, DateError> {
        let ms = match cell {
            Cell::Empty => return Err(DateError::Empty),
            Cell::Text(text) if text.trim().is_empty() => return Err(DateError::Empty),
            Cell::ExcelDate(serial) => self.civil_ms(excel_civil(*serial)?, &cell.as_text())?,
            Cell::Text(text) => self.read_text(text.trim())?,
            Cell::Int(n) => self.read_number(*n as f64, &cell.as_text())?,
            Cell::Float(x) => self.read_number(*x, &cell.as_text())?,
            Cell::Bool(_) | Cell::Error(_) => {
                return Err(DateError::NotInFormat {
                    text: cell.as_text().into_owned(),
                    format: self.format,
                })
            }
        };
        if !(0..=MAX_MS).contains(&ms) {
            return Err(DateError::OutOfRange(cell.as_text().into_owned()));
        }
        Ok(ms)
    }

    fn read_number(&self, x: f64, text: &str) -> Result<i64, DateError> {
        match self.format {
            DateFormat::EpochMs if x.fract() == 0.0 && x.abs() < 1e17 => Ok(x as i64),
            DateFormat::ExcelSerial => self.civil_ms(excel_civil(x)?, text),
            _ => Err(DateError::NotText {
                text: text.to_owned(),
                format: self.format,
            }),
        }
    }

    fn read_text(&self, text: &str) -> Result<i64, DateError> {
        let not_in_format = || DateError::NotInFormat {
            text: text.to_owned(),
            format: self.format,
        };
        match self.format {
            DateFormat::Ymd | DateFormat::Dmy | DateFormat::Mdy => {
                let civil = ordered_civil(text, self.format)?;
                self.civil_ms(civil, text)
            }
            DateFormat::Iso8601 => self.read_iso(text).ok_or_else(not_in_format),
            DateFormat::EpochMs => {
                if !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(not_in_format());
                }
                text.parse::<i64>()
                    .map_err(|_| DateError::OutOfRange(text.to_owned()))
            }
            DateFormat::ExcelSerial => {
                let serial: f64 = text.parse().map_err(|_| not_in_format())?;
                self.civil_ms(excel_civil(serial)?, text)
            }
        }
    }

    /// An instant (offset or zone annotation given), else a civil date-time or date in the
    /// import's zone.
    fn read_iso(&self, text: &str) -> Option<i64> {
        if let Ok(zoned) = text.parse::<jiff::ZonedDateTime>() {
            return Some(zoned.timestamp().as_millisecond());
        }
        if let Ok(instant) = text.parse::<jiff::Timestamp>() {
            return Some(instant.as_millisecond());
        }
        let civil = text
            .parse::<DateTime>()
            .or_else(|_| {
                text.parse::<Date>()
                    .map(|d| d.to_datetime(civil::Time::midnight()))
            })
            .ok()?;
        self.civil_ms(civil, text).ok()
    }

    fn civil_ms(&self, civil: DateTime, text: &str) -> Result<i64, DateError> {
        self.zone
            .to_ambiguous_timestamp(civil)
            .compatible()
            .map(|t| t.as_millisecond())
            .map_err(|_| DateError::OutOfRange(text.to_owned()))
    }
}

/// An Excel serial date (1900 system) as a civil date-time, to the millisecond.
///
/// Serials count days from 1900-01-01 = 1, but Excel (after Lotus 1-2-3) believes 1900 was a
/// leap year: serial 60 is a 29 February 1900 that never existed, refused here, and every
/// serial from 61 on is one more than the days since 1900-01-01 would make it, so those count
/// from 1899-12-30. The fraction is the time of day.
pub fn excel_civil(serial: f64) -> Result<DateTime, DateError> {
    // 2,958,466 is 10000-01-01, the first day Excel cannot show.
    if !(0.0..2_958_466.0).contains(&serial) {
        return Err(DateError::OutOfRange(serial.to_string()));
    }
    let days = serial.floor();
    if days == 60.0 {
        return Err(DateError::Excel1900LeapDay);
    }
    let epoch = if days < 60.0 {
        civil::date(1899, 12, 31)
    } else {
        civil::date(1899, 12, 30)
    };
    // Rounded to the millisecond: 10:00 is stored as 0.41666666666666669 of a day.
    let ms = (days as i64) * 86_400_000 + ((serial - days) * 86_400_000.0).round() as i64;
    epoch
        .to_datetime(civil::Time::midnight())
        .checked_add(SignedDuration::from_millis(ms))
        .map_err(|_| DateError::OutOfRange(serial.to_string()))
}

/// `2024-03-31`, `31/03/2024 02:30`, `3/31/2024 2:30:15 PM`… in the order `format` names.
fn ordered_civil(text: &str, format: DateFormat) -> Result<DateTime, DateError> {
    let not_in_format = || DateError::NotInFormat {
        text: text.to_owned(),
        format,
    };
    let (date, time) = match text.find([' ', 'T']) {
        Some(at) => (&text[..at], Some(text[at + 1..].trim())),
        None => (text, None),
    };
    let separator = date
        .chars()
        .find(|c| matches!(c, '-' | '/' | '.'))
        .ok_or_else(not_in_format)?;
    let parts: Vec<&str> = date.split(separator).collect();
    let [a, b, c] = parts[..] else {
        return Err(not_in_format());
    };
    let (year, month, day) = match format {
        DateFormat::Ymd => (a, b, c),
        DateFormat::Dmy => (c, b, a),
        _ => (c, a, b),
    };
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i16>().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (
        digits(year, 4..=4),
        digits(month, 1..=2),
        digits(day, 1..=2),
    ) else {
        return Err(not_in_format());
    };
    let date = Date::new(year, month as i8, day as i8)
        .map_err(|_| DateError::NoSuchDate(text.to_owned()))?;
    let time = match time {
        None | Some("") => civil::Time::midnight(),
        Some(time) => clock_time(time)
            .ok_or_else(not_in_format)?
            .map_err(|_| DateError::NoSuchDate(text.to_owned()))?,
    };
    Ok(date.to_datetime(time))
}

/// `H:MM`, `HH:MM:SS`, `HH:MM:SS.fff`, each optionally followed by `AM`/`PM`. `None` when the
/// text is not a time; `Some(Err)` when it is one that does not exist (`25:00`).
fn clock_time(text: &str) -> Option<Result<civil::Time, DateError>> {
    let upper = text.to_ascii_uppercase();
    let (clock, meridiem) = match upper.strip_suffix("AM").or(upper.strip_suffix("PM")) {
        Some(clock) => (clock.trim_end(), Some(upper.ends_with("PM"))),
        None => (upper.as_str(), None),
    };
    let mut fields = clock.split(':');
    let hour = fields.next()?;
    let minute = fields.next()?;
    let second = fields.next().unwrap_or("0");
    if fields.next().is_some() {
        return None;
    }
    let (second, fraction) = second.split_once('.').unwrap_or((second, ""));
    let number = |s: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let mut hour = number(hour, 1..=2)?;
    let minute = number(minute, 2..=2)?;
    let second = number(second, 1..=2)?;
    let nanos = if fraction.is_empty() {
        0
    } else {
        let digits = number(fraction, 1..=9)?;
        digits * 10i32.pow(9 - fraction.len() as u32)
    };
    if let Some(pm) = meridiem {
        if !(1..=12).contains(&hour) {
            return Some(Err(DateError::NoSuchDate(text.to_owned())));
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    Some(
        civil::Time::new(hour as i8, minute as i8, second as i8, nanos)
            .map_err(|_| DateError::NoSuchDate(text.to_owned())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(format: &str, zone: &str) -> DateReader {
        DateReader::new(format.parse().unwrap(), zone).unwrap()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    // Expected instants were computed with Python's zoneinfo, not with the code under test.
    const PARIS_2024_03_31_0130: i64 = 1_711_845_000_000; // CET, +01:00
    const PARIS_2024_03_31_0330: i64 = 1_711_848_600_000; // CEST, +02:00
    const PARIS_2024_10_27_0230_FIRST: i64 = 1_729_989_000_000; // still CEST
    const PARIS_2024_10_27_0230_SECOND: i64 = 1_729_992_600_000; // CET again

    #[test]
    fn format_names_read_back() {
        for format in DateFormat::ALL {
            assert_eq!(format.as_str().parse::<DateFormat>(), Ok(format));
        }
        assert_eq!("dd/mm/yyyy HH:MM".parse(), Ok(DateFormat::Dmy));
        assert_eq!("RFC3339".parse(), Ok(DateFormat::Iso8601));
        assert_eq!(
            "YY/MM".parse::<DateFormat>().unwrap_err().to_string(),
            "\"YY/MM\" is not a date format; use one of YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY, iso8601, epoch-ms, excel"
        );
    }

    #[test]
    fn unknown_zones_are_refused_by_name() {
        let e = DateReader::new(DateFormat::Ymd, "Europe/Pariss").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"Europe/Pariss\" is not a known time zone; use an IANA name such as Europe/Copenhagen"
        );
    }

    #[test]
    fn the_three_orders_read_the_same_instant() {
        let expected = Ok(PARIS_2024_03_31_0130);
        assert_eq!(
            reader("YYYY-MM-DD", "Europe/Paris").read(&text("2024-03-31 01:30")),
            expected
        );
        assert_eq!(
            reader("DD/MM/YYYY", "Europe/Paris").read(&text("31/03/2024 01:30")),
            expected
        );
        assert_eq!(
            reader("DD/MM/YYYY", "Europe/Paris").read(&text("31.03.2024 01:30:00")),
            expected
        );
        assert_eq!(
            reader("MM/DD/YYYY", "Europe/Paris").read(&text("3/31/2024 1:30 AM")),
            expected
        );
        assert_eq!(
            reader("MM/DD/YYYY", "Europe/Paris").read(&text("03/31/2024 01:30 pm")),
            // Twelve hours on the clock, eleven real ones: summer time began in between.
            Ok(PARIS_2024_03_31_0130 + 11 * 3_600_000)
        );
        assert_eq!(
            reader("YYYY-MM-DD", "Europe/Paris").read(&text("2024-03-31T01:30:00.250")),
            Ok(PARIS_2024_03_31_0130 + 250)
        );
    }

    #[test]
    fn summer_time_follows_the_zone_rules() {
        let paris = reader("YYYY-MM-DD", "Europe/Paris");
        assert_eq!(
            paris.read(&text("2024-03-31 03:30")),
            Ok(PARIS_2024_03_31_0330)
        );
        // 02:30 never happened that night: it is read as 03:30, past the gap.
        assert_eq!(
            paris.read(&text("2024-03-31 02:30")),
            Ok(PARIS_2024_03_31_0330)
        );
        // 02:30 happened twice in October: the first one.
        assert_eq!(
            paris.read(&text("2024-10-27 02:30")),
            Ok(PARIS_2024_10_27_0230_FIRST)
        );
        assert_ne!(PARIS_2024_10_27_0230_FIRST, PARIS_2024_10_27_0230_SECOND);
        // The same wall-clock time in UTC is an hour or two later.
        let utc = reader("YYYY-MM-DD", "UTC");
        assert_eq!(
            utc.read(&text("2024-03-31 01:30")),
            Ok(PARIS_2024_03_31_0130 + 3_600_000)
        );
    }

    #[test]
    fn iso_dates_with_an_offset_ignore_the_zone() {
        let iso = reader("iso8601", "Europe/Paris");
        assert_eq!(
            iso.read(&text("2024-03-31T00:30:00Z")),
            Ok(PARIS_2024_03_31_0130)
        );
        assert_eq!(
            iso.read(&text("2024-03-31T03:30:00+02:00")),
            Ok(PARIS_2024_03_31_0330)
        );
        assert_eq!(
            iso.read(&text("2024-03-31 03:30:00+02:00")),
            Ok(PARIS_2024_03_31_0330)
        );
        assert_eq!(
            iso.read(&text("2024-03-31T01:30")),
            Ok(PARIS_2024_03_31_0130)
        );
        assert_eq!(iso.read(&text("2024-10-27")), Ok(1_729_980_000_000));
        assert_eq!(
            iso.read(&text("2024-03-31T01:30[Europe/Paris]")),
            Ok(PARIS_2024_03_31_0130)
        );
        assert!(matches!(
            iso.read(&text("31/03/2024")),
            Err(DateError::NotInFormat { .. })
        ));
    }

    #[test]
    fn epoch_milliseconds_from_text_or_numbers() {
        let epoch = reader("epoch-ms", "Europe/Paris");
        assert_eq!(
            epoch.read(&text("1711845000000")),
            Ok(PARIS_2024_03_31_0130)
        );
        assert_eq!(
            epoch.read(&Cell::Int(1_711_845_000_000)),
            Ok(PARIS_2024_03_31_0130)
        );
        assert_eq!(
            epoch.read(&Cell::Float(1_711_845_000_000.0)),
            Ok(PARIS_2024_03_31_0130)
        );
        assert!(epoch.read(&Cell::Float(1.5)).is_err());
        assert!(epoch.read(&text("-5")).is_err());
        assert!(epoch.read(&text("1e12")).is_err());
    }

    #[test]
    fn excel_serials_count_from_1900_with_its_leap_day_bug() {
        let at = |serial| excel_civil(serial).map(|d| d.to_string());
        assert_eq!(at(1.0).unwrap(), "1900-01-01T00:00:00");
        assert_eq!(at(59.0).unwrap(), "1900-02-28T00:00:00");
        assert_eq!(at(60.0), Err(DateError::Excel1900LeapDay));
        assert_eq!(at(61.0).unwrap(), "1900-03-01T00:00:00");
        assert_eq!(at(25569.0).unwrap(), "1970-01-01T00:00:00");
        assert_eq!(at(45382.0625).unwrap(), "2024-03-31T01:30:00");
        // 23:59:59.999 rounds to itself, not to the next day.
        assert_eq!(
            at(45382.0 + 86_399_999.0 / 86_400_000.0).unwrap(),
            "2024-03-31T23:59:59.999"
        );
        assert!(at(-1.0).is_err());
        assert!(at(3e6).is_err());
        assert!(at(f64::NAN).is_err());
    }

    #[test]
    fn date_cells_are_read_whatever_the_format() {
        for format in DateFormat::ALL {
            let r = DateReader::new(format, "Europe/Paris").unwrap();
            assert_eq!(
                r.read(&Cell::ExcelDate(45382.0625)),
                Ok(PARIS_2024_03_31_0130),
                "{format}"
            );
        }
        assert_eq!(
            reader("excel", "Europe/Paris").read(&Cell::Float(45382.0625)),
            Ok(PARIS_2024_03_31_0130)
        );
        assert_eq!(
            reader("excel", "Europe/Paris").read(&text("45382.0625")),
            Ok(PARIS_2024_03_31_0130)
        );
    }

    #[test]
    fn what_is_not_a_date_is_refused_with_a_reason() {
        let dmy = reader("DD/MM/YYYY", "Europe/Paris");
        let reason = |cell: Cell| dmy.read(&cell).unwrap_err().to_string();
        assert_eq!(
            reason(text("31/02/2024")),
            "\"31/02/2024\" is not a real date or time"
        );
        assert_eq!(
            reason(text("2024-03-31")),
            "\"2024-03-31\" is not a date in the format DD/MM/YYYY"
        );
        assert_eq!(
            reason(text("31/03/24")),
            "\"31/03/24\" is not a date in the format DD/MM/YYYY"
        );
        assert_eq!(
            reason(text("31/03/2024 25:00")),
            "\"31/03/2024 25:00\" is not a real date or time"
        );
        assert_eq!(
            reason(text("31/03/2024 noon")),
            "\"31/03/2024 noon\" is not a date in the format DD/MM/YYYY"
        );
        assert_eq!(reason(text("  ")), "the date is empty");
        assert_eq!(reason(Cell::Empty), "the date is empty");
        assert!(reason(Cell::Int(45382))
            .starts_with("45382 is a number, not a date written as DD/MM/YYYY"));
        assert_eq!(
            reason(text("01/01/1969")),
            "\"01/01/1969\" is before 1970 or after 9999"
        );
        assert_eq!(
            reader("excel", "UTC")
                .read(&Cell::ExcelDate(60.0))
                .unwrap_err()
                .to_string(),
            "29 February 1900 does not exist (an error of Excel's 1900 date system)"
        );
    }

    #[test]
    fn future_rows_are_refused_against_the_given_now() {
        let ymd = reader("YYYY-MM-DD", "Europe/Paris");
        let cell = text("2024-03-31 01:30");
        assert_eq!(
            ymd.occurred_at(&cell, PARIS_2024_03_31_0130),
            Ok(PARIS_2024_03_31_0130)
        );
        let e = ymd
            .occurred_at(&cell, PARIS_2024_03_31_0130 - 1)
            .unwrap_err();
        assert_eq!(e, DateError::Future(PARIS_2024_03_31_0130));
        assert_eq!(
            e.to_string(),
            "2024-03-31T00:30:00.000Z is in the future; only past events can be imported"
        );
    }
}
