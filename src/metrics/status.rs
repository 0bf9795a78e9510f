//! Consumer status over a window, as Burrow evaluates it, from sampled committed offsets.
//!
//! Per partition, over the points in the window (plus the last point before it, so the window
//! is covered end to end):
//!
//! 1. REWIND: the committed offset went backwards.
//! 2. OK: the lag was zero at some point.
//! 3. Measuring (`None`, with [`Measuring`] progress) until the points span the whole window.
//! 4. STOP or STALL: the committed offset did not move while the lag stayed above zero. kscope
//!    samples committed offsets instead of reading every commit, so it cannot see a commit of the
//!    same offset; it tells the two apart by the group's state instead: a group with no members
//!    (Empty) has STOPped (two points spanning the window are enough: nobody can commit), one
//!    with members (or of unknown state) has STALLed, which takes the window's worth of samples
//!    ([`samples_needed`], three at least): a live consumer commits every few seconds, so two
//!    samples a second apart would call a healthy group stalled.
//! 5. Measuring until the window's worth of samples is in, for the verdicts below.
//! 6. WARN: the offset moved but the lag grew at every step.
//! 7. OK otherwise.
//!
//! A group's status is its worst partition's: OK < WARN < REWIND < STALL < STOP.
//!
//! The window grows in at the start ([`judged_window`]): a partition first seen less than a
//! status window ago is judged over its samples so far, once they span `first_verdict` (1 min by
//! default, against a 2 min window), so a fresh console or `watch` gives its first verdict after
//! a minute instead of two; from then on the window grows with the samples until it is the
//! status window. Every rule above holds over that shorter window as over the whole one, with
//! the samples it needs counted for it.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::time::Millis;
use super::window::slope;
use crate::model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warn,
    Rewind,
    Stall,
    Stop,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Warn,
        Status::Rewind,
        Status::Stall,
        Status::Stop,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Rewind => "REWIND",
            Status::Stall => "STALL",
            Status::Stop => "STOP",
        }
    }

    /// How bad it is: STALL and STOP are trouble, WARN and REWIND need a look.
    pub fn severity(self) -> Severity {
        match self {
            Status::Ok => Severity::Ok,
            Status::Warn | Status::Rewind => Severity::Warn,
            Status::Stall | Status::Stop => Severity::Crit,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown status '{s}': expected OK, WARN, REWIND, STALL or STOP")
            })
    }
}

/// One sample of a group's partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPoint {
    pub t: Millis,
    pub committed: i64,
    /// `None` when the log end was unknown.
    pub lag: Option<i64>,
}

/// What the status functions read of a point: a [`StatusPoint`], or the engine's
/// [`CompactPoint`] (the same three numbers in less memory).
pub trait Point: Copy {
    fn t(&self) -> Millis;
    fn committed(&self) -> i64;
    fn lag(&self) -> Option<i64>;
}

impl Point for StatusPoint {
    fn t(&self) -> Millis {
        self.t
    }
    fn committed(&self) -> i64 {
        self.committed
    }
    fn lag(&self) -> Option<i64> {
        self.lag
    }
}

/// A [`StatusPoint`] in 24 bytes instead of 32, as the engine keeps one per sample of every
/// group partition: a known lag is never negative ([`crate::model::lag`]), so an unknown one
/// is stored as `i64::MIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactPoint {
    t: Millis,
    committed: i64,
    lag: i64,
}

impl CompactPoint {
    const UNKNOWN: i64 = i64::MIN;

    /// `lag` is a lag as [`crate::model::lag`] gives it (never negative); a `Some(i64::MIN)`
    /// would read back as unknown.
    pub fn new(t: Millis, committed: i64, lag: Option<i64>) -> Self {
        debug_assert!(lag != Some(Self::UNKNOWN));
        CompactPoint {
            t,
            committed,
            lag: lag.unwrap_or(Self::UNKNOWN),
        }
    }

    pub fn point(&self) -> StatusPoint {
        StatusPoint {
            t: self.t,
            committed: self.committed,
            lag: self.lag(),
        }
    }
}

impl Point for CompactPoint {
    fn t(&self) -> Millis {
        self.t
    }
    fn committed(&self) -> i64 {
        self.committed
    }
    fn lag(&self) -> Option<i64> {
        (self.lag != Self::UNKNOWN).then_some(self.lag)
    }
}

