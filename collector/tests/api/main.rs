//! The collector's API tests, one module per resource, in one test binary (one link).
//! Most drive `router(test_state())` with `oneshot`; `server` starts the real server on
//! 127.0.0.1 with a temporary SQLite file and talks HTTP.

mod collect;
mod common;
mod definitions;
mod fixtures;
mod queries;
mod send;
mod server;
