//! How long each target runs and where its failures are kept: the one proptest configuration
//! every target shares.
//!
//! `WASMTRACK_FUZZ_CASES` sets the number of generated cases of every target (default: each
//! target's own, chosen so that the whole suite stays well under a minute on 2 cores in a
//! debug build). Proptest's own variables still apply (`PROPTEST_RNG_SEED` to replay a run).

use std::fmt::Debug;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseResult, TestRunner};

/// Environment variable overriding the number of generated cases per target.
pub const CASES_VAR: &str = "WASMTRACK_FUZZ_CASES";

/// Generated cases for a target whose default is `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `test` on `cases(default_cases)` values of `strategy`; failing seeds are saved in
/// `fuzz/proptest-regressions/<target>.txt` and replayed first by later runs. Panics with the
/// shrunk failing input when a case fails.
pub fn run<S>(
    target: &str,
    default_cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    let path = format!(
        "{}/fuzz/proptest-regressions/{target}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let config = Config {
        cases: cases(default_cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(Box::leak(
            path.into_boxed_str(),
        )))),
        // A hang costs a 5 s timeout per shrinking step: keep shrinking bounded.
        max_shrink_time: 60_000,
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("fuzz target {target}: {failure}");
    }
}