/// Points a STALL, WARN or moving-OK verdict needs: one per interval across the window plus
/// the one before it, three at least.
pub fn samples_needed(window: Millis, interval: Millis) -> usize {
    let steps = if interval > 0 {
        (window + interval - 1) / interval
    } else {
        1
    };
    (usize::try_from(steps)
        .unwrap_or(usize::MAX)
        .saturating_add(1))
    .max(3)
}

/// The window a partition is judged over at `now`: the span of its samples so far, at least
/// `first` and at most `window` (the status window). Once the samples cover the status window
/// (always, after the first one), it is the status window.
pub fn judged_window(points: &[StatusPoint], first: Millis, window: Millis, now: Millis) -> Millis {
    judged_window_any(points, first, window, now)
}

/// [`judged_window`] over any kind of [`Point`].
pub fn judged_window_any<P: Point>(
    points: &[P],
    first: Millis,
    window: Millis,
    now: Millis,
) -> Millis {
    let first = first.clamp(0, window);
    match points.first() {
        Some(p) => (now - p.t()).clamp(first, window),
        None => window,
    }
}

/// How far a partition (or group) is from its first verdict: `have` of `need` samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Measuring {
    pub have: usize,
    pub need: usize,
}

impl fmt::Display for Measuring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "measuring ({} of {})", self.have, self.need)
    }
}

/// The progress of a partition whose status is not told yet (`None` when it is, or when its
/// lag is unknown: then no number of samples would tell).
pub fn measuring(
    points: &[StatusPoint],
    window: Millis,
    need: usize,
    now: Millis,
    has_members: Option<bool>,
) -> Option<Measuring> {
    if evaluate_any(points, window, need, now, has_members).is_some() {
        return None;
    }
    progress_any(points, window, need, now)
}

/// [`measuring`] for a partition already known to have no verdict (`evaluate` said `None`).
pub fn progress(
    points: &[StatusPoint],
    window: Millis,
    need: usize,
    now: Millis,
) -> Option<Measuring> {
    progress_any(points, window, need, now)
}

/// [`progress`] over any kind of [`Point`].
pub fn progress_any<P: Point>(
    points: &[P],
    window: Millis,
    need: usize,
    now: Millis,
) -> Option<Measuring> {
    let pts = window_points_any(points, window, now);
    pts.last()?.lag()?;
    Some(Measuring {
        have: pts.len().min(need.saturating_sub(1)),
        need,
    })
}

/// The points that make up the window ending at `now`: those inside it and the last one at or
/// before its start.
pub fn window_points(points: &[StatusPoint], window: Millis, now: Millis) -> &[StatusPoint] {
    window_points_any(points, window, now)
}

/// [`window_points`] over any kind of [`Point`].
pub fn window_points_any<P: Point>(points: &[P], window: Millis, now: Millis) -> &[P] {
    let first_inside = points.partition_point(|p| p.t() <= now - window);
    let end = points.partition_point(|p| p.t() <= now);
    &points[first_inside.saturating_sub(1).min(end)..end]
}

/// The status of one partition; `None` until it can be told (see [`measuring`]). `need` is
/// what [`samples_needed`] says for the window and the sampling interval.
pub fn evaluate(
    points: &[StatusPoint],
    window: Millis,
    need: usize,
    now: Millis,
    has_members: Option<bool>,
) -> Option<Status> {
    evaluate_any(points, window, need, now, has_members)
}

/// [`evaluate`] over any kind of [`Point`].
pub fn evaluate_any<P: Point>(
    points: &[P],
    window: Millis,
    need: usize,
    now: Millis,
    has_members: Option<bool>,
) -> Option<Status> {
    let pts = window_points_any(points, window, now);
    let (first, last) = (pts.first()?, pts.last()?);
    if pts.windows(2).any(|w| w[1].committed() < w[0].committed()) {
        return Some(Status::Rewind);
    }
    if pts
        .iter()
        .any(|p| p.t() > now - window && p.lag() == Some(0))
        || last.lag() == Some(0)
    {
        return Some(Status::Ok);
    }
    last.lag()?;
    if now - first.t() < window {
        return None;
    }
    if first.committed() == last.committed() && has_members == Some(false) {
        return Some(Status::Stop);
    }
    if pts.len() < need {
        return None;
    }
    if first.committed() == last.committed() {
        return Some(Status::Stall);
    }
    // Growing: never down from one known lag to the next, up overall, over two steps at least
    // (one step up is not a trend).
    let (mut known, mut first_lag, mut prev, mut never_down) = (0usize, None, None, true);
    for l in pts.iter().filter_map(|p| p.lag()) {
        known += 1;
        first_lag.get_or_insert(l);
        if prev.is_some_and(|p| l < p) {
            never_down = false;
        }
        prev = Some(l);
    }
    let growing = known >= 3 && never_down && prev > first_lag;
    Some(if growing { Status::Warn } else { Status::Ok })
}

