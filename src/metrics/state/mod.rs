//! `MetricsState`: what the engine knows about one cluster, fed one sample at a time, and the
//! views the console and `kscope watch` read from it. Split by what it does: [`history`] takes
//! samples in and prunes, [`projections`] computes metrics from the history at `now`, and
//! [`snapshot`] holds the plain data they give.

mod history;
mod projections;
mod snapshot;

use std::collections::BTreeMap;

use super::alerts::{AlertEngine, AlertEvent};
use super::rules::AlertRule;
use super::sample::{Requests, Sample};
use super::time::{Millis, MINUTE, SECOND};
use super::window::WindowSpec;
use history::{GroupState, TopicState};
use projections::observe;
pub use projections::top_n;
pub use snapshot::{
    ClusterMetrics, GroupMetrics, GroupPartitionMetrics, Leaderboards, PartitionMetrics, Ranked,
    Snapshot, TopicMetrics, WindowValue,
};

/// How the engine windows and judges what it samples.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    /// How often samples are taken.
    pub interval: Millis,
    /// The windows rates and lag trends are shown over.
    pub windows: Vec<WindowSpec>,
    /// The sliding window behind `rate`, `consume_rate` and `lag_growth` in rules, in
    /// leaderboards and in the time to catch up.
    pub rate_window: Millis,
    /// The window group status is judged over.
    pub status_window: Millis,
    /// How soon a first status verdict comes: a partition seen for less than the status
    /// window is judged over its samples so far once they span this (see
    /// `status::judged_window`).
    pub first_verdict: Millis,
    /// How long log-end history is kept (for time lag) and lag trends are shown.
    pub history: Millis,
    /// Entries per leaderboard.
    pub top: usize,
    /// A group with no members whose next records were all written longer ago than this is
    /// inactive (it has read nothing written since): rules that do not name it and the
    /// leaderboards leave it out.
    pub inactive_after: Millis,
    /// Group and topic globs left out entirely: not tracked, judged or ranked.
    pub ignore_groups: Vec<String>,
    pub ignore_topics: Vec<String>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            interval: 10 * SECOND,
            windows: vec![
                WindowSpec::Tumbling(10 * SECOND),
                WindowSpec::Sliding(MINUTE),
                WindowSpec::Sliding(5 * MINUTE),
            ],
            rate_window: MINUTE,
            status_window: 2 * MINUTE,
            first_verdict: MINUTE,
            history: 15 * MINUTE,
            top: 10,
            inactive_after: 24 * 60 * MINUTE,
            ignore_groups: Vec::new(),
            ignore_topics: Vec::new(),
        }
    }
}

impl MetricsConfig {
    /// How long deltas are kept: enough for every window.
    fn rate_retention(&self) -> Millis {
        self.windows
            .iter()
            .map(|w| w.reach(self.interval))
            .chain([self.rate_window])
            .max()
            .unwrap_or(self.rate_window)
            + self.interval
    }
}

/// The engine's state for one cluster.
#[derive(Debug, Clone)]
pub struct MetricsState {
    /// Everything as of the last `ingest`, for readers that render what the last sample said.
    latest: Option<Snapshot>,
    config: MetricsConfig,
    topics: BTreeMap<String, TopicState>,
    groups: BTreeMap<String, GroupState>,
    alerts: AlertEngine,
    last_at: Option<Millis>,
    /// Brokers the last sample's metadata listed.
    brokers: Option<usize>,
    samples: u64,
    out_of_order: u64,
    last_requests: Requests,
    last_took: Millis,
    last_errors: Vec<String>,
    last_missing: Vec<crate::model::Missing>,
}

/// `a, b, c and 4 more`.
fn shorten_list(items: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}

fn sum(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    values
        .into_iter()
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

impl MetricsState {
    pub fn new(config: MetricsConfig, rules: Vec<AlertRule>) -> Self {
        MetricsState {
            latest: None,
            config,
            topics: BTreeMap::new(),
            groups: BTreeMap::new(),
            alerts: AlertEngine::new(rules),
            last_at: None,
            brokers: None,
            samples: 0,
            out_of_order: 0,
            last_requests: Requests::default(),
            last_took: 0,
            last_errors: Vec::new(),
            last_missing: Vec::new(),
        }
    }

    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    pub fn rules(&self) -> &[AlertRule] {
        self.alerts.rules()
    }

    /// Swaps in new alert rules (a reload); returns the firing alerts of removed or changed
    /// rules, resolved at `now` (see [`AlertEngine::replace_rules`]).
    pub fn replace_rules(&mut self, rules: Vec<AlertRule>, now: Millis) -> Vec<AlertEvent> {
        self.alerts.replace_rules(rules, now)
    }

    /// Samples taken in so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// When the last sample was taken.
    pub fn last_sample(&self) -> Option<Millis> {
        self.last_at
    }

    /// Takes in one sample and evaluates the alert rules at `now`; returns the alerts that
    /// fired or resolved. A sample not newer than the last one is counted and ignored.
    pub fn ingest(&mut self, sample: &Sample, now: Millis) -> Vec<AlertEvent> {
        if self.last_at.is_some_and(|last| sample.at <= last) {
            self.out_of_order += 1;
            return Vec::new();
        }
        self.ingest_partitions(sample);
        self.ingest_record_times(sample);
        self.ingest_groups(sample);
        self.last_at = Some(sample.at);
        self.brokers = sample.brokers;
        self.samples += 1;
        self.last_requests = sample.requests;
        self.last_took = sample.took_ms;
        self.last_errors = sample.errors.clone();
        self.last_missing = sample.missing.clone();
        self.prune(now);
        let (topics, groups) = (self.topics(now), self.groups(now));
        let events = self.alerts.evaluate(now, |c| observe(c, &topics, &groups));
        self.latest = Some(self.snapshot_from(now, topics, groups));
        events
    }

    /// Everything as of the last sample, computed once when it was taken in (cheap to call on
    /// every frame); `None` before the first sample.
    pub fn latest(&self) -> Option<&Snapshot> {
        self.latest.as_ref()
    }
}

#[cfg(test)]
mod tests;
