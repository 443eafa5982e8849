//! Short names on the boundary between a release wasm and its JS glue.
//!
//! wasm-bindgen names each import after its item and a hash (`__wbg_addEventListener_70e3…`,
//! from module `./wasmtrack_bg.js` or a snippet's path) and each closure shim export after its
//! Rust types. Those strings sit in the wasm's import and export sections and again in the
//! glue, and the hashes barely compress. binaryen's `--minify-imports-and-exports-and-modules`
//! renames them to one or two letters, merges every import into one module and prints what it
//! renamed; this module then applies that mapping to the glue before esbuild bundles it.
//!
//! The rewrite relies on the shape of wasm-bindgen 0.2.130's `--target web` glue:
//! `__wbg_get_imports()` fills one object literal with the JS shims and returns it, with the
//! snippets' namespace objects, keyed by module; exports are read as `wasm.<name>`. Anything
//! else — a renamed name missing or found twice, a module the glue does not provide, an export
//! read another way — fails the build, so that a wasm-bindgen upgrade that changes this shape
//! cannot ship a script whose wasm does not instantiate.

use crate::build::WASM_FEATURES;
use crate::run::{cmd, stdout, Result};
use crate::tools::npm_bin;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::ops::Range;
use std::path::Path;

/// The module binaryen merges every import into (its `SINGLETON_MODULE_NAME`, which the
/// printed mapping does not mention).
const MODULE: &str = "a";

/// Minifies the import, export and module names of `wasm` in place and rewrites `glue_js`,
/// wasm-bindgen's glue for it, to match.
pub fn minify_names(wasm: &Path, glue_js: &Path) -> Result {
    let printed = stdout(
        cmd(npm_bin("wasm-opt"))
            .args(WASM_FEATURES)
            .arg("--minify-imports-and-exports-and-modules")
            .arg(wasm)
            .arg("-o")
            .arg(wasm),
    )?;
    let mapping = parse_mapping(&printed).map_err(|e| format!("wasm-opt's name mapping: {e}"))?;
    let glue = fs::read_to_string(glue_js).map_err(|e| format!("{}: {e}", glue_js.display()))?;
    let minified = rewrite_glue(&glue, &mapping).map_err(|e| {
        format!(
            "{}: {e}; has wasm-bindgen's glue changed shape? (xtask/src/minify.rs)",
            glue_js.display()
        )
    })?;
    fs::write(glue_js, minified).map_err(|e| format!("{}: {e}", glue_js.display()))
}

/// What binaryen renamed.
#[derive(Debug, PartialEq)]
struct Mapping {
    imports: Vec<Import>,
    /// Old export name → new.
    exports: HashMap<String, String>,
}

/// One renamed import: `name` from `module` is now `short` from [`MODULE`].
#[derive(Debug, PartialEq)]
struct Import {
    module: String,
    name: String,
    short: String,
}

/// Reads the mapping binaryen (version 132) prints: a JSON object whose `imports` rows are
/// `[module, name, short]` and whose `exports` rows are `[name, short]`.
fn parse_mapping(printed: &str) -> Result<Mapping> {
    let json: serde_json::Value = serde_json::from_str(printed)
        .map_err(|e| format!("not the JSON binaryen 132 prints ({e}): {printed:.200}"))?;
    let rows = |key: &str, width: usize| -> Result<Vec<Vec<String>>> {
        let list = json
            .get(key)
            .and_then(|v| v.as_array())
            .ok_or(format!("no `{key}` list"))?;
        list.iter()
            .map(|row| {
                let cells: Option<Vec<String>> = row
                    .as_array()
                    .filter(|r| r.len() == width)
                    .and_then(|r| r.iter().map(|c| c.as_str().map(str::to_owned)).collect());
                cells.ok_or(format!(
                    "`{key}` has a row that is not {width} strings: {row}"
                ))
            })
            .collect()
    };
    let imports: Vec<Import> = rows("imports", 3)?
        .into_iter()
        .map(|mut r| Import {
            short: r.pop().unwrap_or_default(),
            name: r.pop().unwrap_or_default(),
            module: r.pop().unwrap_or_default(),
        })
        .collect();
    let exports: Vec<(String, String)> = rows("exports", 2)?
        .into_iter()
        .map(|mut r| (r.remove(0), r.remove(0)))
        .collect();
    // Every import shares the one module, and the glue reads exports as `wasm.<short>`.
    let mut seen = HashSet::new();
    for short in imports
        .iter()
        .map(|i| &i.short)
        .chain(exports.iter().map(|e| &e.1))
    {
        if !is_identifier(short) {
            return Err(format!("`{short}` is not a JS identifier"));
        }
        if !seen.insert(short) {
            return Err(format!("`{short}` is given to two names"));
        }
    }
    Ok(Mapping {
        imports,
        exports: exports.into_iter().collect(),
    })
}

