//! History: what the engine keeps between samples (log ends, committed offsets, deltas,
//! status points), how a sample is taken in, and what is pruned when it grows old.

use std::collections::{BTreeMap, VecDeque};

use super::{shorten_list, MetricsState};
use crate::metrics::glob;
use crate::metrics::sample::Sample;
use crate::metrics::status::{CompactPoint, Point};
use crate::metrics::time::Millis;
use crate::metrics::window::{push_back_tight, Delta, DeltaSeries, GaugeSeries};

#[derive(Debug, Clone, Default)]
pub(super) struct PartitionState {
    pub(super) present: bool,
    pub(super) last_seen: Millis,
    pub(super) leader: Option<i32>,
    pub(super) under_replicated: bool,
    pub(super) offline: bool,
    pub(super) log_start: Option<i64>,
    /// The last known log end and when it was sampled.
    pub(super) last: Option<(Millis, i64)>,
    /// The last sample could not read its log end.
    pub(super) missing: bool,
    pub(super) produced: DeltaSeries,
    /// (time, log end), never decreasing; only the ends of a stretch without writes are kept.
    pub(super) ends: VecDeque<(Millis, i64)>,
    pub(super) resets: u64,
    /// Records at the offsets groups sit at (from the sample's record times), each with when a
    /// sample last had it: a group at one of these offsets has an exact time lag. Kept per
    /// partition, not per group partition: many groups at one offset share it.
    pub(super) records: Vec<(RecordSeen, Millis)>,
}

/// Offsets a partition's record cache keeps at most (the oldest seen go first).
const RECORDS_PER_PARTITION: usize = 16;

impl PartitionState {
    /// The record at `offset`, if a sample read it.
    pub(super) fn record_at(&self, offset: i64) -> Option<RecordSeen> {
        self.records
            .iter()
            .find(|(r, _)| r.offset == offset)
            .map(|(r, _)| *r)
    }

