//! `cargo xtask <task>`: the repository's single entry point for builds and tests.
//!
//! * `build [--debug]` — the tracker into `dist/` (script tag) and `pkg/` (npm), with sizes.
//! * `test` — every test: `cargo fmt --check` and clippy (host and wasm32, warnings denied),
//!   host unit and property tests, the collector's tests, the size
//!   budget, browser tests in headless Chromium, and the end-to-end suites.
//! * `api-postgres [FILTER…]` — only the collector's API suite, on a throw-away PostgreSQL
//!   cluster (as `test` runs it the second time), for working on the PostgreSQL store.
//! * `demo` — builds everything and serves the demo site from the collector.
//! * `bench` — wasmtrack against the reference trackers, into `bench/REPORT.md` (issue 6).
//!
//! Each task installs what it needs when it is missing (see `tools.rs`).

mod bench;
mod build;
mod demo;
mod http;
mod minify;
mod run;
mod size;
mod tools;
mod wasm2js;

use build::Profile;
use run::{cmd, status, Result};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let flags = &args[args.len().min(1)..];
    let outcome = match task {
        "build" => build_task(flags),
        "test" => test_task(),
        "api-postgres" => tools::ensure_postgres().and_then(|()| api_tests_on_postgres(flags)),
        "demo" => demo::demo(flag_value(flags, "--listen")),
        "bench" => bench::bench(flags),
        _ => {
            eprintln!("usage: cargo xtask <build [--debug] | test | api-postgres [FILTER…] | demo [--listen ADDR:PORT] | bench [--browser-runs N]>");
            std::process::exit(2);
        }
    };
    if let Err(message) = outcome {
        eprintln!("\nxtask {task}: {message}");
        std::process::exit(1);
    }
}

fn build_task(flags: &[String]) -> Result {
    tools::ensure_build_tools()?;
    let profile = if flags.iter().any(|f| f == "--debug") {
        Profile::Debug
    } else {
        Profile::Release
    };
    let downloads = build::build(profile)?;
    size::report(&downloads)?;
    Ok(())
}

fn test_task() -> Result {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    tools::ensure_postgres()?;
    lint()?;
    status(cmd("cargo").args(["test", "--workspace"]))?;
    api_tests_on_postgres(&[])?;
    let downloads = build::build(Profile::Release)?;
    let gzip = size::report(&downloads)?;
    size::check_budget(gzip)?;
    browser_tests()?;
    status(cmd("cargo").args(["build", "-p", "wasmtrack-collector"]))?;
    status(cmd("node").args(["--test", "--test-concurrency=1", "tests/e2e/"]))
}

/// The collector's API suite again, with every test's store on PostgreSQL: on a throw-away
/// cluster started here (`crates/pgcluster`, on a free port of 127.0.0.1) and stopped and
/// deleted after, whatever the outcome. Each test makes a database of its own on it.
fn api_tests_on_postgres(cargo_test_args: &[String]) -> Result {
    let cluster = wasmtrack_pgcluster::Cluster::start()?;
    println!(
        "xtask: the API suite on PostgreSQL (a throw-away cluster on port {})",
        cluster.port()
    );
    status(
        cmd("cargo")
            .args(["test", "-p", "wasmtrack-collector", "--test", "api"])
            .args(cargo_test_args)
            .env("WASMTRACK_TEST_DATABASE", cluster.url("postgres")),
    )
}

/// The gates before any test: formatting, and clippy with every warning an error, on the host
/// (the whole workspace) and on wasm32 (the crates that ship to browsers). The wasm crates are
/// linted one by one: linted together, cargo would unify their features, and the visualizer's
/// std would meet the tracker's own panic handler. The core's tests are linted on the host
/// only: they use proptest, which does not build for wasm32, where the core is never tested.
fn lint() -> Result {
    status(cmd("cargo").args(["fmt", "--all", "--check"]))?;
    let deny = ["--", "-D", "warnings"];
    status(
        cmd("cargo")
            .args(["clippy", "--workspace", "--all-targets"])
            .args(deny),
    )?;
    let wasm: [&[&str]; 6] = [
        &["-p", "wasmtrack-core", "--lib"],
        &["-p", "wasmtrack-browser", "--all-targets"],
        &["-p", "wasmtrack", "--lib"],
        &["-p", "wasmtrack-autotrack", "--lib"],
        // The browser tests link std: without the `tiny` feature, as `browser_tests` runs them.
        &["-p", "wasmtrack", "--all-targets", "--no-default-features"],
        &["-p", "wasmtrack-visualizer", "--all-targets"],
    ];
    for args in wasm {
        status(
            cmd("cargo")
                .args(["clippy", "--target", "wasm32-unknown-unknown"])
                .args(args)
                .args(deny),
        )?;
    }
    Ok(())
}

/// The wasm-bindgen-test suite in headless Chromium, driven by playwright-core through
/// `tests/browser-runner.mjs` rather than by ChromeDriver (whose runs hung in one of two or
/// three; the runner says why). A test that fails fails the task.
fn browser_tests() -> Result {
    let listing = run::stdout(
        cmd("cargo")
            .args([
                "test",
                "-p",
                "wasmtrack",
                "--no-default-features",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "browser",
            ])
            .args(["--no-run", "--message-format=json"]),
    )?;
    let wasm = test_executable(&listing, "browser")
        .ok_or("cargo did not report the browser test's wasm")?;
    status(cmd("node").arg("tests/browser-runner.mjs").arg(wasm))
}

/// The `executable` of test target `name` in cargo's `--message-format=json` lines.
fn test_executable(listing: &str, name: &str) -> Option<String> {
    listing
        .lines()
        .filter(|line| {
            line.contains("\"reason\":\"compiler-artifact\"")
                && line.contains(&format!("\"name\":\"{name}\""))
        })
        .find_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            value.get("executable")?.as_str().map(str::to_owned)
        })
}

fn flag_value<'a>(flags: &'a [String], name: &str) -> Option<&'a str> {
    flags
        .iter()
        .position(|f| f == name)
        .and_then(|i| flags.get(i + 1))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_test_wasm_in_cargos_listing() {
        let listing = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"wasmtrack","kind":["lib"]},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"browser","kind":["test"]},"executable":"/t/deps/browser-1.wasm"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            super::test_executable(listing, "browser").as_deref(),
            Some("/t/deps/browser-1.wasm")
        );
        assert_eq!(super::test_executable(listing, "other"), None);
    }
}
