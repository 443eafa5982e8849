//! Delimited text, read as a stream: the encoding and the delimiter are guessed from the first
//! 64 KiB, then the `csv` crate reads records one at a time through a streaming decoder, so
//! memory holds one record and a few buffers whatever the file's size.
//!
//! Encodings: a byte-order mark decides (UTF-8, or UTF-16LE as Excel's "Unicode text" writes
//! it, or UTF-16BE); without one, text that is valid UTF-8 is UTF-8, and anything else is
//! Windows-1252, which is what Excel's plain "CSV" writes on a Western-European Windows (é, ø
//! and æ arrive intact instead of as replacement characters).
//!
//! Delimiters: `,`, `;` (Excel's CSV where the decimal separator is a comma, as in French and
//! Danish) or tab ("Unicode text"). The header row fixes how many columns there are, so the
//! chosen delimiter is the one that, outside quotes, splits the most of the first records into
//! as many cells as it splits the header.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::error::{ImportError, RowRefusal};
use super::headers::settle_headers;
use super::source::Row;
use super::Cell;

/// Decoded text looked at to guess the delimiter.
const SAMPLE_LEN: usize = 64 * 1024;
/// Records looked at to guess the delimiter.
const SAMPLE_RECORDS: usize = 50;
/// The delimiters there can be, in the order ties are broken: tabs and semicolons are rarer
/// inside text cells than commas.
const DELIMITERS: [u8; 3] = [b'\t', b';', b','];

/// What was guessed about a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    /// The text encoding (`UTF-8`, `UTF-16LE`, `UTF-16BE`, `windows-1252`).
    pub encoding: &'static str,
    /// `,`, `;` or `\t`.
    pub delimiter: u8,
}

/// The records of an opened CSV file after its header.
pub(super) struct CsvRows {
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: csv::StringRecord,
    width: usize,
    delimiter: u8,
    cr_only: bool,
}

/// A record's fields, without the `\r` a Windows line end leaves on the last one.
fn fields(record: &csv::StringRecord) -> impl Iterator<Item = &str> {
    let last = record.len().saturating_sub(1);
    record.iter().enumerate().map(move |(i, f)| {
        if i == last {
            f.strip_suffix('\r').unwrap_or(f)
        } else {
            f
        }
    })
}