/// Seconds until the lag reaches zero at the rate it shrank over the window; `Some(0)` when
/// there is no lag, `None` when it is not shrinking.
pub fn eta(points: &[StatusPoint], window: Millis, now: Millis) -> Option<f64> {
    eta_any(points, window, now)
}

/// [`eta`] over any kind of [`Point`].
pub fn eta_any<P: Point>(points: &[P], window: Millis, now: Millis) -> Option<f64> {
    let pts = window_points_any(points, window, now);
    let lag = pts.last()?.lag()?;
    if lag == 0 {
        return Some(0.0);
    }
    let series: Vec<(Millis, f64)> = pts
        .iter()
        .filter_map(|p| p.lag().map(|l| (p.t(), l as f64)))
        .collect();
    let s = slope(&series)?;
    (s < 0.0).then(|| lag as f64 / -s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points every 10 s: (committed, lag).
    fn pts(v: &[(i64, Option<i64>)]) -> Vec<StatusPoint> {
        v.iter()
            .enumerate()
            .map(|(i, (c, l))| StatusPoint {
                t: i as Millis * 10_000,
                committed: *c,
                lag: *l,
            })
            .collect()
    }

    const W: Millis = 30_000;

    #[test]
    fn statuses_follow_burrow() {
        let now = 50_000;
        // Keeps up: lag hits zero.
        let p = pts(&[
            (0, Some(5)),
            (10, Some(3)),
            (20, Some(0)),
            (30, Some(2)),
            (40, Some(1)),
            (50, Some(4)),
        ]);
        assert_eq!(evaluate(&p, W, 3, now, Some(true)), Some(Status::Ok));
        // Moves but falls behind at every step.
        let p = pts(&[
            (0, Some(5)),
            (10, Some(8)),
            (20, Some(10)),
            (30, Some(10)),
            (40, Some(12)),
            (50, Some(15)),
        ]);
        assert_eq!(evaluate(&p, W, 3, now, Some(true)), Some(Status::Warn));
        // Moves, lag up and down: OK.
        let p = pts(&[
            (0, Some(5)),
            (10, Some(8)),
            (20, Some(10)),
            (30, Some(9)),
            (40, Some(12)),
            (50, Some(15)),
        ]);
        assert_eq!(evaluate(&p, W, 3, now, Some(true)), Some(Status::Ok));
        // Does not move, lag above zero: STALL with members, STOP without.
        let p = pts(&[
            (0, Some(5)),
            (10, Some(8)),
            (20, Some(10)),
            (20, Some(11)),
            (20, Some(12)),
            (20, Some(15)),
        ]);
        assert_eq!(evaluate(&p, W, 3, now, Some(true)), Some(Status::Stall));
        assert_eq!(evaluate(&p, W, 3, now, None), Some(Status::Stall));
        assert_eq!(evaluate(&p, W, 3, now, Some(false)), Some(Status::Stop));
        // Not moving with lag constant (nothing new produced) is still stuck.
        let p = pts(&[(20, Some(3)), (20, Some(3)), (20, Some(3)), (20, Some(3))]);
        assert_eq!(evaluate(&p, W, 3, 30_000, Some(false)), Some(Status::Stop));
        // Idle with no lag: OK.
        let p = pts(&[(20, Some(0)), (20, Some(0)), (20, Some(0)), (20, Some(0))]);
        assert_eq!(evaluate(&p, W, 3, 30_000, Some(false)), Some(Status::Ok));
    }

    #[test]
    fn an_offset_reset_backwards_is_a_rewind_until_it_leaves_the_window() {
        let p = pts(&[
            (50, Some(0)),
            (60, Some(0)),
            (10, Some(50)),
            (20, Some(40)),
            (30, Some(30)),
            (40, Some(20)),
            (50, Some(10)),
        ]);
        assert_eq!(evaluate(&p, W, 3, 30_000, Some(true)), Some(Status::Rewind));
        assert_eq!(evaluate(&p, W, 3, 40_000, Some(true)), Some(Status::Rewind));
        // At 60 s the window holds 30-60 s: no rewind, moving, lag shrinking.
        assert_eq!(evaluate(&p, W, 3, 60_000, Some(true)), Some(Status::Ok));
    }

    #[test]
    fn unknown_until_the_window_is_covered() {
        let p = pts(&[(10, Some(5)), (10, Some(6))]);
        assert_eq!(evaluate(&p, W, 3, 10_000, Some(false)), None);
        assert_eq!(evaluate(&[], W, 3, 10_000, None), None);
        // Zero lag is certain at once.
        let p = pts(&[(10, Some(0))]);
        assert_eq!(evaluate(&p, W, 3, 0, None), Some(Status::Ok));
        // Unknown lag: unknown status.
        let p = pts(&[(10, Some(5)), (10, None), (10, None), (10, None)]);
        assert_eq!(evaluate(&p, W, 3, 30_000, None), None);
    }

    #[test]
    fn samples_after_now_are_not_used() {
        let p = pts(&[
            (10, Some(5)),
            (10, Some(5)),
            (10, Some(5)),
            (10, Some(5)),
            (10, Some(0)),
        ]);
        assert_eq!(evaluate(&p, W, 3, 30_000, Some(false)), Some(Status::Stop));
        assert_eq!(evaluate(&p, W, 3, 40_000, Some(false)), Some(Status::Ok));
    }

    #[test]
    fn too_few_samples_measure_instead_of_judging() {
        assert_eq!(samples_needed(120_000, 10_000), 13);
        assert_eq!(samples_needed(1_000, 1_000), 3);
        assert_eq!(samples_needed(1_000, 0), 3);
        // Two samples a second apart of a live group whose commits did not move (it commits
        // every few seconds): not a STALL, measuring.
        let p = pts(&[(10, Some(5)), (10, Some(4))]);
        assert_eq!(evaluate(&p, 10_000, 3, 10_000, Some(true)), None);
        assert_eq!(
            measuring(&p, 10_000, 3, 10_000, Some(true)),
            Some(Measuring { have: 2, need: 3 })
        );
        assert_eq!(
            Measuring { have: 2, need: 3 }.to_string(),
            "measuring (2 of 3)"
        );
        // The same with no members is a STOP at once: nobody can commit.
        assert_eq!(
            evaluate(&p, 10_000, 3, 10_000, Some(false)),
            Some(Status::Stop)
        );
        assert_eq!(measuring(&p, 10_000, 3, 10_000, Some(false)), None);
        // A third sample tells.
        let p = pts(&[(10, Some(5)), (10, Some(4)), (10, Some(6))]);
        assert_eq!(
            evaluate(&p, 20_000, 3, 20_000, Some(true)),
            Some(Status::Stall)
        );
        // Zero lag and rewinds are certain at once.
        let p = pts(&[(10, Some(3)), (12, Some(0))]);
        assert_eq!(
            evaluate(&p, 10_000, 13, 10_000, Some(true)),
            Some(Status::Ok)
        );
        let p = pts(&[(10, Some(3)), (5, Some(8))]);
        assert_eq!(
            evaluate(&p, 10_000, 13, 10_000, Some(true)),
            Some(Status::Rewind)
        );
        // Unknown lag: no number of samples would tell.
        let p = pts(&[(10, Some(3)), (10, None)]);
        assert_eq!(measuring(&p, 10_000, 3, 10_000, Some(true)), None);
    }

    #[test]
    fn one_step_up_is_not_a_trend() {
        // One step up is measuring, not a trend; then up and down again is OK.
        let p = pts(&[(0, Some(5)), (10, Some(8))]);
        assert_eq!(evaluate(&p, 10_000, 3, 10_000, Some(true)), None);
        let p = pts(&[(0, Some(5)), (10, Some(8)), (20, Some(7))]);
        assert_eq!(
            evaluate(&p, 20_000, 3, 20_000, Some(true)),
            Some(Status::Ok)
        );
        let p = pts(&[(0, Some(5)), (10, Some(8)), (20, Some(9))]);
        assert_eq!(
            evaluate(&p, 20_000, 3, 20_000, Some(true)),
            Some(Status::Warn)
        );
    }

    /// Sample sequences shaped like those taken from a real cluster every 10 s (a producer at
    /// 50 records/s: the log end grows 500 per sample), judged after every sample the way the
    /// engine judges them: over the window the samples so far give (first verdict after 1 min,
    /// a 2 min status window). One letter per sample: `.` measuring, `O` OK, `W` WARN, `R`
    /// REWIND, `T` STALL, `P` STOP.
    #[test]
    fn recorded_sequences_get_the_verdicts_the_rules_promise() {
        const STEP: Millis = 10_000;
        let end = |i: usize| 10_000 + 500 * i as i64;
        // (name, members, committed offset at sample i, expected verdicts)
        type Committed = Box<dyn Fn(usize) -> i64>;
        let cases: Vec<(&str, Option<bool>, usize, Committed, &str)> = vec![
            // Keeps up, committing every 5 s: a little behind at every sample, never zero.
            (
                "healthy",
                Some(true),
                16,
                Box::new(move |i| end(i) - [120, 80, 240, 30, 160, 90, 200, 50][i % 8]),
                "......OOOOOOOOOO",
            ),
            // Commits every 30 s (Kafka Streams' default): unmoved over two samples in three,
            // never a STALL.
            (
                "commits-every-30s",
                Some(true),
                16,
                Box::new(move |i| end(i / 3 * 3) - 100),
                "......OOOOOOOOOO",
            ),
            // Reads 30 records/s of 50: moves, and the lag grows at every step.
            (
                "slow",
                Some(true),
                16,
                Box::new(move |i| end(0) - 1_000 + 300 * i as i64),
                "......WWWWWWWWWW",
            ),
            // Members, offsets unmoved, lag above zero.
            (
                "stalled",
                Some(true),
                12,
                Box::new(|_| 9_000),
                "......TTTTTT",
            ),
            // No members: nobody can commit.
            (
                "stopped",
                Some(false),
                12,
                Box::new(|_| 9_000),
                "......PPPPPP",
            ),
            // Caught up (lag zero at every sample): certain from the first sample.
            ("caught-up", Some(true), 8, Box::new(end), "OOOOOOOO"),
            // Healthy, then reset 5,000 back at sample 8, then reading again: REWIND at once,
            // until the step back leaves the 2 min window.
            (
                "rewound",
                Some(true),
                22,
                Box::new(move |i| {
                    if i < 8 {
                        end(i) - 100
                    } else {
                        end(i) - 5_000 + 300 * (i as i64 - 8)
                    }
                }),
                "......OORRRRRRRRRRRROO",
            ),
        ];
        for (name, members, n, committed, want) in cases {
            let points: Vec<StatusPoint> = (0..n)
                .map(|i| {
                    let c = committed(i);
                    StatusPoint {
                        t: i as Millis * STEP,
                        committed: c,
                        lag: Some((end(i) - c).max(0)),
                    }
                })
                .collect();
            let got: String = (0..n)
                .map(|i| {
                    let (pts, now) = (&points[..=i], i as Millis * STEP);
                    let window = judged_window(pts, 60_000, 120_000, now);
                    let need = samples_needed(window, STEP);
                    match evaluate(pts, window, need, now, members) {
                        None => '.',
                        Some(Status::Ok) => 'O',
                        Some(Status::Warn) => 'W',
                        Some(Status::Rewind) => 'R',
                        Some(Status::Stall) => 'T',
                        Some(Status::Stop) => 'P',
                    }
                })
                .collect();
            assert_eq!(got, want, "{name}");
        }

        // Too few samples: `watch --once --interval 1s` (two samples a second apart, judged
        // over that second) of a live group that did not move is measuring, never STALL.
        let p = vec![
            StatusPoint {
                t: 0,
                committed: 10,
                lag: Some(5),
            },
            StatusPoint {
                t: 1_000,
                committed: 10,
                lag: Some(7),
            },
        ];
        let window = judged_window(&p, 1_000, 1_000, 1_000);
        assert_eq!(window, 1_000);
        let need = samples_needed(window, 1_000);
        assert_eq!(evaluate(&p, window, need, 1_000, Some(true)), None);
        assert_eq!(
            measuring(&p, window, need, 1_000, Some(true)),
            Some(Measuring { have: 2, need: 3 })
        );
        // The same without members is a STOP.
        assert_eq!(
            evaluate(&p, window, need, 1_000, Some(false)),
            Some(Status::Stop)
        );
    }

    #[test]
    fn the_window_grows_in_from_the_first_verdict_to_the_status_window() {
        let p = pts(&[(0, Some(1)), (1, Some(1))]);
        // Samples at 0 s and 10 s.
        assert_eq!(judged_window(&p, 60_000, 120_000, 10_000), 60_000);
        assert_eq!(judged_window(&p, 60_000, 120_000, 90_000), 90_000);
        assert_eq!(judged_window(&p, 60_000, 120_000, 500_000), 120_000);
        // A first verdict longer than the window is the window.
        assert_eq!(judged_window(&p, 600_000, 120_000, 10_000), 120_000);
        assert_eq!(judged_window(&[], 60_000, 120_000, 10_000), 120_000);
        // Measuring counts what the shorter window needs: 7 samples for 1 min at 10 s.
        let p = pts(&[(0, Some(1)), (0, Some(2)), (0, Some(3))]);
        let w = judged_window(&p, 60_000, 120_000, 20_000);
        assert_eq!(
            measuring(&p, w, samples_needed(w, 10_000), 20_000, Some(true)),
            Some(Measuring { have: 3, need: 7 })
        );
    }

    #[test]
    fn statuses_order_and_parse() {
        assert!(Status::Ok < Status::Warn && Status::Warn < Status::Rewind);
        assert!(Status::Rewind < Status::Stall && Status::Stall < Status::Stop);
        assert_eq!("stall".parse::<Status>(), Ok(Status::Stall));
        assert!("STUCK".parse::<Status>().unwrap_err().contains("'STUCK'"));
        assert_eq!(serde_json::to_string(&Status::Stop).unwrap(), "\"STOP\"");
    }

    #[test]
    fn eta_from_the_shrinking_lag() {
        let p = pts(&[
            (0, Some(100)),
            (10, Some(90)),
            (20, Some(80)),
            (30, Some(70)),
        ]);
        let e = eta(&p, W, 30_000).unwrap();
        assert!((e - 70.0).abs() < 1e-6, "{e}");
        let p = pts(&[(0, Some(100)), (0, Some(110))]);
        assert_eq!(eta(&p, W, 10_000), None);
        let p = pts(&[(0, Some(0))]);
        assert_eq!(eta(&p, W, 0), Some(0.0));
    }

    #[test]
    fn compact_points_read_back_as_they_were_given() {
        for (t, committed, lag) in [
            (0, 0, None),
            (-5, -1, None),
            (10_000, 7, Some(0)),
            (i64::MAX, i64::MAX, Some(i64::MAX)),
            (i64::MIN, i64::MIN, Some(1)),
        ] {
            let p = StatusPoint { t, committed, lag };
            let c = CompactPoint::new(t, committed, lag);
            assert_eq!(c.point(), p);
            assert_eq!((c.t(), c.committed(), c.lag()), (t, committed, lag));
        }
        assert_eq!(std::mem::size_of::<CompactPoint>(), 24);
    }

    #[test]
    fn compact_points_are_judged_as_status_points_are() {
        // Every prefix of a series that goes through measuring, OK, WARN, unknown lags,
        // STALL and REWIND, with and without members.
        let lags = [
            (0, Some(5)),
            (10, Some(8)),
            (20, Some(10)),
            (30, None),
            (40, Some(12)),
            (40, Some(15)),
            (40, Some(20)),
            (40, Some(22)),
            (35, Some(30)),
            (50, Some(0)),
            (60, Some(4)),
        ];
        let p = pts(&lags);
        let c: Vec<CompactPoint> = p
            .iter()
            .map(|p| CompactPoint::new(p.t, p.committed, p.lag))
            .collect();
        for n in 0..=p.len() {
            let now = n as Millis * 10_000;
            for members in [None, Some(true), Some(false)] {
                let window = judged_window(&p[..n], 10_000, W, now);
                assert_eq!(judged_window_any(&c[..n], 10_000, W, now), window);
                let need = samples_needed(window, 10_000);
                assert_eq!(
                    evaluate_any(&c[..n], window, need, now, members),
                    evaluate(&p[..n], window, need, now, members),
                    "{n} points, members {members:?}"
                );
                assert_eq!(
                    progress_any(&c[..n], window, need, now),
                    progress(&p[..n], window, need, now)
                );
                assert_eq!(eta_any(&c[..n], W, now), eta(&p[..n], W, now));
            }
        }
    }
}
