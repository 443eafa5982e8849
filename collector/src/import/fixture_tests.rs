//! Every committed fixture of `tests/fixtures/import/` (made by its `make_fixtures.py`), read
//! the way an import reads it: what a person would check by opening the file in Excel.

use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/import")
        .join(name)
}

fn open(name: &str) -> RowSource {
    RowSource::open_path(&fixture(name), None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn open_error(name: &str) -> String {
    match RowSource::open_path(&fixture(name), None) {
        Ok(_) => panic!("{name} opened"),
        Err(e) => e.to_string(),
    }
}

fn rows(source: RowSource) -> Vec<Result<Row, RowRefusal>> {
    let mut source = source;
    let rows: Vec<_> = source.by_ref().collect();
    assert_eq!(source.bytes_read(), source.total_bytes());
    source.finish().expect("read to the end");
    rows
}

fn ok_rows(source: RowSource) -> Vec<Row> {
    rows(source).into_iter().map(|r| r.expect("row")).collect()
}

fn lines(rows: &[Row]) -> Vec<u64> {
    rows.iter().map(|r| r.line).collect()
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Instants computed with Python's zoneinfo.
const PARIS_2024_03_31_0130: i64 = 1_711_845_000_000;
const PARIS_2024_03_31_0330: i64 = 1_711_848_600_000;
const PARIS_2024_10_27_0000: i64 = 1_729_980_000_000;
const PARIS_2024_10_27_0230_FIRST: i64 = 1_729_989_000_000;

#[test]
fn a_french_workbook_reads_its_first_sheet_with_real_dates() {
    let source = open("fr_two_sheets.xlsx");
    assert_eq!(source.kind(), FileKind::Xlsx);
    assert_eq!(source.sheets(), ["Événements", "Notes"]);
    assert_eq!(source.sheet(), Some("Événements"));
    let header = strings(&[
        "Adresse e-mail",
        "Date",
        "Prénom",
        "Nom",
        "Montant",
        "Catégorie",
    ]);
    assert_eq!(source.header(), header);
    assert_eq!(
        auto_map(source.header(), Language::Fr, &[("amount", "Montant")]),
        [
            Target::Email,
            Target::OccurredAt,
            Target::ContactProperty("firstname".into()),
            Target::ContactProperty("lastname".into()),
            Target::EventProperty("amount".into()),
            Target::Skip,
        ]
    );
    let rows = ok_rows(source);
    // Line 5 is empty in the sheet: the next row is still line 6.
    assert_eq!(lines(&rows), [2, 3, 4, 6]);
    assert_eq!(rows[0].cells[0], text("anne@example.fr"));
    assert_eq!(rows[0].cells[4], Cell::Float(12.5));
    assert_eq!(rows[2].cells[3], Cell::Empty);
    assert_eq!(rows[2].cells[2], text("Chloé"));
    // Date cells: the wall-clock time in Paris, either side of the spring change.
    let paris = DateReader::new(DateFormat::Dmy, "Europe/Paris").unwrap();
    let occurred: Vec<_> = rows.iter().map(|r| paris.read(&r.cells[1])).collect();
    assert!(
        matches!(rows[0].cells[1], Cell::ExcelDate(_)),
        "{:?}",
        rows[0].cells[1]
    );
    assert_eq!(
        occurred,
        [
            Ok(PARIS_2024_03_31_0130),
            Ok(PARIS_2024_03_31_0330),
            Ok(PARIS_2024_10_27_0000),
            // A text cell in the same column, read with the chosen format.
            Ok(PARIS_2024_10_27_0230_FIRST),
        ]
    );
    assert_eq!(PARIS_2024_03_31_0330 - PARIS_2024_03_31_0130, 3_600_000);
}

#[test]
fn a_workbooks_other_sheet_is_read_by_name() {
    let source = RowSource::open_path(&fixture("fr_two_sheets.xlsx"), Some("notes")).unwrap();
    assert_eq!(source.sheet(), Some("Notes"));
    assert_eq!(
        source.header(),
        strings(&["E-mail", "Survenu le", "Commentaire"])
    );
    assert_eq!(
        auto_map(source.header(), Language::Fr, &[])[..2],
        [Target::Email, Target::OccurredAt]
    );
    let rows = ok_rows(source);
    assert_eq!(lines(&rows), [2]);
    let paris = DateReader::new(DateFormat::Iso8601, "Europe/Paris").unwrap();
    assert_eq!(paris.read(&rows[0].cells[1]), Ok(1_673_769_600_000));
    let missing = RowSource::open_path(&fixture("fr_two_sheets.xlsx"), Some("Ventes"));
    assert_eq!(
        missing.err().unwrap().to_string(),
        "the workbook has no sheet named \"Ventes\"; its sheets are: \"Événements\", \"Notes\""
    );
}

#[test]
fn an_english_semicolon_csv_counts_lines_across_quoted_line_breaks() {
    let source = open("en_semicolon.csv");
    assert_eq!(source.kind(), FileKind::Csv);
    assert_eq!(
        source.csv_format(),
        Some(CsvFormat {
            encoding: "UTF-8",
            delimiter: b';'
        })
    );
    assert!(source.sheets().is_empty());
    assert_eq!(
        source.header(),
        strings(&[
            "Email",
            "Occurred at",
            "First name",
            "Last name",
            "Amount",
            "Comment"
        ])
    );
    let rows = ok_rows(source);
    // Bob's comment spans lines 3 and 4, so Cat's row starts on line 5.
    assert_eq!(lines(&rows), [2, 3, 5]);
    assert_eq!(rows[0].cells[4], text("12,50"));
    assert_eq!(rows[1].cells[5], text("two\r\nlines"));
    assert_eq!(rows[2].cells[5], text("with ; inside"));
    let paris = DateReader::new(DateFormat::Ymd, "Europe/Paris").unwrap();
    assert_eq!(paris.read(&rows[0].cells[1]), Ok(PARIS_2024_03_31_0130));
    assert_eq!(paris.read(&rows[2].cells[1]), Ok(1_729_989_015_000));
}

#[test]
fn danish_unicode_text_is_utf16_with_tabs() {
    let source = open("da_unicode.txt");
    assert_eq!(
        source.csv_format(),
        Some(CsvFormat {
            encoding: "UTF-16LE",
            delimiter: b'\t'
        })
    );
    assert_eq!(
        source.header(),
        strings(&["E-mailadresse", "Dato", "Fornavn", "Efternavn", "Beløb"])
    );
    assert_eq!(
        auto_map(source.header(), Language::Da, &[]),
        [
            Target::Email,
            Target::OccurredAt,
            Target::ContactProperty("firstname".into()),
            Target::ContactProperty("lastname".into()),
            Target::Skip,
        ]
    );
    let rows = ok_rows(source);
    assert_eq!(lines(&rows), [2, 3]);
    assert_eq!(rows[0].cells[0], text("søren@example.dk"));
    assert_eq!(rows[1].cells[3], text("Ærø"));
    let copenhagen = DateReader::new(DateFormat::Dmy, "Europe/Copenhagen").unwrap();
    assert_eq!(
        copenhagen.read(&rows[0].cells[1]),
        Ok(PARIS_2024_03_31_0130)
    );
    assert_eq!(
        copenhagen.read(&rows[1].cells[1]),
        Ok(PARIS_2024_10_27_0230_FIRST)
    );
}

#[test]
fn a_utf8_bom_is_not_part_of_the_first_header() {
    let source = open("utf8_bom.csv");
    assert_eq!(
        source.csv_format(),
        Some(CsvFormat {
            encoding: "UTF-8",
            delimiter: b','
        })
    );
    assert_eq!(source.header(), strings(&["Email", "Occurred at", "Note"]));
    let rows = ok_rows(source);
    assert_eq!(rows[0].cells[2], text("café crème"));
    assert_eq!(rows[1].cells[2], Cell::Empty);
    let iso = DateReader::new(DateFormat::Iso8601, "Europe/Paris").unwrap();
    assert_eq!(iso.read(&rows[0].cells[1]), Ok(1_717_236_000_000));
    assert_eq!(iso.read(&rows[1].cells[1]), Ok(1_717_236_000_000));
}

#[test]
fn an_xls_workbook_reads_as_a_range() {
    let source = open("en.xls");
    assert_eq!(source.kind(), FileKind::Xls);
    assert_eq!(source.sheets(), ["Events", "Other"]);
    assert_eq!(
        source.header(),
        strings(&["Email", "Occurred at", "First name", "Score"])
    );
    let rows = ok_rows(source);
    assert_eq!(lines(&rows), [2, 3]);
    assert_eq!(rows[1].cells[3], Cell::Float(1.5));
    let paris = DateReader::new(DateFormat::Ymd, "Europe/Paris").unwrap();
    assert_eq!(paris.read(&rows[0].cells[1]), Ok(PARIS_2024_03_31_0330));
    assert_eq!(paris.read(&rows[1].cells[1]), Ok(1_704_178_800_000));
}

#[test]
fn a_1904_workbooks_dates_are_shifted_into_the_1900_system() {
    let rows = ok_rows(open("mac_1904.xlsx"));
    let utc = DateReader::new(DateFormat::Ymd, "UTC").unwrap();
    assert_eq!(rows[0].cells[1].as_text(), "2024-03-31T01:30:00");
    assert_eq!(
        utc.read(&rows[0].cells[1]),
        Ok(PARIS_2024_03_31_0130 + 3_600_000)
    );
}

#[test]
fn ragged_rows_are_refused_one_by_one() {
    let rows = rows(open("ragged.csv"));
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].as_ref().map(|r| r.line), Ok(2));
    assert_eq!(
        rows[1],
        Err(RowRefusal {
            line: 3,
            column: None,
            reason:
                "has 2 cells where the header has 3: a \",\" is missing, or a quote is not closed"
                    .into()
        })
    );
    assert_eq!(
        rows[2],
        Err(RowRefusal {
            line: 4,
            column: None,
            reason: "has 4 cells where the header has 3: a value contains a \",\" without quotes around it".into()
        })
    );
    assert_eq!(rows[3].as_ref().map(|r| r.line), Ok(5));
}

#[test]
fn bad_files_are_answered_with_what_is_wrong() {
    assert_eq!(
        open_error("empty.csv"),
        "the file is empty: it has no header row"
    );
    assert_eq!(
        open_error("duplicate_headers.csv"),
        "two columns are named \"Email\" (columns A and D): rename one of them"
    );
    assert_eq!(
        open_error("image.xlsx"),
        "the file is named .xlsx but is a PNG image, not a spreadsheet"
    );
    assert_eq!(
        open_error("csv_named.xlsx"),
        "the file is named .xlsx but is a text (CSV) file: rename it or save it again in the right format"
    );
    assert_eq!(
        open_error("xlsx_named.csv"),
        "the file is named .csv but is an Excel workbook (.xlsx): rename it or save it again in the right format"
    );
    assert_eq!(
        open_error("password.xlsx"),
        "the workbook is password-protected: remove the password in Excel (File > Info > Protect Workbook) and import it again"
    );
    assert_eq!(
        open_error("huge_dimensions.xls"),
        "the .xls file is damaged or incomplete (a sheet claims 2902458368 rows and 4 columns, \
         more than an .xls can hold): open it in Excel and save it again"
    );
    assert_eq!(
        open_error("huge_shared_strings.xlsx"),
        "the .xlsx file is damaged or incomplete (it declares 999999999999 distinct texts, more \
         than an import can read): open it in Excel and save it again"
    );
    let truncated = open_error("truncated.xlsx");
    assert!(
        truncated.starts_with("the .xlsx file is damaged or incomplete (")
            && truncated.ends_with("): open it in Excel and save it again"),
        "{truncated}"
    );
}

#[test]
fn the_reader_of_each_kind_refuses_the_others_bytes() {
    // Opened with a kind forced, bypassing the sniff: still an error, never a panic.
    for (name, kind) in [
        ("en_semicolon.csv", FileKind::Xlsx),
        ("en_semicolon.csv", FileKind::Xls),
        ("image.xlsx", FileKind::Xlsx),
        ("truncated.xlsx", FileKind::Xls),
        ("fr_two_sheets.xlsx", FileKind::Xls),
        ("en.xls", FileKind::Xlsx),
    ] {
        assert!(
            RowSource::open(&fixture(name), kind, None).is_err(),
            "{name} as {kind:?}"
        );
    }
}

#[test]
fn a_mapping_without_an_email_column_is_refused_before_reading() {
    let source = open("utf8_bom.csv");
    let mut targets = auto_map(source.header(), Language::En, &[]);
    assert_eq!(targets[..2], [Target::Email, Target::OccurredAt]);
    targets[0] = Target::Skip;
    assert_eq!(
        check_mapping(source.header(), &targets, &[])
            .unwrap_err()
            .to_string(),
        "no column is mapped to the email address, which is required"
    );
    assert_eq!(source.rows_read(), 0);
}

#[test]
fn damaged_copies_of_every_fixture_end_in_rows_or_errors_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        // xorshift: reproducible damage without a random crate.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in [
        "fr_two_sheets.xlsx",
        "en.xls",
        "en_semicolon.csv",
        "da_unicode.txt",
    ] {
        let original = std::fs::read(fixture(name)).unwrap();
        for round in 0..300 {
            let mut bytes = original.clone();
            // Keep the first bytes: the damage is to reach the readers, not the sniff.
            for _ in 0..1 + round % 8 {
                let at = 8 + (next() as usize) % (bytes.len() - 8);
                bytes[at] = next() as u8;
            }
            if round % 5 == 0 {
                bytes.truncate(8 + (next() as usize) % (bytes.len() - 8));
            }
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            if let Ok(mut source) = RowSource::open_path(&path, None) {
                source.by_ref().for_each(drop);
                let _ = source.finish();
            }
        }
    }
}

#[test]
fn a_source_can_be_read_on_another_thread() {
    fn send<T: Send>(_: &T) {}
    send(&open("fr_two_sheets.xlsx"));
}
