//! The mapping and the glue rewrite on fragments cut from real wasm-opt 132 output and real
//! wasm-bindgen 0.2.130 glue.

use super::*;

/// As wasm-opt 132 prints it, odd indentation included (rows sorted by the new name).
const PRINTED: &str = r#"{
 "imports": [
  ["./wasmtrack_bg.js", "__wbg_get_d7176cfb76d71114", "A"],
  ["./wasmtrack_bg.js", "__wbg_get_unchecked_e6325ad374eff861", "B"],
  ["./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js", "page_online", "C"],
  ["./snippets/wasmtrack-1a1d565cb1cb82d4/inline6.js", "page_window", "D"],
  ["./wasmtrack_bg.js", "__wbg_page_facts_f471471d02d06f1d", "E"],
  ["./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js", "page_no_track", "F"],
  ["./wasmtrack_bg.js", "__wbindgen_init_externref_table", "G"]
 ],
"exports": [
  ["wasm_bindgen_e306f9ff11048127___convert__closures_____invoke_______true_", "H"],
  ["__wbindgen_malloc", "I"],
  ["__wbindgen_realloc", "J"],
  ["__wbindgen_externrefs", "K"],
  ["__wbindgen_start", "L"],
  ["memory", "M"],
  ["flush", "N"],
  ["__abort_handler", "O"]
 ]
}
"#;

/// wasm-bindgen's glue, shortened: the shims' literal (two keys where one is the other's
/// prefix), a snippet returned twice under the same key (as wasm-bindgen does), an exported
/// wrapper named like the export it calls, and the places the glue reads exports.
const GLUE: &str = r#"import { page_facts } from './snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js';
import * as import1 from "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js"
import * as import2 from "./snippets/wasmtrack-1a1d565cb1cb82d4/inline6.js"
import * as import3 from "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js"

export function flush() {
    const ret = wasm.flush();
    return ret;
}

function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_get_d7176cfb76d71114: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_get_unchecked_e6325ad374eff861: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_page_facts_f471471d02d06f1d: function(arg0) {
            const ret = page_facts();
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
        },
    };
    return {
        __proto__: null,
        "./wasmtrack_bg.js": import0,
        "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js": import1,
        "./snippets/wasmtrack-1a1d565cb1cb82d4/inline6.js": import2,
        "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js": import3,
    };
}

function wasm_bindgen_e306f9ff11048127___convert__closures_____invoke_______true_(arg0, arg1) {
    wasm.wasm_bindgen_e306f9ff11048127___convert__closures_____invoke_______true_(arg0, arg1);
}

function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function __wbg_finalize_init(instance, module) {
    wasm = instance.exports;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_init_once(module_or_path) {
    if (module_or_path === undefined) {
        module_or_path = new URL('wasmtrack_bg.wasm', import.meta.url);
    }
}
"#;

const MINIFIED: &str = r#"import { page_facts } from './snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js';
import * as import1 from "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js"
import * as import2 from "./snippets/wasmtrack-1a1d565cb1cb82d4/inline6.js"
import * as import3 from "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js"

export function flush() {
    const ret = wasm.N();
    return ret;
}

function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        A: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        B: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        E: function(arg0) {
            const ret = page_facts();
            const ptr1 = passStringToWasm0(ret, wasm.I, wasm.J);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        G: function() {
            const table = wasm.K;
            table.set(0, undefined);
        },
        C: import3.page_online,
        F: import3.page_no_track,
        D: import2.page_window,
    };
    return {
        __proto__: null,
        a: import0,
    };
}

function wasm_bindgen_e306f9ff11048127___convert__closures_____invoke_______true_(arg0, arg1) {
    wasm.H(arg0, arg1);
}

function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.M.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function __wbg_finalize_init(instance, module) {
    wasm = instance.exports;
    wasm.L();
    return wasm;
}

async function __wbg_init_once(module_or_path) {
    if (module_or_path === undefined) {
        module_or_path = new URL('wasmtrack_bg.wasm', import.meta.url);
    }
}
"#;

fn mapping() -> Mapping {
    parse_mapping(PRINTED).expect("the sample mapping parses")
}

fn rewrite_error(glue: &str) -> String {
    rewrite_glue(glue, &mapping()).expect_err("the rewrite refuses this glue")
}

#[test]
fn reads_the_mapping_wasm_opt_prints() {
    let m = mapping();
    assert_eq!(m.imports.len(), 7);
    assert_eq!(
        m.imports[2],
        Import {
            module: "./snippets/wasmtrack-1a1d565cb1cb82d4/inline1.js".into(),
            name: "page_online".into(),
            short: "C".into()
        }
    );
    assert_eq!(m.exports.len(), 8);
    assert_eq!(m.exports["memory"], "M");
    assert_eq!(
        m.exports["wasm_bindgen_e306f9ff11048127___convert__closures_____invoke_______true_"],
        "H"
    );
}

