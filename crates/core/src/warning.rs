//! Everything the tracker reports instead of throwing.
//!
//! A fieldless enum with static text keeps formatting code out of the wasm: the browser shell
//! hands the code, the message and the name it concerns to `onWarning` and the debug console.

use super::text::{split, split_once};

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
    /// A call into the tracker threw (a bug, or a page script throwing through it) and left
    /// its state unusable; later calls are ignored.
    TrackerUnavailable,
}

/// Each warning's code and message, tab-separated, a line each in the order of the enum: one
/// string in the wasm rather than two tables of string pointers and lengths.
const TEXTS: &str = "\
name_truncated\tname longer than 50 characters was truncated\n\
value_truncated\tproperty value longer than its limit was truncated\n\
invalid_property_name\tproperty name must start with a letter and hold only a-z, 0-9 and _; dropped\n\
duplicate_property_name\tproperty name repeats an earlier one after lowercasing; the first was kept\n\
nested_value_dropped\tnested object values are not supported; dropped\n\
invalid_date_dropped\tinvalid Date value dropped\n\
too_many_properties\tmore than 50 properties; the rest were dropped\n\
missing_event_name\tevent has no name; not tracked\n\
invalid_event_name\tevent name should start with a letter and hold only a-z, 0-9 and _\n\
bad_argument\targument has the wrong shape; call ignored\n\
missing_option\tinit needs `collector` and `site`; nothing will be sent\n\
already_initialized\tinit was already called; ignored\n\
not_initialized\tcall made before init; ignored\n\
storage_unavailable\tlocalStorage unavailable; queue kept in memory\n\
send_failed\tcollector unreachable; events stay queued\n\
batch_rejected\tcollector refused the batch; its events were dropped\n\
event_rejected\tcollector refused an event; it will not be retried\n\
queue_overflow\tqueue full; oldest events dropped\n\
tracker_unavailable\ttracker stopped after an internal error; call ignored\n\
";

impl Warning {
    /// Every warning, in the order of the enum.
    pub const ALL: [Warning; 19] = {
        use Warning::*;
        [
            NameTruncated,
            ValueTruncated,
            InvalidPropertyName,
            DuplicatePropertyName,
            NestedValueDropped,
            InvalidDateDropped,
            TooManyProperties,
            MissingEventName,
            InvalidEventName,
            BadArgument,
            MissingOption,
            AlreadyInitialized,
            NotInitialized,
            StorageUnavailable,
            SendFailed,
            BatchRejected,
            EventRejected,
            QueueOverflow,
            TrackerUnavailable,
        ]
    };

    /// `code` and `message`, tab-separated (the browser shell splits them).
    pub fn text(self) -> &'static str {
        split(TEXTS, b'\n').nth(self as usize).unwrap_or("")
    }

    /// A stable identifier for programs (`onWarning` receives it as `code`).
    pub fn code(self) -> &'static str {
        split_once(self.text(), b'\t').map_or("", |(code, _)| code)
    }

    /// A sentence for people (`onWarning` receives it as `message`).
    pub fn message(self) -> &'static str {
        split_once(self.text(), b'\t').map_or("", |(_, message)| message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Warning::*;

    #[test]
    fn every_warning_has_its_own_snake_case_code_and_a_message() {
        assert_eq!(
            split(TEXTS, b'\n').filter(|l| !l.is_empty()).count(),
            Warning::ALL.len()
        );
        let mut codes = Vec::new();
        for w in Warning::ALL {
            assert!(
                !w.code().is_empty()
                    && w.code()
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{w:?}"
            );
            assert!(w.message().len() > 10, "{w:?}");
            assert!(!codes.contains(&w.code()), "{w:?}");
            codes.push(w.code());
        }
        assert_eq!(NameTruncated.code(), "name_truncated");
        assert_eq!(QueueOverflow.message(), "queue full; oldest events dropped");
        assert_eq!(
            ValueTruncated.text(),
            "value_truncated\tproperty value longer than its limit was truncated"
        );
    }
}
