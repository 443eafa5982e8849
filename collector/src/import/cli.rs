//! `wasmtrack-collector import FILE --event NAME [--map HEADER=TARGET]… [--date-format F]
//! [--time-zone Z] [--language L] [--sheet S]`: the same engine as the HTTP API, with a
//! progress bar (indicatif).
//!
//! Into the data directory (`--data-dir`, while no collector runs on it: SQLite would let two
//! writers take turns, but the collector's writer expects to be the only one), or through a
//! running collector (`--collector http://HOST:PORT` and `--token`, or
//! `WASMTRACK_ADMIN_TOKEN`): the file is uploaded to `POST /v1/imports` and its status
//! followed. Exits 0 when every row was read (refused rows are listed in the job's
//! `refused.csv` and counted), 1 when the import failed or was refused.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::{ImportState, ImportStatus, Imports, StartOptions};
use crate::store::{EventStore, SqliteStore};

/// The import subcommand's flags.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The spreadsheet: .csv (or .txt/.tsv), .xlsx or .xls.
    pub file: PathBuf,
    /// The event each row completes (its internal name).
    #[arg(long)]
    pub event: String,
    /// A column's target, `HEADER=TARGET` (repeatable); TARGET is `email`, `occurred_at`,
    /// `contact:NAME`, `event:NAME`, `new:TYPE:LABEL` or `skip`. Columns not named keep the
    /// mapping proposed from their headers.
    #[arg(long = "map", value_name = "HEADER=TARGET")]
    pub map: Vec<String>,
    /// The "occurred at" column's format: YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY (each with an
    /// optional time), iso8601, epoch-ms or excel.
    #[arg(long, default_value = "YYYY-MM-DD")]
    pub date_format: String,
    /// The time zone of dates without one (an IANA name).
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
    /// The language of the headers: en, fr or da.
    #[arg(long, default_value = "en")]
    pub language: String,
    /// The workbook's sheet (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// The rows enroll nobody in workflows.
    #[arg(long)]
    pub no_workflows: bool,
    /// A running collector to import through, e.g. http://127.0.0.1:8080 (plain HTTP).
    #[arg(long)]
    pub collector: Option<String>,
    /// Its admin token or an API key with the `definitions` scope.
    #[arg(long, env = "WASMTRACK_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Runs the import; prints its outcome.
pub async fn run(args: ImportArgs, data_dir: &Path, database: Option<&str>) -> anyhow::Result<()> {
    let status = match &args.collector {
        Some(url) => through_collector(&args, url).await?,
        None => into_data_dir(&args, data_dir, database).await?,
    };
    println!(
        "{}: {} rows read, {} stored, {} already stored, {} refused{}",
        args.file.display(),
        status.rows_read,
        status.stored,
        status.duplicates,
        status.refused,
        if status.refused > 0 {
            " (see refused.csv of import ".to_owned() + &status.id + ")"
        } else {
            String::new()
        }
    );
    match status.state {
        ImportState::Done => Ok(()),
        state => bail!(
            "the import ended {state:?}: {}",
            status.error.unwrap_or_default()
        ),
    }
}

/// The `--map` overrides applied to the proposed mapping, by header (case-insensitive).
fn mapping(status: &ImportStatus, map: &[String]) -> anyhow::Result<Vec<String>> {
    let mut mapping = status.mapping.clone();
    for item in map {
        let (header, target) = item
            .rsplit_once('=')
            .ok_or_else(|| anyhow!("--map {item}: write HEADER=TARGET"))?;
        let at = status
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(header.trim()))
            .ok_or_else(|| {
                anyhow!(
                    "--map {item}: the file has no column \"{header}\"; its columns: {}",
                    status.header.join(", ")
                )
            })?;
        mapping[at] = target.trim().to_owned();
    }
    Ok(mapping)
}

fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn show(bar: &ProgressBar, s: &ImportStatus) {
    bar.set_length(s.total_bytes.max(1));
    bar.set_position(s.bytes_read);
    bar.set_message(format!(
        "{} rows: {} stored, {} refused",
        s.rows_read, s.stored, s.refused
    ));
}