fn rewrite_glue(glue: &str, mapping: &Mapping) -> Result<String> {
    let glue = rewrite_imports(glue, &mapping.imports)?;
    rewrite_exports(&glue, &mapping.exports)
}

/// Renames the shims' keys in the object literal `__wbg_get_imports()` fills, adds the
/// snippets' imported functions to it under their short names, and returns it as the one
/// module [`MODULE`].
fn rewrite_imports(glue: &str, imports: &[Import]) -> Result<String> {
    let head = "function __wbg_get_imports() {";
    let start = find_once(glue, head)?;
    // A top-level function's closing brace is the first one in column 0.
    let end = start
        + glue[start..]
            .find("\n}")
            .ok_or(format!("`{head}` has no end"))?;
    let ret = start
        + glue[start..end]
            .rfind("return {")
            .ok_or("`__wbg_get_imports` returns no object")?;
    let ret_end = ret
        + glue[ret..end]
            .find("};")
            .ok_or("`__wbg_get_imports`'s returned object has no end")?
        + 2;
    let providers = module_objects(&glue[ret + "return {".len()..ret_end - 2])?;

    // Sorted, so the added lines come out in a stable order.
    let mut by_module: BTreeMap<&str, Vec<&Import>> = BTreeMap::new();
    for import in imports {
        by_module.entry(&import.module).or_default().push(import);
    }
    let mut literal = None;
    let mut from_namespaces = Vec::new();
    for (module, renamed) in by_module {
        let object = providers.get(module).ok_or(format!(
            "the wasm imports `{}` from `{module}`, which `__wbg_get_imports` does not return",
            renamed[0].name
        ))?;
        if glue[start..ret].contains(&format!("const {object} = {{")) {
            match literal {
                Some((other, _)) if other != object => {
                    return Err(format!(
                        "imports come from two object literals, `{other}` and `{object}`"
                    ))
                }
                _ => literal = Some((object, renamed)),
            }
        } else if glue.contains(&format!("import * as {object} from \"{module}\""))
            || glue.contains(&format!("import * as {object} from '{module}'"))
        {
            from_namespaces.extend(renamed.into_iter().map(|i| (object, i)));
        } else {
            return Err(format!("`{object}`, the object `__wbg_get_imports` returns for `{module}`, is neither its object literal nor an `import * as`"));
        }
    }
    let Some((object, renamed)) = literal else {
        return Err("no import comes from `__wbg_get_imports`'s object literal".into());
    };

    let open = start
        + find_once(&glue[start..ret], &format!("const {object} = {{"))?
        + format!("const {object} = {{").len();
    let close = open
        + glue[open..ret]
            .rfind('}')
            .ok_or(format!("`{object}` has no end"))?;
    if glue[close + 1..ret].trim() != ";" {
        return Err(format!(
            "`{object}` is not the statement just before `return`"
        ));
    }
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    for import in renamed {
        let at = open
            + object_key(&glue[open..close], &import.name)
                .map_err(|e| format!("`{object}`: {e}"))?;
        edits.push((at..at + import.name.len(), import.short.clone()));
    }
    if !from_namespaces.is_empty() {
        // On the closing brace's own line, after the literal's last `,`.
        let line = open
            + glue[open..close]
                .rfind('\n')
                .ok_or(format!("`{object}`'s closing brace is not on its own line"))?
            + 1;
        if !glue[open..line].trim_end().ends_with([',', '{']) {
            return Err(format!("`{object}`'s last entry has no trailing comma"));
        }
        let added: String = from_namespaces
            .iter()
            .map(|(ns, i)| format!("        {}: {ns}{},\n", i.short, member(&i.name)))
            .collect();
        edits.push((line..line, added));
    }
    edits.push((
        ret..ret_end,
        format!("return {{\n        __proto__: null,\n        {MODULE}: {object},\n    }};"),
    ));

    let mut out = glue.to_owned();
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, text) in edits {
        out.replace_range(range, &text);
    }
    Ok(out)
}

