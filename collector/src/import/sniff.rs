//! Which reader a file needs, from its first bytes and its name together.
//!
//! Neither alone is enough: people rename files (an `.xlsx` saved as CSV keeps its name, a
//! screenshot gets dropped on the wrong field), and a reader fed the wrong bytes fails with
//! messages about zip headers or XML. So the content is recognised first (a zip container, an
//! OLE compound file, text, or a known non-spreadsheet format) and must agree with the
//! extension; when they disagree the error names both, which tells the user what to do.
//!
//! An OLE compound file (CFB) named `.xlsx` is what Excel writes when a workbook is encrypted
//! with a password: the real zip is inside, in an `EncryptedPackage` stream. Whether the
//! container's directory has one decides between "password" and "an old `.xls` named
//! `.xlsx`".

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::error::ImportError;

/// The readers there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Delimited text (`.csv`; also `.txt` as Excel names "Unicode text", and `.tsv`).
    Csv,
    /// An Office Open XML workbook (`.xlsx`, also `.xlsm`).
    Xlsx,
    /// An Excel 97–2003 (BIFF8) workbook (`.xls`).
    Xls,
}

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Zip,
    Cfb,
    Text,
    Other(&'static str),
}

const ZIP: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP: &[u8] = b"PK\x05\x06";
const CFB: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// How much of a file is looked at to tell text from binary.
const SNIFF_LEN: usize = 8192;

/// The kind of `path`, from its extension and content; the error names a mismatch, an empty
/// file, an encrypted workbook or a name that is no spreadsheet's.
pub fn sniff(path: &Path) -> Result<FileKind, ImportError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut prefix = Vec::with_capacity(SNIFF_LEN);
    File::open(path)?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut prefix)?;
    let verdict = classify(&prefix, &extension);
    let ole = verdict == Err(Verdict::CfbNamedXlsx) || verdict == Ok(FileKind::Xls);
    if ole && super::workbook_guard::encrypted_package(path) {
        return Err(ImportError::PasswordProtected);
    }
    verdict.map_err(|v| v.into_error(extension))
}

