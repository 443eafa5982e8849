//! `cargo xtask bench`: wasmtrack against the reference trackers, in one run, into
//! `bench/REPORT.md` (issue 6). This module orchestrates; the measuring lives in `bench/`:
//!
//! 1. builds the tracker (`dist/`, `pkg/`), the release collector and `bench/loadgen`;
//! 2. installs the reference trackers pinned by `bench/package-lock.json` into
//!    `target/bench/peers` (`npm ci`; never committed, never shipped);
//! 3. `bench/browser/run.mjs`: script-tag installs in headless Chromium (time to ready, track
//!    cost, long tasks, wire bytes) against a local stand-in for every tracker's servers;
//! 4. the collector under `wasmtrack-loadgen` (a second process on 127.0.0.1): full load for
//!    30 s, latency at half that load, peak memory (`VmHWM`), then the raw-SQLite reference,
//!    then full load with no workflow and with twenty enabled ones (issue 17 point 2), then
//!    two collectors sharing one PostgreSQL next to raw `INSERT`/`COPY` (issue 19 point 4);
//! 5. `bench/report.mjs`: sizes (script tag and esbuild bundles) and the report's tables.
//!
//! `--only collector` runs step 4 alone (no tracker build, browser or report) and prints its
//! JSON; `--only workflows` the workflows comparison alone; `--only postgres` the PostgreSQL
//! figures alone (two collectors on one throw-away cluster, and the raw references).
//!
//! Absolute figures on shared machines are noise; the report's ratios, from one run, are not.

use crate::build::{self, Profile};
use crate::http;
use crate::run::{cmd, output, root, status, Result};
use crate::tools;
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// Seconds of full load on the collector (the issue's figure).
const LOAD_SECONDS: &str = "30";
/// Seconds of half load, for the latency percentiles.
const HALF_LOAD_SECONDS: &str = "20";
/// Each of the four runs that compare gzipped beacons with plain ones.
const GZIP_SECONDS: &str = "10";
/// Seconds of full load on two collectors sharing one PostgreSQL (issue 19 point 4), and of
/// each raw PostgreSQL reference run.
const POSTGRES_SECONDS: &str = "20";
/// Rows per transaction of the raw PostgreSQL references: what one batch of the collector's
/// writer holds at full load (32 connections × 20 events, two collectors).
const POSTGRES_REF_ROWS: &str = "320";
/// Connections of the raw PostgreSQL references: as many as the two collectors' writers.
const POSTGRES_REF_CONNECTIONS: &str = "2";
/// Seconds of each raw-SQLite reference run.
const SQLITE_SECONDS: &str = "10";
/// Keep-alive connections of the load generator, one request in flight on each.
const CONNECTIONS: &str = "32";
/// Events per beacon.
const BATCH: &str = "20";
/// Site id of the load (its origins: `*`, so beacons without `Origin` are accepted).
const SITE: &str = "bench";
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789abcdef0123";
/// Enabled workflows of the throughput-with-workflows figure (issue 17 point 2: twenty).
const WORKFLOWS: usize = 20;
/// Pairs of runs (one without workflows, one with) of that figure: three, so that the median
/// of each kind leaves out a run another tenant of the machine disturbed (runs of the same
/// kind were seen 1.7× apart on 2 shared cores).
const WORKFLOW_PAIRS: usize = 3;
/// Seconds of each of those runs: shorter than [`LOAD_SECONDS`] so that three pairs stay
/// under 3 minutes; still ~1 million events, 4,000 visitors and 800 contacts per run, as the
/// half-load figure's 20 s. (A cost that grows with the tables shows less in 20 s than in 30.)
const WORKFLOW_SECONDS: &str = "20";
/// Beacons each visitor sends in that figure's load (a visit of a few pages).
const VISIT_BEACONS: &str = "5";
/// Percent of those visitors who identify with an email on the way, so contacts enroll.
const IDENTIFIED_PERCENT: &str = "20";
/// Seconds the enroller has after the load to catch up before its enrollments are counted.
const ENROLLER_WAIT_SECONDS: &str = "10";