/// Opens `path`, guesses its encoding and delimiter, and reads the header row (the first
/// record with a non-blank cell). `consumed` counts the file's bytes read so far.
pub(super) fn open(
    path: &Path,
    consumed: Arc<AtomicU64>,
) -> Result<(CsvRows, Vec<String>, CsvFormat), ImportError> {
    let mut file = Counted {
        inner: File::open(path)?,
        count: consumed.clone(),
    };
    let mut raw = Vec::with_capacity(4096);
    (&mut file).take(4096).read_to_end(&mut raw)?;
    let encoding = detect_encoding(&raw);
    let file = Cursor::new(raw).chain(file);
    let mut decoded = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(file);
    let mut sample = Vec::with_capacity(SAMPLE_LEN);
    (&mut decoded)
        .take(SAMPLE_LEN as u64)
        .read_to_end(&mut sample)?;
    let complete = sample.len() < SAMPLE_LEN;
    let text = match std::str::from_utf8(&sample) {
        Ok(text) => text,
        // The sample may end inside a character.
        Err(e) => std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or_default(),
    };
    let delimiter = detect_delimiter(text, complete);
    // Records end at `\n` only, and the `\r` of a Windows line end is cut from the last
    // field: with `csv`'s CRLF terminator a record's line is counted before the `\n` ending
    // the previous one is consumed. And since `csv` skips blank lines after it has noted where
    // a record starts, a record's line is worked out from where it ends (see `next_row`); the
    // `\n` added at the end of the stream gives the last record an end too. Old Mac files end
    // lines with `\r` alone; their lines are counted as records.
    let cr_only = sample.contains(&b'\r') && !sample.contains(&b'\n');
    let stream: Box<dyn Read + Send> =
        Box::new(Cursor::new(sample).chain(decoded).chain(Cursor::new(b"\n")));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .terminator(if cr_only {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .has_headers(false)
        .flexible(true)
        .from_reader(stream);
    let mut record = csv::StringRecord::new();
    let header = loop {
        if !reader.read_record(&mut record).map_err(csv_error)? {
            return Err(ImportError::Empty);
        }
        if record.iter().any(|f| !f.trim().is_empty()) {
            break fields(&record).map(str::to_owned).collect::<Vec<_>>();
        }
    };
    let width = header
        .iter()
        .rposition(|h| !h.trim().is_empty())
        .map_or(0, |i| i + 1);
    let header = settle_headers(header.into_iter().take(width).collect(), 0)?;
    let format = CsvFormat {
        encoding: encoding.name(),
        delimiter,
    };
    Ok((
        CsvRows {
            reader,
            record,
            width,
            delimiter,
            cr_only,
        },
        header,
        format,
    ))
}

impl CsvRows {
    /// The next data row, a refusal, `None` at the end, or a fatal read error.
    pub(super) fn next_row(&mut self) -> Option<Result<Result<Row, RowRefusal>, ImportError>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Err(e) => return Some(Err(csv_error(e))),
                Ok(false) => return None,
                Ok(true) => {}
            }
            let record = &self.record;
            if record.iter().all(|f| f.trim().is_empty()) {
                // Rows of nothing but delimiters, which Excel leaves after a table: not a row.
                continue;
            }
            let line = if self.cr_only {
                record.position().map_or(0, |at| at.record() + 1)
            } else {
                // The reader stands on the line after the record's last one.
                let inside = record.as_slice().bytes().filter(|&b| b == b'\n').count() as u64;
                self.reader.position().line().saturating_sub(1 + inside)
            };
            let filled = (0..record.len())
                .rposition(|i| !record[i].trim().is_empty())
                .map_or(0, |i| i + 1);
            if record.len() < self.width || filled > self.width {
                let found = if filled > self.width {
                    filled
                } else {
                    record.len()
                };
                return Some(Ok(Err(RowRefusal {
                    line,
                    column: None,
                    reason: self.ragged(found),
                })));
            }
            let cells = fields(record)
                .take(self.width)
                .map(|f| {
                    if f.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(f.to_owned())
                    }
                })
                .collect();
            return Some(Ok(Ok(Row { line, cells })));
        }
    }

    fn ragged(&self, found: usize) -> String {
        let delimiter = match self.delimiter {
            b'\t' => "tab".to_owned(),
            d => format!("\"{}\"", d as char),
        };
        if found < self.width {
            format!(
                "has {found} cells where the header has {}: a {delimiter} is missing, or a quote is not closed",
                self.width
            )
        } else {
            format!(
                "has {found} cells where the header has {}: a value contains a {delimiter} without quotes around it",
                self.width
            )
        }
    }
}

