//! Projections: rates over windows, per-topic, per-partition and per-group metrics, leaderboards,
//! snapshots and what alert rules observe, computed from the history at `now`.

use super::history::{GroupPartitionState, GroupState, TopicState};
use super::snapshot::{
    ClusterMetrics, GroupMetrics, GroupPartitionMetrics, Leaderboards, PartitionMetrics, Ranked,
    Snapshot, TopicMetrics, WindowValue,
};
use super::{sum, MetricsState};
use crate::metrics::alerts::{ActiveAlert, AlertEvent, Observations};
use crate::metrics::glob;
use crate::metrics::rules::{Condition, Metric, Value};
use crate::metrics::sample::has_members;
use crate::metrics::status::{self, Point, Status};
use crate::metrics::time::Millis;
use crate::metrics::timelag::{self, time_lag};
use crate::metrics::window::{Bucket, DeltaSeries, WindowSpec};
use crate::model::PartitionRef;

/// What one group partition looks like now.
struct PartView {
    committed: i64,
    log_end: Option<i64>,
    lag: Option<i64>,
    lag_seconds: Option<crate::metrics::timelag::TimeLag>,
    status: Option<Status>,
    measuring: Option<status::Measuring>,
}

impl MetricsState {
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
        cluster_of(&self.topics(now), &self.config.windows, self.brokers)
    }

    #[cfg(test)]
    pub(super) fn cluster_direct(&self, now: Millis) -> ClusterMetrics {
        let parts = || {
            self.topics
                .values()
                .flat_map(|t| t.present().map(|(_, p)| p))
        };
        let series: Vec<&DeltaSeries> = parts().map(|p| &p.produced).collect();
        let (rate, rates) = self.sum_rates(&series, now);
        ClusterMetrics {
            brokers: self.brokers,
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
        topic: Option<&TopicState>,
        partition: i32,
        gp: &GroupPartitionState,
        members: Option<bool>,
        now: Millis,
    ) -> Option<PartView> {
        let last = gp.points.last()?;
        let part = topic.and_then(|t| t.partitions.get(&partition));
        let log_end = part.and_then(|p| p.end_at(last.t()));
        let c = &self.config;
        let window = status::judged_window_any(&gp.points, c.first_verdict, c.status_window, now);
        let need = status::samples_needed(window, c.interval);
        let status = status::evaluate_any(&gp.points, window, need, now, members);
        Some(PartView {
            committed: last.committed(),
            log_end,
            lag: last.lag(),
            lag_seconds: if last.lag() == Some(0) {
                Some(timelag::caught_up())
            } else if let Some(r) = part.and_then(|p| p.record_at(last.committed())) {
                Some(timelag::exact_at(r.timestamp, r.from_log_start, now))
            } else {
                part.and_then(|p| time_lag(&p.ends, last.committed(), now))
            },
            status,
            measuring: match status {
                None => status::progress_any(&gp.points, window, need, now),
                Some(_) => None,
            },
        })
    }

    fn group_metrics(&self, name: &str, g: &GroupState, now: Millis) -> GroupMetrics {
        let members = has_members(g.state.as_deref());
        let mut status: Option<(Status, PartitionRef)> = None;
        let mut lag_seconds: Option<f64> = None;
        let mut method: Option<crate::model::TimeLagMethod> = None;
        let mut measuring: Option<status::Measuring> = None;
        let (mut lagging, mut all_old) = (false, true);
        let old = self.config.inactive_after as f64 / 1000.0;
        let mut partitions = 0;
        for (topic, parts) in &g.partitions {
            let sampled = self.topics.get(topic);
            for (id, gp) in parts {
                let Some(v) = self.part_view(sampled, *id, gp, members, now) else {
                    continue;
                };
                partitions += 1;
                if v.lag != Some(0) {
                    lagging = true;
                    let is_old = v.lag_seconds.is_some_and(|t| {
                        t.method == crate::model::TimeLagMethod::Exact && t.seconds >= old
                    });
                    all_old &= is_old;
                }
                if let Some(m) = v.measuring {
                    measuring = Some(measuring.map_or(m, |w| w.min(m)));
                }
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
                    method = Some(method.map_or(tl.method, |m| {
                        crate::model::TimeLagMethod::combine(m, tl.method)
                    }));
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
        // The worst of the partitions that answered is not the group's status; nor is an OK
        // while some partition is still being measured (a WARN or worse already is).
        let status = status
            .filter(|_| complete)
            .filter(|(s, _)| measuring.is_none() || *s > Status::Ok);
        let measuring = measuring.filter(|_| complete && status.is_none());
        GroupMetrics {
            group: name.to_string(),
            state: g.state.clone(),
            status: status.as_ref().map(|(s, _)| *s),
            measuring,
            worst_partition: status.map(|(_, p)| p),
            partitions,
            total_lag: g.total_lag,
            lag_seconds,
            time_lag_method: method,
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
            inactive: members == Some(false)
                && lagging
                && all_old
                && g.moved_at
                    .is_none_or(|t| now - t >= self.config.inactive_after),
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
            let sampled = self.topics.get(topic);
            for (id, gp) in parts {
                let Some(v) = self.part_view(sampled, *id, gp, members, now) else {
                    continue;
                };
                out.push(GroupPartitionMetrics {
                    topic: topic.clone(),
                    partition: *id,
                    committed: v.committed,
                    log_end: v.log_end,
                    lag: v.lag,
                    lag_seconds: v.lag_seconds.map(|t| t.seconds),
                    time_lag_method: v.lag_seconds.map(|t| t.method),
                    time_lag_from_log_start: v.lag_seconds.is_some_and(|t| t.from_log_start),
                    status: v.status,
                    measuring: v.measuring,
                    eta_seconds: status::eta_any(&gp.points, self.config.status_window, now),
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

    pub(super) fn snapshot_from(
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
            cluster: cluster_of(&topics, &self.config.windows, self.brokers),
            leaderboards: leaderboards(&topics, &groups, self.config.top),
            alerts: self.alerts.active(),
            topics,
            groups,
        }
    }
}

/// The cluster's numbers are its topics' summed.
fn cluster_of(
    topics: &[TopicMetrics],
    windows: &[WindowSpec],
    brokers: Option<usize>,
) -> ClusterMetrics {
    let missing_partitions: usize = topics.iter().map(|t| t.missing_partitions).sum();
    // With a partition's log end unknown the sum would be part of the cluster's rate.
    let whole = |v: Option<f64>| v.filter(|_| missing_partitions == 0);
    ClusterMetrics {
        brokers,
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
                .filter(|g| !g.inactive)
                .filter_map(|g| rank(&g.group, g.total_lag.map(|l| l as f64)))
                .collect(),
            n,
        ),
        groups_by_lag_growth: top_n(
            groups
                .iter()
                .filter(|g| !g.inactive)
                .filter_map(|g| rank(&g.group, g.lag_growth))
                .collect(),
            n,
        ),
    }
}

/// The value of a rule's metric for each resource it selects.
pub(super) fn observe(
    c: &Condition,
    topics: &[TopicMetrics],
    groups: &[GroupMetrics],
) -> Observations {
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
            // An inactive group only for a rule that names it.
            .filter(|g| !g.inactive || c.selector.as_deref() == Some(g.group.as_str()))
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