/// Runs the whole suite; `--browser-runs N` changes the number of browser runs (default 5).
pub fn bench(flags: &[String]) -> Result {
    if let Some(part) = crate::flag_value(flags, "--only") {
        return only(part);
    }
    let started = Instant::now();
    let runs = crate::flag_value(flags, "--browser-runs")
        .unwrap_or("5")
        .to_owned();
    let out = root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    build::build(Profile::Release)?;
    build_collector_and_loadgen()?;
    install_peers(&out.join("peers"))?;

    let browser_json = out.join("browser.json");
    status(
        cmd("node")
            .arg("bench/browser/run.mjs")
            .arg(root())
            .arg(&browser_json)
            .arg(&runs),
    )?;

    let collector_json = out.join("collector.json");
    let figures = collector_figures(&out)?;
    std::fs::write(&collector_json, figures)
        .map_err(|e| format!("{}: {e}", collector_json.display()))?;

    let app_events = crate::flag_value(flags, "--app-events")
        .unwrap_or("10000000")
        .to_owned();
    let app_json = out.join("app.json");
    let figures = app_figures(&out, &app_events)?;
    std::fs::write(&app_json, figures).map_err(|e| format!("{}: {e}", app_json.display()))?;

    let import_json = out.join("import.json");
    let figures = import_figures(&out)?;
    std::fs::write(&import_json, figures).map_err(|e| format!("{}: {e}", import_json.display()))?;

    let seconds = started.elapsed().as_secs();
    status(
        cmd("node")
            .arg("bench/report.mjs")
            .arg(root())
            .arg(&browser_json)
            .arg(&collector_json)
            .arg(root().join("bench/REPORT.md"))
            .arg(&app_json)
            .arg(&import_json)
            .env("BENCH_SECONDS", seconds.to_string()),
    )?;
    let report =
        std::fs::read_to_string(root().join("bench/REPORT.md")).map_err(|e| e.to_string())?;
    println!("\n{report}");
    eprintln!(
        "xtask bench: done in {} s; report in bench/REPORT.md",
        started.elapsed().as_secs()
    );
    Ok(())
}

/// `--only collector` (step 4, into `target/bench/collector.json`) or `--only workflows` (its
/// workflows comparison), printed; nothing else is built or run, and the report is not
/// written (it needs every step).
fn only(part: &str) -> Result {
    let out = root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    build_collector_and_loadgen()?;
    let figures = match part {
        "collector" => {
            let figures = collector_figures(&out)?;
            let path = out.join("collector.json");
            std::fs::write(&path, &figures).map_err(|e| format!("{}: {e}", path.display()))?;
            figures
        }
        "workflows" => workflow_figures(&out)?,
        "postgres" => postgres_figures(&out)?,
        other => {
            return Err(format!(
                "--only {other}: one of collector, workflows, postgres"
            ))
        }
    };
    println!("{figures}");
    Ok(())
}

fn build_collector_and_loadgen() -> Result {
    status(cmd("cargo").args([
        "build",
        "--release",
        "-p",
        "wasmtrack-collector",
        "-p",
        "wasmtrack-loadgen",
    ]))
}

/// A release binary of this workspace, where cargo put it (`CARGO_TARGET_DIR` when set).
fn release_bin(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_relative() {
                std::env::current_dir().unwrap_or_else(|_| root()).join(dir)
            } else {
                dir
            }
        })
        .unwrap_or_else(|| root().join("target"));
    target.join("release").join(name)
}

