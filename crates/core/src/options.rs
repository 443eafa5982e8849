//! `init` options, resolved once into a struct where every field is present and clamped.

use super::warning::Warning;
use alloc::borrow::ToOwned;
use alloc::string::String;

/// Options as the page passed them; the browser shell fills what it could read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InitOptions {
    /// Base URL of the collector.
    pub collector: Option<String>,
    /// Site id.
    pub site: Option<String>,
    /// Log every warning to the console.
    pub debug: Option<bool>,
    /// Track a page view as soon as `init` runs.
    pub auto_page_view: Option<bool>,
    /// Events queued before a batch is sent at once.
    pub flush_at: Option<f64>,
    /// Time between timed flushes, milliseconds.
    pub flush_interval_ms: Option<f64>,
    /// Hold every event in memory, and write nothing, until `optIn()`.
    pub require_consent: Option<bool>,
    /// Track nothing when the browser sends Do Not Track or Global Privacy Control.
    pub respect_do_not_track: Option<bool>,
    /// Most events kept queued.
    pub max_queue_events: Option<f64>,
    /// Where the visualizer module is.
    pub visualizer_url: Option<String>,
}

/// Options with every default applied and every number clamped to its range.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedOptions {
    /// Collector base URL without a trailing `/`. Batches go to `{collector}/v1/collect`.
    pub collector: String,
    /// Site id, sent with every batch.
    pub site: String,
    /// Log warnings to the console. Default false.
    pub debug: bool,
    /// Track a page view in `init`. Default true.
    pub auto_page_view: bool,
    /// Send when this many events are queued. Default 20, range 1–100.
    pub flush_at: usize,
    /// Send queued events this often, in milliseconds. Default 2000, range 250–60000.
    pub flush_interval_ms: u32,
    /// Hold events in memory and write nothing to storage until `optIn()`. Default false.
    pub require_consent: bool,
    /// Track nothing while Do Not Track or Global Privacy Control is on. Default false.
    pub respect_do_not_track: bool,
    /// Most events kept queued (in memory and storage); the oldest go first. Default 1000,
    /// range 100–10000.
    pub max_queue_events: usize,
    /// Most bytes of events kept queued; the oldest go first. 1 MB: a fifth of the usual
    /// 5 MB `localStorage` quota, shared with the site's own use of it.
    pub max_queue_bytes: usize,
    /// URL of the visualizer module's script. Default `{collector}/dist/visualizer.js`; the
    /// script tag sets it to the file beside `wasmtrack.js`.
    pub visualizer_url: String,
}

/// How far in the past an `occurredAt` may lie (7 days, in ms): older times are taken as a
/// mistake (seconds for milliseconds) and replaced by now.
pub const MAX_EVENT_AGE_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// The time an event is recorded at: the page's `occurredAt` when it is plausible (not in the
/// future beyond clock jitter, not older than [`MAX_EVENT_AGE_MS`]), else `now`.
pub fn event_time(occurred_at: Option<f64>, now: u64) -> u64 {
    match occurred_at {
        Some(t) if t.is_finite() && t >= 0.0 => {
            let t = t as u64;
            if t <= now + 60_000 && now.saturating_sub(t) <= MAX_EVENT_AGE_MS {
                t.min(now)
            } else {
                now
            }
        }
        _ => now,
    }
}

/// Path of the beacon endpoint below the collector's base URL.
pub const COLLECT_PATH: &str = "/v1/collect";

