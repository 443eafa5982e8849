//! One cell's value as the file holds it, before anything is validated.
//!
//! CSV gives text only; workbooks give typed values (numbers, booleans, dates). Keeping the
//! type until validation matters for two columns: a date cell is an instant on its own, whatever
//! date format the user picked for text, and a number is not re-parsed from text that a
//! locale may have written with a decimal comma.

use std::borrow::Cow;

/// A cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing (an empty CSV field, a blank or absent workbook cell).
    Empty,
    /// Text, as written (CSV fields are never trimmed: validation decides).
    Text(String),
    /// A whole number from a workbook.
    Int(i64),
    /// A number from a workbook.
    Float(f64),
    /// TRUE or FALSE from a workbook.
    Bool(bool),
    /// A workbook cell formatted as a date or date-time: its serial number in the 1900 date
    /// system (days since 1899-12-30, Excel's leap-year bug included; a 1904-system workbook's
    /// serials are shifted into this one when read). Zone-less: a civil date and time.
    ExcelDate(f64),
    /// An error value such as `#DIV/0!` or `#N/A`.
    Error(String),
}

impl Cell {
    /// Whether the cell holds nothing, or only whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The value as text, for validation and for properties stored as text: numbers in their
    /// shortest exact form (`3`, `12.5`), booleans as `true`/`false`, dates as ISO 8601
    /// without offset (`2024-03-31T01:30:00`; a civil time, the zone is the import's).
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(text) => Cow::Borrowed(text),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Float(x) => Cow::Owned(x.to_string()),
            Cell::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Cell::ExcelDate(serial) => Cow::Owned(match super::dates::excel_civil(*serial) {
                Ok(civil) => civil.strftime("%Y-%m-%dT%H:%M:%S%.f").to_string(),
                Err(_) => serial.to_string(),
            }),
            Cell::Error(text) => Cow::Borrowed(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_read_as_the_text_a_person_typed() {
        assert_eq!(Cell::Int(42).as_text(), "42");
        assert_eq!(Cell::Float(3.0).as_text(), "3");
        assert_eq!(Cell::Float(12.5).as_text(), "12.5");
        assert_eq!(Cell::Bool(true).as_text(), "true");
        assert_eq!(Cell::Empty.as_text(), "");
        assert_eq!(Cell::Text(" a ".into()).as_text(), " a ");
        assert_eq!(Cell::Error("#N/A".into()).as_text(), "#N/A");
    }

    #[test]
    fn dates_read_as_civil_iso_text() {
        // 45382.0625 is 2024-03-31 01:30 (serial days since 1899-12-30).
        assert_eq!(Cell::ExcelDate(45382.0625).as_text(), "2024-03-31T01:30:00");
        assert_eq!(Cell::ExcelDate(45382.5).as_text(), "2024-03-31T12:00:00");
        // Excel's fake 29 February 1900 has no civil date: the serial is shown instead.
        assert_eq!(Cell::ExcelDate(60.0).as_text(), "60");
    }

    #[test]
    fn blank_means_nothing_or_whitespace() {
        assert!(Cell::Empty.is_blank());
        assert!(Cell::Text("  \t".into()).is_blank());
        assert!(!Cell::Text("x".into()).is_blank());
        assert!(!Cell::Int(0).is_blank());
    }
}
