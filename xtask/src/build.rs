//! Builds the tracker: the script-tag install in `dist/` and the npm package in `pkg/`.
//!
//! cargo (wasm32, profile `wasm-release`: opt-level z, LTO, one codegen unit, panic=abort)
//! → wasm-bindgen (`--target web`) → wasm-opt -Oz → short import and export names in the wasm
//! and its glue (`minify.rs`) → esbuild, which bundles the generated glue with `js/loader.js`
//! (an IIFE for `<script async>`) and with `js/npm.js` (ESM, wasm inlined). Release builds also
//! translate the wasm to JavaScript for pages whose CSP refuses WebAssembly (`wasm2js.rs`).

use crate::run::{cmd, root, status, Result};
use crate::tools::npm_bin;
use base64::Engine;
use std::fs;
use std::path::{Path, PathBuf};

/// Release (size-optimised) or debug (panic messages, no wasm-opt).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// What ships.
    Release,
    /// For debugging the tracker itself.
    Debug,
}

/// Where wasm-bindgen writes the glue that esbuild bundles.
fn glue_dir() -> PathBuf {
    root().join("target/wasm-bindgen")
}

/// The files of `dist/` that pages download to track (the visualizer's, loaded only on demand,
/// are not among them).
pub struct Downloads {
    /// What every script-tag page downloads: the loader and the wasm (held to the budget).
    pub script_tag: Vec<PathBuf>,
    /// The tracker as JavaScript, which a page whose CSP refuses WebAssembly downloads instead
    /// of the wasm (`wasm2js.rs`). Release builds only: a debug wasm keeps reference types (a
    /// second table), which wasm2js refuses, and its imports' long module names.
    pub strict_csp: Option<PathBuf>,
    /// The auto-tracking module (its loader and wasm), which pages of a site with rules
    /// download once the rule list is known (`crates/autotrack`).
    pub autotrack: Vec<PathBuf>,
}

/// Builds `dist/` and `pkg/`.
pub fn build(profile: Profile) -> Result<Downloads> {
    let dist = root().join("dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist).map_err(|e| format!("dist/: {e}"))?;

    // The visualizer is a crate of its own (`crates/visualizer`): its own wasm module.
    let visualizer = compile(
        profile,
        Module::Visualizer,
        &root().join("target/wasm-bindgen-visualizer"),
        "visualizer",
    )?;
    esbuild(
        "js/visualizer-loader.js",
        &["--format=iife", "--minify", "--target=es2020"],
        &dist.join("visualizer.js"),
    )?;
    terser(&dist.join("visualizer.js"), false)?;
    copy(&visualizer, &dist.join("visualizer.wasm"))?;

    // Auto-tracking is a module of its own too (`crates/autotrack`), loaded by the tracker's
    // loaders only for a site whose rule list has a rule: an ES module (it finds its wasm
    // beside itself by `import.meta.url`).
    let autotrack = compile(
        profile,
        Module::Autotrack,
        &autotrack_glue_dir(),
        "autotrack",
    )?;
    esbuild(
        "js/autotrack.js",
        &["--format=esm", "--minify", "--target=es2020"],
        &dist.join("autotrack.js"),
    )?;
    terser(&dist.join("autotrack.js"), true)?;
    copy(&autotrack, &dist.join("autotrack.wasm"))?;

    let wasm = compile(profile, Module::Tracker, &glue_dir(), "wasmtrack")?;
    esbuild(
        "js/loader.js",
        &["--format=iife", "--minify", "--target=es2020"],
        &dist.join("wasmtrack.js"),
    )?;
    terser(&dist.join("wasmtrack.js"), false)?;
    copy(&wasm, &dist.join("wasmtrack.wasm"))?;
    // The stub snippet, for pages that load it rather than inline it (the demo site does).
    copy(&root().join("js/stub.js"), &dist.join("stub.js"))?;

    let strict_csp = match profile {
        Profile::Release => {
            let asm = dist.join("wasmtrack.asm.js");
            crate::wasm2js::build(&wasm, &asm)?;
            crate::wasm2js::build(&autotrack, &dist.join("autotrack.asm.js"))?;
            Some(asm)
        }
        Profile::Debug => None,
    };

    build_npm_package(&wasm, &autotrack)?;
    Ok(Downloads {
        script_tag: vec![dist.join("wasmtrack.js"), dist.join("wasmtrack.wasm")],
        strict_csp,
        autotrack: vec![dist.join("autotrack.js"), dist.join("autotrack.wasm")],
    })
}

/// Where wasm-bindgen writes the auto-tracking module's glue.
fn autotrack_glue_dir() -> PathBuf {
    root().join("target/wasm-bindgen-autotrack")
}

/// Where the release build of the tracker (with its own build of `core` and `alloc`) goes.
fn wasm_target_dir() -> PathBuf {
    root().join("target/wasm-std")
}

/// The two wasm modules the build makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Module {
    /// The tracking script (the root crate): `no_std`, every byte counted.
    Tracker,
    /// Auto-tracking (`crates/autotrack`): built as the tracker is, loaded for sites with rules.
    Autotrack,
    /// The visualizer overlay (`crates/visualizer`): std, loaded only with a visualizer token.
    Visualizer,
}

