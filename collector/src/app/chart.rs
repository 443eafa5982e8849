//! Charts as SVG, drawn here so that a report is one request and no chart library is
//! downloaded: a bar chart of completions per bucket (axes, labels, a tooltip per bar through
//! SVG `<title>`, which browsers show on hover and screen readers read), and the small trend
//! line of the events list. Every text goes through maud, so it is escaped like the rest.

use maud::{html, Markup};
use time::OffsetDateTime;

/// The size of a bar chart, in SVG units (it scales with the page).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 8.0;

/// How wide a bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// An hour.
    Hour,
    /// A day (UTC).
    Day,
    /// Seven days.
    Week,
}

impl Granularity {
    /// Milliseconds in a bucket.
    pub fn width_ms(self) -> i64 {
        match self {
            Granularity::Hour => 3_600_000,
            Granularity::Day => 86_400_000,
            Granularity::Week => 7 * 86_400_000,
        }
    }

    /// `hour`, `day` or `week`.
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
        }
    }

    /// Reads [`Granularity::as_str`]'s spelling.
    pub fn parse(text: &str) -> Option<Granularity> {
        [Granularity::Hour, Granularity::Day, Granularity::Week]
            .into_iter()
            .find(|g| g.as_str() == text)
    }

    /// A bucket's start as a person reads it (UTC).
    pub fn label(self, start_ms: i64) -> String {
        let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(start_ms as i128 * 1_000_000) else {
            return String::new();
        };
        let month = &format!("{:?}", t.month())[..3];
        match self {
            Granularity::Hour => format!("{month} {} {:02}:00", t.day(), t.hour()),
            Granularity::Day | Granularity::Week => format!("{month} {}", t.day()),
        }
    }
}

/// Counts in every bucket from `from` (inclusive) in steps of `width`, `n` buckets: the
/// store answers only the buckets that have completions (`(index, count)`); the others are 0.
pub fn dense(sparse: &[(i64, u64)], n: usize) -> Vec<u64> {
    let mut out = vec![0; n];
    for &(index, count) in sparse {
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| out.get_mut(i)) {
            *slot = count;
        }
    }
    out
}

/// A round number at or above `max` for the top of the axis (1, 2, 5 × 10ⁿ).
fn nice_top(max: u64) -> u64 {
    if max <= 5 {
        return max.max(1);
    }
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// A bar chart of `counts`, bucket `i` starting at `from + i × width`. `caption` names what
/// is counted (it is the chart's accessible name).
pub fn bars(caption: &str, from: i64, granularity: Granularity, counts: &[u64]) -> Markup {
    let top = nice_top(counts.iter().copied().max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = counts.len().max(1) as f64;
    let slot = plot_w / n;
    let bar = (slot * 0.8).max(1.0);
    let y = |v: u64| TOP + plot_h - plot_h * v as f64 / top as f64;
    // At most about 8 labels under the axis, evenly spaced.
    let every = counts.len().div_ceil(8).max(1);
    let total: u64 = counts.iter().sum();
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                aria-label=(format!("{caption}: {total} in {} {}s", counts.len(), granularity.as_str())) {
                // A middle line only where it is a whole number.
                @for tick in [0, top / 2, top].into_iter().filter(|t| *t == 0 || *t == top || top.is_multiple_of(2)) {
                    line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(tick)) y2=(y(tick)) {}
                    text.axis x=(LEFT - 6.0) y=(y(tick) + 4.0) text-anchor="end" { (tick) }
                }
                @for (i, count) in counts.iter().enumerate() {
                    @let start = from + i as i64 * granularity.width_ms();
                    @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                    g.bar tabindex="0" data-tip=(format!("{}: {count}", granularity.label(start))) {
                        title { (granularity.label(start)) ": " (count) }
                        // A full-height transparent target, so short bars are easy to hover.
                        rect.hit x=(x) y=(TOP) width=(bar) height=(plot_h) {}
                        rect x=(x) y=(y(*count)) width=(bar) height=(TOP + plot_h - y(*count)) {}
                    }
                    @if i % every == 0 {
                        text.axis x=(x + bar / 2.0) y=(HEIGHT - 8.0) text-anchor="middle" {
                            (granularity.label(start))
                        }
                    }
                }
                line.axis-line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(TOP + plot_h) y2=(TOP + plot_h) {}
            }
            figcaption { (caption) }
        }
    }
}

/// How many series a breakdown draws (the stylesheet colours `.s0`…`.s5`, each at least 3:1
/// against white, WCAG's non-text contrast; the legend and the tooltips name them, so colour
/// is not the only cue). Classes, not `style` attributes: the app's CSP allows no inline style.
const SERIES: usize = 6;

