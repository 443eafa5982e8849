//! The wasmtrack collector (built in issue 3).