fn csv_error(e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => ImportError::Io(e),
        other => ImportError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

/// The encoding of a file starting with `prefix` (see the module doc).
pub fn detect_encoding(prefix: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(prefix) {
        return encoding;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => UTF_8,
        // Cut inside a character at the end of the prefix: still UTF-8.
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => WINDOWS_1252,
    }
}

/// The delimiter of CSV text starting with `sample` (`complete` when the sample is the whole
/// file, so its last line is a whole record): for each candidate, the number of the first
/// records (quotes respected) it splits into as many cells as it splits the first one; the
/// highest number wins, then the most cells, then the order of [`DELIMITERS`]. A comma when
/// no candidate occurs at all (a one-column file).
pub fn detect_delimiter(sample: &str, complete: bool) -> u8 {
    let mut records: Vec<[usize; 3]> = Vec::new();
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    let mut started = false;
    for byte in sample.bytes() {
        match byte {
            b'"' => {
                in_quotes = !in_quotes;
                started = true;
            }
            _ if in_quotes => {}
            b'\n' => {
                if started {
                    records.push(counts);
                    if records.len() == SAMPLE_RECORDS {
                        break;
                    }
                }
                counts = [0; 3];
                started = false;
            }
            b'\r' => {}
            _ => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == byte) {
                    counts[i] += 1;
                }
                started = true;
            }
        }
    }
    // The last line is a whole record only if the sample is the whole file, or if it is the
    // only line there is.
    if started && records.len() < SAMPLE_RECORDS && (complete || records.is_empty()) {
        records.push(counts);
    }
    let Some(header) = records.first() else {
        return b',';
    };
    let mut best: Option<(usize, usize, u8)> = None;
    for (i, &delimiter) in DELIMITERS.iter().enumerate() {
        let cells = header[i];
        if cells == 0 {
            continue;
        }
        let agreeing = records.iter().filter(|r| r[i] == cells).count();
        if best.is_none_or(|(a, c, _)| (agreeing, cells) > (a, c)) {
            best = Some((agreeing, cells, delimiter));
        }
    }
    best.map_or(b',', |(_, _, d)| d)
}

