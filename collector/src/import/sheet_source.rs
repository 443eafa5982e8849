//! Workbooks: `.xlsx` read as a stream of cells, `.xls` read whole.
//!
//! **xlsx.** calamine's `Xlsx::worksheet_cells_reader` inflates the sheet's XML from the zip
//! and parses it as it goes, a cell at a time, so a sheet is never held in memory. What it
//! does hold, from `Xlsx::new` on, is the workbook's shared-strings table (every distinct text
//! of the workbook, the way Excel stores text): that grows with the number of *distinct* texts,
//! not with rows × columns, and is the part of an xlsx import's memory that depends on the file.
//!
//! The cells reader borrows the workbook, so the two cannot live in one struct without unsafe
//! code (which the crate forbids). A thread owns both and sends rows in batches over a bounded
//! channel: at most `CHANNEL_BATCHES × BATCH_ROWS` rows wait in memory, the thread blocks when
//! the reader is behind, and it stops at its next send once the reader is dropped.
//!
//! **xls.** BIFF8 caps a sheet at 65,536 rows × 256 columns, so reading it as calamine's
//! `Range` is bounded, and calamine has no streaming reader for it anyway.
//!
//! Both: the header is the first row with a non-blank cell, and its first and last non-blank
//! cells fix the table's columns. Line numbers are the sheet's row numbers as Excel shows them,
//! so a blank row or a table starting at row 3 does not shift them.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use calamine::{Data, DataRef, Reader, Xls, XlsError, Xlsx, XlsxError};

use super::error::{column_letters, ImportError, RowRefusal};
use super::headers::settle_headers;
use super::source::Row;
use super::Cell;

/// Rows per message from the xlsx thread.
const BATCH_ROWS: usize = 256;
/// Messages the channel holds before the xlsx thread waits.
const CHANNEL_BATCHES: usize = 4;
/// Days from the 1904 date system's day 0 (1904-01-01) to the 1900 system's.
const DAYS_1900_TO_1904: f64 = 1462.0;

type Item = Result<Row, RowRefusal>;

enum Message {
    Opened {
        header: Vec<String>,
        sheets: Vec<String>,
        sheet: String,
    },
    Rows(Vec<Item>),
    Failed(ImportError),
}

/// The rows of an xlsx sheet, read by a thread.
pub(super) struct XlsxRows {
    receiver: Option<Receiver<Message>>,
    thread: Option<JoinHandle<()>>,
    pending: VecDeque<Item>,
}

/// What opening a workbook learnt.
pub(super) struct Opened {
    pub header: Vec<String>,
    pub sheets: Vec<String>,
    pub sheet: String,
}

/// Opens an xlsx file and reads up to its header. `position` follows the file offset the
/// reading has reached.
pub(super) fn open_xlsx(
    path: &Path,
    sheet: Option<&str>,
    position: Arc<AtomicU64>,
) -> Result<(XlsxRows, Opened), ImportError> {
    super::workbook_guard::check_xlsx(path)?;
    let file = File::open(path)?;
    let (sender, receiver) = sync_channel(CHANNEL_BATCHES);
    let sheet = sheet.map(str::to_owned);
    let thread = std::thread::Builder::new()
        .name("import-xlsx".into())
        .spawn(move || {
            let tracked = Tracked {
                inner: file,
                position,
            };
            if let Err(e) = stream_xlsx(tracked, sheet.as_deref(), &sender) {
                let _ = sender.send(Message::Failed(e));
            }
        })?;
    let rows = XlsxRows {
        receiver: Some(receiver),
        thread: Some(thread),
        pending: VecDeque::new(),
    };
    match rows.receiver.as_ref().and_then(|r| r.recv().ok()) {
        Some(Message::Opened {
            header,
            sheets,
            sheet,
        }) => Ok((
            rows,
            Opened {
                header,
                sheets,
                sheet,
            },
        )),
        Some(Message::Failed(e)) => Err(e),
        Some(Message::Rows(_)) | None => Err(ImportError::Empty),
    }
}

