//! What calamine would take on trust from a workbook, checked before it runs.
//!
//! calamine sizes memory from numbers written in the file, and a Rust allocation that fails
//! aborts the process: no `catch_unwind` can turn it into an error. An upload must not be able
//! to stop the collector, so those numbers are read here first. Found by
//! `fixture_tests::damaged_copies_of_every_fixture…`.
//!
//! **xlsx.** Opening reserves room for as many shared strings as `<sst uniqueCount="…">`
//! says. A count past [`MAX_SHARED_STRINGS`] is refused.
//!
//! **xls.** An `.xls` is an OLE compound file (CFB) holding a BIFF8 `Workbook` stream. calamine sizes
//! memory from numbers in that file: it reserves room for every cell a sheet's DIMENSIONS
//! record claims (a damaged 5 KB file claimed 2.9 billion cells, 116 GB: an allocation failure
//! aborts the process, no `catch_unwind` can stop it), and it follows a stream's sector chain
//! until the size the directory declares, however that chain loops. So before calamine reads a
//! byte: the container must parse with the `cfb` crate, no stream may declare more bytes than
//! the file has, and no DIMENSIONS record may claim more than BIFF8's 65,536 rows × 256
//! columns.
//!
//! The same parser answers whether a compound file is an encrypted `.xlsx` (an
//! `EncryptedPackage` stream), without calamine's own CFB parser, which panics on some damage.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::error::ImportError;

/// Most distinct texts a workbook may declare: 20 for each row an import may read, far
/// beyond real files (an import's columns are mostly numbers, dates, and emails repeated per
/// contact), and a reservation of under half a GiB of address space.
pub const MAX_SHARED_STRINGS: u64 = 20 * super::MAX_ROWS;

