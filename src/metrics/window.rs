//! Windows over sampled series: count (the last N sampling intervals), tumbling (fixed,
//! aligned, non-overlapping) and sliding (the span ending now).
//!
//! Counters (log-end and committed offsets) are kept as *deltas*: how many records were added
//! between two samples. A window sums the deltas it overlaps, pro rata where a delta straddles
//! its edge, and divides by the time those deltas cover. So a gap in sampling (a failed cycle)
//! or a counter reset (a topic recreated, an offset rewound) makes a window shorter, never
//! wrong, and a window with no data has no rate rather than a rate of zero.
//!
//! Gauges (lag) are kept as points; their trend over a window is the least-squares slope.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::time::{format_duration, parse_duration, secs, Millis};

/// Which span of a series a number covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowSpec {
    /// The last N sampling intervals.
    Count(usize),
    /// The last complete window of this size, aligned to multiples of it since the epoch.
    Tumbling(Millis),
    /// The span of this size ending now.
    Sliding(Millis),
}

impl WindowSpec {
    /// How far back this window can reach at most (for pruning).
    pub fn reach(&self, interval: Millis) -> Millis {
        match *self {
            WindowSpec::Count(n) => interval.saturating_mul(n as Millis + 1),
            WindowSpec::Tumbling(size) => size.saturating_mul(2),
            WindowSpec::Sliding(size) => size,
        }
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowSpec::Count(n) => write!(f, "{n} samples"),
            WindowSpec::Tumbling(ms) => write!(f, "{} tumbling", format_duration(*ms)),
            WindowSpec::Sliding(ms) => write!(f, "{} sliding", format_duration(*ms)),
        }
    }
}

impl Serialize for WindowSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for WindowSpec {
    type Err = String;

    /// "10s tumbling", "1m sliding", "1m" (sliding), "6 samples".
    fn from_str(text: &str) -> Result<Self, String> {
        let expected = || {
            format!("invalid window '{text}': expected e.g. \"10s tumbling\", \"1m sliding\" or \"6 samples\"")
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let (size, kind) = match words.as_slice() {
            [size] => (*size, "sliding"),
            [size, kind] => (*size, *kind),
            _ => return Err(expected()),
        };
        match kind {
            "samples" | "sample" => match size.parse::<usize>() {
                Ok(n) if n > 0 => Ok(WindowSpec::Count(n)),
                _ => Err(expected()),
            },
            "tumbling" | "sliding" => match parse_duration(size) {
                Some(ms) if ms > 0 && kind == "tumbling" => Ok(WindowSpec::Tumbling(ms)),
                Some(ms) if ms > 0 => Ok(WindowSpec::Sliding(ms)),
                _ => Err(expected()),
            },
            _ => Err(expected()),
        }
    }
}

/// Records added between two samples. `count` is `None` when the two are not comparable
/// (the counter went backwards): that span then counts as not covered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delta {
    pub from: Millis,
    pub to: Millis,
    pub count: Option<i64>,
}

/// What a window saw: records counted and the time the data covered.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Span {
    pub count: f64,
    pub covered: Millis,
}

impl Span {
    /// Records per second, or `None` when nothing covered the window.
    pub fn per_sec(&self) -> Option<f64> {
        (self.covered > 0).then(|| self.count / secs(self.covered))
    }
}

/// One tumbling window of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub start: Millis,
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub end: Millis,
    /// Records in the covered part of the window.
    pub count: f64,
    pub per_sec: Option<f64>,
    /// False for the window that contains `now`.
    pub complete: bool,
}

/// A [`Delta`] in 24 bytes instead of 32: the series keeps only counts that are not negative,
/// so an unknown count is stored as -1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct StoredDelta {
    from: Millis,
    to: Millis,
    count: i64,
}

impl StoredDelta {
    const UNKNOWN: i64 = -1;