/// cargo → wasm-bindgen (`--target web`, into `glue`) → wasm-opt → short boundary names;
/// returns the final wasm.
fn compile(profile: Profile, module: Module, glue: &PathBuf, name: &str) -> Result<PathBuf> {
    let (cargo_profile, out_dir) = match profile {
        Profile::Release => ("wasm-release", "wasm-release"),
        Profile::Debug => ("dev", "debug"),
    };
    let (package, artifact) = match module {
        Module::Tracker => ("wasmtrack", "wasmtrack.wasm"),
        Module::Autotrack => ("wasmtrack-autotrack", "wasmtrack_autotrack.wasm"),
        Module::Visualizer => ("wasmtrack-visualizer", "wasmtrack_visualizer.wasm"),
    };
    let mut cargo = cmd("cargo");
    cargo.args([
        "build",
        "-p",
        package,
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        cargo_profile,
    ]);
    let rebuilt_std = profile == Profile::Release && module != Module::Visualizer;
    match profile {
        Profile::Debug if module == Module::Tracker => {
            cargo.args(["--no-default-features", "--features", "debug-panic"]);
        }
        Profile::Debug => {}
        Profile::Release if module == Module::Visualizer => {}
        Profile::Release => {
            // The precompiled `core`/`alloc` carry panic messages, their `Location`s and the
            // formatting code behind them (and its Unicode tables), ~7 KB of wasm the tracker
            // never prints. Rebuilding them with immediate-abort panics (a panic is a trap, as
            // with our panic handler) drops all of it. `-Zbuild-std` is unstable: the pinned
            // stable compiler allows it for this one build via RUSTC_BOOTSTRAP, so the shipped
            // wasm and the tests use the same compiler. Its own target dir keeps this std apart
            // from the host builds' artifacts. `optimize_for_size` picks std's smaller variants
            // of the same algorithms (~0.1 KB gzip).
            cargo.args(["-Zbuild-std=core,alloc", "-Zbuild-std-features=optimize_for_size"]).env("RUSTC_BOOTSTRAP", "1").env("CARGO_TARGET_DIR", wasm_target_dir()).env(
                "RUSTFLAGS",
                // Without reference types wasm-bindgen keeps JS objects in a JS array instead of
                // a wasm table: ~0.5 KB less wasm for ~0.15 KB more glue.
                "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types -Zcross-crate-inline-threshold=always",
            );
        }
    }
    status(&mut cargo)?;

    let _ = fs::remove_dir_all(glue);
    let target_dir = if rebuilt_std {
        wasm_target_dir()
    } else {
        root().join("target")
    };
    let wasm_in = target_dir
        .join("wasm32-unknown-unknown")
        .join(out_dir)
        .join(artifact);
    status(
        cmd("wasm-bindgen")
            .args(["--target", "web", "--out-name", name, "--out-dir"])
            .arg(glue)
            .arg(&wasm_in),
    )?;
    export_glue_halves(&glue.join(format!("{name}.js")))?;
    let wasm = glue.join(format!("{name}_bg.wasm"));
    if profile == Profile::Release {
        status(
            cmd(npm_bin("wasm-opt"))
                .arg("-Oz")
                .args(WASM_FEATURES)
                .args([
                    // rustc puts the stack first, growing down from 1 MiB towards 0: addresses below
                    // 1 KiB are reached only by a stack overflow, so loads and stores may fold their
                    // offsets into constant addresses (~0.1 KB gzip).
                    "--low-memory-unused",
                    "--strip-debug",
                    "--strip-producers",
                    "--strip-target-features",
                ])
                .arg(&wasm)
                .arg("-o")
                .arg(&wasm),
        )?;
        crate::minify::minify_names(&wasm, &glue.join(format!("{name}.js")))?;
        // Once more with the short names: another -Oz round finds a little more, locals are
        // merged by a learned order, and functions are ordered by how often they are called,
        // which groups alike code for gzip (~0.1 KB together).
        status(
            cmd(npm_bin("wasm-opt"))
                .arg("-Oz")
                .args(WASM_FEATURES)
                .args([
                    "--low-memory-unused",
                    "--coalesce-locals-learning",
                    "--reorder-functions",
                ])
                .arg(&wasm)
                .arg("-o")
                .arg(&wasm),
        )?;
    }
    Ok(wasm)
}

