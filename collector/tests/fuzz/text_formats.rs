//! The pure text formats under fuzzing, without a server.
//!
//! * The trackers' rule-list text (`wasmtrack_core::autotrack::decode_rules`): trackers read
//!   it in the browser from the network or from storage, where it may be damaged or come from
//!   another version; any text gives a list (maybe empty) and never a panic, what was read
//!   survives an encode→decode round trip (ids up to `i64::MAX`, all the collector makes), and applying the rules read (page-view matching,
//!   click properties) never panics either.
//! * Timestamps (`wasmtrack_collector::timestamp::parse`): any text is a time within
//!   1970..=9999 or `None`, and every time read is formatted back to the same millisecond.

use proptest::prelude::*;
use wasmtrack_collector::timestamp;
use wasmtrack_core::autotrack::{click_properties, decode_rules, encode_rules, page_views};

use crate::corpus;
use crate::mutations::{as_is, text_inputs, Input};
use crate::runner;

const URLS: &[&str] = &[
    "https://shop.example/pricing?plan=pro#top",
    "https://shop.example/",
    "http://x",
    "",
    "/",
    "https://ÉXAMPLE.com/é/😀?q=\u{0}",
    "https://a.example/p/1/reviews/",
];

fn read_rule_list(input: &Input) -> Result<(), TestCaseError> {
    let rules = decode_rules(&input.text());
    // Only the collector encodes, and its rule ids are SQLite's (at most `i64::MAX`);
    // `encode_rules` writes larger ids as negative numbers, which no reader takes.
    let encodable: Vec<_> = rules
        .iter()
        .filter(|r| i64::try_from(r.id).is_ok())
        .cloned()
        .collect();
    prop_assert_eq!(
        decode_rules(&encode_rules(&encodable)),
        encodable,
        "round trip of what was read"
    );
    let mut fired = Vec::new();
    for url in URLS.iter().copied().chain([input.text().as_str()]) {
        fired.clear();
        let _ = page_views(&rules, url, &mut fired);
    }
    for rule in &rules {
        let props = click_properties(rule, "#buy", input.text(), &mut |i| {
            (i % 2 == 0).then(|| input.text())
        });
        prop_assert!(
            props.len() >= 2,
            "a click carries element_text and selector"
        );
    }
    Ok(())
}

#[test]
fn trackers_read_any_rule_list_text_without_panicking() {
    let seeds = corpus::seeds("rule_list");
    let mut rules = 0;
    for input in as_is(&seeds) {
        read_rule_list(&input).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
        rules += decode_rules(&input.text()).len();
    }
    assert!(rules >= 6, "the seeds hold readable rules");
    runner::run("rule_list", 5000, text_inputs(seeds), |input| {
        read_rule_list(&input)
    });
}

fn read_timestamp(input: &Input) -> Result<(), TestCaseError> {
    let text = input.text();
    if let Some(ms) = timestamp::parse(&text) {
        prop_assert!(
            (0..=timestamp::MAX_MS).contains(&ms),
            "{:?} read as {}",
            text,
            ms
        );
        let formatted = timestamp::format(ms);
        prop_assert_eq!(
            timestamp::parse(&formatted),
            Some(ms),
            "{:?} → {} → {:?}",
            text,
            ms,
            formatted
        );
    }
    Ok(())
}

#[test]
fn any_text_is_a_time_in_range_or_none_and_times_round_trip() {
    let seeds = corpus::seeds("timestamp");
    let mut read = 0;
    for input in as_is(&seeds) {
        read_timestamp(&input).unwrap_or_else(|e| panic!("seed {}: {e}", input.made));
        read += usize::from(timestamp::parse(&input.text()).is_some());
    }
    assert!(read >= 8, "the seeds hold readable times");
    runner::run("timestamp", 5000, text_inputs(seeds), |input| {
        read_timestamp(&input)
    });
}

#[test]
fn every_millisecond_formats_and_reads_back() {
    runner::run("timestamp_format", 5000, any::<i64>(), |ms| {
        let formatted = timestamp::format(ms);
        let clamped = ms.clamp(0, timestamp::MAX_MS);
        prop_assert_eq!(
            timestamp::parse(&formatted),
            Some(clamped),
            "{} → {:?}",
            ms,
            formatted
        );
        prop_assert_eq!(timestamp::parse(&clamped.to_string()), Some(clamped));
        Ok(())
    });
}
