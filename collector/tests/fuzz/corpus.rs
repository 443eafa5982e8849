//! The committed seed inputs of each target, `collector/fuzz/corpus/<target>/`, read as bytes
//! in file-name order (so a run is reproducible from its proptest seed).

use std::path::PathBuf;
use std::sync::Arc;

/// One seed: its file name (for failure messages) and its bytes, exactly as committed.
#[derive(Debug, Clone)]
pub struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Every seed of `target`, sorted by file name; panics when there is none, so that a renamed
/// or emptied corpus directory cannot make a target silently test nothing.
pub fn seeds(target: &str) -> Arc<[Seed]> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut seeds: Vec<Seed> = entries
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Seed { name, bytes }
        })
        .collect();
    seeds.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!seeds.is_empty(), "no seed in {}", dir.display());
    seeds.into()
}