/// Refuses an `.xlsx` whose shared-strings count would make calamine reserve beyond
/// [`MAX_SHARED_STRINGS`]. What is not a readable zip is left to calamine, which reports it.
pub(super) fn check_xlsx(path: &Path) -> Result<(), ImportError> {
    let Ok(mut zip) = zip::ZipArchive::new(File::open(path)?) else {
        return Ok(());
    };
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
        .map(|n| n.into_owned())
        .collect();
    for name in names {
        let mut start = Vec::with_capacity(4096);
        if let Ok(entry) = zip.by_name(&name) {
            // The <sst> element opens the part; its attributes are within the first KB.
            let _ = entry.take(4096).read_to_end(&mut start);
        }
        if let Some(count) = unique_count(&start) {
            if count > MAX_SHARED_STRINGS {
                return Err(ImportError::Corrupt {
                    kind: "xlsx",
                    detail: format!(
                        "it declares {count} distinct texts, more than an import can read"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The `uniqueCount` attribute of the `<sst …>` start tag in `xml`'s first bytes.
fn unique_count(xml: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(xml);
    let tag = &text[text.find("<sst")?..];
    let tag = &tag[..tag.find('>')?];
    let value = tag.split("uniqueCount=").nth(1)?;
    let value = value.trim_start_matches(['"', '\'']);
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    // More digits than u64 holds is more than any limit.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// BIFF8's largest sheet.
const MAX_ROWS: u64 = 65_536;
const MAX_COLUMNS: u64 = 256;
/// BIFF record type of DIMENSIONS (MS-XLS 2.4.90).
const DIMENSIONS: u16 = 0x0200;

fn corrupt(detail: &str) -> ImportError {
    ImportError::Corrupt {
        kind: "xls",
        detail: detail.to_owned(),
    }
}

/// Refuses an `.xls` whose numbers would make calamine allocate beyond the file's size.
pub(super) fn check_xls(path: &Path) -> Result<(), ImportError> {
    let file_len = std::fs::metadata(path)?.len();
    let mut container = cfb::CompoundFile::open(File::open(path)?)
        .map_err(|e| corrupt(&format!("not a valid compound file: {e}")))?;
    let mut workbook = None;
    for entry in container.walk() {
        if entry.is_stream() && entry.len() > file_len {
            return Err(corrupt("a stream is larger than the file"));
        }
        if entry.is_stream() && matches!(entry.name(), "Workbook" | "Book") && workbook.is_none() {
            workbook = Some(entry.path().to_owned());
        }
    }
    let workbook = workbook.ok_or_else(|| corrupt("no workbook stream"))?;
    let mut stream = Vec::new();
    container
        .open_stream(&workbook)
        .and_then(|mut s| s.read_to_end(&mut stream))
        .map_err(|e| corrupt(&format!("the workbook stream cannot be read: {e}")))?;
    check_records(&stream)
}

/// Walks BIFF records (type u16, length u16, data) and checks every DIMENSIONS record.
fn check_records(stream: &[u8]) -> Result<(), ImportError> {
    let mut at = 0usize;
    while let Some(header) = stream.get(at..at + 4) {
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let data = stream.get(at + 4..at + 4 + len).unwrap_or(&[]);
        if kind == DIMENSIONS {
            let (rows, columns) = claimed_size(data);
            if rows > MAX_ROWS || columns > MAX_COLUMNS {
                return Err(corrupt(&format!(
                    "a sheet claims {rows} rows and {columns} columns, more than an .xls can hold"
                )));
            }
        }
        at += 4 + len;
    }
    Ok(())
}

/// Rows and columns a DIMENSIONS record claims, read as calamine reads it (BIFF8: first and
/// last+1 row as u32, columns as u16; BIFF5 all u16). Unknown lengths claim nothing: calamine
/// refuses them itself.
fn claimed_size(data: &[u8]) -> (u64, u64) {
    let u16_at = |i: usize| u64::from(u16::from_le_bytes([data[i], data[i + 1]]));
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes([
            data[i],
            data[i + 1],
            data[i + 2],
            data[i + 3],
        ]))
    };
    let (first_row, last_row, first_col, last_col) = match data.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        _ => return (0, 0),
    };
    (
        last_row.saturating_sub(first_row),
        last_col.saturating_sub(first_col),
    )
}

/// Whether `path` is a compound file holding an `EncryptedPackage` stream: an `.xlsx`
/// encrypted with a password.
pub(super) fn encrypted_package(path: &Path) -> bool {
    File::open(path)
        .ok()
        .and_then(|f| cfb::CompoundFile::open(f).ok())
        .is_some_and(|c| c.is_stream("EncryptedPackage"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut r = kind.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn dimensions(first_row: u32, last_row: u32, first_col: u16, last_col: u16) -> Vec<u8> {
        let mut d = first_row.to_le_bytes().to_vec();
        d.extend(last_row.to_le_bytes());
        d.extend(first_col.to_le_bytes());
        d.extend(last_col.to_le_bytes());
        d.extend([0, 0]);
        record(DIMENSIONS, &d)
    }

    #[test]
    fn shared_string_counts_are_read_from_the_sst_tag() {
        let xml = br#"<?xml version="1.0"?><sst xmlns="x" count="9" uniqueCount="3"><si>"#;
        assert_eq!(unique_count(xml), Some(3));
        assert_eq!(
            unique_count(b"<sst uniqueCount='99999999999999999999999'>"),
            Some(u64::MAX)
        );
        assert_eq!(unique_count(b"<sst count=\"2\">"), None);
        assert_eq!(unique_count(b"<other/>"), None);
    }

    #[test]
    fn a_sheet_claiming_more_than_biff8_holds_is_refused() {
        let mut stream = record(0x0809, &[0; 16]);
        stream.extend(dimensions(0, 65_536, 0, 256));
        assert!(check_records(&stream).is_ok());
        stream.extend(dimensions(0, 0xAD00_0000, 0, 4));
        assert_eq!(
            check_records(&stream).unwrap_err().to_string(),
            "the .xls file is damaged or incomplete (a sheet claims 2902458368 rows and 4 columns, \
             more than an .xls can hold): open it in Excel and save it again"
        );
        // A record cut short by the end of the stream is not read past it.
        assert!(check_records(&[0x00, 0x02, 0xFF, 0xFF, 1]).is_ok());
    }
}
