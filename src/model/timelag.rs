//! Time lag as data: how far behind in time a consumer is, and how that number was found.

use serde::Serialize;

/// How a time lag was found. `exact`: from the timestamp of the record at the committed offset
/// (the next record the group will read), or 0 with nothing left to read. `estimate`:
/// interpolated from the log ends kscope has sampled (shown with `~`). `lower_bound`: the
/// record is older than everything sampled, and the number is how long ago the log end was
/// first seen past it; the truth is at least this (shown with `>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeLagMethod {
    Exact,
    LowerBound,
    Estimate,
}

impl TimeLagMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeLagMethod::Exact => "exact",
            TimeLagMethod::Estimate => "estimate",
            TimeLagMethod::LowerBound => "lower_bound",
        }
    }

    /// The mark put before a number found this way: none, `~` or `>`.
    pub fn mark(self) -> &'static str {
        match self {
            TimeLagMethod::Exact => "",
            TimeLagMethod::Estimate => "~",
            TimeLagMethod::LowerBound => ">",
        }
    }

    /// The method of the largest of several time lags: exact only if all are; an estimate if
    /// any is (the estimated one may be the largest); otherwise a lower bound.
    pub fn combine(a: TimeLagMethod, b: TimeLagMethod) -> TimeLagMethod {
        a.max(b)
    }
}

/// The timestamp of the record a consumer reads next on one partition, as read from the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordTime {
    pub topic: String,
    pub partition: i32,
    /// The committed offset the record was asked for.
    pub offset: i64,
    /// The offset of the record read (past `offset` over compacted or expired records).
    pub record_offset: i64,
    /// Milliseconds since the epoch (create time or log-append time, as the topic keeps it).
    pub timestamp: i64,
    /// The committed offset is below the log start: this is the first record kept.
    pub from_log_start: bool,
}

/// A time lag in milliseconds at `now` from a record's timestamp (0 for one in the future).
pub fn time_lag_ms(now: i64, record_timestamp: i64) -> i64 {
    now.saturating_sub(record_timestamp).max(0)
}

/// A group's time lag from its partitions' `(lag, time lag)`: the largest time lag, `exact`
/// when every partition with a known lag has one, a `lower_bound` when some lagging
/// partition's record could not be read; `None` when none is known.
pub fn worst_time_lag(
    parts: impl IntoIterator<Item = (Option<i64>, Option<i64>)>,
) -> (Option<i64>, Option<TimeLagMethod>) {
    let mut worst: Option<i64> = None;
    let mut all = true;
    for (lag, time_lag) in parts {
        match time_lag {
            Some(t) => worst = Some(worst.map_or(t, |w| w.max(t))),
            None if lag.is_some() => all = false,
            None => {}
        }
    }
    let method = worst.map(|_| {
        if all {
            TimeLagMethod::Exact
        } else {
            TimeLagMethod::LowerBound
        }
    });
    (worst, method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_partition_and_whether_it_is_exact() {
        assert_eq!(
            worst_time_lag([(Some(0), Some(0)), (Some(5), Some(9_000)), (None, None)]),
            (Some(9_000), Some(TimeLagMethod::Exact))
        );
        assert_eq!(
            worst_time_lag([(Some(5), Some(9_000)), (Some(3), None)]),
            (Some(9_000), Some(TimeLagMethod::LowerBound))
        );
        assert_eq!(worst_time_lag([(Some(3), None)]), (None, None));
        assert_eq!(time_lag_ms(10, 20), 0);
    }
}
