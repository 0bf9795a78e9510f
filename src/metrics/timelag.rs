//! Offset to time. Exact: from the timestamp of the record at the committed offset, as the
//! sampler read it ([`exact`]). The fallback, when that record could not be read: judged from
//! the sampled history of a partition's log-end offset, assuming the log grew evenly between
//! two samples ([`time_lag`], an estimate, or a lower bound before the history).

use std::collections::VecDeque;

use serde::Serialize;

use super::time::Millis;
use crate::model::{RecordTime, TimeLagMethod};

/// How far behind in time a consumer is on one partition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeLag {
    pub seconds: f64,
    pub method: TimeLagMethod,
    /// The committed offset is below the log start: the time is the first kept record's.
    pub from_log_start: bool,
}

impl TimeLag {
    fn new(seconds: f64, method: TimeLagMethod) -> Self {
        TimeLag {
            seconds: seconds.max(0.0),
            method,
            from_log_start: false,
        }
    }
}

/// The exact time lag at `now` from the record the consumer reads next (0 for a timestamp in
/// the future: a producer's clock ahead of ours).
pub fn exact(record: &RecordTime, now: Millis) -> TimeLag {
    exact_at(record.timestamp, record.from_log_start, now)
}

/// [`exact`] from the record's timestamp alone.
pub fn exact_at(timestamp: Millis, from_log_start: bool, now: Millis) -> TimeLag {
    TimeLag {
        seconds: crate::model::time_lag_ms(now, timestamp) as f64 / 1000.0,
        method: TimeLagMethod::Exact,
        from_log_start,
    }
}

/// Nothing left to read: no time lag, exactly.
pub fn caught_up() -> TimeLag {
    TimeLag::new(0.0, TimeLagMethod::Exact)
}

/// The estimated time lag of a consumer whose next record is `committed`, given
/// `(time, log end)` points, oldest first, with log ends that never decrease: interpolated
/// within the history, extrapolated at its average rate before it (both estimates), or, with
/// no rate to go by, the age of the history (a lower bound: the log end had passed the record
/// when it was first sampled).
pub fn time_lag(ends: &VecDeque<(Millis, i64)>, committed: i64, now: Millis) -> Option<TimeLag> {
    let &(t_last, e_last) = ends.back()?;
    if committed >= e_last {
        return Some(TimeLag::new(0.0, TimeLagMethod::Estimate));
    }
    // The record at `committed` was written when the log end went past it.
    let target = committed + 1;
    let i = ends.partition_point(|(_, e)| *e < target);
    if i > 0 {
        let ((t0, e0), (t1, e1)) = (ends[i - 1], ends[i]);
        let frac = (target - e0) as f64 / (e1 - e0).max(1) as f64;
        let written = t0 as f64 + (t1 - t0) as f64 * frac;
        return Some(TimeLag::new(
            (now as f64 - written) / 1000.0,
            TimeLagMethod::Estimate,
        ));
    }
    let (t0, e0) = ends[0];
    let rate = if t_last > t0 && e_last > e0 {
        (e_last - e0) as f64 / (t_last - t0) as f64
    } else {
        0.0
    };
    if rate > 0.0 {
        let written = t0 as f64 - (e0 - target) as f64 / rate;
        Some(TimeLag::new(
            (now as f64 - written) / 1000.0,
            TimeLagMethod::Estimate,
        ))
    } else {
        Some(TimeLag::new(
            (now - t0) as f64 / 1000.0,
            TimeLagMethod::LowerBound,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(points: &[(Millis, i64)]) -> VecDeque<(Millis, i64)> {
        points.iter().copied().collect()
    }

    #[test]
    fn interpolates_within_the_history() {
        // 10 records/s from 0 s to 30 s.
        let ends = h(&[(0, 100), (10_000, 200), (20_000, 300), (30_000, 400)]);
        let lag = time_lag(&ends, 249, 30_000).unwrap();
        // Record 249 was written when the end passed 250: at 15 s.
        assert!((lag.seconds - 15.0).abs() < 1e-9, "{lag:?}");
        assert_eq!(lag.method, TimeLagMethod::Estimate);
        assert_eq!(time_lag(&ends, 400, 30_000).unwrap().seconds, 0.0);
        assert_eq!(time_lag(&ends, 500, 30_000).unwrap().seconds, 0.0);
    }

    #[test]
    fn an_idle_stretch_is_not_counted_as_writing() {
        // Nothing written from 10 s to 50 s, then 100 records by 60 s.
        let ends = h(&[(0, 0), (10_000, 100), (50_000, 100), (60_000, 200)]);
        let lag = time_lag(&ends, 100, 60_000).unwrap();
        assert!((lag.seconds - 9.9).abs() < 1e-9, "{lag:?}");
    }

    #[test]
    fn extrapolates_beyond_the_history() {
        let ends = h(&[(10_000, 1000), (20_000, 1100)]);
        let lag = time_lag(&ends, 899, 20_000).unwrap();
        // 10/s: record 899 (end 900) was written 10 s before the first point.
        assert!((lag.seconds - 20.0).abs() < 1e-9, "{lag:?}");
        assert_eq!(lag.method, TimeLagMethod::Estimate);
        // No rate to go by: the age of the history is a lower bound.
        let ends = h(&[(10_000, 1000)]);
        let lag = time_lag(&ends, 5, 25_000).unwrap();
        assert_eq!(lag.seconds, 15.0);
        assert_eq!(lag.method, TimeLagMethod::LowerBound);
        assert_eq!(time_lag(&VecDeque::new(), 5, 0), None);
    }

    #[test]
    fn exact_is_now_minus_the_record_timestamp() {
        let r = RecordTime {
            topic: "t".into(),
            partition: 0,
            offset: 7,
            record_offset: 7,
            timestamp: 40_000,
            from_log_start: false,
        };
        let lag = exact(&r, 100_000);
        assert_eq!(lag.seconds, 60.0);
        assert_eq!(lag.method, TimeLagMethod::Exact);
        // A producer clock ahead of ours is not a negative lag.
        assert_eq!(exact(&r, 10_000).seconds, 0.0);
        assert_eq!(caught_up().seconds, 0.0);
        assert_eq!(caught_up().method, TimeLagMethod::Exact);
    }
}