/// The entries of the object `__wbg_get_imports` returns: module → the object serving it.
/// wasm-bindgen repeats a snippet's key when several imports come from it, each time with its
/// own `import * as` of that same file; in the literal the last one wins, and as ES modules are
/// instantiated once per specifier they are all the same namespace object anyway.
fn module_objects(entries: &str) -> Result<HashMap<&str, &str>> {
    let mut objects = HashMap::new();
    for line in entries
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "__proto__: null,")
    {
        let parsed = line
            .strip_suffix(',')
            .and_then(|l| l.split_once(": "))
            .and_then(|(key, value)| Some((key.strip_prefix('"')?.strip_suffix('"')?, value)))
            .filter(|(key, value)| !key.contains(['"', '\\']) && is_identifier(value));
        let (module, object) = parsed.ok_or(format!(
            "unexpected entry in `__wbg_get_imports`'s returned object: `{line}`"
        ))?;
        objects.insert(module, object);
    }
    Ok(objects)
}

/// Where `key` starts as a key of the object literal body `body`: the only place the
/// identifier occurs, right after `{` or `,` and right before `:`.
fn object_key(body: &str, key: &str) -> Result<usize> {
    let found = token_positions(body, key);
    let [at] = found[..] else {
        return Err(format!("`{key}` occurs {} times, not once", found.len()));
    };
    let before = body[..at].trim_end();
    let after = body[at + key.len()..].trim_start();
    if !(before.ends_with([',', '{']) && after.starts_with(':')) {
        return Err(format!("`{key}` is not a key"));
    }
    Ok(at)
}

/// Renames every `wasm.<export>`; fails on an export the wasm lacks or one read another way.
fn rewrite_exports(glue: &str, exports: &HashMap<String, String>) -> Result<String> {
    // `wasm = instance.exports;` is the only other place the glue may name the exports.
    for at in token_positions(glue, "exports") {
        if !glue[at + "exports".len()..].starts_with(';') {
            return Err(format!(
                "reads the wasm's exports other than through `wasm.`: `{}`",
                line_at(glue, at)
            ));
        }
    }
    let mut out = String::with_capacity(glue.len());
    let mut copied = 0;
    // `….wasm` would be some other object's property.
    for at in token_positions(glue, "wasm")
        .into_iter()
        .filter(|&at| !glue[..at].ends_with('.'))
    {
        let rest = &glue[at + "wasm".len()..];
        if rest.starts_with('[') {
            return Err(format!(
                "reads an export by a computed name: `{}`",
                line_at(glue, at)
            ));
        }
        let Some(name) = rest.strip_prefix('.') else {
            continue;
        };
        let name = &name[..name
            .find(|c: char| !is_identifier_char(c))
            .unwrap_or(name.len())];
        let short = exports.get(name).ok_or(format!(
            "reads `wasm.{name}`, which the minified wasm does not export"
        ))?;
        let name_at = at + "wasm.".len();
        out.push_str(&glue[copied..name_at]);
        out.push_str(short);
        copied = name_at + name.len();
    }
    out.push_str(&glue[copied..]);
    Ok(out)
}

/// Where `word` occurs in `text` as a whole identifier, not inside a longer one.
fn token_positions(text: &str, word: &str) -> Vec<usize> {
    text.match_indices(word)
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(is_identifier_char) && !after.is_some_and(is_identifier_char)
        })
        .collect()
}

fn find_once(text: &str, needle: &str) -> Result<usize> {
    let mut found = text.match_indices(needle).map(|(at, _)| at);
    match (found.next(), found.next()) {
        (Some(at), None) => Ok(at),
        (None, _) => Err(format!("`{needle}` not found")),
        (Some(_), Some(_)) => Err(format!("`{needle}` found more than once")),
    }
}

/// `.name`, or `["name"]` when `name` is not an identifier (a snippet may export any string).
fn member(name: &str) -> String {
    if is_identifier(name) {
        format!(".{name}")
    } else {
        format!("[{}]", serde_json::Value::from(name))
    }
}

fn line_at(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    text[start..end].trim()
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// An ASCII JS identifier (what binaryen's minifier and wasm-bindgen's shims use).
fn is_identifier(s: &str) -> bool {
    s.chars().next().is_some_and(|c| !c.is_ascii_digit()) && s.chars().all(is_identifier_char)
}

#[cfg(test)]
mod tests;