#[test]
fn a_mapping_in_another_format_fails_the_build() {
    // Older binaryen printed `old => new` lines.
    let err = parse_mapping("__wbg_now_463ac581d2fc7ea3 => a\n").unwrap_err();
    assert!(err.starts_with("not the JSON binaryen 132 prints"), "{err}");
    let err = parse_mapping(r#"{"imports": [["env", "f"]], "exports": []}"#).unwrap_err();
    assert_eq!(
        err,
        r#"`imports` has a row that is not 3 strings: ["env","f"]"#
    );
    let err = parse_mapping(r#"{"imports": []}"#).unwrap_err();
    assert_eq!(err, "no `exports` list");
}

#[test]
fn a_short_name_the_glue_cannot_write_fails_the_build() {
    let err = parse_mapping(r#"{"imports": [["m", "f", ""]], "exports": []}"#).unwrap_err();
    assert_eq!(err, "`` is not a JS identifier");
    let err =
        parse_mapping(r#"{"imports": [["m", "f", "a"]], "exports": [["g", "a"]]}"#).unwrap_err();
    assert_eq!(err, "`a` is given to two names");
}

#[test]
fn renames_the_shims_moves_the_snippets_into_one_module_and_renames_every_export_read() {
    assert_eq!(rewrite_glue(GLUE, &mapping()).unwrap(), MINIFIED);
}

#[test]
fn a_renamed_import_missing_from_the_shims_fails_the_build() {
    let glue = GLUE.replace(
        "__wbg_get_unchecked_e6325ad374eff861: function",
        "__wbg_get_unchecked_0000000000000000: function",
    );
    assert_eq!(
        rewrite_error(&glue),
        "`import0`: `__wbg_get_unchecked_e6325ad374eff861` occurs 0 times, not once"
    );
}

#[test]
fn a_renamed_import_found_twice_fails_the_build() {
    let glue = GLUE.replace(
        "const ret = page_facts();",
        "const ret = page_facts(__wbg_get_d7176cfb76d71114);",
    );
    assert_eq!(
        rewrite_error(&glue),
        "`import0`: `__wbg_get_d7176cfb76d71114` occurs 2 times, not once"
    );
}

#[test]
fn an_import_from_a_module_the_glue_does_not_return_fails_the_build() {
    let glue = GLUE.replace(
        "        \"./snippets/wasmtrack-1a1d565cb1cb82d4/inline6.js\": import2,\n",
        "",
    );
    assert_eq!(
        rewrite_error(&glue),
        "the wasm imports `page_window` from `./snippets/wasmtrack-1a1d565cb1cb82d4/inline6.js`, which `__wbg_get_imports` does not return"
    );
}

#[test]
fn an_unknown_entry_in_the_returned_object_fails_the_build() {
    let glue = GLUE.replace(
        "\"./wasmtrack_bg.js\": import0,",
        "\"./wasmtrack_bg.js\": wrap(import0),",
    );
    assert_eq!(rewrite_error(&glue), "unexpected entry in `__wbg_get_imports`'s returned object: `\"./wasmtrack_bg.js\": wrap(import0),`");
}

#[test]
fn an_export_read_that_the_wasm_lacks_fails_the_build() {
    let glue = GLUE.replace("wasm.__wbindgen_start();", "wasm.__wbindgen_start_v2();");
    assert_eq!(
        rewrite_error(&glue),
        "reads `wasm.__wbindgen_start_v2`, which the minified wasm does not export"
    );
}

#[test]
fn an_export_read_another_way_fails_the_build() {
    let glue = GLUE.replace("wasm.__wbindgen_start();", "wasm[\"__wbindgen_start\"]();");
    assert_eq!(
        rewrite_error(&glue),
        "reads an export by a computed name: `wasm[\"__wbindgen_start\"]();`"
    );
    let glue = GLUE.replace(
        "wasm.__wbindgen_start();",
        "instance.exports.__wbindgen_start();",
    );
    assert_eq!(rewrite_error(&glue), "reads the wasm's exports other than through `wasm.`: `instance.exports.__wbindgen_start();`");
}

#[test]
fn a_snippet_export_that_is_not_an_identifier_is_read_by_index() {
    let printed = PRINTED.replace("\"page_window\"", "\"page-window\"");
    let minified = rewrite_glue(GLUE, &parse_mapping(&printed).unwrap()).unwrap();
    assert!(
        minified.contains("        D: import2[\"page-window\"],\n"),
        "{minified}"
    );
}