    /// `None` for a negative count (which the series never takes).
    fn new(d: Delta) -> Option<Self> {
        let count = match d.count {
            Some(c) if c < 0 => return None,
            Some(c) => c,
            None => Self::UNKNOWN,
        };
        Some(StoredDelta {
            from: d.from,
            to: d.to,
            count,
        })
    }

    fn count(&self) -> Option<i64> {
        (self.count != Self::UNKNOWN).then_some(self.count)
    }
}

/// Appends to `q`, growing it by an eighth when full instead of doubling it: the engine keeps
/// a few of these per partition (and per group partition), each near the same length for as
/// long as sampling runs, so doubling would leave up to half of them unused.
pub(crate) fn push_back_tight<T>(q: &mut VecDeque<T>, x: T) {
    if q.len() == q.capacity() {
        q.reserve_exact(q.len() / 8 + 1);
    }
    q.push_back(x);
}

/// A counter kept as deltas between samples, oldest first.
#[derive(Debug, Clone, Default)]
pub struct DeltaSeries {
    deltas: VecDeque<StoredDelta>,
}

impl DeltaSeries {
    /// Appends a delta; one that is empty, negative or does not follow the last is ignored.
    pub fn push(&mut self, d: Delta) {
        if d.to <= d.from || self.deltas.back().is_some_and(|last| d.from < last.to) {
            return;
        }
        if let Some(stored) = StoredDelta::new(d) {
            push_back_tight(&mut self.deltas, stored);
        }
    }

    /// Drops deltas that end before `before`.
    pub fn prune(&mut self, before: Millis) {
        while self.deltas.front().is_some_and(|d| d.to < before) {
            self.deltas.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// The deltas kept, oldest first.
    fn iter(&self) -> impl DoubleEndedIterator<Item = Delta> + '_ {
        self.deltas.iter().map(|d| Delta {
            from: d.from,
            to: d.to,
            count: d.count(),
        })
    }

    /// What falls in `[start, end)`, pro rata for deltas that straddle an edge.
    pub fn span(&self, start: Millis, end: Millis) -> Span {
        let mut out = Span::default();
        for d in self.iter().rev() {
            if d.to <= start {
                break;
            }
            let (Some(count), lo, hi) = (d.count, d.from.max(start), d.to.min(end)) else {
                continue;
            };
            if hi <= lo {
                continue;
            }
            out.count += count as f64 * (hi - lo) as f64 / (d.to - d.from) as f64;
            out.covered += hi - lo;
        }
        out
    }

    /// The last `n` comparable deltas.
    pub fn last(&self, n: usize) -> Span {
        let mut out = Span::default();
        for d in self.iter().rev().filter(|d| d.count.is_some()).take(n) {
            out.count += d.count.unwrap_or(0) as f64;
            out.covered += d.to - d.from;
        }
        out
    }

    /// The span a window covers at `now`.
    pub fn window(&self, spec: WindowSpec, now: Millis) -> Span {
        match spec {
            WindowSpec::Count(n) => self.last(n),
            WindowSpec::Sliding(size) => self.span(now - size, now),
            WindowSpec::Tumbling(size) => {
                let (start, end) = last_complete(size, now);
                self.span(start, end)
            }
        }
    }

    /// The last `n` tumbling windows of `size` up to and including the one containing `now`.
    pub fn buckets(&self, size: Millis, n: usize, now: Millis) -> Vec<Bucket> {
        if size <= 0 || n == 0 {
            return Vec::new();
        }
        let current = now.div_euclid(size) * size;
        (0..n as Millis)
            .rev()
            .map(|i| {
                let start = current - i * size;
                let end = start + size;
                let span = self.span(start, end.min(now.max(start)));
                Bucket {
                    start,
                    end,
                    count: span.count,
                    per_sec: span.per_sec(),
                    complete: end <= now,
                }
            })
            .collect()
    }
}

/// The last tumbling window of `size` that ended at or before `now`.
pub fn last_complete(size: Millis, now: Millis) -> (Millis, Millis) {
    let end = now.div_euclid(size.max(1)) * size.max(1);
    (end - size, end)
}

/// A gauge kept as points, oldest first.
#[derive(Debug, Clone, Default)]
pub struct GaugeSeries {
    points: VecDeque<(Millis, f64)>,
}

impl GaugeSeries {
    /// Appends a point; one that does not come after the last is ignored.
    pub fn push(&mut self, t: Millis, v: f64) {
        if self.points.back().is_some_and(|(last, _)| t <= *last) {
            return;
        }
        self.points.push_back((t, v));
    }

