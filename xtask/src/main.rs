//! `cargo xtask <task>`: the repository's single entry point for builds and tests.
//!
//! * `build [--debug]` — the tracker into `dist/` (script tag) and `pkg/` (npm), with sizes.
//! * `test` — every test: host unit and property tests, the collector's tests, the size
//!   budget, browser tests in headless Chromium, and the end-to-end suites.
//! * `demo` — builds everything and serves the demo site from the collector.
//! * `bench` — wasmtrack against the reference trackers, into `bench/REPORT.md` (issue 6).
//!
//! Each task installs what it needs when it is missing (see `tools.rs`).

mod bench;
mod build;
mod demo;
mod http;
mod run;
mod size;
mod tools;

use build::Profile;
use run::{cmd, status, Result};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let flags = &args[args.len().min(1)..];
    let outcome = match task {
        "build" => build_task(flags),
        "test" => test_task(),
        "demo" => demo::demo(flag_value(flags, "--listen")),
        "bench" => bench::bench(flags),
        _ => {
            eprintln!("usage: cargo xtask <build [--debug] | test | demo [--listen ADDR:PORT] | bench [--browser-runs N]>");
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
    let profile = if flags.iter().any(|f| f == "--debug") { Profile::Debug } else { Profile::Release };
    let files = build::build(profile)?;
    size::report(&files)?;
    Ok(())
}

fn test_task() -> Result {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    status(cmd("cargo").args(["test", "--workspace"]))?;
    let files = build::build(Profile::Release)?;
    let gzip = size::report(&files)?;
    // The 25 KiB budget becomes a failure with issue 6 ("size budget"); until then the
    // figure is printed on every run and recorded in the README.
    if std::env::var_os("WASMTRACK_ENFORCE_BUDGET").is_some() {
        size::check_budget(gzip)?;
    }
    status(
        cmd("cargo")
            .args(["test", "-p", "wasmtrack", "--no-default-features", "--target", "wasm32-unknown-unknown", "--test", "browser"])
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", run::root().join("tests/webdriver.json")),
    )?;
    status(cmd("cargo").args(["build", "-p", "wasmtrack-collector"]))?;
    status(cmd("node").args(["--test", "--test-concurrency=1", "tests/e2e/"]))
}

fn flag_value<'a>(flags: &'a [String], name: &str) -> Option<&'a str> {
    flags.iter().position(|f| f == name).and_then(|i| flags.get(i + 1)).map(String::as_str)
}
