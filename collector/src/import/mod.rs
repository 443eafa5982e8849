//! The reading half of the spreadsheet import (SPEC §6): from a `.csv`, `.xlsx` or `.xls` file
//! to a header, a column mapping and rows of typed cells with their line numbers. Pure of the
//! store and of HTTP: the import job (store, API, CLI, UI) drives it.
//!
//! The pieces, in the order an import uses them:
//! * [`sniff`] — which reader a file needs, from its content *and* its name, with a clear
//!   error when they disagree or the file is no spreadsheet (`sniff.rs`);
//! * [`RowSource`] — opens the file and reads its header (`source.rs`), then streams rows:
//!   CSV through an encoding and delimiter guess (`csv_source.rs`), xlsx a cell at a time
//!   and xls as a bounded range (`sheet_source.rs`);
//! * [`auto_map`] / [`check_mapping`] — which property each column fills, proposed from the
//!   headers in the user's language (`header_names.rs` knows what headers say), then
//!   checked (`headers.rs`);
//! * [`DateReader`] — the "occurred at" column in the user's date format and time zone,
//!   refusing the future (`dates.rs`);
//! * [`ImportError`] for the file, [`RowRefusal`] for one row (`error.rs`).
//!
//! Nothing here reads the clock or the environment: `now_ms` and the zone come in as
//! arguments, so every answer is a function of the file and the choices.

mod cell;
pub mod cli;
mod csv_source;
mod dates;
mod engine;
mod error;
mod header_names;
mod headers;
mod jobs;
mod rows;
mod sheet_source;
mod sniff;
mod source;
mod target_text;
mod workbook_guard;

pub use cell::Cell;
pub use csv_source::{detect_delimiter, detect_encoding, CsvFormat};
pub use dates::{excel_civil, DateError, DateFormat, DateReader};
pub use error::{column_letters, ImportError, RowRefusal};
pub use header_names::{normalize, Language, CONTACT_PROPERTIES};
pub use headers::{auto_map, check_mapping, Mapping, MappingError, Target};
pub use jobs::{
    ImportState, ImportStatus, Imports, Job, JobError, StartOptions, DEFAULT_MAX_BYTES,
};
pub use rows::{identity, RowPlan, MAX_CONTACT_VALUE};
pub use sniff::{sniff, FileKind};
pub use source::{Row, RowSource, MAX_ROWS};
pub use target_text::{parse_target, target_text};

#[cfg(test)]
mod fixture_tests;
