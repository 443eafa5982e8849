//! The spreadsheet import reads a big file as a stream (SPEC §6 "memory must not grow with the
//! size of the file"): measured, not assumed, by counting the heap.
//!
//! A binary of its own because it replaces the global allocator with one that counts live
//! heap bytes and their peak, which must see no other test's allocations: the one test here
//! runs its steps in order. The files are made by the test (rust_xlsxwriter, the csv crate),
//! so nothing is skipped for want of a tool.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmtrack_collector::import::{Cell, FileKind, RowSource};

/// Counts the bytes the process holds on the heap, and the most it has held since the last
/// [`reset_peak`].
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call goes to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

const ROWS: u32 = 200_000;
/// What reading may hold on top of what opening holds, whatever the number of rows: the
/// rows waiting in the reader thread's channel and the unzip and XML buffers. Holding every
/// row of the test files would take well over 40 MiB.
const STREAMING_BUDGET: usize = 4 << 20;

fn email(i: u32) -> String {
    format!("user{i}@example.com")
}

fn write_xlsx(path: &Path) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let sheet = workbook.add_worksheet();
    for (c, name) in ["Email", "Occurred at", "Amount", "Plan"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for i in 0..ROWS {
        let r = i + 1;
        sheet.write_string(r, 0, email(i)).unwrap();
        sheet
            .write_number_with_format(r, 1, 45_000.0 + f64::from(i) / 1440.0, &date)
            .unwrap();
        sheet.write_number(r, 2, f64::from(i % 1000) / 4.0).unwrap();
        sheet
            .write_string(r, 3, ["free", "pro", "team"][i as usize % 3])
            .unwrap();
    }
    workbook.save(path).unwrap();
}

fn write_csv(path: &Path) {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_path(path)
        .unwrap();
    writer
        .write_record(["Email", "Occurred at", "Amount", "Plan"])
        .unwrap();
    for i in 0..ROWS {
        let amount = (f64::from(i % 1000) / 4.0).to_string();
        writer
            .write_record([email(i).as_str(), "2024-03-31 01:30", &amount, "pro"])
            .unwrap();
    }
    writer.flush().unwrap();
}

/// Opens `path`, then reads every row, checking each; returns (heap held after opening,
/// highest heap while reading, share of the file read when the first row came).
fn read_all(path: &Path, kind: FileKind) -> (usize, usize, f64) {
    let before = live();
    let mut source = RowSource::open(path, kind, None).unwrap();
    let opened = live() - before;
    reset_peak();
    let first = source.next().unwrap().unwrap();
    assert_eq!(first.line, 2);
    assert_eq!(first.cells[0], Cell::Text(email(0)));
    let first_share = source.bytes_read() as f64 / source.total_bytes() as f64;
    let mut count = 1u32;
    for row in source.by_ref() {
        let row = row.unwrap();
        assert_eq!(row.line, u64::from(count) + 2);
        count += 1;
    }
    assert_eq!(count, ROWS);
    let reading = peak() - before - opened;
    assert_eq!(source.finish().unwrap(), u64::from(ROWS));
    (opened, reading, first_share)
}

#[test]
fn a_big_file_is_read_without_holding_its_rows() {
    let dir = tempfile::tempdir().unwrap();

    let xlsx = dir.path().join("big.xlsx");
    write_xlsx(&xlsx);
    let (opened, reading, first_share) = read_all(&xlsx, FileKind::Xlsx);
    eprintln!(
        "xlsx, {ROWS} rows, {} bytes: {opened} bytes held after opening (the shared strings), \
         {reading} more at most while reading, first row after {:.2}% of the file",
        std::fs::metadata(&xlsx).unwrap().len(),
        first_share * 100.0
    );
    assert!(
        reading < STREAMING_BUDGET,
        "xlsx reading held {reading} bytes"
    );
    // Opening holds the shared strings: here 200,000 distinct emails and 3 plans, ≈ 46 bytes
    // each. Reading the sheet on opening would add the rows' cells, over 25 MiB.
    assert!(opened < 16 << 20, "xlsx opening held {opened} bytes");
    assert!(
        first_share < 0.1,
        "the first xlsx row came after {first_share} of the file"
    );

    let csv = dir.path().join("big.csv");
    write_csv(&csv);
    let (opened, reading, first_share) = read_all(&csv, FileKind::Csv);
    eprintln!(
        "csv, {ROWS} rows: {opened} bytes held after opening, {reading} more at most while \
         reading, first row after {:.2}% of the file",
        first_share * 100.0
    );
    assert!(
        opened + reading < STREAMING_BUDGET,
        "csv reading held {}",
        opened + reading
    );
    assert!(
        first_share < 0.1,
        "the first csv row came after {first_share} of the file"
    );
}
