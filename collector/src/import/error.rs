//! What can go wrong reading a spreadsheet, in words a person importing one understands.
//!
//! Two kinds, kept apart because they end differently: an [`ImportError`] is about the whole
//! file (it is not a spreadsheet, it is password-protected, its header repeats a name…) and
//! stops the import before or while rows are read; a [`RowRefusal`] is about one row and never
//! stops anything (SPEC §6: every refused row is reported with its line number and the
//! reason). Messages name the thing to fix, never an internal error type.

use std::fmt;

/// A problem with the whole file: nothing (more) can be imported from it.
#[derive(Debug)]
pub enum ImportError {
    /// The file could not be read (it vanished, permissions, a disk error).
    Io(std::io::Error),
    /// Zero bytes, or nothing but blank lines / empty cells: there is no header row.
    Empty,
    /// The name ends with something other than `.csv`, `.txt`, `.tsv`, `.xlsx` or `.xls`.
    UnsupportedExtension(String),
    /// The content is a spreadsheet or text of another kind than the extension says.
    Mismatch {
        /// The extension, without the dot.
        extension: String,
        /// What the content is, e.g. "an Excel workbook (.xlsx)".
        actual: &'static str,
    },
    /// The content is not a spreadsheet at all (an image, a PDF, an unknown binary).
    NotASpreadsheet {
        /// The extension, without the dot.
        extension: String,
        /// What the content is, e.g. "a PNG image".
        actual: &'static str,
    },
    /// An encrypted workbook (Excel's "Encrypt with password").
    PasswordProtected,
    /// The workbook's container or XML is broken (a truncated download, a failed copy).
    Corrupt {
        /// "xlsx" or "xls".
        kind: &'static str,
        /// What the reading library said, for support.
        detail: String,
    },
    /// The chosen sheet does not exist.
    SheetNotFound {
        /// The name asked for.
        name: String,
        /// The workbook's sheets, in order.
        available: Vec<String>,
    },
    /// Two header cells carry the same name (compared case-insensitively).
    DuplicateHeader {
        /// The name as the first of the two columns spells it.
        name: String,
        /// The two columns, as spreadsheet letters (A, B, …, AA).
        columns: (String, String),
    },
    /// More data rows than an import may hold ([`super::MAX_ROWS`]).
    TooManyRows {
        /// The limit.
        limit: u64,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Io(e) => write!(f, "the file could not be read: {e}"),
            ImportError::Empty => write!(f, "the file is empty: it has no header row"),
            ImportError::UnsupportedExtension(ext) if ext.is_empty() => write!(
                f,
                "the file name has no extension: import a .csv, .xlsx or .xls file"
            ),
            ImportError::UnsupportedExtension(ext) => write!(
                f,
                ".{ext} files cannot be imported: import a .csv, .xlsx or .xls file"
            ),
            ImportError::Mismatch { extension, actual } => write!(
                f,
                "the file is named .{extension} but is {actual}: rename it or save it again in the right format"
            ),
            ImportError::NotASpreadsheet { extension, actual } => write!(
                f,
                "the file is named .{extension} but is {actual}, not a spreadsheet"
            ),
            ImportError::PasswordProtected => write!(
                f,
                "the workbook is password-protected: remove the password in Excel (File > Info > Protect Workbook) and import it again"
            ),
            ImportError::Corrupt { kind, detail } => write!(
                f,
                "the .{kind} file is damaged or incomplete ({detail}): open it in Excel and save it again"
            ),
            ImportError::SheetNotFound { name, available } => write!(
                f,
                "the workbook has no sheet named \"{name}\"; its sheets are: {}",
                quoted_list(available)
            ),
            ImportError::DuplicateHeader { name, columns } => write!(
                f,
                "two columns are named \"{name}\" (columns {} and {}): rename one of them",
                columns.0, columns.1
            ),
            ImportError::TooManyRows { limit } => write!(
                f,
                "the file has more than {limit} rows: split it into several files"
            ),
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ImportError {
    fn from(e: std::io::Error) -> Self {
        ImportError::Io(e)
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row that cannot be imported, and why. The import goes on with the next row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRefusal {
    /// The row's 1-based line number as Excel or a text editor shows it (the header is
    /// usually line 1; a quoted cell spanning lines makes the next record start later).
    pub line: u64,
    /// The header of the column at fault, when one column is.
    pub column: Option<String>,
    /// What is wrong, for a person.
    pub reason: String,
}

impl fmt::Display for RowRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(
                f,
                "line {}, column \"{column}\": {}",
                self.line, self.reason
            ),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// A 0-based column index as spreadsheet letters: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn refusals_say_line_column_and_reason() {
        let refusal = RowRefusal {
            line: 7,
            column: Some("Email".into()),
            reason: "is empty".into(),
        };
        assert_eq!(refusal.to_string(), "line 7, column \"Email\": is empty");
        let whole_row = RowRefusal {
            column: None,
            ..refusal
        };
        assert_eq!(whole_row.to_string(), "line 7: is empty");
    }

    #[test]
    fn messages_name_what_to_fix() {
        let e = ImportError::SheetNotFound {
            name: "Ventes".into(),
            available: vec!["Événements".into(), "Notes".into()],
        };
        assert_eq!(
            e.to_string(),
            "the workbook has no sheet named \"Ventes\"; its sheets are: \"Événements\", \"Notes\""
        );
        assert_eq!(
            ImportError::UnsupportedExtension("pdf".into()).to_string(),
            ".pdf files cannot be imported: import a .csv, .xlsx or .xls file"
        );
    }
}
