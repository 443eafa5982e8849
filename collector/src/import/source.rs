//! One way to read any supported file: open it, look at its header (and sheets), then iterate
//! its rows. The CSV and workbook readers differ in everything but this shape, so the import
//! job, the mapping screen and the CLI do not care which one they hold.
//!
//! Iteration yields each data row, or the reason it cannot be read (a ragged CSV row, a value
//! outside the header's columns), with the line number a person sees in Excel or a text
//! editor; a refused row never ends the iteration. What does end it early is a problem with
//! the file itself met half-way (a read error, a damaged zip entry, more than [`MAX_ROWS`]
//! rows): iteration then stops and [`RowSource::finish`] returns that error, so a caller
//! ends with `source.finish()?` to know whether every row was seen.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::csv_source::{self, CsvFormat, CsvRows};
use super::error::{ImportError, RowRefusal};
use super::sheet_source::{self, XlsRows, XlsxRows};
use super::sniff::{sniff, FileKind};
use super::Cell;

/// Most data rows one import reads (SPEC §6 "at most 1 million rows").
pub const MAX_ROWS: u64 = 1_000_000;

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line (CSV) or row (workbook) number, as a person finds it in the file.
    pub line: u64,
    /// One cell per header column, in the header's order.
    pub cells: Vec<Cell>,
}

/// An open file: its header, then its rows as an iterator.
pub struct RowSource {
    kind: FileKind,
    header: Vec<String>,
    sheets: Vec<String>,
    sheet: Option<String>,
    csv_format: Option<CsvFormat>,
    rows: Rows,
    progress: Arc<AtomicU64>,
    total_bytes: u64,
    read: u64,
    failure: Option<ImportError>,
    ended: bool,
}

enum Rows {
    Csv(CsvRows),
    Xlsx(XlsxRows),
    Xls(XlsRows),
}

impl RowSource {
    /// Opens `path` as the kind its name and content agree on ([`sniff`]); see [`Self::open`].
    pub fn open_path(path: &Path, sheet: Option<&str>) -> Result<RowSource, ImportError> {
        let kind = sniff(path)?;
        RowSource::open(path, kind, sheet)
    }

    /// Opens `path` as `kind` and reads up to its header. `sheet` chooses a workbook's sheet by
    /// name (exact, else ignoring case); `None` reads the first. A CSV has no sheets and
    /// ignores it.
    pub fn open(
        path: &Path,
        kind: FileKind,
        sheet: Option<&str>,
    ) -> Result<RowSource, ImportError> {
        let total_bytes = std::fs::metadata(path)?.len();
        if total_bytes == 0 {
            return Err(ImportError::Empty);
        }
        let progress = Arc::new(AtomicU64::new(0));
        let (rows, header, sheets, sheet, csv_format) = match kind {
            FileKind::Csv => {
                let (rows, header, format) = csv_source::open(path, progress.clone())?;
                (Rows::Csv(rows), header, Vec::new(), None, Some(format))
            }
            FileKind::Xlsx => {
                let (rows, opened) = sheet_source::open_xlsx(path, sheet, progress.clone())?;
                (
                    Rows::Xlsx(rows),
                    opened.header,
                    opened.sheets,
                    Some(opened.sheet),
                    None,
                )
            }
            FileKind::Xls => {
                let (rows, opened) = sheet_source::open_xls(path, sheet, progress.clone())?;
                (
                    Rows::Xls(rows),
                    opened.header,
                    opened.sheets,
                    Some(opened.sheet),
                    None,
                )
            }
        };
        Ok(RowSource {
            kind,
            header,
            sheets,
            sheet,
            csv_format,
            rows,
            progress,
            total_bytes,
            read: 0,
            failure: None,
            ended: false,
        })
    }

    /// The file's kind.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// The header row: one name per column, trimmed, blank ones named `Column C`, no two alike.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// A workbook's sheets, in order; empty for a CSV.
    pub fn sheets(&self) -> &[String] {
        &self.sheets
    }

    /// The sheet being read; `None` for a CSV.
    pub fn sheet(&self) -> Option<&str> {
        self.sheet.as_deref()
    }

    /// The encoding and delimiter a CSV was read with; `None` for a workbook.
    pub fn csv_format(&self) -> Option<CsvFormat> {
        self.csv_format
    }

    /// How far through the file reading has got, in bytes of the file, for a progress bar
    /// (`bytes_read() / total_bytes()`); [`Self::total_bytes`] once the rows are over. CSV: the
    /// bytes read from the file, which run ahead of the rows handed out by the reader's
    /// buffers (64 KiB at the start, then 8 KiB). xlsx: the file offset the unzipping has
    /// reached, which runs through the sheet's compressed bytes as rows are read (the shared
    /// strings, read on opening, come before it; a big sheet is most of the file). xls: the
    /// share of the file matching the share of the sheet's rows read.
    pub fn bytes_read(&self) -> u64 {
        if self.ended {
            return self.total_bytes;
        }
        self.progress.load(Ordering::Relaxed).min(self.total_bytes)
    }

    /// The file's size in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Data rows and refusals handed out so far.
    pub fn rows_read(&self) -> u64 {
        self.read
    }

    /// Ends reading: `Ok` with the number of rows (refused ones included) when every row was
    /// read, else the problem that stopped it.
    pub fn finish(mut self) -> Result<u64, ImportError> {
        match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(self.read),
        }
    }
}

impl Iterator for RowSource {
    type Item = Result<Row, RowRefusal>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let next = match &mut self.rows {
            Rows::Csv(rows) => rows.next_row(),
            Rows::Xlsx(rows) => rows.next_row(),
            Rows::Xls(rows) => rows.next_row(),
        };
        match next {
            Some(Ok(_)) if self.read == MAX_ROWS => {
                self.failure = Some(ImportError::TooManyRows { limit: MAX_ROWS });
            }
            Some(Ok(item)) => {
                self.read += 1;
                return Some(item);
            }
            Some(Err(e)) => self.failure = Some(e),
            None => {}
        }
        self.ended = true;
        None
    }
}
