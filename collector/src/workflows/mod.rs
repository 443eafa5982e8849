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
//! * `clock.rs`: the injected time, so waits of days are tested in milliseconds.
//!
//! # Still to be built
//!
//! The store (workflows, enrollments, pending steps and deliveries in SQLite, written by the
//! writer thread), the scheduler (a task that wakes at the next due step by a [`Clock`],
//! enrolls from stored completions, resolves and pins webhook hosts through
//! [`UrlPolicy::check_resolved`], delivers with [`sign`] and [`idempotency_key`] and follows
//! [`classify`] and [`next_delay_ms`]), the HTTP API (`/v1/workflows`, answering a
//! [`FieldError`] list as a 400) and the analyst app's pages.

pub mod clock;
pub mod enroller;
pub mod filter;
pub mod model;
pub mod retry;
pub mod signature;
pub mod url_policy;

pub use clock::{Clock, ManualClock, SystemClock};
pub use filter::{Filter, Op};
pub use model::{Action, FieldError, Trigger, Workflow};
pub use retry::{classify, next_delay_ms, parse_retry_after, Outcome, MAX_ATTEMPTS};
pub use signature::{idempotency_key, sign, verify, VerifyError};
pub use url_policy::{CheckedUrl, Host, UrlPolicy};
