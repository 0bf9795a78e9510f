//! `MetricsState`: what the engine knows about one cluster, fed one sample at a time, and the
//! views the console and `kscope watch` read from it.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use super::alerts::{ActiveAlert, AlertEngine, AlertEvent, Observations};
use super::glob;
use super::rules::{AlertRule, Condition, Metric, Value};
use super::sample::{has_members, Requests, Sample};
use super::status::{self, Status, StatusPoint};
use super::time::{Millis, MINUTE, SECOND};
use super::timelag::time_lag;
use super::window::{Bucket, Delta, DeltaSeries, GaugeSeries, WindowSpec};
use crate::model::PartitionRef;

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
    /// How long log-end history is kept (for time lag) and lag trends are shown.
    pub history: Millis,
    /// Entries per leaderboard.
    pub top: usize,
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
            history: 15 * MINUTE,
            top: 10,
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

/// A rate over one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowValue {
    pub window: WindowSpec,
    /// Per second; `null` when no data covers the window.
    pub per_sec: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterMetrics {
    pub topics: usize,
    pub partitions: usize,
    pub under_replicated: usize,
    pub offline: usize,
    /// Produce rate over the rate window; `null` while a partition's log end is unknown.
    pub rate: Option<f64>,
    pub rates: Vec<WindowValue>,
    /// Partitions whose log end the last sample could not read (their leader did not answer).
    pub missing_partitions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicMetrics {
    pub topic: String,
    pub partitions: usize,
    pub under_replicated: usize,
    pub offline: usize,
    /// Partitions whose log end the last sample could not read: while there are any, the
    /// topic's rates are unknown (`null`) rather than the rate of the partitions that answered.
    pub missing_partitions: usize,
    /// Produce rate over the rate window (what rules see as `rate`).
    pub rate: Option<f64>,
    pub rates: Vec<WindowValue>,
    /// Times a partition's log end went backwards (the topic was recreated).
    pub resets: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionMetrics {
    pub topic: String,
    pub partition: i32,
    pub leader: Option<i32>,
    pub under_replicated: bool,
    pub offline: bool,
    pub log_start: Option<i64>,
    pub log_end: Option<i64>,
    pub rates: Vec<WindowValue>,
    pub resets: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMetrics {
    pub group: String,
    /// The state the broker reported (`Stable`, `Empty`, ...).
    pub state: Option<String>,
    /// The worst partition's status over the status window; `null` until it can be told.
    pub status: Option<Status>,
    pub worst_partition: Option<PartitionRef>,
    /// Partitions with a committed offset (on sampled topics).
    pub partitions: usize,
    pub total_lag: Option<i64>,
    /// The worst partition's time lag.
    pub lag_seconds: Option<f64>,
    /// Lag growth per second over the rate window (negative: catching up).
    pub lag_growth: Option<f64>,
    pub lag_growths: Vec<WindowValue>,
    /// Records committed per second over the rate window.
    pub consume_rate: Option<f64>,
    pub consume_rates: Vec<WindowValue>,
    /// Seconds until the lag is gone at the current lag growth; `null` when it is not shrinking.
    pub eta_seconds: Option<f64>,
    /// Times a committed offset went backwards.
    pub rewinds: u64,
    /// Why the last OffsetFetch for the group failed (the numbers are from before).
    pub error: Option<String>,
    /// What the last sample could not read for this group (its offsets, or the log end of some
    /// of its partitions). While set, `total_lag` and `lag_seconds` are lower bounds, `status`
    /// and `eta_seconds` are unknown, the lag trend is not extended, and alert rules hold
    /// their state for the group instead of firing or resolving.
    pub incomplete: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPartitionMetrics {
    pub topic: String,
    pub partition: i32,
    pub committed: i64,
    pub log_end: Option<i64>,
    pub lag: Option<i64>,
    pub lag_seconds: Option<f64>,
    /// The time lag is an estimate from before the sampled history (see `TimeLag`).
    pub lag_seconds_extrapolated: bool,
    pub status: Option<Status>,
    pub eta_seconds: Option<f64>,
    pub rewinds: u64,
}

/// One entry of a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub name: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaderboards {
    /// Topics by produce rate over the rate window.
    pub topics_by_rate: Vec<Ranked>,
    pub groups_by_lag: Vec<Ranked>,
    /// Groups by lag growth per second over the rate window.
    pub groups_by_lag_growth: Vec<Ranked>,
}

/// Everything at once, for a console frame or a `watch --metrics` line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub at: Millis,
    #[serde(serialize_with = "super::time::serialize_opt_ts")]
    pub last_sample: Option<Millis>,
    pub samples: u64,
    /// Samples ignored because they were not newer than the last one.
    pub out_of_order: u64,
    pub requests: Requests,
    pub took_ms: Millis,
    pub errors: Vec<String>,
    /// What the last sample could not read, named.
    pub missing: Vec<crate::model::Missing>,
    pub cluster: ClusterMetrics,
    pub topics: Vec<TopicMetrics>,
    pub groups: Vec<GroupMetrics>,
    pub alerts: Vec<ActiveAlert>,
    pub leaderboards: Leaderboards,
}

#[derive(Debug, Clone, Default)]
struct PartitionState {
    present: bool,
    last_seen: Millis,
    leader: Option<i32>,
    under_replicated: bool,
    offline: bool,
    log_start: Option<i64>,
    /// The last known log end and when it was sampled.
    last: Option<(Millis, i64)>,
    /// The last sample could not read its log end.
    missing: bool,
    produced: DeltaSeries,
    /// (time, log end), never decreasing; only the ends of a stretch without writes are kept.
    ends: VecDeque<(Millis, i64)>,
    resets: u64,
}

impl PartitionState {
    /// Takes a sampled log end. `appeared_after` is the previous sample's time when the
    /// partition is new since then: everything in it was written in between.
    fn observe(&mut self, at: Millis, end: i64, appeared_after: Option<Millis>) {
        let log_start = self.log_start;
        let written_since_start = log_start.filter(|s| *s <= end).map(|s| end - s);
        match self.last {
            Some((t, prev)) if end >= prev => self.produced.push(Delta {
                from: t,
                to: at,
                count: Some(end - prev),
            }),
            Some((t, _)) => {
                // The log end went backwards: the topic was deleted and created again, and the
                // new one's records were written since the last sample.
                self.resets += 1;
                self.ends.clear();
                self.produced.push(Delta {
                    from: t,
                    to: at,
                    count: written_since_start,
                });
            }
            None => {
                if let Some(from) = appeared_after {
                    self.produced.push(Delta {
                        from,
                        to: at,
                        count: written_since_start,
                    });
                }
            }
        }
        self.last = Some((at, end));
        let n = self.ends.len();
        if n >= 2 && self.ends[n - 1].1 == end && self.ends[n - 2].1 == end {
            self.ends[n - 1].0 = at;
        } else {
            self.ends.push_back((at, end));
        }
    }

    /// The log end sampled at `at`, if this sample had one.
    fn end_at(&self, at: Millis) -> Option<i64> {
        self.last.filter(|(t, _)| *t == at).map(|(_, e)| e)
    }

    fn prune(&mut self, rates_before: Millis, history_before: Millis) {
        self.produced.prune(rates_before);
        while self.ends.len() > 1 && self.ends[1].0 <= history_before {
            self.ends.pop_front();
        }
    }
}

#[derive(Debug, Clone, Default)]
struct TopicState {
    partitions: BTreeMap<i32, PartitionState>,
}

impl TopicState {
    fn present(&self) -> impl Iterator<Item = (&i32, &PartitionState)> {
        self.partitions.iter().filter(|(_, p)| p.present)
    }

    /// Partitions whose produce rate is not known while others' are: the last sample lacked
    /// their log end, or no sample had it yet. The topic's rate is then unknown.
    fn missing_partitions(&self) -> usize {
        let measured = self.present().any(|(_, p)| !p.produced.is_empty());
        self.present()
            .filter(|(_, p)| p.missing || (measured && p.produced.is_empty()))
            .count()
    }
}

#[derive(Debug, Clone, Default)]
struct GroupPartitionState {
    points: Vec<StatusPoint>,
    rewinds: u64,
    /// When the group last had an offset for it.
    seen: Millis,
}

#[derive(Debug, Clone, Default)]
struct GroupState {
    state: Option<String>,
    error: Option<String>,
    /// What the last sample could not read for the group.
    incomplete: Option<String>,
    last_seen: Millis,
    /// When its offsets were last read.
    last_at: Option<Millis>,
    partitions: BTreeMap<String, BTreeMap<i32, GroupPartitionState>>,
    consumed: DeltaSeries,
    lag: GaugeSeries,
    total_lag: Option<i64>,
    rewinds: u64,
}

/// What one group partition looks like now.
struct PartView {
    committed: i64,
    log_end: Option<i64>,
    lag: Option<i64>,
    lag_seconds: Option<super::timelag::TimeLag>,
    status: Option<Status>,
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
        self.ingest_groups(sample);
        self.last_at = Some(sample.at);
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

    fn ingest_partitions(&mut self, sample: &Sample) {
        let (at, previous) = (sample.at, self.last_at);
        for t in self.topics.values_mut() {
            for p in t.partitions.values_mut() {
                p.present = false;
            }
        }
        for ps in &sample.partitions {
            if !self.topics.contains_key(&ps.topic) {
                self.topics.insert(ps.topic.clone(), TopicState::default());
            }
            let Some(topic) = self.topics.get_mut(&ps.topic) else {
                continue;
            };
            let new = !topic.partitions.contains_key(&ps.partition);
            let p = topic.partitions.entry(ps.partition).or_default();
            p.present = true;
            p.last_seen = at;
            p.leader = ps.leader;
            p.under_replicated = ps.under_replicated();
            p.offline = ps.offline();
            if ps.log_start.is_some() {
                p.log_start = ps.log_start;
            }
            p.missing = ps.log_end.is_none();
            if let Some(end) = ps.log_end {
                p.observe(at, end, if new { previous } else { None });
            }
        }
    }

    fn ingest_groups(&mut self, sample: &Sample) {
        let at = sample.at;
        for gs in &sample.groups {
            if !self.groups.contains_key(&gs.group) {
                self.groups.insert(gs.group.clone(), GroupState::default());
            }
            let Some(g) = self.groups.get_mut(&gs.group) else {
                continue;
            };
            g.last_seen = at;
            g.state = gs.state.clone();
            if let Some(e) = &gs.error {
                // Nothing was read: the numbers from before stay, marked as such.
                g.error = Some(e.clone());
                g.incomplete = Some(format!("offsets could not be read: {e}"));
                continue;
            }
            g.error = None;
            let previous = g.last_at;
            let mut consumed: Option<i64> = None;
            // The delta since the last sample counts only if every partition was read both
            // times: otherwise it would be part of the consumption, or two intervals' worth.
            let mut consumed_known = gs.unknown.is_empty();
            let mut total_lag: Option<i64> = None;
            let mut unknown_ends: Vec<String> = Vec::new();
            for o in &gs.offsets {
                // Lag only on topics that are sampled.
                let Some(part) = self
                    .topics
                    .get(&o.topic)
                    .and_then(|t| t.partitions.get(&o.partition))
                    .filter(|p| p.present)
                else {
                    continue;
                };
                let log_end = part.end_at(at);
                if log_end.is_none() && part.missing {
                    unknown_ends.push(format!("{}/{}", o.topic, o.partition));
                }
                if !g.partitions.contains_key(&o.topic) {
                    g.partitions.insert(o.topic.clone(), BTreeMap::new());
                }
                let Some(tp) = g.partitions.get_mut(&o.topic) else {
                    continue;
                };
                let gp = tp.entry(o.partition).or_default();
                match gp.points.last() {
                    Some(last) if o.offset < last.committed => {
                        gp.rewinds += 1;
                        g.rewinds += 1;
                    }
                    Some(last) => {
                        if Some(last.t) != previous {
                            consumed_known = false;
                        }
                        *consumed.get_or_insert(0) += o.offset - last.committed;
                    }
                    None => {}
                }
                let lag = crate::model::lag(Some(o.offset), log_end);
                if let Some(l) = lag {
                    *total_lag.get_or_insert(0) += l;
                }
                gp.points.push(StatusPoint {
                    t: at,
                    committed: o.offset,
                    lag,
                });
                gp.seen = at;
            }
            // Partitions whose offset the coordinator could not give keep their history (they
            // are not gone), without a new point.
            for tp in &gs.unknown {
                if let Some(gp) = g
                    .partitions
                    .get_mut(&tp.topic)
                    .and_then(|ps| ps.get_mut(&tp.partition))
                {
                    gp.seen = at;
                }
            }
            // Partitions the group no longer has offsets for are gone.
            g.partitions.retain(|_, parts| {
                parts.retain(|_, gp| gp.seen == at);
                !parts.is_empty()
            });
            if let Some(from) = previous {
                g.consumed.push(Delta {
                    from,
                    to: at,
                    count: consumed.filter(|_| consumed_known),
                });
            }
            g.last_at = Some(at);
            g.total_lag = total_lag;
            let mut lacks = Vec::new();
            if !unknown_ends.is_empty() {
                lacks.push(format!(
                    "log end unknown for {}",
                    shorten_list(&unknown_ends)
                ));
            }
            if !gs.unknown.is_empty() {
                let names: Vec<String> = gs.unknown.iter().map(|tp| tp.to_string()).collect();
                lacks.push(format!(
                    "committed offset unknown for {}",
                    shorten_list(&names)
                ));
            }
            g.incomplete = (!lacks.is_empty()).then(|| lacks.join("; "));
            // A partial total is not a point of the lag trend.
            if let (Some(l), None) = (total_lag, &g.incomplete) {
                g.lag.push(at, l as f64);
            }
        }
    }

    fn prune(&mut self, now: Millis) {
        let c = &self.config;
        let rates_before = now - c.rate_retention();
        let history_before = now - c.history.max(c.rate_retention());
        let status_before = now - c.status_window;
        let forget_before = now - c.history;
        for t in self.topics.values_mut() {
            t.partitions
                .retain(|_, p| p.present || p.last_seen >= forget_before);
            for p in t.partitions.values_mut() {
                p.prune(rates_before, history_before);
            }
        }
        self.topics.retain(|_, t| !t.partitions.is_empty());
        self.groups.retain(|_, g| g.last_seen >= forget_before);
        for g in self.groups.values_mut() {
            g.consumed.prune(rates_before);
            g.lag.prune(history_before);
            for parts in g.partitions.values_mut() {
                for gp in parts.values_mut() {
                    let keep_from = gp
                        .points
                        .partition_point(|p| p.t <= status_before)
                        .saturating_sub(1);
                    gp.points.drain(..keep_from);
                }
            }
        }
    }

    fn rates(&self, series: &DeltaSeries, now: Millis) -> Vec<WindowValue> {
        self.config
            .windows
            .iter()
            .map(|w| WindowValue {
                window: *w,
                per_sec: series.window(*w, now).per_sec(),
            })
            .collect()
    }

    /// The summed rates of several series: over the rate window, and over each window.
    fn sum_rates(&self, series: &[&DeltaSeries], now: Millis) -> (Option<f64>, Vec<WindowValue>) {
        let over = |w: WindowSpec| sum(series.iter().map(|s| s.window(w, now).per_sec()));
        let rate = over(WindowSpec::Sliding(self.config.rate_window));
        let rates = self
            .config
            .windows
            .iter()
            .map(|w| WindowValue {
                window: *w,
                per_sec: over(*w),
            })
            .collect();
        (rate, rates)
    }

    /// The cluster as a whole (sampled topics only).
    pub fn cluster(&self, now: Millis) -> ClusterMetrics {
        cluster_of(&self.topics(now), &self.config.windows)
    }

    #[cfg(test)]
    fn cluster_direct(&self, now: Millis) -> ClusterMetrics {
        let parts = || {
            self.topics
                .values()
                .flat_map(|t| t.present().map(|(_, p)| p))
        };
        let series: Vec<&DeltaSeries> = parts().map(|p| &p.produced).collect();
        let (rate, rates) = self.sum_rates(&series, now);
        ClusterMetrics {
            topics: self
                .topics
                .values()
                .filter(|t| t.present().next().is_some())
                .count(),
            partitions: parts().count(),
            under_replicated: parts().filter(|p| p.under_replicated).count(),
            offline: parts().filter(|p| p.offline).count(),
            missing_partitions: self.topics.values().map(|t| t.missing_partitions()).sum(),
            rate,
            rates,
        }
    }

    /// Every sampled topic, by name.
    pub fn topics(&self, now: Millis) -> Vec<TopicMetrics> {
        self.topics
            .iter()
            .filter(|(_, t)| t.present().next().is_some())
            .map(|(name, t)| {
                let series: Vec<&DeltaSeries> = t.present().map(|(_, p)| &p.produced).collect();
                let missing_partitions = t.missing_partitions();
                let (mut rate, mut rates) = self.sum_rates(&series, now);
                if missing_partitions > 0 {
                    // The partitions that answered are not the topic's rate.
                    rate = None;
                    for r in &mut rates {
                        r.per_sec = None;
                    }
                }
                TopicMetrics {
                    topic: name.clone(),
                    partitions: t.present().count(),
                    under_replicated: t.present().filter(|(_, p)| p.under_replicated).count(),
                    offline: t.present().filter(|(_, p)| p.offline).count(),
                    missing_partitions,
                    rate,
                    rates,
                    resets: t.partitions.values().map(|p| p.resets).sum(),
                }
            })
            .collect()
    }

    /// The partitions of one topic.
    pub fn partitions(&self, topic: &str, now: Millis) -> Vec<PartitionMetrics> {
        let Some(t) = self.topics.get(topic) else {
            return Vec::new();
        };
        t.present()
            .map(|(id, p)| PartitionMetrics {
                topic: topic.to_string(),
                partition: *id,
                leader: p.leader,
                under_replicated: p.under_replicated,
                offline: p.offline,
                log_start: p.log_start,
                log_end: p.last.map(|(_, e)| e),
                rates: self.rates(&p.produced, now),
                resets: p.resets,
            })
            .collect()
    }

    /// A topic's produce rate (or the cluster's, for `None`) in tumbling windows of `size`:
    /// the last `n`, the one containing `now` last (for sparklines).
    pub fn rate_buckets(
        &self,
        topic: Option<&str>,
        size: Millis,
        n: usize,
        now: Millis,
    ) -> Vec<Bucket> {
        let series: Vec<&DeltaSeries> = self
            .topics
            .iter()
            .filter(|(name, _)| topic.is_none_or(|t| t == name.as_str()))
            .flat_map(|(_, t)| t.present().map(|(_, p)| &p.produced))
            .collect();
        merge_buckets(series.iter().map(|s| s.buckets(size, n, now)))
    }

    /// A group's consume rate in tumbling windows of `size` (for sparklines).
    pub fn consume_buckets(&self, group: &str, size: Millis, n: usize, now: Millis) -> Vec<Bucket> {
        match self.groups.get(group) {
            Some(g) => g.consumed.buckets(size, n, now),
            None => Vec::new(),
        }
    }

    /// A group's total lag over the kept history: (time, lag), oldest first.
    pub fn lag_series(&self, group: &str) -> Vec<(Millis, i64)> {
        match self.groups.get(group) {
            Some(g) => g.lag.points().map(|(t, v)| (t, v as i64)).collect(),
            None => Vec::new(),
        }
    }

    fn present_groups(&self) -> impl Iterator<Item = (&String, &GroupState)> {
        let last = self.last_at;
        self.groups
            .iter()
            .filter(move |(_, g)| Some(g.last_seen) == last)
    }

    fn part_view(
        &self,
        topic: &str,
        partition: i32,
        gp: &GroupPartitionState,
        members: Option<bool>,
        now: Millis,
    ) -> Option<PartView> {
        let last = gp.points.last()?;
        let part = self
            .topics
            .get(topic)
            .and_then(|t| t.partitions.get(&partition));
        let log_end = part.and_then(|p| p.end_at(last.t));
        Some(PartView {
            committed: last.committed,
            log_end,
            lag: last.lag,
            lag_seconds: part.and_then(|p| time_lag(&p.ends, last.committed, now)),
            status: status::evaluate(&gp.points, self.config.status_window, now, members),
        })
    }

    fn group_metrics(&self, name: &str, g: &GroupState, now: Millis) -> GroupMetrics {
        let members = has_members(g.state.as_deref());
        let mut status: Option<(Status, PartitionRef)> = None;
        let mut lag_seconds: Option<f64> = None;
        let mut partitions = 0;
        for (topic, parts) in &g.partitions {
            for (id, gp) in parts {
                let Some(v) = self.part_view(topic, *id, gp, members, now) else {
                    continue;
                };
                partitions += 1;
                if let Some(s) = v.status {
                    if status.as_ref().is_none_or(|(worst, _)| s > *worst) {
                        status = Some((
                            s,
                            PartitionRef {
                                topic: topic.clone(),
                                partition: *id,
                            },
                        ));
                    }
                }
                if let Some(tl) = v.lag_seconds {
                    lag_seconds = Some(lag_seconds.map_or(tl.seconds, |m: f64| m.max(tl.seconds)));
                }
            }
        }
        let growth = |w: WindowSpec| g.lag.window(w, now);
        let lag_growth = growth(WindowSpec::Sliding(self.config.rate_window));
        let complete = g.incomplete.is_none();
        let eta_seconds = match (g.total_lag, lag_growth) {
            _ if !complete => None,
            (Some(0), _) => Some(0.0),
            (Some(l), Some(s)) if s < 0.0 => Some(l as f64 / -s),
            _ => None,
        };
        // The worst of the partitions that answered is not the group's status.
        let status = status.filter(|_| complete);
        GroupMetrics {
            group: name.to_string(),
            state: g.state.clone(),
            status: status.as_ref().map(|(s, _)| *s),
            worst_partition: status.map(|(_, p)| p),
            partitions,
            total_lag: g.total_lag,
            lag_seconds,
            lag_growth,
            lag_growths: self
                .config
                .windows
                .iter()
                .map(|w| WindowValue {
                    window: *w,
                    per_sec: growth(*w),
                })
                .collect(),
            consume_rate: g
                .consumed
                .window(WindowSpec::Sliding(self.config.rate_window), now)
                .per_sec(),
            consume_rates: self.rates(&g.consumed, now),
            eta_seconds,
            rewinds: g.rewinds,
            error: g.error.clone(),
            incomplete: g.incomplete.clone(),
        }
    }

    /// Every group in the last sample, by name.
    pub fn groups(&self, now: Millis) -> Vec<GroupMetrics> {
        self.present_groups()
            .map(|(name, g)| self.group_metrics(name, g, now))
            .collect()
    }

    /// One group, if it was in the last sample.
    pub fn group(&self, name: &str, now: Millis) -> Option<GroupMetrics> {
        self.present_groups()
            .find(|(n, _)| n.as_str() == name)
            .map(|(n, g)| self.group_metrics(n, g, now))
    }

    /// One group's partitions: committed offset, lag, time lag, status and time to catch up.
    pub fn group_partitions(&self, name: &str, now: Millis) -> Vec<GroupPartitionMetrics> {
        let Some(g) = self.groups.get(name) else {
            return Vec::new();
        };
        let members = has_members(g.state.as_deref());
        let mut out = Vec::new();
        for (topic, parts) in &g.partitions {
            for (id, gp) in parts {
                let Some(v) = self.part_view(topic, *id, gp, members, now) else {
                    continue;
                };
                out.push(GroupPartitionMetrics {
                    topic: topic.clone(),
                    partition: *id,
                    committed: v.committed,
                    log_end: v.log_end,
                    lag: v.lag,
                    lag_seconds: v.lag_seconds.map(|t| t.seconds),
                    lag_seconds_extrapolated: v.lag_seconds.is_some_and(|t| t.extrapolated),
                    status: v.status,
                    eta_seconds: status::eta(&gp.points, self.config.status_window, now),
                    rewinds: gp.rewinds,
                });
            }
        }
        out
    }

    /// Alerts pending, firing or resolving, worst first.
    pub fn alerts(&self) -> Vec<ActiveAlert> {
        self.alerts.active()
    }

    /// A one-off check (`watch --once`): every rule whose condition holds now, ignoring `for`.
    pub fn check(&self, now: Millis) -> Vec<AlertEvent> {
        let (topics, groups) = (self.topics(now), self.groups(now));
        self.alerts.check(now, |c| observe(c, &topics, &groups))
    }

    /// Top topics by rate and top groups by lag and by lag growth.
    pub fn leaderboards(&self, now: Millis) -> Leaderboards {
        leaderboards(&self.topics(now), &self.groups(now), self.config.top)
    }

    /// Everything at once, at `now` (the snapshot of the last `ingest` when `now` is its time).
    pub fn snapshot(&self, now: Millis) -> Snapshot {
        if let Some(s) = self.latest.as_ref().filter(|s| s.at == now) {
            return s.clone();
        }
        self.snapshot_from(now, self.topics(now), self.groups(now))
    }

    fn snapshot_from(
        &self,
        now: Millis,
        topics: Vec<TopicMetrics>,
        groups: Vec<GroupMetrics>,
    ) -> Snapshot {
        Snapshot {
            at: now,
            last_sample: self.last_at,
            samples: self.samples,
            out_of_order: self.out_of_order,
            requests: self.last_requests,
            took_ms: self.last_took,
            errors: self.last_errors.clone(),
            missing: self.last_missing.clone(),
            cluster: cluster_of(&topics, &self.config.windows),
            leaderboards: leaderboards(&topics, &groups, self.config.top),
            alerts: self.alerts.active(),
            topics,
            groups,
        }
    }
}

/// The cluster's numbers are its topics' summed.
fn cluster_of(topics: &[TopicMetrics], windows: &[WindowSpec]) -> ClusterMetrics {
    let missing_partitions: usize = topics.iter().map(|t| t.missing_partitions).sum();
    // With a partition's log end unknown the sum would be part of the cluster's rate.
    let whole = |v: Option<f64>| v.filter(|_| missing_partitions == 0);
    ClusterMetrics {
        topics: topics.len(),
        partitions: topics.iter().map(|t| t.partitions).sum(),
        under_replicated: topics.iter().map(|t| t.under_replicated).sum(),
        offline: topics.iter().map(|t| t.offline).sum(),
        rate: whole(sum(topics.iter().map(|t| t.rate))),
        rates: windows
            .iter()
            .enumerate()
            .map(|(i, w)| WindowValue {
                window: *w,
                per_sec: whole(sum(topics
                    .iter()
                    .map(|t| t.rates.get(i).and_then(|r| r.per_sec)))),
            })
            .collect(),
        missing_partitions,
    }
}

fn merge_buckets(all: impl Iterator<Item = Vec<Bucket>>) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    for buckets in all {
        if out.is_empty() {
            out = buckets;
            continue;
        }
        for (o, b) in out.iter_mut().zip(buckets) {
            o.count += b.count;
            o.per_sec = sum([o.per_sec, b.per_sec]);
        }
    }
    out
}

/// Ranks by value, highest first (ties by name), keeping `n`.
pub fn top_n(mut items: Vec<Ranked>, n: usize) -> Vec<Ranked> {
    items.sort_by(|a, b| {
        b.value
            .total_cmp(&a.value)
            .then_with(|| a.name.cmp(&b.name))
    });
    items.truncate(n);
    items
}

fn leaderboards(topics: &[TopicMetrics], groups: &[GroupMetrics], n: usize) -> Leaderboards {
    let rank = |name: &str, v: Option<f64>| {
        v.map(|value| Ranked {
            name: name.to_string(),
            value,
        })
    };
    Leaderboards {
        topics_by_rate: top_n(
            topics
                .iter()
                .filter_map(|t| rank(&t.topic, t.rate))
                .collect(),
            n,
        ),
        groups_by_lag: top_n(
            groups
                .iter()
                .filter_map(|g| rank(&g.group, g.total_lag.map(|l| l as f64)))
                .collect(),
            n,
        ),
        groups_by_lag_growth: top_n(
            groups
                .iter()
                .filter_map(|g| rank(&g.group, g.lag_growth))
                .collect(),
            n,
        ),
    }
}

/// The value of a rule's metric for each resource it selects.
fn observe(c: &Condition, topics: &[TopicMetrics], groups: &[GroupMetrics]) -> Observations {
    let selected = |name: &str| c.selector.as_deref().is_none_or(|p| glob::matches(p, name));
    let num = |v: Option<f64>| v.map(Value::Number);
    if c.metric.of_topics() {
        topics
            .iter()
            .filter(|t| selected(&t.topic))
            .map(|t| {
                let v = match c.metric {
                    // `None` holds the rule's state: neither fires nor resolves.
                    Metric::Rate if t.missing_partitions > 0 => None,
                    Metric::Rate => num(t.rate),
                    Metric::UnderReplicated => num(Some(t.under_replicated as f64)),
                    _ => num(Some(t.offline as f64)),
                };
                (t.topic.clone(), v)
            })
            .collect()
    } else {
        groups
            .iter()
            .filter(|g| selected(&g.group))
            .map(|g| {
                let v = match c.metric {
                    // What the sample could not read is not evaluated: the rule holds its
                    // state for the group.
                    _ if g.incomplete.is_some() => None,
                    Metric::Lag => num(g.total_lag.map(|l| l as f64)),
                    Metric::LagSeconds => num(g.lag_seconds),
                    Metric::LagGrowth => num(g.lag_growth),
                    Metric::ConsumeRate => num(g.consume_rate),
                    _ => g.status.map(Value::Status),
                };
                (g.group.clone(), v)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rules::default_rules;
    use crate::metrics::sample::{CommittedOffset, GroupSample, PartitionSample};
    use crate::metrics::EventState;
    use crate::model::Severity;

    const S: Millis = SECOND;

    fn config() -> MetricsConfig {
        MetricsConfig {
            interval: 10 * S,
            windows: vec![
                WindowSpec::Tumbling(10 * S),
                WindowSpec::Sliding(30 * S),
                WindowSpec::Count(2),
            ],
            rate_window: 30 * S,
            status_window: 30 * S,
            history: 5 * MINUTE,
            top: 2,
        }
    }

    fn part(topic: &str, partition: i32, start: i64, end: i64) -> PartitionSample {
        PartitionSample {
            topic: topic.into(),
            partition,
            log_start: Some(start),
            log_end: Some(end),
            leader: Some(1),
            replicas: 1,
            isr: 1,
        }
    }

    fn group(name: &str, state: &str, offsets: &[(&str, i32, i64)]) -> GroupSample {
        GroupSample {
            group: name.into(),
            state: Some(state.into()),
            offsets: offsets
                .iter()
                .map(|(t, p, o)| CommittedOffset {
                    topic: t.to_string(),
                    partition: *p,
                    offset: *o,
                })
                .collect(),
            unknown: Vec::new(),
            error: None,
        }
    }

    fn sample(at: Millis, partitions: Vec<PartitionSample>, groups: Vec<GroupSample>) -> Sample {
        Sample {
            at,
            partitions,
            groups,
            ..Sample::default()
        }
    }

    fn rate_of(m: &[WindowValue], w: WindowSpec) -> Option<f64> {
        m.iter().find(|v| v.window == w).and_then(|v| v.per_sec)
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn an_empty_state_has_no_rates_and_no_alerts() {
        let m = MetricsState::new(config(), default_rules());
        let snap = m.snapshot(0);
        assert!(snap.topics.is_empty() && snap.groups.is_empty() && snap.alerts.is_empty());
        assert_eq!(snap.cluster.rate, None);
        assert!(snap.cluster.rates.iter().all(|r| r.per_sec.is_none()));
        assert!(m.rate_buckets(None, 10 * S, 3, 0).is_empty());
        // One sample: a baseline, still no rate.
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(0, vec![part("t", 0, 0, 100)], vec![]), 0);
        assert_eq!(m.topics(0)[0].rate, None);
    }

    #[test]
    fn produce_rates_per_partition_topic_and_cluster() {
        let mut m = MetricsState::new(config(), Vec::new());
        for i in 0..=4 {
            let t = i * 10 * S;
            m.ingest(
                &sample(
                    t,
                    vec![
                        part("a", 0, 0, i * 100),
                        part("a", 1, 0, i * 50),
                        part("b", 0, 0, i * 10),
                    ],
                    vec![],
                ),
                t,
            );
        }
        let now = 40 * S;
        let topics = m.topics(now);
        assert_eq!(topics.len(), 2);
        assert!(close(topics[0].rate, 15.0), "{:?}", topics[0]);
        assert!(close(
            rate_of(&topics[0].rates, WindowSpec::Tumbling(10 * S)),
            15.0
        ));
        assert!(close(rate_of(&topics[0].rates, WindowSpec::Count(2)), 15.0));
        assert!(close(topics[1].rate, 1.0));
        let parts = m.partitions("a", now);
        assert!(close(
            rate_of(&parts[0].rates, WindowSpec::Sliding(30 * S)),
            10.0
        ));
        assert!(close(
            rate_of(&parts[1].rates, WindowSpec::Sliding(30 * S)),
            5.0
        ));
        let c = m.cluster(now);
        assert_eq!(
            c,
            m.cluster_direct(now),
            "summed over topics or partitions alike"
        );
        assert_eq!((c.topics, c.partitions), (2, 3));
        assert!(close(c.rate, 16.0));
        let b = m.rate_buckets(Some("a"), 10 * S, 2, now);
        assert_eq!(b.len(), 2);
        assert!(close(b[0].per_sec, 15.0) && b[0].complete);
        let lb = m.leaderboards(now);
        assert_eq!(lb.topics_by_rate[0].name, "a");
    }

    #[test]
    fn out_of_order_samples_are_counted_and_ignored() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(10 * S, vec![part("t", 0, 0, 100)], vec![]), 10 * S);
        m.ingest(&sample(20 * S, vec![part("t", 0, 0, 200)], vec![]), 20 * S);
        // An older sample (and one with the same time) would make a negative interval.
        m.ingest(&sample(15 * S, vec![part("t", 0, 0, 150)], vec![]), 20 * S);
        m.ingest(&sample(20 * S, vec![part("t", 0, 0, 999)], vec![]), 20 * S);
        m.ingest(&sample(30 * S, vec![part("t", 0, 0, 300)], vec![]), 30 * S);
        let snap = m.snapshot(30 * S);
        assert_eq!((snap.samples, snap.out_of_order), (3, 2));
        assert!(close(snap.topics[0].rate, 10.0));
    }

    #[test]
    fn a_recreated_topic_counts_only_what_the_new_one_holds() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(0, vec![part("t", 0, 0, 1000)], vec![]), 0);
        m.ingest(&sample(10 * S, vec![part("t", 0, 0, 1100)], vec![]), 10 * S);
        // Deleted and created again: the log end drops to what the new topic got (50).
        m.ingest(&sample(20 * S, vec![part("t", 0, 0, 50)], vec![]), 20 * S);
        m.ingest(&sample(30 * S, vec![part("t", 0, 0, 150)], vec![]), 30 * S);
        let t = &m.topics(30 * S)[0];
        assert_eq!(t.resets, 1);
        // 100 + 50 + 100 over 30 s, never a negative rate.
        assert!(close(t.rate, 250.0 / 30.0), "{t:?}");
        // A group still at the old topic's offsets has no lag rather than a negative one.
        let mut m2 = m.clone();
        m2.ingest(
            &sample(
                40 * S,
                vec![part("t", 0, 0, 160)],
                vec![group("g", "Empty", &[("t", 0, 1100)])],
            ),
            40 * S,
        );
        assert_eq!(m2.groups(40 * S)[0].total_lag, None);
    }

    #[test]
    fn a_truncated_topic_keeps_its_rate() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(0, vec![part("t", 0, 0, 1000)], vec![]), 0);
        m.ingest(&sample(10 * S, vec![part("t", 0, 0, 1100)], vec![]), 10 * S);
        // Records deleted up to 900: the log start moves, the log end does not.
        m.ingest(
            &sample(20 * S, vec![part("t", 0, 900, 1200)], vec![]),
            20 * S,
        );
        let t = &m.topics(20 * S)[0];
        assert_eq!(t.resets, 0);
        assert!(close(t.rate, 10.0));
        assert_eq!(m.partitions("t", 20 * S)[0].log_start, Some(900));
    }

    #[test]
    fn an_added_partition_counts_from_its_start_without_a_spike() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(0, vec![part("t", 0, 0, 0)], vec![]), 0);
        m.ingest(&sample(10 * S, vec![part("t", 0, 0, 100)], vec![]), 10 * S);
        // Partition 1 appears with 100 records written since the last sample.
        m.ingest(
            &sample(
                20 * S,
                vec![part("t", 0, 0, 200), part("t", 1, 0, 100)],
                vec![],
            ),
            20 * S,
        );
        let t = &m.topics(20 * S)[0];
        assert_eq!(t.partitions, 2);
        assert!(
            close(rate_of(&t.rates, WindowSpec::Tumbling(10 * S)), 20.0),
            "{t:?}"
        );
        // A topic that was there from the first sample is a baseline, not a burst.
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(0, vec![part("old", 0, 0, 1_000_000)], vec![]), 0);
        m.ingest(
            &sample(10 * S, vec![part("old", 0, 0, 1_000_000)], vec![]),
            10 * S,
        );
        assert!(close(m.topics(10 * S)[0].rate, 0.0));
    }

    #[test]
    fn a_topic_that_blinks_out_of_metadata_is_not_a_burst() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(&sample(0, vec![part("t", 0, 0, 5000)], vec![]), 0);
        m.ingest(&sample(10 * S, vec![], vec![]), 10 * S);
        assert!(m.topics(10 * S).is_empty());
        m.ingest(&sample(20 * S, vec![part("t", 0, 0, 5100)], vec![]), 20 * S);
        assert!(close(m.topics(20 * S)[0].rate, 5.0));
    }

    /// A group consuming topic t (one partition, 10 records/s produced) at `speed` records/s.
    fn run_group(m: &mut MetricsState, speeds: &[(i64, &str)]) {
        let (mut end, mut committed) = (1000i64, 600i64);
        for (i, (speed, state)) in speeds.iter().enumerate() {
            let t = i as Millis * 10 * S;
            end += 100;
            committed = (committed + speed * 10).min(end);
            m.ingest(
                &sample(
                    t,
                    vec![part("t", 0, 0, end)],
                    vec![group("g", state, &[("t", 0, committed)])],
                ),
                t,
            );
        }
    }

    #[test]
    fn consume_rate_lag_growth_and_eta() {
        let mut m = MetricsState::new(config(), Vec::new());
        run_group(&mut m, &[(15, "Stable"); 5]);
        let g = &m.groups(40 * S)[0];
        // Lag 350, 300, 250, 200, 150: consuming 15/s while 10/s are produced.
        assert!(close(g.consume_rate, 15.0), "{g:?}");
        assert!(close(g.lag_growth, -5.0), "{g:?}");
        assert_eq!(g.total_lag, Some(150));
        assert!(close(g.eta_seconds, 30.0), "{g:?}");
        assert_eq!(g.status, Some(Status::Ok));
        assert_eq!(m.lag_series("g").len(), 5);
        assert_eq!(
            m.consume_buckets("g", 10 * S, 2, 40 * S)[0].per_sec,
            Some(15.0)
        );
        let p = &m.group_partitions("g", 40 * S)[0];
        assert_eq!(
            (p.committed, p.log_end, p.lag),
            (1350, Some(1500), Some(150))
        );
        // Record 1350 was written when the end passed 1351: between 1300 at 20 s and 1400 at
        // 30 s, at 25.1 s.
        assert!((p.lag_seconds.unwrap() - 14.9).abs() < 1e-6, "{p:?}");
        assert!(!p.lag_seconds_extrapolated);
        assert!(close(p.eta_seconds, 30.0));
        assert!((g.lag_seconds.unwrap() - 14.9).abs() < 1e-6);
    }

    #[test]
    fn group_status_warn_stall_stop_and_rewind() {
        // Falling behind while moving.
        let mut m = MetricsState::new(config(), Vec::new());
        run_group(&mut m, &[(5, "Stable"); 5]);
        let g = &m.groups(40 * S)[0];
        assert_eq!(g.status, Some(Status::Warn));
        assert!(close(g.lag_growth, 5.0));
        assert_eq!(g.eta_seconds, None);
        assert_eq!(
            g.worst_partition,
            Some(PartitionRef {
                topic: "t".into(),
                partition: 0
            })
        );

        // Members but not moving: STALL. No members: STOP.
        let mut m = MetricsState::new(config(), Vec::new());
        run_group(
            &mut m,
            &[
                (5, "Stable"),
                (0, "Stable"),
                (0, "Stable"),
                (0, "Stable"),
                (0, "Stable"),
            ],
        );
        assert_eq!(m.groups(40 * S)[0].status, Some(Status::Stall));
        let mut m = MetricsState::new(config(), Vec::new());
        run_group(
            &mut m,
            &[
                (5, "Stable"),
                (0, "Empty"),
                (0, "Empty"),
                (0, "Empty"),
                (0, "Empty"),
            ],
        );
        assert_eq!(m.groups(40 * S)[0].status, Some(Status::Stop));

        // An offset reset backwards.
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(
            &sample(
                0,
                vec![part("t", 0, 0, 1000)],
                vec![group("g", "Stable", &[("t", 0, 900)])],
            ),
            0,
        );
        m.ingest(
            &sample(
                10 * S,
                vec![part("t", 0, 0, 1100)],
                vec![group("g", "Stable", &[("t", 0, 1000)])],
            ),
            10 * S,
        );
        m.ingest(
            &sample(
                20 * S,
                vec![part("t", 0, 0, 1200)],
                vec![group("g", "Stable", &[("t", 0, 100)])],
            ),
            20 * S,
        );
        let g = &m.groups(20 * S)[0];
        assert_eq!(g.status, Some(Status::Rewind));
        assert_eq!(g.rewinds, 1);
        // The rewind is not counted as consumption (neither negative nor a burst).
        assert!(close(g.consume_rate, 10.0), "{g:?}");
    }

    #[test]
    fn failed_group_reads_keep_the_last_numbers() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(
            &sample(
                0,
                vec![part("t", 0, 0, 100)],
                vec![group("g", "Stable", &[("t", 0, 50)])],
            ),
            0,
        );
        let mut failed = group("g", "Stable", &[]);
        failed.error = Some("OffsetFetch timed out".into());
        m.ingest(
            &sample(10 * S, vec![part("t", 0, 0, 200)], vec![failed]),
            10 * S,
        );
        let g = &m.groups(10 * S)[0];
        assert_eq!(g.total_lag, Some(50));
        assert_eq!(g.error.as_deref(), Some("OffsetFetch timed out"));
    }

    #[test]
    fn a_partition_without_a_log_end_makes_rates_unknown_not_smaller() {
        let rules = vec![AlertRule::new("quiet", "rate(t) < 5/s", Severity::Warn).unwrap()];
        let mut m = MetricsState::new(config(), rules);
        // Two partitions, 100 records per 10 s each.
        for i in 0..4 {
            let t = i * 10 * S;
            m.ingest(
                &sample(
                    t,
                    vec![part("t", 0, 0, 100 * i), part("t", 1, 0, 100 * i)],
                    vec![],
                ),
                t,
            );
        }
        let t = &m.topics(30 * S)[0];
        assert!(close(t.rate, 20.0), "{t:?}");
        assert_eq!(t.missing_partitions, 0);
        // Partition 1's leader does not answer: its log end is unknown.
        let mut gone = part("t", 1, 0, 0);
        gone.log_end = None;
        gone.log_start = None;
        let events = m.ingest(
            &sample(40 * S, vec![part("t", 0, 0, 400), gone], vec![]),
            40 * S,
        );
        assert!(
            events.is_empty(),
            "a partial rate fired an alert: {events:?}"
        );
        let t = &m.topics(40 * S)[0];
        assert_eq!(t.missing_partitions, 1);
        assert_eq!(t.rate, None, "the rate of one partition is not the topic's");
        assert!(t.rates.iter().all(|r| r.per_sec.is_none()), "{t:?}");
        let c = m.cluster(40 * S);
        assert_eq!((c.rate, c.missing_partitions), (None, 1));
        // It answers again: everything written meanwhile counts, in its own time.
        m.ingest(
            &sample(
                50 * S,
                vec![part("t", 0, 0, 500), part("t", 1, 0, 500)],
                vec![],
            ),
            50 * S,
        );
        let t = &m.topics(50 * S)[0];
        assert_eq!(t.missing_partitions, 0);
        assert!(close(t.rate, 20.0), "{t:?}");
    }

    #[test]
    fn an_incomplete_group_holds_its_alerts_and_extends_no_trend() {
        let rules = vec![
            AlertRule::new("lagging", "lag(g) > 300", Severity::Warn).unwrap(),
            AlertRule::new("stuck", "status in [STALL, STOP]", Severity::Crit).unwrap(),
        ];
        let mut m = MetricsState::new(config(), rules);
        let parts = |t: Millis, end1: Option<i64>| {
            let mut p1 = part("t", 1, 0, end1.unwrap_or(0));
            p1.log_end = end1;
            vec![part("t", 0, 0, 1_000 + t / S), p1]
        };
        // Lag 500 on partition 0 and 500 on partition 1: the lag rule fires.
        let mut fired = Vec::new();
        for i in 0..3 {
            let t = i * 10 * S;
            fired.extend(m.ingest(
                &sample(
                    t,
                    parts(t, Some(1_000)),
                    vec![group(
                        "g",
                        "Stable",
                        &[("t", 0, 500 + t / S), ("t", 1, 500)],
                    )],
                ),
                t,
            ));
        }
        assert!(fired.iter().any(|e| e.rule == "lagging"), "{fired:?}");
        let trend_before = m.lag_series("g").len();
        // Partition 1's leader goes away; the group also catches up on partition 0 so that
        // the partial total (0 + unknown) would resolve the alert if it were taken as whole.
        let t = 30 * S;
        let events = m.ingest(
            &sample(
                t,
                parts(t, None),
                vec![group(
                    "g",
                    "Stable",
                    &[("t", 0, 1_000 + t / S), ("t", 1, 500)],
                )],
            ),
            t,
        );
        assert!(
            events.is_empty(),
            "a partial lag resolved or fired: {events:?}"
        );
        let g = &m.groups(t)[0];
        assert!(
            g.incomplete.as_deref().is_some_and(|w| w.contains("t/1")),
            "{g:?}"
        );
        assert_eq!(g.total_lag, Some(0), "a lower bound, marked incomplete");
        assert_eq!(g.status, None);
        assert_eq!(g.eta_seconds, None);
        assert_eq!(
            m.lag_series("g").len(),
            trend_before,
            "no partial trend point"
        );
        assert!(m.alerts().iter().any(|a| a.rule == "lagging"), "held");
    }

    #[test]
    fn consumption_counts_only_between_samples_that_read_every_partition() {
        let mut m = MetricsState::new(config(), Vec::new());
        let ends = vec![part("t", 0, 0, 10_000), part("t", 1, 0, 10_000)];
        m.ingest(
            &sample(
                0,
                ends.clone(),
                vec![group("g", "Stable", &[("t", 0, 0), ("t", 1, 0)])],
            ),
            0,
        );
        // Partition 1's committed offset cannot be read at 10 s.
        let mut partial = group("g", "Stable", &[("t", 0, 100)]);
        partial.unknown = vec![PartitionRef::new("t", 1)];
        m.ingest(&sample(10 * S, ends.clone(), vec![partial]), 10 * S);
        let g = &m.groups(10 * S)[0];
        assert!(g.incomplete.is_some(), "{g:?}");
        assert_eq!(
            g.consume_rate, None,
            "one partition's progress is not the group's"
        );
        // At 20 s both are read again; partition 1 moved 200 over 20 s, partition 0 100 in 10 s.
        m.ingest(
            &sample(
                20 * S,
                ends,
                vec![group("g", "Stable", &[("t", 0, 200), ("t", 1, 200)])],
            ),
            20 * S,
        );
        let g = &m.groups(20 * S)[0];
        assert!(g.incomplete.is_none());
        // The 10-20 s delta spans a partition last read at 0 s: it is not a rate either.
        assert_eq!(g.consume_rate, None, "{g:?}");
    }

    #[test]
    fn alerts_fire_and_resolve_from_samples() {
        let rules = vec![
            AlertRule::new("stuck", "status in [STALL, STOP]", Severity::Crit).unwrap(),
            AlertRule::new("lagging", "lag(g*) > 300 for 10s", Severity::Warn).unwrap(),
            AlertRule::new("quiet", "rate(t) < 1/s", Severity::Warn).unwrap(),
            AlertRule::new("urp", "under_replicated > 0", Severity::Crit).unwrap(),
        ];
        let mut m = MetricsState::new(config(), rules);
        let mut events = Vec::new();
        let (mut end, committed) = (1000i64, 900i64);
        for i in 0..6 {
            let t = i * 10 * S;
            end += 100;
            let mut p = part("t", 0, 0, end);
            if i == 5 {
                p.isr = 0;
            }
            for e in m.ingest(
                &sample(
                    t,
                    vec![p],
                    vec![group("g", "Empty", &[("t", 0, committed)])],
                ),
                t,
            ) {
                events.push((t, e.rule.clone(), e.state));
            }
        }
        assert!(
            events.contains(&(30 * S, "stuck".into(), EventState::Firing)),
            "{events:?}"
        );
        // Lag 400 at 20 s (> 300), held for 10 s at 30 s.
        assert!(
            events.contains(&(30 * S, "lagging".into(), EventState::Firing)),
            "{events:?}"
        );
        assert!(
            events.contains(&(50 * S, "urp".into(), EventState::Firing)),
            "{events:?}"
        );
        assert!(!events.iter().any(|e| e.1 == "quiet"));
        assert_eq!(m.check(50 * S).len(), 3);
        let active = m.alerts();
        assert_eq!(active[0].severity, Severity::Crit);

        // The consumer catches up: both group alerts resolve after two good samples.
        let mut later = Vec::new();
        for i in 6..9 {
            let t = i * 10 * S;
            for e in m.ingest(
                &sample(
                    t,
                    vec![part("t", 0, 0, end)],
                    vec![group("g", "Stable", &[("t", 0, end)])],
                ),
                t,
            ) {
                later.push((t, e.rule.clone(), e.state));
            }
        }
        assert!(
            later.contains(&(70 * S, "stuck".into(), EventState::Resolved)),
            "{later:?}"
        );
        assert!(
            later.contains(&(70 * S, "lagging".into(), EventState::Resolved)),
            "{later:?}"
        );
        assert!(
            later.contains(&(70 * S, "urp".into(), EventState::Resolved)),
            "{later:?}"
        );
        // Nothing produced since 50 s: by 80 s the 30 s rate window is empty of records.
        assert!(
            later.contains(&(80 * S, "quiet".into(), EventState::Firing)),
            "{later:?}"
        );
        assert_eq!(later.len(), 4);
    }

    #[test]
    fn leaderboards_rank_and_truncate() {
        let items = vec![
            Ranked {
                name: "b".into(),
                value: 1.0,
            },
            Ranked {
                name: "a".into(),
                value: 1.0,
            },
            Ranked {
                name: "c".into(),
                value: 5.0,
            },
        ];
        let top = top_n(items, 2);
        assert_eq!(
            top.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["c", "a"]
        );
    }

    #[test]
    fn state_is_forgotten_after_the_history() {
        let mut m = MetricsState::new(config(), Vec::new());
        m.ingest(
            &sample(
                0,
                vec![part("gone", 0, 0, 1)],
                vec![group("g", "Empty", &[("gone", 0, 1)])],
            ),
            0,
        );
        m.ingest(&sample(10 * S, vec![part("t", 0, 0, 1)], vec![]), 10 * S);
        assert!(m.groups(10 * S).is_empty(), "not in the last sample");
        m.ingest(
            &sample(6 * MINUTE, vec![part("t", 0, 0, 1)], vec![]),
            6 * MINUTE,
        );
        assert!(m.partitions("gone", 6 * MINUTE).is_empty());
        assert!(m.lag_series("g").is_empty());
        let json = serde_json::to_value(m.snapshot(6 * MINUTE)).unwrap();
        assert_eq!(json["cluster"]["partitions"], 1);
        assert_eq!(json["topics"][0]["rates"][0]["window"], "10s tumbling");
    }
}
