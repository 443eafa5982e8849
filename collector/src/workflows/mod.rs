//! Workflows (issue 17): "when this event occurs, do these steps for the contact".
//!
//! A [`Workflow`] enrolls a contact when one of its triggers matches a completion (an event
//! name plus refinement [`Filter`]s on its properties; triggers are OR-ed, a trigger's filters
//! AND-ed; a contact enrolls once unless re-enrollment is on), then runs its actions in order:
//! a signed webhook, a "delay until event happens", or a fixed delay.
//!
//! # What lives where
//!
//! This module is the pure core, with no store, no HTTP and no clock of its own:
//!
//! * `filter.rs`: filters and how they judge a completion's properties;
//! * `model.rs`: the workflow, its triggers and actions, their JSON form, and the checks that
//!   turn a bad definition into a 400 naming the field;
//! * `url_policy.rs`: which webhook URLs and addresses may be called (no loopback, private or
//!   metadata addresses unless allowed);
//! * `signature.rs`: the `Wasmtrack-Signature` header and idempotency keys;
//! * `retry.rs`: what an answer means (delivered, retry, pause on 410, fail) and when to try
//!   again;
//! * `clock.rs`: the injected time, so waits of days are tested in milliseconds;
//! * `edit.rs`: what creating, replacing and replaying a workflow change (API and app alike).
//!
//! Around it:
//!
//! * `enroller.rs`: the follower of stored completions that enrolls contacts and ends waits;
//! * `steps.rs`: what running an enrollment's current step does (pure);
//! * `payload.rs`: the JSON a webhook posts;
//! * `delivery.rs`: one webhook attempt over HTTP, with every guard on that traffic;
//! * `runner.rs`: the task that runs due steps by the [`Clock`] and stores their outcomes.
//!
//! The store keeps workflows, enrollments, their places and histories (`store/sqlite/
//! workflows.rs`, `enrollments.rs`, `enrollment_steps.rs`); the API is `api/workflows.rs`.

/// While completions keep being stored, the enrollment follower and the runner each rest this
/// many times as long as their last piece of work took before the next: together they then
/// use at most a fifth of one core, and ingestion the rest. Under a load they cannot keep up
/// with that way they fall behind, and catch up at full speed once the load eases; nothing is
/// skipped (`cargo xtask bench` measures both).
pub const YIELD_FACTOR: u32 = 9;

pub mod clock;
pub mod delivery;
pub mod edit;
pub mod enroller;
pub mod filter;
pub mod model;
pub mod payload;
pub mod retry;
pub mod runner;
pub mod signature;
pub mod steps;
pub mod url_policy;

pub use clock::{Clock, ManualClock, SystemClock};
pub use filter::{Filter, Op};
pub use model::{Action, FieldError, Trigger, Workflow};
pub use retry::{classify, next_delay_ms, parse_retry_after, Outcome, MAX_ATTEMPTS};
pub use signature::{idempotency_key, sign, verify, VerifyError};
pub use url_policy::{CheckedUrl, Host, UrlPolicy};
