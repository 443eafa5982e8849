//! Everything the tracker reports instead of throwing.
//!
//! A fieldless enum with static text keeps formatting code out of the wasm: the browser shell
//! hands the code, the message and the name it concerns to `onWarning` and the debug console.

/// One truncation, drop or failure the tracker handled without throwing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// An event or property name was longer than 50 characters and was cut.
    NameTruncated,
    /// A property value was longer than its limit and was cut.
    ValueTruncated,
    /// A property name did not start with a letter or held characters outside `a-z0-9_`.
    InvalidPropertyName,
    /// A property name equalled an earlier one after lowercasing; the first was kept.
    DuplicatePropertyName,
    /// A property value was a nested object (or a function or symbol) and was dropped.
    NestedValueDropped,
    /// A `Date` value held no valid time and was dropped.
    InvalidDateDropped,
    /// Properties past the 50th were dropped.
    TooManyProperties,
    /// The event had no usable name and was not tracked.
    MissingEventName,
    /// The event name held characters outside `a-z0-9_`; it is sent and the collector decides.
    InvalidEventName,
    /// A call's argument was not of the documented shape and the call was ignored.
    BadArgument,
    /// `init` was called without a `collector` URL or a `site` id; nothing is sent.
    MissingOption,
    /// `init` was called again; the second call is ignored.
    AlreadyInitialized,
    /// A call was made before `init`; it is ignored.
    NotInitialized,
    /// Browser storage failed; the tracker goes on from memory.
    StorageUnavailable,
    /// The collector could not be reached; the batch stays queued.
    SendFailed,
    /// The collector refused a batch (a 4xx other than 429); it is dropped.
    BatchRejected,
    /// The collector refused one event of a batch; it is not retried.
    EventRejected,
    /// The queue was full and its oldest events were dropped.
    QueueOverflow,
}

impl Warning {
    /// A stable identifier for programs (`onWarning` receives it as `code`).
    pub fn code(self) -> &'static str {
        match self {
            Warning::NameTruncated => "name_truncated",
            Warning::ValueTruncated => "value_truncated",
            Warning::InvalidPropertyName => "invalid_property_name",
            Warning::DuplicatePropertyName => "duplicate_property_name",
            Warning::NestedValueDropped => "nested_value_dropped",
            Warning::InvalidDateDropped => "invalid_date_dropped",
            Warning::TooManyProperties => "too_many_properties",
            Warning::MissingEventName => "missing_event_name",
            Warning::InvalidEventName => "invalid_event_name",
            Warning::BadArgument => "bad_argument",
            Warning::MissingOption => "missing_option",
            Warning::AlreadyInitialized => "already_initialized",
            Warning::NotInitialized => "not_initialized",
            Warning::StorageUnavailable => "storage_unavailable",
            Warning::SendFailed => "send_failed",
            Warning::BatchRejected => "batch_rejected",
            Warning::EventRejected => "event_rejected",
            Warning::QueueOverflow => "queue_overflow",
        }
    }

    /// A sentence for people (`onWarning` receives it as `message`).
    pub fn message(self) -> &'static str {
        match self {
            Warning::NameTruncated => "name longer than 50 characters was truncated",
            Warning::ValueTruncated => "property value longer than its limit was truncated",
            Warning::InvalidPropertyName => {
                "property name must start with a letter and hold only a-z, 0-9 and _; dropped"
            }
            Warning::DuplicatePropertyName => {
                "property name repeats an earlier one after lowercasing; the first was kept"
            }
            Warning::NestedValueDropped => "nested object values are not supported; dropped",
            Warning::InvalidDateDropped => "invalid Date value dropped",
            Warning::TooManyProperties => "more than 50 properties; the rest were dropped",
            Warning::MissingEventName => "event has no name; not tracked",
            Warning::InvalidEventName => {
                "event name should start with a letter and hold only a-z, 0-9 and _"
            }
            Warning::BadArgument => "argument has the wrong shape; call ignored",
            Warning::MissingOption => "init needs `collector` and `site`; nothing will be sent",
            Warning::AlreadyInitialized => "init was already called; ignored",
            Warning::NotInitialized => "call made before init; ignored",
            Warning::StorageUnavailable => "localStorage unavailable; queue kept in memory",
            Warning::SendFailed => "collector unreachable; events stay queued",
            Warning::BatchRejected => "collector refused the batch; its events were dropped",
            Warning::EventRejected => "collector refused an event; it will not be retried",
            Warning::QueueOverflow => "queue full; oldest events dropped",
        }
    }
}