impl XlsxRows {
    pub(super) fn next_row(&mut self) -> Option<Result<Item, ImportError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            match self.receiver.as_ref()?.recv() {
                Ok(Message::Rows(batch)) => self.pending.extend(batch),
                Ok(Message::Failed(e)) => return Some(Err(e)),
                Ok(Message::Opened { .. }) => {}
                Err(_) => return self.stopped().map(Err),
            }
        }
    }

    /// Once the channel is closed: whether the thread ended by a panic (calamine meeting
    /// bytes it did not expect), which must not pass for the end of the sheet.
    fn stopped(&mut self) -> Option<ImportError> {
        let thread = self.thread.take()?;
        thread.join().is_err().then(|| ImportError::Corrupt {
            kind: "xlsx",
            detail: "the reader stopped on unexpected content".into(),
        })
    }
}

impl Drop for XlsxRows {
    fn drop(&mut self) {
        // Dropping the receiver fails the thread's next send, which ends it.
        self.receiver = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn stream_xlsx(
    file: Tracked<File>,
    sheet: Option<&str>,
    sender: &SyncSender<Message>,
) -> Result<(), ImportError> {
    let mut workbook: Xlsx<_> = Xlsx::new(BufReader::new(file)).map_err(xlsx_error)?;
    let sheets = workbook.sheet_names();
    let name = choose_sheet(&sheets, sheet)?;
    let shift = if workbook.has_1904_epoch() {
        DAYS_1900_TO_1904
    } else {
        0.0
    };
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(xlsx_error)?;
    let mut table = Table::default();
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let mut opened = Some((sheets, name));
    let mut send = |table: &Table, item: Option<Item>, last: bool, batch: &mut Vec<Item>| {
        if let (Some(header), Some((sheets, sheet))) = (&table.header, opened.take()) {
            let header = header.names.clone();
            if sender
                .send(Message::Opened {
                    header,
                    sheets,
                    sheet,
                })
                .is_err()
            {
                return false;
            }
        }
        batch.extend(item);
        if batch.len() == BATCH_ROWS || (last && !batch.is_empty()) {
            let full = std::mem::replace(batch, Vec::with_capacity(BATCH_ROWS));
            return sender.send(Message::Rows(full)).is_ok();
        }
        true
    };
    while let Some(cell) = cells.next_cell().map_err(xlsx_error)? {
        let (row, column) = cell.get_position();
        let value = from_data_ref(cell.get_value(), shift);
        if let Some(item) = table.push(row, column, value)? {
            if !send(&table, Some(item), false, &mut batch) {
                return Ok(());
            }
        }
    }
    let item = table.finish()?;
    if table.header.is_none() {
        return Err(ImportError::Empty);
    }
    send(&table, item, true, &mut batch);
    Ok(())
}

/// The sheet asked for (exactly, else ignoring case), or the first.
fn choose_sheet(sheets: &[String], wanted: Option<&str>) -> Result<String, ImportError> {
    let found = match wanted {
        None => sheets.first(),
        Some(wanted) => sheets.iter().find(|s| *s == wanted).or_else(|| {
            sheets
                .iter()
                .find(|s| s.to_lowercase() == wanted.to_lowercase())
        }),
    };
    found.cloned().ok_or_else(|| match wanted {
        Some(name) => ImportError::SheetNotFound {
            name: name.to_owned(),
            available: sheets.to_vec(),
        },
        None => ImportError::Empty,
    })
}

fn xlsx_error(e: XlsxError) -> ImportError {
    match e {
        XlsxError::Password => ImportError::PasswordProtected,
        XlsxError::Io(e) => ImportError::Io(e),
        other => ImportError::Corrupt {
            kind: "xlsx",
            detail: other.to_string(),
        },
    }
}

fn xls_error(e: XlsError) -> ImportError {
    match e {
        XlsError::Password => ImportError::PasswordProtected,
        XlsError::Io(e) => ImportError::Io(e),
        other => ImportError::Corrupt {
            kind: "xls",
            detail: other.to_string(),
        },
    }
}

fn from_data_ref(value: &DataRef<'_>, shift: f64) -> Cell {
    match value {
        DataRef::SharedString(s) => text(s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => text(s),
        DataRef::Int(n) => Cell::Int(*n),
        DataRef::Float(x) => Cell::Float(*x),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) if d.is_datetime() => Cell::ExcelDate(d.as_f64() + shift),
        DataRef::DateTime(d) => Cell::Float(d.as_f64()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

fn from_data(value: &Data, shift: f64) -> Cell {
    match value {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => text(s),
        Data::Int(n) => Cell::Int(*n),
        Data::Float(x) => Cell::Float(*x),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) if d.is_datetime() => Cell::ExcelDate(d.as_f64() + shift),
        Data::DateTime(d) => Cell::Float(d.as_f64()),
        Data::Error(e) => Cell::Error(e.to_string()),
        Data::Empty => Cell::Empty,
    }
}

fn text(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_owned())
    }
}

/// The rows of an xls sheet, from the range calamine read.
pub(super) struct XlsRows {
    range: calamine::Range<Data>,
    shift: f64,
    table: Table,
    next: usize,
    position: Arc<AtomicU64>,
    total_bytes: u64,
    ended: bool,
}

/// Opens an xls file and reads up to its header. `position` gets the share of the file's
/// bytes that matches the share of rows read (calamine reads the whole file up front).
pub(super) fn open_xls(
    path: &Path,
    sheet: Option<&str>,
    position: Arc<AtomicU64>,
) -> Result<(XlsRows, Opened), ImportError> {
    super::workbook_guard::check_xls(path)?;
    let file = File::open(path)?;
    let total_bytes = file.metadata()?.len();
    // All of calamine's xls parsing happens here; a panic on bytes it did not expect (found
    // by `damaged_copies_of_every_fixture…`) is a damaged file, not a crash.
    let read = std::panic::catch_unwind(move || {
        let mut workbook: Xls<_> = Xls::new(BufReader::new(file)).map_err(xls_error)?;
        let sheets = workbook.sheet_names();
        let name = choose_sheet(&sheets, sheet)?;
        let shift = if workbook.has_1904_epoch() {
            DAYS_1900_TO_1904
        } else {
            0.0
        };
        let range = workbook.worksheet_range(&name).map_err(xls_error)?;
        Ok((sheets, name, shift, range))
    });
    let (sheets, name, shift, range) = read.unwrap_or_else(|_| {
        Err(ImportError::Corrupt {
            kind: "xls",
            detail: "the reader stopped on unexpected content".into(),
        })
    })?;
    let mut rows = XlsRows {
        range,
        shift,
        table: Table::default(),
        next: 0,
        position,
        total_bytes,
        ended: false,
    };
    // Reading up to the header reads the row after it too: it waits to be handed out.
    let mut first = VecDeque::new();
    while rows.table.header.is_none() {
        match rows.next_item()? {
            Some(item) => first.push_back(item),
            None => break,
        }
    }
    let header = match &rows.table.header {
        Some(header) => header.names.clone(),
        None => return Err(ImportError::Empty),
    };
    rows.table.waiting = first;
    Ok((
        rows,
        Opened {
            header,
            sheets,
            sheet: name,
        },
    ))
}

impl XlsRows {
    pub(super) fn next_row(&mut self) -> Option<Result<Item, ImportError>> {
        if let Some(item) = self.table.waiting.pop_front() {
            return Some(Ok(item));
        }
        self.next_item().transpose()
    }

    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        let (height, width) = self.range.get_size();
        let (top, left) = self.range.start().unwrap_or((0, 0));
        while self.next < height {
            let r = self.next;
            self.next += 1;
            let done = self.total_bytes * self.next as u64 / height as u64;
            self.position.store(done, Ordering::Relaxed);
            let mut item = None;
            for c in 0..width {
                let Some(value) = self.range.get((r, c)) else {
                    continue;
                };
                let cell = from_data(value, self.shift);
                if cell != Cell::Empty {
                    if let Some(finished) =
                        self.table.push(top + r as u32, left + c as u32, cell)?
                    {
                        item = Some(finished);
                    }
                }
            }
            if item.is_some() {
                return Ok(item);
            }
        }
        if self.ended {
            return Ok(None);
        }
        self.ended = true;
        self.table.finish()
    }
}

/// Turns cells, in row order, into the header and then rows.
#[derive(Default)]
struct Table {
    header: Option<Header>,
    row: Option<u32>,
    cells: Vec<(u32, Cell)>,
    /// Rows read while looking for the header, not yet handed out (xls).
    waiting: VecDeque<Item>,
}

struct Header {
    names: Vec<String>,
    first_column: u32,
}

impl Table {
    /// Adds a cell; when it starts a new row, the previous row is finished and returned (or
    /// becomes the header).
    fn push(&mut self, row: u32, column: u32, cell: Cell) -> Result<Option<Item>, ImportError> {
        let finished = if self.row.is_some_and(|r| r != row) {
            self.finish()?
        } else {
            None
        };
        self.row = Some(row);
        if !cell.is_blank() {
            self.cells.push((column, cell));
        }
        Ok(finished)
    }