/// Why [`classify`] refuses, before the extension is put into the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Empty,
    Unsupported,
    Mismatch(&'static str),
    NotASpreadsheet(&'static str),
    /// An OLE file named `.xlsx`: encrypted, or an `.xls` misnamed ([`sniff`] looks).
    CfbNamedXlsx,
}

impl Verdict {
    fn into_error(self, extension: String) -> ImportError {
        match self {
            Verdict::Empty => ImportError::Empty,
            Verdict::Unsupported => ImportError::UnsupportedExtension(extension),
            Verdict::Mismatch(actual) => ImportError::Mismatch { extension, actual },
            Verdict::NotASpreadsheet(actual) => ImportError::NotASpreadsheet { extension, actual },
            Verdict::CfbNamedXlsx => ImportError::Mismatch {
                extension,
                actual: XLS,
            },
        }
    }
}

const XLSX: &str = "an Excel workbook (.xlsx)";
const XLS: &str = "an Excel 97-2003 workbook (.xls)";
const CSV: &str = "a text (CSV) file";

fn classify(prefix: &[u8], extension: &str) -> Result<FileKind, Verdict> {
    let wanted = match extension {
        "csv" | "txt" | "tsv" => FileKind::Csv,
        "xlsx" | "xlsm" => FileKind::Xlsx,
        "xls" => FileKind::Xls,
        _ => return Err(Verdict::Unsupported),
    };
    if prefix.is_empty() {
        return Err(Verdict::Empty);
    }
    let content = content(prefix);
    match (wanted, content) {
        (FileKind::Csv, Content::Text)
        | (FileKind::Xlsx, Content::Zip)
        | (FileKind::Xls, Content::Cfb) => Ok(wanted),
        (FileKind::Xlsx, Content::Cfb) => Err(Verdict::CfbNamedXlsx),
        (_, Content::Zip) => Err(Verdict::Mismatch(XLSX)),
        (_, Content::Cfb) => Err(Verdict::Mismatch(XLS)),
        (_, Content::Text) => Err(Verdict::Mismatch(CSV)),
        (_, Content::Other(what)) => Err(Verdict::NotASpreadsheet(what)),
    }
}

fn content(prefix: &[u8]) -> Content {
    const KNOWN: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"PK\x07\x08", "a split zip archive"),
        (b"Rar!", "a RAR archive"),
        (b"7z\xBC\xAF", "a 7-Zip archive"),
    ];
    if prefix.starts_with(ZIP) || prefix.starts_with(EMPTY_ZIP) {
        return Content::Zip;
    }
    if prefix.starts_with(CFB) {
        return Content::Cfb;
    }
    if let Some((_, what)) = KNOWN.iter().find(|(magic, _)| prefix.starts_with(magic)) {
        return Content::Other(what);
    }
    // UTF-16 text is half NUL bytes, and announces itself with a byte-order mark.
    if prefix.starts_with(b"\xFF\xFE") || prefix.starts_with(b"\xFE\xFF") {
        return Content::Text;
    }
    // Text in any 8-bit encoding has no NUL and few control characters besides tab and
    // line ends; binary formats have plenty.
    let controls = prefix
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if !prefix.contains(&0) && controls * 100 <= prefix.len() {
        Content::Text
    } else {
        Content::Other("a binary file of an unknown kind")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_extension_must_agree() {
        assert_eq!(classify(b"PK\x03\x04rest", "xlsx"), Ok(FileKind::Xlsx));
        assert_eq!(
            classify(b"PK\x03\x04rest", "XLSM".to_lowercase().as_str()),
            Ok(FileKind::Xlsx)
        );
        assert_eq!(classify(CFB, "xls"), Ok(FileKind::Xls));
        assert_eq!(classify(b"Email;Date\r\n", "csv"), Ok(FileKind::Csv));
        assert_eq!(classify(b"\xFF\xFEE\x00", "txt"), Ok(FileKind::Csv));
        assert_eq!(classify("Prénom,Nom".as_bytes(), "tsv"), Ok(FileKind::Csv));
        // Windows-1252 text is still text.
        assert_eq!(classify(b"Pr\xe9nom,Nom\n", "csv"), Ok(FileKind::Csv));
    }

    #[test]
    fn a_mismatch_names_the_content_and_the_extension() {
        let err = |prefix: &[u8], ext: &str| {
            classify(prefix, ext)
                .unwrap_err()
                .into_error(ext.into())
                .to_string()
        };
        assert_eq!(
            err(b"Email,Date\n", "xlsx"),
            "the file is named .xlsx but is a text (CSV) file: rename it or save it again in the right format"
        );
        assert_eq!(
            err(b"PK\x03\x04", "csv"),
            "the file is named .csv but is an Excel workbook (.xlsx): rename it or save it again in the right format"
        );
        assert_eq!(
            err(b"PK\x03\x04", "xls"),
            "the file is named .xls but is an Excel workbook (.xlsx): rename it or save it again in the right format"
        );
        assert_eq!(
            err(b"\x89PNG\r\n\x1a\n\0\0", "xlsx"),
            "the file is named .xlsx but is a PNG image, not a spreadsheet"
        );
        assert_eq!(
            err(b"\x00\x01\x02\x03binary", "csv"),
            "the file is named .csv but is a binary file of an unknown kind, not a spreadsheet"
        );
        assert_eq!(err(b"", "csv"), "the file is empty: it has no header row");
        assert_eq!(
            err(b"a", "ods"),
            ".ods files cannot be imported: import a .csv, .xlsx or .xls file"
        );
        assert_eq!(
            err(b"a", ""),
            "the file name has no extension: import a .csv, .xlsx or .xls file"
        );
    }

    #[test]
    fn an_ole_file_named_xlsx_is_looked_into() {
        assert_eq!(classify(CFB, "xlsx"), Err(Verdict::CfbNamedXlsx));
    }
}
