//! Import jobs: each one a directory under `<data dir>/imports/<id>/` holding the uploaded file
//! (`upload.<ext>`), its status (`job.json`, rewritten whole and renamed into place so a kill
//! never leaves half of it) and the refused rows (`refused.csv`). The files are the truth: at
//! start every job is read back, and one that was running when the collector stopped is run
//! again from its last checkpoint ([`super::engine`]), so an interrupted import finishes
//! without storing any row twice.
//!
//! A job is created as a draft when its file is uploaded: the header is read and a mapping
//! proposed, so that a person (the app's wizard) can change it before [`Imports::start`]; the
//! API and the CLI may start it at once.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::{
    auto_map, check_mapping, parse_target, target_text, DateFormat, DateReader, ImportError,
    Language, RowSource,
};
use crate::model::PrimaryObject;
use crate::store::EventStore;

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImportState {
    /// Uploaded, its header read and a mapping proposed; waiting to be started.
    Draft,
    /// Reading and storing rows.
    Running,
    /// Every row was read: stored, already stored, or refused.
    Done,
    /// Stopped by a problem with the file or the store (`error` says which).
    Failed,
    /// Stopped on request; the rows stored so far stay.
    Cancelled,
}

/// What an import is asked to do, and how far it is: `job.json`, and the API's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportStatus {
    /// The job's id.
    pub id: String,
    /// Where it is.
    pub state: ImportState,
    /// The event each row completes.
    pub event: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// `csv`, `xlsx` or `xls`.
    pub kind: String,
    /// The sheet read (workbooks), and every sheet of the workbook.
    pub sheet: Option<String>,
    /// Every sheet (workbooks).
    pub sheets: Vec<String>,
    /// The header row.
    pub header: Vec<String>,
    /// One target per column, as text ([`super::target_text`]).
    pub mapping: Vec<String>,
    /// The language the headers were matched in (`en`, `fr`, `da`).
    pub language: String,
    /// The "occurred at" column's format.
    pub date_format: String,
    /// The zone of dates without one.
    pub time_zone: String,
    /// Whether the rows may enroll their contacts in workflows (an import may opt out).
    #[serde(default = "enroll_by_default")]
    pub workflows: bool,
    /// The file's size.
    pub total_bytes: u64,
    /// How far reading has got, in bytes of the file.
    pub bytes_read: u64,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows stored.
    pub stored: u64,
    /// Rows whose event was already stored (the same file imported again, or a resumed
    /// import's last batch).
    pub duplicates: u64,
    /// Rows refused, each in `refused.csv` with its reason.
    pub refused: u64,
    /// Epoch ms.
    pub created_at: i64,
    /// Epoch ms.
    pub started_at: Option<i64>,
    /// Epoch ms.
    pub finished_at: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Rows per second since it started (while running and after).
    pub rows_per_second: Option<f64>,
    /// Seconds left, estimated from the bytes read so far (while running).
    pub eta_seconds: Option<f64>,
    /// SHA-256 of the file (hex): with the event, the identity rows' ids are made from.
    pub file_hash: String,
    /// The last line whose batch is committed: a resumed import starts after it.
    pub checkpoint_line: u64,
    /// The length of `refused.csv` at that checkpoint.
    pub refused_bytes: u64,
}

fn enroll_by_default() -> bool {
    true
}

/// How a draft should be read and started: everything optional keeps the draft's value.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// One target text per column.
    pub mapping: Option<Vec<String>>,
    /// See [`DateFormat`].
    pub date_format: Option<String>,
    /// An IANA zone.
    pub time_zone: Option<String>,
    /// `false`: the rows enroll nobody in workflows.
    pub workflows: Option<bool>,
}

