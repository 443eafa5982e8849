//! The collector's API tests, one module per resource, in one test binary (one link).
//! Each test gets the app on its own temporary SQLite file, served on 127.0.0.1, and talks
//! HTTP to it (`common.rs`); `server` starts the whole binary's `serve` (flags, admin token
//! file, static files, restart, graceful shutdown); `visualizer` the visualizer's tokens and
//! auto-tracking rules.

mod app;
mod app_contacts;
mod app_imports;
mod app_sites;
mod app_workflows;
mod collect;
mod common;
mod connections;
mod crm_contacts;
mod definition_limits;
mod definitions;
mod fixtures;
mod held;
mod hostile_input;
mod http_errors;
mod import_resume;
mod imports;
mod openapi;
mod overload;
mod queries;
mod rate_limits;
mod receiver;
mod scopes;
mod send;
mod server;
mod static_files;
mod visualizer;
mod visualizer_tokens;
mod workflow_runs;
mod workflows;