/// The analyst app's pages on a database of `events` completions (`wasmtrack-loadgen fill`,
/// kept in `target/bench/app-data` between runs: filling 10 million takes minutes), timed by
/// `wasmtrack-loadgen app` against the release collector serving it. Returns the JSON.
fn app_figures(out: &Path, events: &str) -> Result<String> {
    let data = out.join("app-data");
    // The marker names the fill's version: a database filled by an older generator (other
    // definitions) is filled again.
    let marker = data.join(format!("filled-v2-{events}"));
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        eprintln!("xtask bench: filling a database with {events} completions for the app's pages");
        let db = data.join("wasmtrack.db");
        let filled = loadgen(&["fill", &db.to_string_lossy(), events])?;
        std::fs::write(&marker, filled).map_err(|e| e.to_string())?;
    }
    let addr = free_addr()?;
    let log = std::fs::File::create(out.join("app-collector.log")).map_err(|e| e.to_string())?;
    let mut collector = cmd(release_bin("wasmtrack-collector"))
        .args(["--listen", &addr.to_string(), "--data-dir"])
        .arg(&data)
        .env("WASMTRACK_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("could not start the collector: {e}"))?;
    let result = (|| -> Result<String> {
        if !http::wait_healthy(addr, 60) {
            return Err(format!(
                "the collector on {} did not become healthy",
                data.display()
            ));
        }
        let figures = loadgen(&["app", &addr.to_string(), ADMIN_TOKEN, "15"])?;
        let filled = std::fs::read_to_string(&marker).unwrap_or_default();
        Ok(format!(
            "{{\"events\": {events}, \"fill\": {}, \"app\": {}}}",
            filled.trim(),
            figures.trim()
        ))
    })();
    let _ = status(cmd("kill").args(["-TERM", &collector.id().to_string()]));
    let _ = collector.wait();
    result
}

/// Rows of the import benchmark's files (issue 16: a million rows × 10 columns).
const IMPORT_ROWS: &str = "1000000";

/// The import benchmark: for a CSV and an XLSX of [`IMPORT_ROWS`] rows (written by
/// `wasmtrack-loadgen importfile`, kept in `target/bench/import-files`), a fresh release
/// collector imports the file while beacons arrive at 1,000 events/s (`wasmtrack-loadgen
/// import`); first the same beacons alone, for their latency without an import. Returns JSON.
fn import_figures(out: &Path) -> Result<String> {
    let files = out.join("import-files");
    std::fs::create_dir_all(&files).map_err(|e| format!("{}: {e}", files.display()))?;
    let mut runs = Vec::new();
    let mut baseline = String::from("null");
    for (i, name) in ["baseline", "rows.csv", "rows.xlsx"]
        .into_iter()
        .enumerate()
    {
        let file = files.join(name);
        if i > 0 && !file.exists() {
            eprintln!(
                "xtask bench: writing {} ({IMPORT_ROWS} rows)",
                file.display()
            );
            loadgen(&["importfile", &file.to_string_lossy(), IMPORT_ROWS])?;
        }
        let data = out.join("import-data");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let addr = free_addr()?;
        let log =
            std::fs::File::create(out.join("import-collector.log")).map_err(|e| e.to_string())?;
        let mut collector = cmd(release_bin("wasmtrack-collector"))
            .args([
                "--listen",
                &addr.to_string(),
                "--site",
                &format!("{SITE}=*"),
            ])
            .args(["--beacon-rate", "0", "--api-rate", "0", "--data-dir"])
            .arg(&data)
            .env("WASMTRACK_ADMIN_TOKEN", ADMIN_TOKEN)
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("could not start the collector: {e}"))?;
        let result = (|| -> Result<String> {
            if !http::wait_healthy(addr, 30) {
                return Err("the import benchmark's collector did not become healthy".into());
            }
            let a = addr.to_string();
            if i == 0 {
                let definition = loadgen(&["definition"])?;
                http::request(
                    addr,
                    "POST",
                    "/events/v3/event-definitions",
                    Some(ADMIN_TOKEN),
                    &definition,
                )
                .map_err(|e| format!("defining the beacon event: {e}"))?;
                return loadgen(&["load", &a, SITE, "4", "10", "20", "1000"]);
            }
            loadgen(&[
                "import",
                &a,
                ADMIN_TOKEN,
                &file.to_string_lossy(),
                &collector.id().to_string(),
            ])
        })();
        let _ = status(cmd("kill").args(["-TERM", &collector.id().to_string()]));
        let _ = collector.wait();
        let figures = result?;
        if i == 0 {
            baseline = figures.trim().to_owned();
        } else {
            runs.push(figures.trim().to_owned());
        }
    }
    Ok(format!(
        "{{\"rows\": {IMPORT_ROWS}, \"beacons_alone\": {baseline}, \"runs\": [{}]}}",
        runs.join(",")
    ))
}