/// The two functions of wasm-bindgen's glue that `js/instantiate.js` starts a module with,
/// exported: the glue's own loader handles every way of passing a module, with messages, and
/// is ~0.3 KB gzip a page would download for nothing.
const GLUE_HALVES: [&str; 2] = ["__wbg_get_imports", "__wbg_finalize_init"];

fn export_glue_halves(glue_js: &PathBuf) -> Result {
    let mut glue = read(glue_js)?;
    for name in GLUE_HALVES {
        if !glue.contains(&format!("\nfunction {name}(")) {
            return Err(format!(
                "{}: no `function {name}(`; has wasm-bindgen's glue changed shape?",
                glue_js.display()
            ));
        }
    }
    glue.push_str(&format!("export {{ {} }};\n", GLUE_HALVES.join(", ")));
    write(glue_js, &glue)
}

/// Every wasm-opt run's features: exactly those rustc's wasm32 target emits today, so wasm-opt
/// may keep using them but never introduces one a browser lacks.
pub const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

fn build_npm_package(wasm: &PathBuf, autotrack: &PathBuf) -> Result {
    let pkg = root().join("pkg");
    let _ = fs::remove_dir_all(&pkg);
    fs::create_dir_all(&pkg).map_err(|e| format!("pkg/: {e}"))?;
    write_inline(wasm, &glue_dir().join("wasm-inline.js"))?;
    write_inline(autotrack, &autotrack_glue_dir().join("wasm-inline.js"))?;
    // Not minified: the application's bundler minifies, and readable code in node_modules helps.
    // `autotrack.js` stays a file of its own, imported by `index.js` only for a site with
    // rules: the application's bundler makes it a chunk of its own.
    esbuild(
        "js/npm.js",
        &[
            "--format=esm",
            "--target=es2020",
            "--platform=neutral",
            "--external:./autotrack.js",
        ],
        &pkg.join("index.js"),
    )?;
    esbuild(
        "js/autotrack-npm.js",
        &["--format=esm", "--target=es2020", "--platform=neutral"],
        &pkg.join("autotrack.js"),
    )?;
    write(&pkg.join("index.d.ts"), &npm_types()?)?;
    let version = crate_version()?;
    let manifest =
        read(&root().join("pkg-template/package.json"))?.replace("{{version}}", &version);
    write(&pkg.join("package.json"), &manifest)?;
    copy(
        &root().join("pkg-template/README.md"),
        &pkg.join("README.md"),
    )
}

/// Writes `wasm` as a JS module whose default export is its base64.
fn write_inline(wasm: &PathBuf, out: &PathBuf) -> Result {
    let bytes = fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let inline = format!(
        "export default \"{}\";\n",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    write(out, &inline)
}

/// The npm package's types: wasm-bindgen's generated declarations without its loader API
/// (`initSync`, the default export, `InitInput`…), which the package wraps.
fn npm_types() -> Result<String> {
    let generated = read(&glue_dir().join("wasmtrack.d.ts"))?;
    let api = match generated.find("export type InitInput") {
        Some(at) => &generated[..at],
        None => {
            return Err(
                "wasm-bindgen's .d.ts no longer has `export type InitInput`; update npm_types"
                    .into(),
            )
        }
    };
    Ok(format!("{}\n", api.trim_end()))
}

/// Minifies a bundle again, in place: terser's three compression passes and mangling take
/// ~0.2 KB gzip more off the script tag than esbuild's single-pass minifier (which still
/// bundles: terser does not). `module`: an ES module (`import.meta`, top-level names its own).
fn terser(file: &PathBuf, module: bool) -> Result {
    status(
        cmd(npm_bin("terser"))
            .arg(file)
            .args(if module { &["--module"][..] } else { &[] })
            .args([
                "--compress",
                "passes=3,ecma=2020",
                "--mangle",
                "--ecma",
                "2020",
                "-o",
            ])
            .arg(file),
    )
}

fn esbuild(entry: &str, flags: &[&str], out: &Path) -> Result {
    status(
        cmd(npm_bin("esbuild"))
            .arg(entry)
            .arg("--bundle")
            .args(flags)
            .arg(format!("--outfile={}", out.display()))
            .arg("--log-level=warning")
            // The glue's default loader reads `import.meta`, which an IIFE lacks; our loaders
            // never call it (`js/instantiate.js`), and esbuild drops it from the bundle.
            .arg("--log-override:empty-import-meta=silent"),
    )
}

fn crate_version() -> Result<String> {
    let manifest = read(&root().join("Cargo.toml"))?;
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_owned())
        .ok_or_else(|| "no version in Cargo.toml".into())
}

fn read(path: &PathBuf) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &PathBuf, text: &str) -> Result {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &PathBuf, to: &PathBuf) -> Result {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("{} → {}: {e}", from.display(), to.display()))
}