    /// Finishes the row being read.
    fn finish(&mut self) -> Result<Option<Item>, ImportError> {
        let Some(row) = self.row.take() else {
            return Ok(None);
        };
        let cells = std::mem::take(&mut self.cells);
        if cells.is_empty() {
            return Ok(None);
        }
        let line = u64::from(row) + 1;
        let Some(header) = &self.header else {
            let first_column = cells.iter().map(|(c, _)| *c).min().unwrap_or(0);
            let last = cells.iter().map(|(c, _)| *c).max().unwrap_or(0);
            let mut names = vec![String::new(); (last - first_column + 1) as usize];
            for (column, cell) in cells {
                names[(column - first_column) as usize] = cell.as_text().into_owned();
            }
            let names = settle_headers(names, first_column as usize)?;
            self.header = Some(Header {
                names,
                first_column,
            });
            return Ok(None);
        };
        let width = header.names.len();
        let mut values = vec![Cell::Empty; width];
        for (column, cell) in cells {
            let index = column.checked_sub(header.first_column).map(|i| i as usize);
            match index.filter(|&i| i < width) {
                Some(i) => values[i] = cell,
                None => {
                    return Ok(Some(Err(RowRefusal {
                        line,
                        column: None,
                        reason: format!(
                            "has a value in column {}, outside the columns the header names",
                            column_letters(column as usize)
                        ),
                    })))
                }
            }
        }
        Ok(Some(Ok(Row {
            line,
            cells: values,
        })))
    }
}

/// A file that publishes how far into it reading has got.
struct Tracked<R> {
    inner: R,
    position: Arc<AtomicU64>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Tracked<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(to)?;
        self.position.store(at, Ordering::Relaxed);
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_cell(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn a_table_may_start_anywhere_and_keeps_excels_row_numbers() {
        let mut table = Table::default();
        // Row 3 (0-based 2), columns B and C: the header.
        assert_eq!(table.push(2, 1, text_cell("Email")).unwrap(), None);
        assert_eq!(table.push(2, 2, text_cell("Date")).unwrap(), None);
        // Row 5: a value in C only.
        assert_eq!(table.push(4, 2, Cell::Float(1.0)).unwrap(), None);
        let row5 = table.push(5, 1, text_cell("a@b.c")).unwrap();
        assert_eq!(
            row5,
            Some(Ok(Row {
                line: 5,
                cells: vec![Cell::Empty, Cell::Float(1.0)]
            }))
        );
        assert_eq!(table.header.as_ref().unwrap().names, ["Email", "Date"]);
        // Row 7: a value in D, which has no header.
        let row6 = table.push(6, 3, text_cell("stray")).unwrap();
        assert_eq!(
            row6,
            Some(Ok(Row {
                line: 6,
                cells: vec![text_cell("a@b.c"), Cell::Empty]
            }))
        );
        assert_eq!(
            table.push(7, 1, Cell::Empty).unwrap(),
            Some(Err(RowRefusal {
                line: 7,
                column: None,
                reason: "has a value in column D, outside the columns the header names".into()
            }))
        );
        // Row 8 held only an empty cell: no row.
        assert_eq!(table.finish().unwrap(), None);
    }

    #[test]
    fn blank_header_cells_are_named_by_their_sheet_column() {
        let mut table = Table::default();
        table.push(0, 1, text_cell("Email")).unwrap();
        table.push(0, 3, text_cell("Date")).unwrap();
        table.finish().unwrap();
        assert_eq!(table.header.unwrap().names, ["Email", "Column C", "Date"]);
    }

    #[test]
    fn sheets_are_chosen_by_name_or_first() {
        let sheets = vec!["Événements".to_owned(), "Notes".to_owned()];
        assert_eq!(choose_sheet(&sheets, None).unwrap(), "Événements");
        assert_eq!(choose_sheet(&sheets, Some("notes")).unwrap(), "Notes");
        assert!(matches!(
            choose_sheet(&sheets, Some("Ventes")),
            Err(ImportError::SheetNotFound { .. })
        ));
    }
}