/// A stacked bar chart: each series' counts per bucket, in `series` order from the bottom, with
/// a legend. `series` holds at most six (the top five values and "other").
pub fn stacked(
    caption: &str,
    from: i64,
    granularity: Granularity,
    series: &[(String, Vec<u64>)],
) -> Markup {
    let n = series.first().map_or(0, |(_, c)| c.len());
    let totals: Vec<u64> = (0..n)
        .map(|i| series.iter().map(|(_, c)| c[i]).sum())
        .collect();
    let top = nice_top(totals.iter().copied().max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / n.max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let h = |v: u64| plot_h * v as f64 / top as f64;
    let every = n.div_ceil(8).max(1);
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                aria-label=(format!("{caption}: {} series over {n} {}s", series.len(), granularity.as_str())) {
                @for tick in [0, top / 2, top].into_iter().filter(|t| *t == 0 || *t == top || top.is_multiple_of(2)) {
                    line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(TOP + plot_h - h(tick)) y2=(TOP + plot_h - h(tick)) {}
                    text.axis x=(LEFT - 6.0) y=(TOP + plot_h - h(tick) + 4.0) text-anchor="end" { (tick) }
                }
                @for i in 0..n {
                    @let start = from + i as i64 * granularity.width_ms();
                    @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                    @let detail = series.iter().map(|(name, c)| format!("{name}: {}", c[i])).collect::<Vec<_>>().join(", ");
                    g.bar tabindex="0" data-tip=(format!("{}: {detail}", granularity.label(start))) {
                        title { (granularity.label(start)) ": " (detail) }
                        rect.hit x=(x) y=(TOP) width=(bar) height=(plot_h) {}
                        @let mut base = 0;
                        @for (k, (_, counts)) in series.iter().enumerate() {
                            @let v = counts[i];
                            rect class=(format!("s{}", k % SERIES)) x=(x) y=(TOP + plot_h - h(base + v)) width=(bar) height=(h(v)) {}
                            ({ base += v; "" })
                        }
                    }
                    @if i % every == 0 {
                        text.axis x=(x + bar / 2.0) y=(HEIGHT - 8.0) text-anchor="middle" { (granularity.label(start)) }
                    }
                }
                line.axis-line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(TOP + plot_h) y2=(TOP + plot_h) {}
            }
            figcaption {
                (caption)
                ul.legend {
                    @for (k, (name, counts)) in series.iter().enumerate() {
                        li { span class=(format!("swatch s{}", k % SERIES)) {} (name) " (" (counts.iter().sum::<u64>()) ")" }
                    }
                }
            }
        }
    }
}

/// The top `keep` values by total, the rest summed as "other", from the store's
/// `(value, bucket, count)` rows; `n` buckets each. A missing value reads "(none)".
pub fn top_series(
    rows: &[(Option<String>, i64, u64)],
    n: usize,
    keep: usize,
) -> Vec<(String, Vec<u64>)> {
    let mut by_value: Vec<(String, Vec<u64>)> = Vec::new();
    for (value, bucket, count) in rows {
        let name = value.clone().unwrap_or_else(|| "(none)".to_owned());
        let slot = match by_value.iter().position(|(v, _)| *v == name) {
            Some(i) => i,
            None => {
                by_value.push((name, vec![0; n]));
                by_value.len() - 1
            }
        };
        if let Some(c) = usize::try_from(*bucket)
            .ok()
            .and_then(|b| by_value[slot].1.get_mut(b))
        {
            *c += count;
        }
    }
    by_value.sort_by(|a, b| {
        b.1.iter()
            .sum::<u64>()
            .cmp(&a.1.iter().sum::<u64>())
            .then(a.0.cmp(&b.0))
    });
    if by_value.len() > keep + 1 {
        let rest = by_value.split_off(keep);
        let mut other = vec![0; n];
        for (_, counts) in rest {
            for (o, c) in other.iter_mut().zip(counts) {
                *o += c;
            }
        }
        by_value.push(("other".to_owned(), other));
    }
    by_value
}

/// The events list's trend: a line over `counts`, decorative (the number beside it says it).
pub fn sparkline(counts: &[u64]) -> Markup {
    let (w, h) = (96.0, 24.0);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = w / (counts.len().max(2) - 1) as f64;
    let points: Vec<String> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                h - 2.0 - (h - 4.0) * *c as f64 / max
            )
        })
        .collect();
    html! {
        svg.spark viewBox=(format!("0 0 {w} {h}")) aria-hidden="true" focusable="false" {
            polyline points=(points.join(" ")) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_buckets_are_zero() {
        assert_eq!(dense(&[(1, 5), (3, 2), (9, 1)], 4), vec![0, 5, 0, 2]);
    }

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(nice_top(0), 1);
        assert_eq!(nice_top(4), 4);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(130), 200);
        assert_eq!(nice_top(501), 1000);
    }

    #[test]
    fn a_chart_has_a_bar_and_a_tooltip_per_bucket_and_escapes_its_caption() {
        let svg = bars("<b>signup</b> completions", 0, Granularity::Day, &[3, 0, 7]).into_string();
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 3);
        assert!(svg.contains("<title>Jan 1: 3</title>"), "{svg}");
        assert!(svg.contains("Jan 2: 0"), "an empty bucket shows as zero");
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;signup"));
    }

    #[test]
    fn a_breakdown_keeps_the_top_five_and_sums_the_rest_as_other() {
        let rows: Vec<(Option<String>, i64, u64)> = (0..8)
            .map(|v| (Some(format!("v{v}")), 0, 10 - v as u64))
            .chain([(None, 1, 1)])
            .collect();
        let series = top_series(&rows, 2, 5);
        let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["v0", "v1", "v2", "v3", "v4", "other"]);
        assert_eq!(
            series[5].1,
            vec![5 + 4 + 3, 1],
            "v5..v7 and the completions without a value"
        );
        let few = top_series(
            &[(Some("pro".into()), 0, 2), (Some("free".into()), 1, 1)],
            2,
            5,
        );
        assert_eq!(
            few,
            vec![
                ("pro".to_owned(), vec![2, 0]),
                ("free".to_owned(), vec![0, 1])
            ]
        );
        let svg = stacked("x", 0, Granularity::Day, &few).into_string();
        assert!(svg.contains("Jan 1: pro: 2, free: 0"), "{svg}");
    }

    #[test]
    fn bucket_labels_read_like_dates() {
        assert_eq!(Granularity::Day.label(1_733_270_400_000), "Dec 4");
        assert_eq!(
            Granularity::Hour.label(1_733_270_400_000 + 13 * 3_600_000),
            "Dec 4 13:00"
        );
        assert_eq!(Granularity::parse("week"), Some(Granularity::Week));
        assert_eq!(Granularity::parse("month"), None);
    }
}