/// A reader that counts the bytes read through it, for progress.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE};
    use proptest::prelude::*;

    #[test]
    fn encodings_come_from_the_bom_or_the_bytes() {
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFEmail"), UTF_8);
        assert_eq!(detect_encoding(b"\xFF\xFEE\x00"), UTF_16LE);
        assert_eq!(detect_encoding(b"\xFE\xFF\x00E"), UTF_16BE);
        assert_eq!(detect_encoding("Prénom".as_bytes()), UTF_8);
        assert_eq!(detect_encoding(&"Prénom".as_bytes()[..3]), UTF_8);
        assert_eq!(detect_encoding(b"Pr\xE9nom;Nom"), WINDOWS_1252);
    }

    #[test]
    fn delimiters_agree_with_the_header() {
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n", true), b';');
        assert_eq!(detect_delimiter("a,b,c\n1,\"2;5\",3\n", true), b',');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n", true), b'\t');
        // A comma inside every row's text, but the header has none.
        assert_eq!(
            detect_delimiter("Email;City\nx;Paris, France\ny;Lyon, France\n", true),
            b';'
        );
        // Header only, no line end.
        assert_eq!(detect_delimiter("Email;Date", false), b';');
        // One column.
        assert_eq!(detect_delimiter("Email\na@b.c\n", true), b',');
        assert_eq!(detect_delimiter("", true), b',');
        // A quoted line break does not end the record.
        assert_eq!(detect_delimiter("a;b\n\"x\ny,z\";2\n", true), b';');
    }

    /// Reads `bytes` as a CSV file: the format, the header, and each row's line and texts
    /// (or its refusal's line).
    /// The format, the header, and each row's line and cell texts.
    type Parsed = (CsvFormat, Vec<String>, Vec<(u64, Vec<String>)>);

    fn read(bytes: &[u8]) -> Parsed {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).unwrap();
        let (mut rows, header, format) = open(&path, Arc::default()).unwrap();
        let mut out = Vec::new();
        while let Some(item) = rows.next_row() {
            match item.unwrap() {
                Ok(row) => out.push((
                    row.line,
                    row.cells.iter().map(|c| c.as_text().into_owned()).collect(),
                )),
                Err(refusal) => out.push((refusal.line, vec!["refused".to_owned()])),
            }
        }
        (format, header, out)
    }

    fn texts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn windows_line_ends_and_blank_lines_keep_line_numbers() {
        let (_, header, rows) = read(b"Email,Date\r\n\r\na@x,1\r\n,\r\n\"b\r\n@x\",2\r\nc@x,3\r\n");
        assert_eq!(header, texts(&["Email", "Date"]));
        assert_eq!(
            rows,
            [
                (3, texts(&["a@x", "1"])),
                (5, texts(&["b\r\n@x", "2"])),
                (7, texts(&["c@x", "3"])),
            ]
        );
        let (_, _, rows) = read(b"Email,Date\na@x,1\n\n\nb@x,2");
        assert_eq!(rows, [(2, texts(&["a@x", "1"])), (5, texts(&["b@x", "2"]))]);
    }

    #[test]
    fn old_mac_line_ends_count_records() {
        let (_, header, rows) = read(b"Email;Date\ra@x;1\rb@x;2\r");
        assert_eq!(header, texts(&["Email", "Date"]));
        assert_eq!(rows, [(2, texts(&["a@x", "1"])), (3, texts(&["b@x", "2"]))]);
    }

    #[test]
    fn latin1_text_is_read_as_windows_1252() {
        let (format, header, rows) = read(b"Pr\xe9nom;E-mail\nJos\xe9;a@x\n");
        assert_eq!(
            format,
            CsvFormat {
                encoding: "windows-1252",
                delimiter: b';'
            }
        );
        assert_eq!(header, texts(&["Prénom", "E-mail"]));
        assert_eq!(rows, [(2, texts(&["José", "a@x"]))]);
    }

    #[test]
    fn trailing_empty_columns_are_not_ragged() {
        let (_, header, rows) = read(b"Email,Date,,\na@x,1,,\nb@x,2\nc@x\n,,,\nd@x,4,,x\n");
        assert_eq!(header, texts(&["Email", "Date"]));
        assert_eq!(
            rows,
            [
                (2, texts(&["a@x", "1"])),
                (3, texts(&["b@x", "2"])),
                (4, texts(&["refused"])),
                (6, texts(&["refused"])),
            ]
        );
    }

    #[test]
    fn blank_lines_before_the_header_are_skipped() {
        let (_, header, rows) = read(b"\n;;\nEmail;Date\na@x;1\n");
        assert_eq!(header, texts(&["Email", "Date"]));
        assert_eq!(rows, [(4, texts(&["a@x", "1"]))]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blank.csv");
        std::fs::write(&path, b"\n ; \n").unwrap();
        assert!(matches!(
            open(&path, Arc::default()),
            Err(ImportError::Empty)
        ));
    }

    fn write_table(table: &[Vec<String>], delimiter: u8, style: csv::QuoteStyle) -> String {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .quote_style(style)
            .from_writer(Vec::new());
        for row in table {
            writer.write_record(row).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    fn table(
        cell: impl Strategy<Value = String> + Clone,
    ) -> impl Strategy<Value = Vec<Vec<String>>> {
        (2usize..8, 1usize..30).prop_flat_map(move |(columns, rows)| {
            prop::collection::vec(prop::collection::vec(cell.clone(), columns), rows + 1)
        })
    }

    proptest! {
        /// Cells of words, numbers, quotes and line breaks, quoted where a writer must quote:
        /// whatever the delimiter, it is found again.
        #[test]
        fn a_table_written_with_any_delimiter_is_read_with_it(
            table in table("[a-zA-Z0-9 @.:/\"\n-]{0,12}"),
            delimiter in prop::sample::select(DELIMITERS.to_vec()),
        ) {
            let text = write_table(&table, delimiter, csv::QuoteStyle::Necessary);
            prop_assert_eq!(detect_delimiter(&text, true) as char, delimiter as char);
        }

        /// Any text, the other delimiters included, quoted (as LibreOffice's "quote all text
        /// cells" writes), beside bare numbers.
        #[test]
        fn quoted_text_hides_the_other_delimiters(
            table in table("[0-9]{1,4}|[a-z ,;\t\"\n]{0,10}"),
            delimiter in prop::sample::select(DELIMITERS.to_vec()),
        ) {
            let text = write_table(&table, delimiter, csv::QuoteStyle::NonNumeric);
            prop_assert_eq!(detect_delimiter(&text, true) as char, delimiter as char);
        }
    }
}
