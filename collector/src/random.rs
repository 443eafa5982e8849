//! Randomness for ids and secrets, from the operating system.
//!
//! Event ids, correlation ids, site keys and the admin token all come from here, so that a
//! weak source could only ever be introduced in one place.

/// 16 random bytes. The OS source does not fail on supported platforms; if it ever did, a
/// loud panic beats handing out predictable ids or tokens.
pub fn bytes() -> [u8; 16] {
    let mut buf = [0u8; 16];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A random UUID v4, the id given to events sent without `uuid`.
pub fn uuid() -> String {
    wasmtrack_core::uuid::format_v4(bytes())
}

/// `n` × 16 random bytes as lowercase hex: 32 characters per block.
pub fn hex(blocks: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(blocks * 32);
    for _ in 0..blocks {
        for b in bytes() {
            let _ = write!(out, "{b:02x}");
        }
    }
    out
}
