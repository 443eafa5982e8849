//! The README is what users copy from: its pasted stub snippet must be the one the build
//! ships (`js/stub.js`), and its table of warning codes must be exactly the codes the tracker
//! emits (`wasmtrack_core::warning::Warning`), in order. A change to either fails here until
//! the README follows.
#![cfg(not(target_arch = "wasm32"))]

use wasmtrack_core::warning::Warning;

const README: &str = include_str!("../README.md");
const STUB: &str = include_str!("../js/stub.js");

/// The section of the README under `## {title}`, up to the next `## `.
fn section(title: &str) -> &'static str {
    let start = README
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("README has no `## {title}` section"));
    let rest = &README[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

#[test]
fn the_readmes_stub_snippet_is_js_stub_js() {
    let install = section("Install: script tag");
    let start = install.find("<script>\n").expect("a <script> block") + "<script>\n".len();
    let end = start + install[start..].find("</script>").expect("its </script>");
    let pasted = install[start..end].trim();
    // The file's leading comment explains it to people reading the repository; the page gets
    // the code.
    let shipped: String = STUB
        .lines()
        .skip_while(|l| l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        pasted,
        shipped.trim(),
        "README's stub differs from js/stub.js"
    );
}

#[test]
fn the_readmes_warning_codes_are_the_ones_the_tracker_emits() {
    let table: Vec<&str> = section("Warnings")
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(code, _)| code))
        .collect();
    let emitted: Vec<&str> = Warning::ALL.iter().map(|w| w.code()).collect();
    assert_eq!(
        table, emitted,
        "README's warnings table, against Warning::ALL"
    );
}
