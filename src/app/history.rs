//! Short histories sampled from the refreshed panels: produce rates per topic over a sliding
//! minute, the cluster's total rate, and lag trends per group. Pure: instants are passed in.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Rates are measured over this sliding window.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);
/// Sparkline points kept.
const TREND_POINTS: usize = 60;

/// A counter sampled over time (a log-end offset sum, a committed offset sum).
#[derive(Debug, Clone, Default)]
pub struct Series {
    points: VecDeque<(Instant, i64)>,
}

impl Series {
    pub fn push(&mut self, at: Instant, value: i64) {
        // A counter that goes backwards was reset (a topic recreated, offsets reset): start over
        // rather than report a negative rate.
        if self.points.back().is_some_and(|(_, v)| value < *v) {
            self.points.clear();
        }
        self.points.push_back((at, value));
        while let Some((t, _)) = self.points.front() {
            if at.duration_since(*t) > RATE_WINDOW {
                self.points.pop_front();
            } else {
                break;
            }
        }
    }

    /// Increase per second across the window; `None` until two samples span some time.
    pub fn rate(&self) -> Option<f64> {
        let (t0, v0) = self.points.front()?;
        let (t1, v1) = self.points.back()?;
        let dt = t1.duration_since(*t0).as_secs_f64();
        (dt > 0.0).then(|| (v1 - v0) as f64 / dt)
    }

    pub fn last(&self) -> Option<i64> {
        self.points.back().map(|(_, v)| *v)
    }
}

/// The last values of a gauge, for a sparkline.
#[derive(Debug, Clone, Default)]
pub struct Trend {
    points: VecDeque<u64>,
}

impl Trend {
    pub fn push(&mut self, v: u64) {
        self.points.push_back(v);
        while self.points.len() > TREND_POINTS {
            self.points.pop_front();
        }
    }

    pub fn values(&self) -> Vec<u64> {
        self.points.iter().copied().collect()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct History {
    /// Topic -> sum of its log-end offsets.
    pub topic_ends: HashMap<String, Series>,
    /// Total produce rate of the cluster, one point per topics refresh.
    pub cluster_rate: Trend,
    /// Group -> total lag, one point per groups refresh.
    pub group_lag: HashMap<String, Trend>,
    /// Group -> (committed sum, log-end sum) of the group on screen, for catch-up estimates.
    pub group_progress: HashMap<String, (Series, Series)>,
    /// (topic, partition) -> log-end offset, for the topic on screen.
    pub partition_ends: HashMap<(String, i32), Series>,
}

impl History {
    pub fn topic_rate(&self, topic: &str) -> Option<f64> {
        self.topic_ends.get(topic).and_then(Series::rate)
    }

    /// Records the topics' end offsets and the cluster's total rate.
    pub fn record_topics<'a>(
        &mut self,
        at: Instant,
        ends: impl Iterator<Item = (&'a str, Option<i64>)>,
    ) {
        let mut seen = Vec::new();
        for (topic, end) in ends {
            if let Some(end) = end {
                self.topic_ends
                    .entry(topic.to_string())
                    .or_default()
                    .push(at, end);
            }
            seen.push(topic);
        }
        // Forget deleted topics.
        self.topic_ends.retain(|t, _| seen.contains(&t.as_str()));
        let total: f64 = self.topic_ends.values().filter_map(Series::rate).sum();
        self.cluster_rate.push(total.max(0.0).round() as u64);
    }

    pub fn record_group_lags<'a>(&mut self, lags: impl Iterator<Item = (&'a str, Option<i64>)>) {
        let mut seen = Vec::new();
        for (group, lag) in lags {
            if let Some(l) = lag {
                self.group_lag
                    .entry(group.to_string())
                    .or_default()
                    .push(l.max(0) as u64);
            }
            seen.push(group);
        }
        self.group_lag.retain(|g, _| seen.contains(&g.as_str()));
    }

    /// Records the high watermarks of the topic on screen (other topics' are forgotten).
    pub fn record_partitions(
        &mut self,
        topic: &str,
        at: Instant,
        ends: impl Iterator<Item = (i32, Option<i64>)>,
    ) {
        self.partition_ends.retain(|(t, _), _| t == topic);
        for (p, end) in ends {
            if let Some(end) = end {
                self.partition_ends
                    .entry((topic.to_string(), p))
                    .or_default()
                    .push(at, end);
            }
        }
    }

    pub fn partition_rate(&self, topic: &str, partition: i32) -> Option<f64> {
        self.partition_ends
            .get(&(topic.to_string(), partition))
            .and_then(Series::rate)
    }

    pub fn record_group_progress(&mut self, group: &str, at: Instant, committed: i64, end: i64) {
        let (c, e) = self.group_progress.entry(group.to_string()).or_default();
        c.push(at, committed);
        e.push(at, end);
    }

    /// How long until the group catches up at its current pace.
    pub fn catch_up(&self, group: &str, lag: Option<i64>) -> CatchUp {
        let Some(lag) = lag else {
            return CatchUp::Unknown;
        };
        if lag == 0 {
            return CatchUp::CaughtUp;
        }
        let Some((c, e)) = self.group_progress.get(group) else {
            return CatchUp::Unknown;
        };
        match (c.rate(), e.rate()) {
            (Some(consume), Some(produce)) if consume > produce => {
                CatchUp::In(Duration::from_secs_f64(lag as f64 / (consume - produce)))
            }
            (Some(_), Some(_)) => CatchUp::NotCatchingUp,
            _ => CatchUp::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CatchUp {
    Unknown,
    CaughtUp,
    NotCatchingUp,
    In(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_over_the_window_and_reset_on_decrease() {
        let t0 = Instant::now();
        let mut s = Series::default();
        assert_eq!(s.rate(), None);
        s.push(t0, 100);
        assert_eq!(s.rate(), None);
        s.push(t0 + Duration::from_secs(10), 300);
        assert_eq!(s.rate(), Some(20.0));
        // Old points fall out of the minute.
        s.push(t0 + Duration::from_secs(70), 900);
        assert_eq!(s.rate(), Some(10.0));
        // Recreated topic: no negative rate.
        s.push(t0 + Duration::from_secs(80), 5);
        assert_eq!(s.rate(), None);
    }

    #[test]
    fn catch_up_estimate() {
        let t0 = Instant::now();
        let mut h = History::default();
        h.record_group_progress("g", t0, 0, 1000);
        h.record_group_progress("g", t0 + Duration::from_secs(10), 200, 1100);
        // consumes 20/s, produced 10/s: lag 900 closes at 10/s.
        assert_eq!(
            h.catch_up("g", Some(900)),
            CatchUp::In(Duration::from_secs(90))
        );
        assert_eq!(h.catch_up("g", Some(0)), CatchUp::CaughtUp);
        assert_eq!(h.catch_up("x", Some(5)), CatchUp::Unknown);
        h.record_group_progress("s", t0, 0, 0);
        h.record_group_progress("s", t0 + Duration::from_secs(10), 0, 100);
        assert_eq!(h.catch_up("s", Some(100)), CatchUp::NotCatchingUp);
    }
}
