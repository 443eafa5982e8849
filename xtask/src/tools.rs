//! Installs what the build and the tests need when it is missing, so that the README's two
//! commands work on a fresh machine: the wasm target and `rust-src`, `wasm-bindgen-cli` of
//! exactly the version in `Cargo.lock`, the npm tools (esbuild, binaryen's wasm-opt,
//! playwright-core), Debian's Chromium, and PostgreSQL's programs for the tests' throw-away
//! clusters.

use crate::run::{cmd, output, root, status, Result};
use std::path::{Path, PathBuf};

/// Chromium from Debian's packages, driven by playwright-core in the browser tests.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Everything the build needs.
pub fn ensure_build_tools() -> Result {
    ensure_wasm_target()?;
    ensure_rust_src()?;
    ensure_wasm_bindgen()?;
    ensure_npm_tools()
}

/// Everything the tests need besides the build tools.
pub fn ensure_browser() -> Result {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    status(cmd("apt-get").arg("update"))?;
    status(
        cmd("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// PostgreSQL's programs (`initdb`, `pg_ctl`, `psql`), with which the tests start throw-away
/// clusters of their own (`crates/pgcluster`), from Debian's `postgresql` package. Only the
/// programs are used: the package's own service is never started by the tests.
pub fn ensure_postgres() -> Result {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(|d| d.ok())
                .any(|d| d.path().join("bin/initdb").exists())
        })
        .unwrap_or(false);
    if installed || std::env::var_os("WASMTRACK_PG_BIN").is_some() {
        return Ok(());
    }
    status(cmd("apt-get").arg("update"))?;
    status(
        cmd("apt-get")
            .args(["install", "-y", "--no-install-recommends", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

fn ensure_wasm_target() -> Result {
    let installed =
        output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    status(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The standard library's source: the release build compiles `core` and `alloc` itself.
/// The rustup components the build and the gates use: `rust-src` (the tracker rebuilds `core`
/// and `alloc`), `rustfmt` and `clippy` (`cargo xtask test` runs both).
fn ensure_rust_src() -> Result {
    let installed =
        output(cmd("rustup").args(["component", "list", "--installed"])).unwrap_or_default();
    for component in ["rust-src", "rustfmt", "clippy"] {
        if !installed.lines().any(|l| l.trim().starts_with(component)) {
            status(cmd("rustup").args(["component", "add", component]))?;
        }
    }
    Ok(())
}

/// The `wasm-bindgen` version `Cargo.lock` pins; the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn ensure_wasm_bindgen() -> Result {
    let want = locked_wasm_bindgen_version()?;
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        return Ok(());
    }
    // `--locked` fails for this crate on current toolchains; its own lock is not what we pin.
    status(cmd("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={want}"),
    ]))
}

/// A binary that npm installed into `node_modules/.bin`.
pub fn npm_bin(name: &str) -> PathBuf {
    root().join("node_modules/.bin").join(name)
}

fn ensure_npm_tools() -> Result {
    let marker = root().join("node_modules/.package-lock.json");
    let fresh = match (
        modified(&marker),
        modified(&root().join("package-lock.json")),
    ) {
        (Some(installed), Some(locked)) => installed >= locked,
        _ => false,
    };
    if fresh
        && ["esbuild", "wasm-opt", "terser"]
            .iter()
            .all(|tool| npm_bin(tool).exists())
    {
        return Ok(());
    }
    status(cmd("npm").args(["ci", "--no-audit", "--no-fund"]))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