/// `npm ci` of `bench/package.json` into `dir`, unless `dir` already holds that exact lock.
fn install_peers(dir: &Path) -> Result {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let read = |p: PathBuf| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()));
    let lock = read(root().join("bench/package-lock.json"))?;
    let installed = std::fs::read(dir.join("package-lock.json")).ok();
    if installed.as_deref() != Some(lock.as_slice())
        || !dir.join("node_modules/.package-lock.json").exists()
    {
        std::fs::write(
            dir.join("package.json"),
            read(root().join("bench/package.json"))?,
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("package-lock.json"), &lock).map_err(|e| e.to_string())?;
        status(
            cmd("npm")
                .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
                .current_dir(dir),
        )?;
    }
    // RudderStack's script-tag file (`rsa.min.js`) is served by its CDN, not published to npm:
    // the page loads its UMD build with the plugins bundled, minified here as a CDN would.
    let rudderstack =
        dir.join("node_modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js");
    status(
        cmd(tools::npm_bin("esbuild"))
            .arg(&rudderstack)
            .arg("--minify")
            .arg(format!(
                "--outfile={}",
                dir.join("min/rudderstack.min.js").display()
            ))
            .arg("--log-level=warning"),
    )
}

/// Runs the collector figures and returns them as one JSON object.
fn collector_figures(out: &Path) -> Result<String> {
    let data = out.join("collector-data");
    let addr = free_addr()?;
    let mut collector = start_collector(out, &data, addr, "collector.log", &[])?;
    let pid = collector.id();
    let result = (|| -> Result<String> {
        define_bench_event(addr)?;
        let a = addr.to_string();
        eprintln!("xtask bench: collector under full load for {LOAD_SECONDS} s");
        let full = loadgen(&["load", &a, SITE, CONNECTIONS, BATCH, LOAD_SECONDS])?;
        let rate = json_number(&full, "stored_per_s")
            .ok_or_else(|| format!("the load generator printed no rate: {full}"))?;
        let half_rate = format!(
            "{:.0}",
            (rate / 2.0).max(BATCH.parse::<f64>().unwrap_or(20.0))
        );
        eprintln!(
            "xtask bench: collector at half load ({half_rate} events/s) for {HALF_LOAD_SECONDS} s"
        );
        let half = loadgen(&[
            "load",
            &a,
            SITE,
            CONNECTIONS,
            BATCH,
            HALF_LOAD_SECONDS,
            &half_rate,
        ])?;
        let hwm_kb = peak_rss_kb(pid).unwrap_or(0);
        // Issue 18: the tracker gzips its `fetch` batches; what does reading gzip cost the
        // collector? Full load with plain and with gzipped beacons, alternated plain, gzip,
        // gzip, plain so that the growing database weighs on both alike.
        let mut compared = Vec::new();
        for gzip in [false, true, true, false] {
            eprintln!(
                "xtask bench: collector under full load, {} beacons, for {GZIP_SECONDS} s",
                if gzip { "gzipped" } else { "plain" }
            );
            let run = loadgen_with(&["load", &a, SITE, CONNECTIONS, BATCH, GZIP_SECONDS], gzip)?;
            let rate = json_number(&run, "stored_per_s")
                .ok_or_else(|| format!("the load generator printed no rate: {run}"))?;
            compared.push(format!(r#"{{"gzip":{gzip},"stored_per_s":{rate:.0}}}"#));
        }
        Ok(format!(
            r#"{{"full":{},"half":{},"gzip":[{}],"vmhwm_kb":{hwm_kb}"#,
            full.trim(),
            half.trim(),
            compared.join(",")
        ))
    })();
    stop_collector(&mut collector);
    let head = result?;

    let db = data.join("wasmtrack.db");
    let reference = out.join("sqlite-reference.db");
    let mut refs = Vec::new();
    // Ids kept unique the way the collector keeps them, then plain inserts of the same rows
    // (the physical limit: what the goal's "raw SQLite insert rate" is read against).
    // The load generator starts each run on a new reference file.
    let (db_arg, ref_arg) = (
        db.to_string_lossy().into_owned(),
        reference.to_string_lossy().into_owned(),
    );
    for (per_tx, mode) in [
        ("20", "unique"),
        ("1000", "unique"),
        ("20", "plain"),
        ("1000", "plain"),
    ] {
        eprintln!("xtask bench: raw SQLite inserts ({mode} ids), {per_tx} rows per transaction, {SQLITE_SECONDS} s");
        let mut args = vec!["sqlite", &db_arg, &ref_arg, per_tx, SQLITE_SECONDS];
        if mode == "plain" {
            args.push("plain");
        }
        refs.push(loadgen(&args)?.trim().to_owned());
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", reference.display()));
    }
    let _ = std::fs::remove_dir_all(&data);
    let workflows = workflow_figures(out)?;
    let postgres = postgres_figures(out)?;
    Ok(format!(
        r#"{head},"sqlite":[{}],"workflows":{workflows},"postgres":{postgres}}}"#,
        refs.join(",")
    ))
}

/// Issue 19 point 4: two release collectors sharing one PostgreSQL (a throw-away cluster with
/// PostgreSQL's default durability: every commit flushed), the full load dealt to both, then
/// one collector alone on a fresh database, then the raw references into the same tables on
/// fresh databases: multi-row `INSERT` keeping ids unique, and `COPY` of the rows alone.
fn postgres_figures(out: &Path) -> Result<String> {
    tools::ensure_postgres()?;
    let cluster =
        wasmtrack_pgcluster::Cluster::start_with(wasmtrack_pgcluster::Durability::Default)?;
    let mut runs = Vec::new();
    for (database, collectors) in [("two", 2), ("one", 1)] {
        cluster.create_database(database)?;
        let url = cluster.url(database);
        let mut started = Vec::new();
        let mut addrs = Vec::new();
        for i in 0..collectors {
            let addr = free_addr()?;
            let data = out.join(format!("postgres-data-{i}"));
            let log = format!("collector-postgres-{database}-{i}.log");
            match start_collector(out, &data, addr, &log, &["--database", &url]) {
                Ok(child) => started.push((child, data)),
                Err(e) => {
                    for (mut child, _) in started {
                        stop_collector(&mut child);
                    }
                    return Err(e);
                }
            }
            addrs.push(addr.to_string());
        }
        let result = (|| -> Result<String> {
            define_bench_event(addrs[0].parse().map_err(|e| format!("{e}"))?)?;
            // The others hear of the definition through the database's notification.
            std::thread::sleep(Duration::from_secs(1));
            eprintln!(
                "xtask bench: {collectors} collector(s) on one PostgreSQL under full load for {POSTGRES_SECONDS} s"
            );
            let load = loadgen(&[
                "load",
                &addrs.join(","),
                SITE,
                CONNECTIONS,
                BATCH,
                POSTGRES_SECONDS,
            ])?;
            Ok(format!(
                r#"{{"collectors":{collectors},"load":{}}}"#,
                load.trim()
            ))
        })();
        for (mut child, data) in started {
            stop_collector(&mut child);
            let _ = std::fs::remove_dir_all(data);
        }
        runs.push(result?);
    }
    let mut refs = Vec::new();
    for mode in ["insert", "copy"] {
        let database = format!("ref_{mode}");
        cluster.create_database(&database)?;
        eprintln!(
            "xtask bench: raw PostgreSQL {mode}, {POSTGRES_REF_ROWS} rows per transaction on {POSTGRES_REF_CONNECTIONS} connections, {POSTGRES_SECONDS} s"
        );
        refs.push(
            loadgen(&[
                "pg",
                &cluster.url(&database),
                POSTGRES_REF_ROWS,
                POSTGRES_SECONDS,
                POSTGRES_REF_CONNECTIONS,
                mode,
            ])?
            .trim()
            .to_owned(),
        );
    }
    Ok(format!(
        r#"{{"runs":[{}],"raw":[{}]}}"#,
        runs.join(","),
        refs.join(",")
    ))
}

/// Issue 17 point 2, "ingestion throughput with 20 enabled workflows stays ≥ 90 % of that with
/// none": full load ([`WORKFLOW_SECONDS`], the throughput figure's connections and batches) on
/// a fresh collector with no workflow and on one with [`WORKFLOWS`] enabled ones, in
/// [`WORKFLOW_PAIRS`] pairs ordered none, twenty, twenty, none, none, twenty so that a drift
/// over the minutes (the disk, the machine's other tenants) weighs on both kinds alike; the
/// figure is the median of each kind. Both kinds get the same load: visits of [`VISIT_BEACONS`] beacons,
/// [`IDENTIFIED_PERCENT`] % of the visitors identifying, so the workflows really enroll
/// contacts and remember anonymous visitors, and the same webhook receiver. Returns JSON.
fn workflow_figures(out: &Path) -> Result<String> {
    let mut runs = Vec::new();
    let (mut none, mut twenty) = (Vec::new(), Vec::new());
    for i in 0..2 * WORKFLOW_PAIRS {
        let count = if with_workflows(i) { WORKFLOWS } else { 0 };
        eprintln!(
            "xtask bench: collector under full load with {count} workflows for {WORKFLOW_SECONDS} s (run {} of {})",
            i + 1,
            2 * WORKFLOW_PAIRS
        );
        let run = workflow_run(out, count)?;
        let rate = run["load"]["stored_per_s"]
            .as_f64()
            .ok_or_else(|| format!("the load generator printed no rate: {run}"))?;
        if count == 0 { &mut none } else { &mut twenty }.push(rate);
        runs.push(run);
    }
    Ok(json!({
        "workflows": WORKFLOWS,
        "seconds": WORKFLOW_SECONDS.parse::<f64>().unwrap_or(0.0),
        "enroller_wait_s": ENROLLER_WAIT_SECONDS.parse::<f64>().unwrap_or(0.0),
        "summary": summary(&none, &twenty),
        "runs": runs,
    })
    .to_string())
}

/// Whether run `i` of the comparison has the workflows: none, twenty, twenty, none, none, ….
fn with_workflows(i: usize) -> bool {
    matches!(i % 4, 1 | 2)
}

/// The comparison's figures from the events/s of the runs without and with workflows: the
/// median of each kind, their ratio, and each kind's range.
fn summary(none: &[f64], with: &[f64]) -> Value {
    let median = |xs: &[f64]| {
        let mut xs = xs.to_vec();
        xs.sort_by(f64::total_cmp);
        let mid = xs.len() / 2;
        match xs.len() {
            0 => None,
            n if n % 2 == 1 => Some(xs[mid]),
            _ => Some((xs[mid - 1] + xs[mid]) / 2.0),
        }
    };
    let range = |xs: &[f64]| {
        json!([
            xs.iter().copied().fold(f64::INFINITY, f64::min),
            xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        ])
    };
    let (n, w) = (median(none), median(with));
    let ratio = n.zip(w).filter(|(n, _)| *n > 0.0).map(|(n, w)| w / n);
    json!({
        "none_per_s": n, "with_per_s": w, "ratio": ratio,
        "none_range": range(none), "with_range": range(with),
        "none_runs": none.len(), "with_runs": with.len(),
    })
}

/// One run of the comparison: a fresh collector (and data directory) with `count` workflows
/// sending their webhooks to a fresh receiver, under full load; then what the enroller made of
/// it and what the receiver got.
fn workflow_run(out: &Path, count: usize) -> Result<Value> {
    let data = out.join("workflows-data");
    let hooks = free_addr()?;
    let log = std::fs::File::create(out.join("receiver.log")).map_err(|e| e.to_string())?;
    let mut receiver = cmd(release_bin("wasmtrack-loadgen"))
        .args(["receive", &hooks.to_string()])
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("could not start the webhook receiver: {e}"))?;
    let addr = free_addr()?;
    // Both kinds may send webhooks to 127.0.0.1, so they differ by the workflows alone.
    let collector = start_collector(
        out,
        &data,
        addr,
        "workflows-collector.log",
        &["--allow-private-webhooks"],
    );
    let result = collector.and_then(|mut collector| {
        let result = (|| -> Result<Value> {
            if !http::wait_healthy(hooks, 10) {
                return Err(format!("the webhook receiver on {hooks} did not answer"));
            }
            define_bench_event(addr)?;
            let bodies = loadgen(&[
                "workflows",
                &count.to_string(),
                &format!("http://{hooks}/hook"),
            ])?;
            for body in bodies.lines().filter(|l| !l.trim().is_empty()) {
                match http::request(addr, "POST", "/v1/workflows", Some(ADMIN_TOKEN), body) {
                    Ok((201, _)) => {}
                    Ok((code, answer)) => {
                        return Err(format!("creating a workflow answered {code}: {answer}"))
                    }
                    Err(e) => return Err(format!("creating a workflow: {e}")),
                }
            }
            let a = addr.to_string();
            let load = loadgen(&[
                "load",
                &a,
                SITE,
                CONNECTIONS,
                BATCH,
                WORKFLOW_SECONDS,
                "--visits",
                VISIT_BEACONS,
                IDENTIFIED_PERCENT,
            ])?;
            let db = data.join("wasmtrack.db");
            let enrolled = loadgen(&["enrolled", &db.to_string_lossy(), ENROLLER_WAIT_SECONDS])?;
            let webhooks = match http::request(hooks, "GET", "/count", None, "") {
                Ok((200, body)) => body,
                Ok((code, body)) => return Err(format!("the receiver answered {code}: {body}")),
                Err(e) => return Err(format!("asking the receiver: {e}")),
            };
            let parse = |text: &str| {
                serde_json::from_str::<Value>(text.trim()).map_err(|e| format!("{e}: {text}"))
            };
            Ok(json!({
                "workflows": count,
                "load": parse(&load)?,
                "enrolled": parse(&enrolled)?,
                "webhooks": parse(&webhooks)?,
            }))
        })();
        stop_collector(&mut collector);
        result
    });
    let _ = receiver.kill();
    let _ = receiver.wait();
    let _ = std::fs::remove_dir_all(&data);
    result
}

/// Starts the release collector on a fresh `data` directory, its output in `out/<log>`, with
/// the benchmark site and no rate limits, and waits until it is healthy.
fn start_collector(
    out: &Path,
    data: &Path,
    addr: SocketAddr,
    log: &str,
    extra: &[&str],
) -> Result<Child> {
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data).map_err(|e| format!("{}: {e}", data.display()))?;
    let log_file = std::fs::File::create(out.join(log)).map_err(|e| e.to_string())?;
    let mut collector = cmd(release_bin("wasmtrack-collector"))
        .args([
            "--listen",
            &addr.to_string(),
            "--site",
            &format!("{SITE}=*"),
            "--data-dir",
        ])
        .arg(data)
        // The load generator is one site sending as fast as it is answered: the rate limits,
        // which protect sites from each other, would measure themselves instead.
        .args(["--beacon-rate", "0", "--api-rate", "0"])
        .args(extra)
        .env("WASMTRACK_ADMIN_TOKEN", ADMIN_TOKEN)
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("could not start the collector: {e}"))?;
    if !http::wait_healthy(addr, 30) {
        stop_collector(&mut collector);
        return Err(format!(
            "the collector did not become healthy on {addr} (see target/bench/{log})"
        ));
    }
    Ok(collector)
}