impl ResolvedOptions {
    /// Applies defaults and ranges. Without a collector URL or a site id the tracker could
    /// only pile up events it can never send, so that is the one failure.
    pub fn resolve(raw: InitOptions) -> Result<ResolvedOptions, Warning> {
        let collector = raw
            .collector
            .filter(|c| !c.trim_ascii().is_empty())
            .ok_or(Warning::MissingOption)?;
        let collector = collector.trim_ascii().trim_end_matches('/').to_owned();
        let visualizer_url = match raw.visualizer_url.filter(|u| !u.trim_ascii().is_empty()) {
            Some(url) => url,
            None => {
                let mut url = collector.clone();
                url.push_str("/dist/visualizer.js");
                url
            }
        };
        let site = raw
            .site
            .filter(|s| !s.trim_ascii().is_empty())
            .ok_or(Warning::MissingOption)?;
        Ok(ResolvedOptions {
            collector,
            site: site.trim_ascii().to_owned(),
            debug: raw.debug.unwrap_or(false),
            auto_page_view: raw.auto_page_view.unwrap_or(true),
            // Casts truncate, which is the floor for these positive values (`f64::floor` is std's).
            flush_at: clamp(raw.flush_at, 1.0, 100.0, 20.0) as usize,
            flush_interval_ms: clamp(raw.flush_interval_ms, 250.0, 60_000.0, 2_000.0) as u32,
            require_consent: raw.require_consent.unwrap_or(false),
            respect_do_not_track: raw.respect_do_not_track.unwrap_or(false),
            max_queue_events: clamp(raw.max_queue_events, 100.0, 10_000.0, 1_000.0) as usize,
            max_queue_bytes: 1_000_000,
            visualizer_url,
        })
    }

    /// Where batches are posted.
    pub fn collect_url(&self) -> String {
        let mut url = self.collector.clone();
        url.push_str(COLLECT_PATH);
        url
    }
}

// Not `f64::clamp`: its assertion message prints floats, which links all of float
// formatting (about 17 KB) into the wasm.
fn clamp(value: Option<f64>, min: f64, max: f64, default: f64) -> f64 {
    match value {
        Some(v) if v.is_finite() => v.max(min).min(max),
        _ => default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(collector: &str, site: &str) -> InitOptions {
        InitOptions {
            collector: Some(collector.into()),
            site: Some(site.into()),
            ..InitOptions::default()
        }
    }

    #[test]
    fn defaults_fill_every_field() {
        let r = ResolvedOptions::resolve(with("https://c.example/", "s1")).expect("valid");
        assert_eq!(r.collect_url(), "https://c.example/v1/collect");
        assert_eq!(
            (r.debug, r.auto_page_view, r.flush_at, r.flush_interval_ms),
            (false, true, 20, 2000)
        );
        assert_eq!(
            (
                r.require_consent,
                r.respect_do_not_track,
                r.max_queue_events
            ),
            (false, false, 1000)
        );
        assert_eq!(r.visualizer_url, "https://c.example/dist/visualizer.js");
    }

    #[test]
    fn numbers_are_clamped() {
        let mut raw = with("c", "s");
        raw.flush_at = Some(1e9);
        raw.flush_interval_ms = Some(-5.0);
        let r = ResolvedOptions::resolve(raw).expect("valid");
        assert_eq!((r.flush_at, r.flush_interval_ms), (100, 250));
        let mut raw = with("c", "s");
        raw.flush_at = Some(f64::NAN);
        assert_eq!(ResolvedOptions::resolve(raw).expect("valid").flush_at, 20);
    }

    #[test]
    fn plausible_event_times_are_kept() {
        let now = 1_700_000_000_000;
        assert_eq!(event_time(None, now), now);
        assert_eq!(event_time(Some((now - 5_000) as f64), now), now - 5_000);
        assert_eq!(
            event_time(Some((now + 30_000) as f64), now),
            now,
            "slightly ahead: now"
        );
        assert_eq!(event_time(Some((now + 3_600_000) as f64), now), now);
        assert_eq!(
            event_time(Some((now - MAX_EVENT_AGE_MS - 1) as f64), now),
            now
        );
        assert_eq!(
            event_time(Some(1_700_000_000.0), now),
            now,
            "seconds, not milliseconds"
        );
        assert_eq!(event_time(Some(f64::NAN), now), now);
    }

    #[test]
    fn collector_and_site_are_required() {
        assert_eq!(
            ResolvedOptions::resolve(InitOptions::default()),
            Err(Warning::MissingOption)
        );
        assert_eq!(
            ResolvedOptions::resolve(with(" ", "s")),
            Err(Warning::MissingOption)
        );
        assert_eq!(
            ResolvedOptions::resolve(with("c", "")),
            Err(Warning::MissingOption)
        );
    }
}