    /// Drops points before `before`, keeping the last one before it as the baseline.
    pub fn prune(&mut self, before: Millis) {
        while self.points.len() > 1 && self.points.get(1).is_some_and(|(t, _)| *t <= before) {
            self.points.pop_front();
        }
    }

    pub fn points(&self) -> impl Iterator<Item = (Millis, f64)> + '_ {
        self.points.iter().copied()
    }

    pub fn last(&self) -> Option<(Millis, f64)> {
        self.points.back().copied()
    }

    /// Least-squares slope per second over the points in `[start, end]` and the last point
    /// before `start` (so a window as long as one interval still has two points).
    pub fn slope(&self, start: Millis, end: Millis) -> Option<f64> {
        let first = self.points.partition_point(|(t, _)| *t < start);
        let from = first.saturating_sub(1);
        let pts: Vec<(Millis, f64)> = self
            .points
            .range(from..)
            .take_while(|(t, _)| *t <= end)
            .copied()
            .collect();
        slope(&pts)
    }

    /// The slope over a window at `now`.
    pub fn window(&self, spec: WindowSpec, now: Millis) -> Option<f64> {
        match spec {
            WindowSpec::Count(n) => {
                let pts: Vec<(Millis, f64)> = self
                    .points
                    .iter()
                    .rev()
                    .filter(|(t, _)| *t <= now)
                    .take(n + 1)
                    .copied()
                    .collect();
                slope(&pts)
            }
            WindowSpec::Sliding(size) => self.slope(now - size, now),
            WindowSpec::Tumbling(size) => {
                let (start, end) = last_complete(size, now);
                self.slope(start, end)
            }
        }
    }
}