/// SIGTERM: the collector commits what it accepted and exits (killed after 30 s).
fn stop_collector(collector: &mut Child) {
    let _ = status(cmd("kill").args(["-TERM", &collector.id().to_string()]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = collector.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = collector.kill();
    let _ = collector.wait();
}

/// Creates the benchmark event's definition (`wasmtrack-loadgen definition`).
fn define_bench_event(addr: SocketAddr) -> Result {
    let definition = loadgen(&["definition"])?;
    match http::request(
        addr,
        "POST",
        "/events/v3/event-definitions",
        Some(ADMIN_TOKEN),
        definition.trim(),
    ) {
        Ok((201 | 200 | 409, _)) => Ok(()),
        Ok((code, body)) => Err(format!(
            "creating the benchmark definition answered {code}: {body}"
        )),
        Err(e) => Err(format!("creating the benchmark definition: {e}")),
    }
}

fn loadgen(args: &[&str]) -> Result<String> {
    loadgen_with(args, false)
}

/// [`loadgen`], its beacons gzip-compressed when `gzip` (`LOADGEN_GZIP=1`).
fn loadgen_with(args: &[&str], gzip: bool) -> Result<String> {
    let bin = release_bin("wasmtrack-loadgen");
    let mut c = cmd(&bin);
    c.args(args);
    if gzip {
        c.env("LOADGEN_GZIP", "1");
    }
    output(&mut c).ok_or_else(|| format!("`wasmtrack-loadgen {}` failed", args.join(" ")))
}

fn free_addr() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map_err(|e| e.to_string())
}

/// Peak resident memory of `pid`, from `/proc/<pid>/status`.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The number after `"key":` in a flat JSON object (enough for the load generator's output).
fn json_number(json: &str, key: &str) -> Option<f64> {
    let start = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{json_number, summary, with_workflows};

    #[test]
    fn the_comparison_alternates_none_twenty_twenty_none() {
        let order: Vec<bool> = (0..8).map(with_workflows).collect();
        assert_eq!(order, [false, true, true, false, false, true, true, false]);
    }

    #[test]
    fn the_comparison_is_the_ratio_of_the_medians() {
        let s = summary(&[100.0, 40.0, 90.0], &[45.0, 90.0, 99.0]);
        assert_eq!(s["none_per_s"], 90.0);
        assert_eq!(s["with_per_s"], 90.0);
        assert_eq!(s["ratio"], 1.0);
        assert_eq!(s["none_range"], serde_json::json!([40.0, 100.0]));
        assert_eq!(summary(&[80.0, 100.0], &[45.0])["none_per_s"], 90.0);
        assert!(summary(&[], &[1.0])["ratio"].is_null());
    }

    #[test]
    fn reads_a_number_from_the_load_generators_output() {
        assert_eq!(
            json_number(
                r#"{"a":1,"stored_per_s":51234.5,"p50_ms":2}"#,
                "stored_per_s"
            ),
            Some(51234.5)
        );
        assert_eq!(json_number(r#"{"p99_ms":7}"#, "p99_ms"), Some(7.0));
        assert_eq!(json_number(r#"{"a":1}"#, "b"), None);
    }
}
