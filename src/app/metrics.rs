//! What the screens read from the metrics engine, indexed once per sample so that a frame
//! looks things up instead of scanning: rates per topic, each group's metrics, and the trends
//! behind the sparklines.

use std::collections::{HashMap, VecDeque};

use crate::metrics::{GroupMetrics, MetricsState, Millis, WindowSpec};

/// Sparkline points kept.
const TREND_POINTS: usize = 60;

#[derive(Debug, Clone, Default)]
pub struct MetricsView {
    /// Topic -> produce rate over the engine's rate window.
    pub topic_rate: HashMap<String, f64>,
    pub groups: HashMap<String, GroupMetrics>,
    /// The cluster's produce rate, one point per sample.
    pub cluster_rate: VecDeque<u64>,
    /// Group -> total lag, oldest first.
    pub lag_trend: HashMap<String, Vec<u64>>,
}

impl MetricsView {
    /// Re-indexes after a sample.
    pub fn refresh(&mut self, m: &MetricsState, now: Millis) {
        let Some(snap) = m.latest() else { return };
        self.topic_rate = snap
            .topics
            .iter()
            .filter_map(|t| t.rate.map(|r| (t.topic.clone(), r)))
            .collect();
        self.groups = snap
            .groups
            .iter()
            .map(|g| (g.group.clone(), g.clone()))
            .collect();
        if let Some(r) = snap.cluster.rate {
            self.cluster_rate.push_back(r.max(0.0).round() as u64);
            while self.cluster_rate.len() > TREND_POINTS {
                self.cluster_rate.pop_front();
            }
        }
        self.lag_trend = snap
            .groups
            .iter()
            .map(|g| {
                let series = m.lag_series(&g.group);
                let tail = &series[series.len().saturating_sub(TREND_POINTS)..];
                (
                    g.group.clone(),
                    tail.iter().map(|(_, l)| (*l).max(0) as u64).collect(),
                )
            })
            .collect();
        let _ = now;
    }

    pub fn topic_rate(&self, topic: &str) -> Option<f64> {
        self.topic_rate.get(topic).copied()
    }

    pub fn group(&self, group: &str) -> Option<&GroupMetrics> {
        self.groups.get(group)
    }
}

/// Produce rate per partition of one topic over the engine's rate window (the topic screen).
pub fn partition_rates(m: &MetricsState, topic: &str, now: Millis) -> HashMap<i32, f64> {
    let window = WindowSpec::Sliding(m.config().rate_window);
    m.partitions(topic, now)
        .into_iter()
        .filter_map(|p| {
            let rate = p
                .rates
                .iter()
                .find(|w| w.window == window)
                .or(p.rates.last())
                .and_then(|w| w.per_sec)?;
            Some((p.partition, rate))
        })
        .collect()
}
