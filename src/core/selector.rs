//! CSS selectors (in progress).
