//! The direction of the crates, checked: `wasmtrack-core` decides and never touches the
//! browser. Its manifest is the rule (code cannot `use` a crate it does not depend on), and
//! this test keeps the manifest from growing a browser dependency, directly or through a
//! target-specific table.
#![cfg(not(target_arch = "wasm32"))]

const MANIFEST: &str = include_str!("../Cargo.toml");

#[test]
fn the_core_depends_on_nothing_of_the_browser() {
    let dependencies: Vec<&str> = MANIFEST
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    for forbidden in [
        "wasm-bindgen",
        "web-sys",
        "js-sys",
        "gloo",
        "wasmtrack-browser",
    ] {
        assert!(
            !dependencies.iter().any(|l| l.starts_with(forbidden)),
            "crates/core/Cargo.toml depends on {forbidden}: browser code belongs in \
             wasmtrack-browser or the tracker, decisions in the core"
        );
    }
}