/// Imports into the store itself: the data directory's SQLite file, or the PostgreSQL
/// database `database` (collectors may be running on it: its changes reach them); the upload
/// is kept in the data directory's `imports/` either way.
async fn into_data_dir(
    args: &ImportArgs,
    data_dir: &Path,
    database: Option<&str>,
) -> anyhow::Result<ImportStatus> {
    let store: Arc<dyn EventStore> = match database {
        Some(url) => Arc::new(
            crate::store::postgres::PgStore::open(url)
                .await
                .map_err(|e| anyhow!("cannot open the PostgreSQL database: {e:?}"))?,
        ),
        None => {
            let db = data_dir.join(crate::DB_FILE);
            if !db.exists() {
                bail!("{} does not exist: start the collector on this data directory once first, or pass --collector", db.display());
            }
            Arc::new(
                SqliteStore::open(&db)
                    .map_err(|e| anyhow!("cannot open {}: {e:?}", db.display()))?,
            )
        }
    };
    let imports = Imports::open(&data_dir.join("imports"), u64::MAX)?;
    let name = file_name(&args.file)?;
    let (id, upload) = imports.new_upload(&name)?;
    let hash = copy_hashing(&args.file, &upload)?;
    let draft = imports
        .create(
            store.as_ref(),
            &id,
            &name,
            hash,
            &args.event,
            args.sheet.as_deref(),
            Some(&args.language),
            crate::timestamp::now_ms(),
        )
        .map_err(|e| anyhow!("{e}"))?;
    let options = StartOptions {
        mapping: Some(mapping(&draft.status(), &args.map)?),
        date_format: Some(args.date_format.clone()),
        time_zone: Some(args.time_zone.clone()),
        workflows: Some(!args.no_workflows),
    };
    let job = imports
        .start(store.clone(), &id, options)
        .map_err(|e| anyhow!("{e}"))?;
    let progress = bar(job.status().total_bytes);
    loop {
        let s = job.status();
        show(&progress, &s);
        if s.state != ImportState::Running {
            progress.finish();
            store.close().await;
            return Ok(s);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn file_name(path: &Path) -> anyhow::Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{}: not a file name", path.display()))
}

/// Copies `from` to `to`, returning the SHA-256 of its bytes (hex).
fn copy_hashing(from: &Path, to: &Path) -> anyhow::Result<String> {
    let mut input =
        std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut output = std::fs::File::create(to)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        output.write_all(&buf[..n])?;
    }
    Ok(crate::auth::hex(&hash.finalize()))
}

async fn through_collector(args: &ImportArgs, url: &str) -> anyhow::Result<ImportStatus> {
    let token = args
        .token
        .clone()
        .ok_or_else(|| anyhow!("--collector needs --token (or WASMTRACK_ADMIN_TOKEN)"))?;
    let addr = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--collector {url}: only http:// URLs (run the CLI next to the collector, or through an SSH tunnel)"))?
        .trim_end_matches('/')
        .to_owned();
    let client = http::Client { addr, token };
    let name = file_name(&args.file)?;
    let draft: ImportStatus = client.upload(
        &args.file,
        &name,
        &args.event,
        args.sheet.as_deref(),
        &args.language,
    )?;
    let body = serde_json::json!({
        "mapping": mapping(&draft, &args.map)?,
        "dateFormat": args.date_format,
        "timeZone": args.time_zone,
        "enrollInWorkflows": !args.no_workflows,
    });
    let mut status: ImportStatus = client.json(
        "POST",
        &format!("/v1/imports/{}/start", draft.id),
        Some(&body),
    )?;
    let progress = bar(status.total_bytes);
    while status.state == ImportState::Running {
        show(&progress, &status);
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = client.json("GET", &format!("/v1/imports/{}", draft.id), None)?;
    }
    show(&progress, &status);
    progress.finish();
    Ok(status)
}

/// Just enough HTTP/1.1 for the CLI: one request per connection, a multipart upload streamed
/// from the file, JSON answers.
mod http {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::path::Path;

    use anyhow::{anyhow, bail};
    use serde::de::DeserializeOwned;

    pub struct Client {
        pub addr: String,
        pub token: String,
    }

    impl Client {
        fn send(
            &self,
            head: &str,
            body: &mut dyn FnMut(&mut TcpStream) -> std::io::Result<()>,
        ) -> anyhow::Result<(u16, String)> {
            let mut stream = TcpStream::connect(&self.addr)
                .map_err(|e| anyhow!("cannot reach the collector at {}: {e}", self.addr))?;
            write!(
                stream,
                "{head}Host: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
                self.addr, self.token
            )?;
            body(&mut stream)?;
            let mut reader = BufReader::new(stream);
            let mut status_line = String::new();
            reader.read_line(&mut status_line)?;
            let status: u16 = status_line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow!("the collector answered {status_line:?}"))?;
            let mut chunked = false;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line)?;
                if line.trim().is_empty() {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                    chunked = true;
                }
            }
            let mut text = String::new();
            reader.read_to_string(&mut text)?;
            if chunked {
                text = dechunk(&text);
            }
            Ok((status, text))
        }

        /// A JSON request; a non-2xx answer is an error with the collector's message.
        pub fn json<T: DeserializeOwned>(
            &self,
            method: &str,
            path: &str,
            body: Option<&serde_json::Value>,
        ) -> anyhow::Result<T> {
            let body = body.map(|b| b.to_string()).unwrap_or_default();
            let head = format!("{method} {path} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
            let (status, text) = self.send(&head, &mut |s| s.write_all(body.as_bytes()))?;
            answer(status, &text)
        }

        /// `POST /v1/imports` with the file streamed from disk.
        pub fn upload<T: DeserializeOwned>(
            &self,
            file: &Path,
            name: &str,
            event: &str,
            sheet: Option<&str>,
            language: &str,
        ) -> anyhow::Result<T> {
            let boundary = format!("wasmtrack-{}", crate::random::hex(1));
            let mut fields = String::new();
            let mut field = |k: &str, v: &str| {
                fields.push_str(&format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                ));
            };
            field("event", event);
            field("language", language);
            if let Some(sheet) = sheet {
                field("sheet", sheet);
            }
            let file_head = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n", name.replace('"', ""));
            let tail = format!("\r\n--{boundary}--\r\n");
            let size = std::fs::metadata(file)?.len();
            let length = fields.len() as u64 + file_head.len() as u64 + size + tail.len() as u64;
            let head = format!("POST /v1/imports HTTP/1.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n");
            let (status, text) = self.send(&head, &mut |s| {
                s.write_all(fields.as_bytes())?;
                s.write_all(file_head.as_bytes())?;
                std::io::copy(&mut std::fs::File::open(file)?, s)?;
                s.write_all(tail.as_bytes())
            })?;
            answer(status, &text)
        }
    }

    fn answer<T: DeserializeOwned>(status: u16, text: &str) -> anyhow::Result<T> {
        if !(200..300).contains(&status) {
            let message = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_else(|| text.to_owned());
            bail!("the collector answered {status}: {message}");
        }
        Ok(serde_json::from_str(text)?)
    }

    fn dechunk(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
                break;
            };
            if n == 0 || after.len() < n {
                break;
            }
            out.push_str(&after[..n]);
            rest = after[n..].trim_start_matches("\r\n");
        }
        out
    }
}