/// A problem with a request about an import, for the person who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Nothing to do with this id.
    NotFound(String),
    /// The request cannot be applied; the message names what to change.
    Invalid(String),
    /// The job is not in a state that allows it.
    Conflict(String),
    /// The data directory failed.
    Io(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::NotFound(m)
            | JobError::Invalid(m)
            | JobError::Conflict(m)
            | JobError::Io(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for JobError {}

fn io(e: std::io::Error) -> JobError {
    JobError::Io(format!("the import's files: {e}"))
}

/// One job: its directory, its status, and the flag that cancels it.
pub struct Job {
    pub(super) dir: PathBuf,
    pub(super) status: Mutex<ImportStatus>,
    pub(super) cancel: AtomicBool,
}

impl Job {
    /// A copy of the status, with the rate and time left worked out.
    pub fn status(&self) -> ImportStatus {
        let mut s = self
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(started) = s.started_at {
            let end = s.finished_at.unwrap_or_else(crate::timestamp::now_ms);
            let seconds = (end - started).max(1) as f64 / 1000.0;
            s.rows_per_second = Some((s.rows_read as f64 / seconds * 10.0).round() / 10.0);
            if s.state == ImportState::Running && s.bytes_read > 0 {
                let left = s.total_bytes.saturating_sub(s.bytes_read) as f64;
                s.eta_seconds = Some((left / (s.bytes_read as f64 / seconds)).round());
            }
        }
        s
    }

    /// The uploaded file.
    pub fn upload(&self) -> PathBuf {
        upload_path(
            &self.dir,
            &self
                .status
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .file_name,
        )
    }

    /// The refused rows' CSV.
    pub fn refused_path(&self) -> PathBuf {
        self.dir.join("refused.csv")
    }

    /// Changes the status and writes it to `job.json`.
    pub(super) fn update(&self, change: impl FnOnce(&mut ImportStatus)) -> Result<(), JobError> {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut status);
        save(&self.dir, &status)
    }

    pub(super) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// `upload.<the file name's extension>`: the readers decide by extension and content.
fn upload_path(dir: &Path, file_name: &str) -> PathBuf {
    let ext = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    dir.join(format!("upload.{ext}"))
}

/// Creates `dir` if missing, readable by this user only (0700): uploads hold people's emails,
/// like the database beside them.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `job.json` whole, then renames it into place.
fn save(dir: &Path, status: &ImportStatus) -> Result<(), JobError> {
    let tmp = dir.join("job.json.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    let body = serde_json::to_vec_pretty(status).map_err(|e| JobError::Io(e.to_string()))?;
    file.write_all(&body).map_err(io)?;
    file.sync_data().map_err(io)?;
    std::fs::rename(&tmp, dir.join("job.json")).map_err(io)
}

/// Every import job of a data directory.
pub struct Imports {
    root: PathBuf,
    jobs: Mutex<BTreeMap<String, Arc<Job>>>,
    /// Largest file an upload may send, bytes.
    pub max_bytes: u64,
}

/// The default of `--import-max-bytes`: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

impl Imports {
    /// No jobs yet, kept under `root` once there are (a fresh temporary directory for tests).
    pub fn empty(root: PathBuf, max_bytes: u64) -> Imports {
        Imports {
            root,
            jobs: Mutex::default(),
            max_bytes,
        }
    }

    /// The jobs under `root` (created if missing), read back from their `job.json`.
    pub fn open(root: &Path, max_bytes: u64) -> std::io::Result<Imports> {
        private_dir(root)?;
        let mut jobs = BTreeMap::new();
        for entry in std::fs::read_dir(root)? {
            let dir = entry?.path();
            let Ok(text) = std::fs::read(dir.join("job.json")) else {
                continue;
            };
            match serde_json::from_slice::<ImportStatus>(&text) {
                Ok(status) => {
                    jobs.insert(
                        status.id.clone(),
                        Arc::new(Job {
                            dir,
                            status: Mutex::new(status),
                            cancel: AtomicBool::new(false),
                        }),
                    );
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "an import's job.json is unreadable; left as it is")
                }
            }
        }
        Ok(Imports {
            root: root.to_owned(),
            jobs: Mutex::new(jobs),
            max_bytes,
        })
    }

    /// The job `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every job, newest first.
    pub fn list(&self) -> Vec<ImportStatus> {
        let mut all: Vec<ImportStatus> = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .map(|j| j.status())
            .collect();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        all
    }

    /// A new job's directory and the path its upload goes to; [`Imports::create`] once the
    /// file is there, or [`Imports::discard`].
    pub fn new_upload(&self, file_name: &str) -> Result<(String, PathBuf), JobError> {
        let id = crate::random::hex(1);
        let dir = self.root.join(&id);
        private_dir(&self.root).map_err(io)?;
        private_dir(&dir).map_err(io)?;
        Ok((id.clone(), upload_path(&dir, file_name)))
    }

    /// Removes a job's directory (an upload that was refused or cancelled before it was read).
    pub fn discard(&self, id: &str) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        let _ = std::fs::remove_dir_all(self.root.join(id));
    }

    /// Reads the uploaded file's header and proposes a mapping: a draft. An unreadable file
    /// (empty, not what its name says, password-protected…) is refused and its directory
    /// removed.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &self,
        store: &dyn EventStore,
        id: &str,
        file_name: &str,
        file_hash: String,
        event: &str,
        sheet: Option<&str>,
        language: Option<&str>,
        now: i64,
    ) -> Result<Arc<Job>, JobError> {
        let dir = self.root.join(id);
        let refuse = |e: JobError| {
            let _ = std::fs::remove_dir_all(&dir);
            e
        };
        let def = store.definition(event).ok_or_else(|| {
            refuse(JobError::Invalid(format!(
                "event \"{event}\" is not defined; create it before importing its completions"
            )))
        })?;
        if def.primary_object != PrimaryObject::Contact {
            return Err(refuse(JobError::Invalid(format!(
                "event \"{event}\" is about {} records: an import attaches completions to contacts by email, so it needs a contact event",
                def.primary_object.as_str()
            ))));
        }
        let language: Language = language
            .unwrap_or("en")
            .parse()
            .map_err(|e: String| refuse(JobError::Invalid(e)))?;
        let path = upload_path(&dir, file_name);
        let total_bytes = std::fs::metadata(&path).map_err(io)?.len();
        let source = RowSource::open_path(&path, sheet)
            .map_err(|e: ImportError| refuse(JobError::Invalid(e.to_string())))?;
        let props: Vec<(&str, &str)> = def
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.label.as_str()))
            .collect();
        let mapping = auto_map(source.header(), language, &props);
        let status = ImportStatus {
            id: id.to_owned(),
            state: ImportState::Draft,
            event: def.name.clone(),
            file_name: file_name.to_owned(),
            kind: format!("{:?}", source.kind()).to_ascii_lowercase(),
            sheet: source.sheet().map(str::to_owned),
            sheets: source.sheets().to_vec(),
            header: source.header().to_vec(),
            mapping: mapping.iter().map(target_text).collect(),
            language: format!("{language:?}").to_ascii_lowercase(),
            date_format: DateFormat::Ymd.as_str().to_owned(),
            time_zone: "UTC".into(),
            workflows: true,
            total_bytes,
            bytes_read: 0,
            rows_read: 0,
            stored: 0,
            duplicates: 0,
            refused: 0,
            created_at: now,
            started_at: None,
            finished_at: None,
            error: None,
            rows_per_second: None,
            eta_seconds: None,
            file_hash,
            checkpoint_line: 0,
            refused_bytes: 0,
        };
        save(&dir, &status).map_err(refuse)?;
        let job = Arc::new(Job {
            dir,
            status: Mutex::new(status),
            cancel: AtomicBool::new(false),
        });
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_owned(), job.clone());
        Ok(job)
    }

    /// Checks a draft's choices and starts it in the background. The mapping is refused before
    /// any row is read when it lacks the email or "occurred at" column, names a property that
    /// does not exist, or fills one twice; so are an unknown date format or zone.
    pub fn start(
        &self,
        store: Arc<dyn EventStore>,
        id: &str,
        options: StartOptions,
    ) -> Result<Arc<Job>, JobError> {
        let job = self
            .get(id)
            .ok_or_else(|| JobError::NotFound(format!("no import \"{id}\" exists")))?;
        let status = job.status();
        if status.state != ImportState::Draft {
            return Err(JobError::Conflict(format!(
                "import \"{id}\" was already started ({:?})",
                status.state
            )));
        }
        let mapping = options.mapping.unwrap_or(status.mapping.clone());
        let targets = mapping
            .iter()
            .map(|t| parse_target(t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(JobError::Invalid)?;
        let def = store.definition(&status.event).ok_or_else(|| {
            JobError::Invalid(format!("event \"{}\" no longer exists", status.event))
        })?;
        let props: Vec<(&str, &str)> = def
            .properties
            .iter()
            .map(|p| (p.name.as_str(), p.label.as_str()))
            .collect();
        check_mapping(&status.header, &targets, &props)
            .map_err(|e| JobError::Invalid(e.to_string()))?;
        let date_format = options.date_format.unwrap_or(status.date_format.clone());
        let time_zone = options.time_zone.unwrap_or(status.time_zone.clone());
        let format: DateFormat = date_format
            .parse()
            .map_err(|e: super::DateError| JobError::Invalid(e.to_string()))?;
        DateReader::new(format, &time_zone).map_err(|e| JobError::Invalid(e.to_string()))?;
        job.update(|s| {
            s.mapping = targets.iter().map(target_text).collect();
            s.date_format = format.as_str().to_owned();
            s.time_zone = time_zone;
            if let Some(workflows) = options.workflows {
                s.workflows = workflows;
            }
            s.state = ImportState::Running;
            s.started_at = Some(crate::timestamp::now_ms());
        })?;
        tokio::spawn(super::engine::run(job.clone(), store));
        Ok(job)
    }

    /// Asks a running job to stop (the rows stored so far stay), or drops a draft.
    pub fn cancel(&self, id: &str) -> Result<ImportStatus, JobError> {
        let job = self
            .get(id)
            .ok_or_else(|| JobError::NotFound(format!("no import \"{id}\" exists")))?;
        match job.status().state {
            ImportState::Running => {
                job.cancel.store(true, Ordering::Relaxed);
            }
            ImportState::Draft => {
                job.update(|s| {
                    s.state = ImportState::Cancelled;
                    s.finished_at = Some(crate::timestamp::now_ms());
                })?;
            }
            state => {
                return Err(JobError::Conflict(format!(
                    "import \"{id}\" has already ended ({state:?})"
                )))
            }
        }
        Ok(job.status())
    }

    /// Runs again every job that was running when the collector stopped.
    pub fn resume(&self, store: Arc<dyn EventStore>) {
        let jobs: Vec<Arc<Job>> = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|j| j.status().state == ImportState::Running)
            .cloned()
            .collect();
        for job in jobs {
            tracing::info!(import = %job.status().id, "resuming an interrupted import");
            tokio::spawn(super::engine::run(job, store.clone()));
        }
    }
}