/// Least-squares slope, per second, of `(ms, value)` points; `None` with fewer than two
/// distinct times.
pub fn slope(points: &[(Millis, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let t0 = points[0].0;
    let n = points.len() as f64;
    let xs: Vec<f64> = points.iter().map(|(t, _)| secs(t - t0)).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = points.iter().map(|(_, v)| v).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (x, (_, y)) in xs.iter().zip(points) {
        num += (x - mean_x) * (y - mean_y);
        den += (x - mean_x) * (x - mean_x);
    }
    (den > 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(deltas: &[(Millis, Millis, Option<i64>)]) -> DeltaSeries {
        let mut s = DeltaSeries::default();
        for (from, to, count) in deltas {
            s.push(Delta {
                from: *from,
                to: *to,
                count: *count,
            });
        }
        s
    }

    #[test]
    fn window_specs_parse_and_print() {
        for (text, spec, shown) in [
            ("10s tumbling", WindowSpec::Tumbling(10_000), "10s tumbling"),
            ("1m sliding", WindowSpec::Sliding(60_000), "1m sliding"),
            ("5m", WindowSpec::Sliding(300_000), "5m sliding"),
            ("6 samples", WindowSpec::Count(6), "6 samples"),
        ] {
            let parsed: WindowSpec = text.parse().unwrap();
            assert_eq!(parsed, spec);
            assert_eq!(parsed.to_string(), shown);
        }
        for bad in [
            "",
            "0s tumbling",
            "10s rolling",
            "x sliding",
            "0 samples",
            "a b c",
        ] {
            let e = bad.parse::<WindowSpec>().unwrap_err();
            assert!(e.contains(&format!("'{bad}'")), "{e}");
        }
    }

    #[test]
    fn empty_windows_have_no_rate() {
        let s = DeltaSeries::default();
        assert_eq!(
            s.window(WindowSpec::Sliding(60_000), 100_000).per_sec(),
            None
        );
        assert_eq!(s.window(WindowSpec::Count(3), 100_000).per_sec(), None);
        // Data that ended before the window: no rate either (not zero).
        let s = series(&[(0, 10_000, Some(100))]);
        assert_eq!(
            s.window(WindowSpec::Sliding(10_000), 60_000).per_sec(),
            None
        );
        // Data that covers the window with no records: a rate of zero.
        let s = series(&[(0, 10_000, Some(0))]);
        assert_eq!(
            s.window(WindowSpec::Sliding(10_000), 10_000).per_sec(),
            Some(0.0)
        );
    }

    #[test]
    fn sliding_windows_prorate_deltas_at_their_edges() {
        // 100 records/s for 30 s, then 10 records/s for 30 s, sampled every 10 s.
        let s = series(&[
            (0, 10_000, Some(1000)),
            (10_000, 20_000, Some(1000)),
            (20_000, 30_000, Some(1000)),
            (30_000, 40_000, Some(100)),
            (40_000, 50_000, Some(100)),
            (50_000, 60_000, Some(100)),
        ]);
        let rate = |spec, now| s.window(spec, now).per_sec().unwrap();
        assert!((rate(WindowSpec::Sliding(60_000), 60_000) - 55.0).abs() < 1e-9);
        assert!((rate(WindowSpec::Sliding(30_000), 60_000) - 10.0).abs() < 1e-9);
        // Half of the 30-40 s delta and all of 40-60 s.
        assert!((rate(WindowSpec::Sliding(25_000), 60_000) - 10.0).abs() < 1e-9);
        // 35 s reaches 5 s back into the fast part: 500 records, plus 300 from the slow part.
        let span = s.window(WindowSpec::Sliding(35_000), 60_000);
        assert!((span.count - (500.0 + 300.0)).abs() < 1e-9, "{span:?}");
        assert_eq!(span.covered, 35_000);
        assert!((rate(WindowSpec::Count(2), 60_000) - 10.0).abs() < 1e-9);
        assert!((rate(WindowSpec::Count(6), 60_000) - 55.0).abs() < 1e-9);
    }

    #[test]
    fn tumbling_windows_align_to_their_size() {
        // Samples every 4 s, not aligned with 10 s windows; 10 records/s throughout.
        let s = series(&[
            (2_000, 6_000, Some(40)),
            (6_000, 10_000, Some(40)),
            (10_000, 14_000, Some(40)),
            (14_000, 18_000, Some(40)),
            (18_000, 22_000, Some(40)),
        ]);
        // At 23 s the last complete window is [10 s, 20 s).
        let span = s.window(WindowSpec::Tumbling(10_000), 23_000);
        assert_eq!(span.covered, 10_000);
        assert!((span.per_sec().unwrap() - 10.0).abs() < 1e-9);
        let b = s.buckets(10_000, 3, 23_000);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].start, b[0].end, b[0].complete), (0, 10_000, true));
        assert_eq!(b[0].count, 80.0, "only 2-10 s is covered");
        assert_eq!(b[0].per_sec, Some(10.0));
        assert_eq!((b[2].start, b[2].complete), (20_000, false));
        assert_eq!(b[2].count, 20.0);
    }

    #[test]
    fn resets_and_gaps_shorten_the_window_instead_of_skewing_it() {
        let s = series(&[
            (0, 10_000, Some(100)),
            (10_000, 20_000, None), // counter went backwards
            (20_000, 30_000, Some(100)),
            // sampler down from 30 s to 50 s: the next delta spans it
            (30_000, 50_000, Some(200)),
        ]);
        let span = s.window(WindowSpec::Sliding(50_000), 50_000);
        assert_eq!(span.covered, 40_000);
        assert!((span.per_sec().unwrap() - 10.0).abs() < 1e-9);
        assert_eq!(s.window(WindowSpec::Count(2), 50_000).covered, 30_000);
    }

    #[test]
    fn out_of_order_and_negative_deltas_are_ignored() {
        let s = series(&[
            (10_000, 20_000, Some(10)),
            (5_000, 15_000, Some(10)),   // overlaps the last one
            (20_000, 20_000, Some(10)),  // empty
            (20_000, 30_000, Some(-10)), // negative
        ]);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn pruning_keeps_what_windows_need() {
        let mut s = series(&[(0, 10_000, Some(1)), (10_000, 20_000, Some(1))]);
        s.prune(15_000);
        assert_eq!(s.len(), 1);
        let mut g = GaugeSeries::default();
        for t in 0..5 {
            g.push(t * 10_000, t as f64);
        }
        g.prune(25_000);
        assert_eq!(g.points().next(), Some((20_000, 2.0)), "baseline kept");
    }

    #[test]
    fn gauge_slopes() {
        let mut g = GaugeSeries::default();
        assert_eq!(g.window(WindowSpec::Sliding(60_000), 0), None);
        for i in 0..7 {
            g.push(i * 10_000, 100.0 + 5.0 * i as f64 * 10.0);
        }
        g.push(50_000, 0.0); // out of order: ignored
        let s = g.window(WindowSpec::Sliding(60_000), 60_000).unwrap();
        assert!((s - 5.0).abs() < 1e-9, "{s}");
        // A window of one interval still has two points (the baseline before it).
        let s = g.window(WindowSpec::Sliding(10_000), 60_000).unwrap();
        assert!((s - 5.0).abs() < 1e-9);
        let s = g.window(WindowSpec::Count(1), 60_000).unwrap();
        assert!((s - 5.0).abs() < 1e-9);
        let s = g.window(WindowSpec::Tumbling(20_000), 61_000).unwrap();
        assert!((s - 5.0).abs() < 1e-9);
        assert_eq!(slope(&[(0, 1.0), (0, 2.0)]), None);
    }

    #[test]
    fn stored_deltas_keep_unknown_zero_and_huge_counts() {
        let s = series(&[
            (0, 10_000, Some(0)),
            (10_000, 20_000, None),
            (20_000, 30_000, Some(i64::MAX)),
            (30_000, 40_000, Some(1)),
        ]);
        let got: Vec<Delta> = s.iter().collect();
        let want = [
            (0, 10_000, Some(0)),
            (10_000, 20_000, None),
            (20_000, 30_000, Some(i64::MAX)),
            (30_000, 40_000, Some(1)),
        ]
        .map(|(from, to, count)| Delta { from, to, count });
        assert_eq!(got, want);
        // The unknown delta is not covered; the zero one is.
        assert_eq!(s.span(0, 20_000).covered, 10_000);
        assert_eq!(s.last(4).covered, 30_000);
        assert_eq!(s.last(1).count, 1.0);
        assert_eq!(std::mem::size_of::<StoredDelta>(), 24);
    }

    #[test]
    fn tight_queues_grow_by_an_eighth_and_keep_their_order() {
        let mut q = VecDeque::new();
        for i in 0..100 {
            push_back_tight(&mut q, i);
            if i >= 40 {
                // A full ring that wrapped around grows too.
                q.pop_front();
            }
        }
        assert_eq!(
            q.iter().copied().collect::<Vec<_>>(),
            (60..100).collect::<Vec<_>>()
        );
        assert!(q.capacity() <= 41 + 41 / 8 + 1, "{}", q.capacity());
        let mut q = VecDeque::new();
        for i in 0..92 {
            push_back_tight(&mut q, i);
        }
        assert!((92..=104).contains(&q.capacity()), "{}", q.capacity());
    }
}
