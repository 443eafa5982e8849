//! The tracker as JavaScript, for pages whose Content-Security-Policy refuses to compile
//! WebAssembly (no `'wasm-unsafe-eval'`): `dist/wasmtrack.asm.js`, which `js/loader.js` imports
//! on such pages only.
//!
//! It is the very wasm the script tag ships, translated by binaryen's wasm2js, so both builds
//! are one tracker. wasm2js cannot lower every feature rustc's wasm uses (its i64 lowering
//! refuses `i64.trunc_sat_f64_u`), so wasm-opt first rewrites the saturating conversions,
//! sign extension and bulk memory into plain wasm. wasm2js writes an ES module that imports
//! the glue's imports from module `a` and instantiates itself; [`as_module_of_asm_func`] makes
//! it export `asmFunc` instead, for the loader to call with the glue's imports, and makes
//! memory growth detach the old buffer as wasm memory's does, since wasm-bindgen's glue notices
//! growth only by its views going empty.

use crate::build::WASM_FEATURES;
use crate::run::{cmd, root, status, Result};
use crate::tools::npm_bin;
use std::fs;
use std::path::Path;

/// Writes the JS build of `wasm` (the final, name-minified wasm) to `out`.
pub fn build(wasm: &Path, out: &Path) -> Result {
    let work = root().join("target/wasm2js");
    fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let lowered = work.join("lowered.wasm");
    status(
        cmd(npm_bin("wasm-opt"))
            .arg(wasm)
            .args(WASM_FEATURES)
            .args([
                "--llvm-nontrapping-fptoint-lowering",
                "--signext-lowering",
                "--llvm-memory-copy-fill-lowering",
                "-o",
            ])
            .arg(&lowered),
    )?;
    let module = work.join("wasmtrack.asm.mjs");
    status(
        cmd(npm_bin("wasm2js"))
            .arg(&lowered)
            .args([
                "--enable-bulk-memory",
                "--enable-mutable-globals",
                "-Oz",
                "-o",
            ])
            .arg(&module),
    )?;
    let text = fs::read_to_string(&module).map_err(|e| format!("{}: {e}", module.display()))?;
    let js = as_module_of_asm_func(&text).map_err(|e| {
        format!(
            "{}: {e}; has wasm2js's output changed shape? (xtask/src/wasm2js.rs)",
            module.display()
        )
    })?;
    fs::write(out, js).map_err(|e| format!("{}: {e}", out.display()))?;
    status(
        cmd(npm_bin("terser"))
            .arg(out)
            .args([
                "--module",
                "--toplevel",
                "--compress",
                "passes=2,ecma=2020",
                "--mangle",
                "--ecma",
                "2020",
                "-o",
            ])
            .arg(out),
    )
}

/// The import wasm2js writes for module `a` (the one module after `minify.rs`).
const IMPORT: &str = "import * as a from 'a';\n";
/// Where wasm2js's module starts calling `asmFunc` and exporting its results.
const TAIL: &str = "\nvar retasmFunc = asmFunc(";
/// How wasm2js's `memory.grow` moves to a bigger buffer: it copies the old one (`buffer`)…
const GROW: &str = "newHEAP8.set(HEAP8);\n";
/// …then replaces it.
const REPLACED: &str = "buffer = newBuffer;";

/// wasm2js's ES module, made to export `asmFunc` (imports → exports) instead of importing
/// module `a` and calling it.
fn as_module_of_asm_func(module: &str) -> std::result::Result<String, String> {
    let body = module
        .strip_prefix(IMPORT)
        .ok_or("it does not start by importing module `a` alone")?;
    let (body, _instantiated) = split_once_only(body, TAIL)?;
    let (before, after) = split_once_only(body, GROW)?;
    if !after.contains(REPLACED) {
        return Err(format!("no {REPLACED:?} after {GROW:?}"));
    }
    // Detached as wasm memory's old buffer is on growth: the glue then re-reads
    // `memory.buffer` (its Uint8Array view of a detached buffer has length 0). structuredClone
    // is in every browser since 2022 (Chromium 98, Firefox 94, Safari 15.4).
    Ok(format!(
        "{before}{GROW}structuredClone(buffer, {{ transfer: [buffer] }});\n{after}\nexport default asmFunc;\n"
    ))
}

/// `text` split around `marker`, which must occur exactly once.
fn split_once_only<'a>(
    text: &'a str,
    marker: &str,
) -> std::result::Result<(&'a str, &'a str), String> {
    match text.match_indices(marker).count() {
        1 => Ok(text
            .split_once(marker)
            .expect("counted one occurrence just above")),
        n => Err(format!("{marker:?} found {n} times, expected once")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of wasm2js's output (binaryen 132), cut down.
    const MODULE: &str = "import * as a from 'a';\n\nfunction asmFunc(imports) {\n var buffer = new ArrayBuffer(65536);\n function __wasm_memory_grow(pagesToAdd) {\n   var newHEAP8 = new Int8Array(newBuffer);\n   newHEAP8.set(HEAP8);\n   buffer = newBuffer;\n }\n return { \"Q\": 1 };\n}\n\nvar retasmFunc = asmFunc({\n  \"a\": a,\n});\nexport var Q = retasmFunc.Q;\n";

    #[test]
    fn the_module_exports_asm_func_for_the_loader_to_call_with_the_glues_imports() {
        let module = as_module_of_asm_func(MODULE).expect("converted");
        assert!(
            !module.contains("from 'a'") && !module.contains("retasmFunc"),
            "{module}"
        );
        assert!(
            module.starts_with("\nfunction asmFunc(imports) {"),
            "{module}"
        );
        assert!(
            module.ends_with("\n}\n\nexport default asmFunc;\n"),
            "{module}"
        );
    }

    #[test]
    fn growing_memory_detaches_the_old_buffer_before_replacing_it() {
        let module = as_module_of_asm_func(MODULE).expect("converted");
        let copied = module.find("newHEAP8.set(HEAP8);").expect("copy kept");
        let detached = module
            .find("structuredClone(buffer, { transfer: [buffer] });")
            .expect("detached");
        let replaced = module.find("buffer = newBuffer;").expect("replaced");
        assert!(copied < detached && detached < replaced, "{module}");
    }

    #[test]
    fn another_shape_fails_the_build_naming_what_is_missing() {
        let other_import = MODULE.replace("import * as a from 'a';", "import * as env from 'env';");
        assert!(as_module_of_asm_func(&other_import)
            .expect_err("refused")
            .contains("module `a`"));
        let no_grow = MODULE.replace("newHEAP8.set(HEAP8);\n", "");
        assert!(as_module_of_asm_func(&no_grow)
            .expect_err("refused")
            .contains("found 0 times"));
        let not_replaced = MODULE.replace("buffer = newBuffer;", "");
        assert!(as_module_of_asm_func(&not_replaced)
            .expect_err("refused")
            .contains("buffer = newBuffer"));
        let twice = format!("{MODULE}{TAIL}");
        assert!(as_module_of_asm_func(&twice)
            .expect_err("refused")
            .contains("found 2 times"));
    }
}