    fn remember(&mut self, record: RecordSeen, at: Millis) {
        match self
            .records
            .iter_mut()
            .find(|(r, _)| r.offset == record.offset)
        {
            Some(slot) => *slot = (record, at),
            None => {
                if self.records.len() >= RECORDS_PER_PARTITION {
                    if let Some(oldest) = self
                        .records
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, (_, t))| *t)
                        .map(|(i, _)| i)
                    {
                        self.records.swap_remove(oldest);
                    }
                }
                self.records.push((record, at));
            }
        }
    }

    /// Takes a sampled log end. `appeared_after` is the previous sample's time when the
    /// partition is new since then: everything in it was written in between.
    pub(super) fn observe(&mut self, at: Millis, end: i64, appeared_after: Option<Millis>) {
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
                self.records.clear();
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
            push_back_tight(&mut self.ends, (at, end));
        }
    }

    /// The log end sampled at `at`, if this sample had one.
    pub(super) fn end_at(&self, at: Millis) -> Option<i64> {
        self.last.filter(|(t, _)| *t == at).map(|(_, e)| e)
    }

    pub(super) fn prune(&mut self, rates_before: Millis, history_before: Millis) {
        self.produced.prune(rates_before);
        self.records.retain(|(_, seen)| *seen > history_before);
        while self.ends.len() > 1 && self.ends[1].0 <= history_before {
            self.ends.pop_front();
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct TopicState {
    pub(super) partitions: BTreeMap<i32, PartitionState>,
}

impl TopicState {
    pub(super) fn present(&self) -> impl Iterator<Item = (&i32, &PartitionState)> {
        self.partitions.iter().filter(|(_, p)| p.present)
    }

    /// Partitions whose produce rate is not known while others' are: the last sample lacked
    /// their log end, or no sample had it yet. The topic's rate is then unknown.
    pub(super) fn missing_partitions(&self) -> usize {
        let measured = self.present().any(|(_, p)| !p.produced.is_empty());
        self.present()
            .filter(|(_, p)| p.missing || (measured && p.produced.is_empty()))
            .count()
    }
}

/// The status points a group partition holds at most when sampled every `interval`: those
/// in the status window, the one before it and the one just taken (pruning comes after it).
pub(super) fn status_points_kept(window: Millis, interval: Millis) -> usize {
    let steps = if interval > 0 { window / interval } else { 0 };
    usize::try_from(steps)
        .unwrap_or(0)
        .saturating_add(2)
        .min(1024)
}

#[derive(Debug, Clone, Default)]
pub(super) struct GroupPartitionState {
    /// One per sample, oldest first: those in the status window and the one before it.
    pub(super) points: Vec<CompactPoint>,
    pub(super) rewinds: u64,
    /// When the group last had an offset for it.
    pub(super) seen: Millis,
}

/// The record at a committed offset: what exact time lag needs of a `RecordTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RecordSeen {
    /// The committed offset it was read for.
    pub(super) offset: i64,
    pub(super) timestamp: Millis,
    pub(super) from_log_start: bool,
}

impl RecordSeen {
    pub(super) fn of(r: &crate::model::RecordTime) -> Self {
        RecordSeen {
            offset: r.offset,
            timestamp: r.timestamp,
            from_log_start: r.from_log_start,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct GroupState {
    pub(super) state: Option<String>,
    pub(super) error: Option<String>,
    /// What the last sample could not read for the group.
    pub(super) incomplete: Option<String>,
    pub(super) last_seen: Millis,
    /// When its offsets were last read.
    pub(super) last_at: Option<Millis>,
    pub(super) partitions: BTreeMap<String, BTreeMap<i32, GroupPartitionState>>,
    pub(super) consumed: DeltaSeries,
    pub(super) lag: GaugeSeries,
    pub(super) total_lag: Option<i64>,
    pub(super) rewinds: u64,
    /// When a committed offset was last seen to change.
    pub(super) moved_at: Option<Millis>,
}

impl MetricsState {
    pub(super) fn ingest_partitions(&mut self, sample: &Sample) {
        let (at, previous) = (sample.at, self.last_at);
        for t in self.topics.values_mut() {
            for p in t.partitions.values_mut() {
                p.present = false;
            }
        }
        for ps in &sample.partitions {
            if glob::matches_some(&self.config.ignore_topics, &ps.topic) {
                continue;
            }
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

    /// Takes in the records read at committed offsets, into their partitions' record caches
    /// (a record read before at the same offset is still the one a group there reads next).
    pub(super) fn ingest_record_times(&mut self, sample: &Sample) {
        for run in sample.record_times.chunk_by(|a, b| a.topic == b.topic) {
            let Some(topic) = self.topics.get_mut(&run[0].topic) else {
                continue;
            };
            for r in run {
                if let Some(p) = topic.partitions.get_mut(&r.partition) {
                    p.remember(RecordSeen::of(r), sample.at);
                }
            }
        }
    }

    pub(super) fn ingest_groups(&mut self, sample: &Sample) {
        let at = sample.at;
        let points_kept = status_points_kept(self.config.status_window, self.config.interval);
        for gs in &sample.groups {
            if glob::matches_some(&self.config.ignore_groups, &gs.group) {
                continue;
            }
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
            for run in gs.offsets.chunk_by(|a, b| a.topic == b.topic) {
                let name = &run[0].topic;
                // Lag only on topics that are sampled.
                let Some(topic) = self.topics.get(name) else {
                    continue;
                };
                if !g.partitions.contains_key(name) {
                    g.partitions.insert(name.clone(), BTreeMap::new());
                }
                let Some(tp) = g.partitions.get_mut(name) else {
                    continue;
                };
                for o in run {
                    let Some(part) = topic.partitions.get(&o.partition).filter(|p| p.present)
                    else {
                        continue;
                    };
                    let log_end = part.end_at(at);
                    if log_end.is_none() && part.missing {
                        unknown_ends.push(format!("{}/{}", o.topic, o.partition));
                    }
                    let gp = tp.entry(o.partition).or_default();
                    match gp.points.last() {
                        Some(last) if o.offset < last.committed() => {
                            gp.rewinds += 1;
                            g.rewinds += 1;
                            g.moved_at = Some(at);
                        }
                        Some(last) => {
                            if o.offset != last.committed() {
                                g.moved_at = Some(at);
                            }
                            if Some(last.t()) != previous {
                                consumed_known = false;
                            }
                            *consumed.get_or_insert(0) += o.offset - last.committed();
                        }
                        None => {}
                    }
                    let lag = crate::model::lag(Some(o.offset), log_end);
                    if let Some(l) = lag {
                        *total_lag.get_or_insert(0) += l;
                    }
                    let (len, cap) = (gp.points.len(), gp.points.capacity());
                    if len == cap {
                        // A few points first (a group partition may be sampled once only),
                        // then room for the window's worth, then one more at a time (samples
                        // closer than the interval): never doubled.
                        let want = match len {
                            0 => points_kept.min(4),
                            _ if len < points_kept => points_kept,
                            _ => len + 1,
                        };
                        gp.points.reserve_exact(want - len);
                    }
                    gp.points.push(CompactPoint::new(at, o.offset, lag));
                    gp.seen = at;
                }
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

    pub(super) fn prune(&mut self, now: Millis) {
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
                        .partition_point(|p| p.t() <= status_before)
                        .saturating_sub(1);
                    gp.points.drain(..keep_from);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::status_points_kept;

    #[test]
    fn a_group_partition_has_room_for_its_window_and_the_new_point() {
        // 2 min every 10 s: the 12 points inside, the one at the window's start, the new one.
        assert_eq!(status_points_kept(120_000, 10_000), 14);
        assert_eq!(status_points_kept(120_000, 7_000), 19);
        assert_eq!(status_points_kept(120_000, 0), 2);
        assert_eq!(status_points_kept(120_000, -5), 2);
        assert_eq!(status_points_kept(i64::MAX, 1), 1024);
    }
}
