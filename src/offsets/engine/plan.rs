//! From the request and what the broker said to a target for every partition, clamped to the
//! log, each decision explained.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::guard::GroupStatus;
use super::request::{ResetMode, ResetRequest, Scope};
use crate::error::{Error, Result};
use crate::model::{Failure, PartitionRef, Watermarks};

/// Which partitions exist, as metadata said: `None` for a topic that does not exist.
pub type TopicPartitionsKnown = BTreeMap<String, Option<Vec<i32>>>;

/// The partitions a reset covers, in order, and implicit ones that no longer exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedScope {
    pub partitions: Vec<PartitionRef>,
    /// Partitions the group (or the other group) has offsets on whose topic or partition is
    /// gone. They are shown, never reset.
    pub gone: Vec<PartitionRef>,
}

/// The topics whose partitions must be known to resolve the scope.
pub fn topics_needed(
    req: &ResetRequest,
    committed: &HashMap<PartitionRef, i64>,
    other: &HashMap<PartitionRef, i64>,
) -> BTreeSet<String> {
    match (&req.scope, &req.mode) {
        (Scope::Topics(specs), _) => specs.iter().map(|s| s.topic.clone()).collect(),
        (Scope::AllTopics, _) => committed.keys().map(|tp| tp.topic.clone()).collect(),
        (Scope::FromMode, ResetMode::File { rows, .. }) => {
            rows.iter().map(|r| r.topic.clone()).collect()
        }
        (Scope::FromMode, _) => other.keys().map(|tp| tp.topic.clone()).collect(),
    }
}

/// Turns the scope into partitions. A topic or partition the operator named (with `--topic` or
/// in a file) that does not exist is an error; one that only the group's own offsets name is
/// shown as gone.
pub fn resolve_scope(
    req: &ResetRequest,
    known: &TopicPartitionsKnown,
    committed: &HashMap<PartitionRef, i64>,
    other: &HashMap<PartitionRef, i64>,
) -> Result<ResolvedScope> {
    let exists = |t: &str, p: i32| {
        known
            .get(t)
            .and_then(|ps| ps.as_ref())
            .is_some_and(|ps| ps.contains(&p))
    };
    let unknown_topic = |t: &str| Error::NotFound(format!("unknown topic '{}'", t));
    let unknown_partition = |t: &str, p: i32, where_: &str| {
        let count = known
            .get(t)
            .and_then(|ps| ps.as_ref())
            .map_or(0, |ps| ps.len());
        Error::NotFound(format!(
            "unknown partition {}:{p}{where_} (topic '{}' has {count} partition(s))",
            t, t
        ))
    };
    let mut set: BTreeSet<PartitionRef> = BTreeSet::new();
    let mut gone: BTreeSet<PartitionRef> = BTreeSet::new();
    match (&req.scope, &req.mode) {
        (Scope::Topics(specs), _) => {
            for spec in specs {
                let parts = match known.get(&spec.topic) {
                    Some(Some(p)) => p,
                    _ => return Err(unknown_topic(&spec.topic)),
                };
                match &spec.partitions {
                    None => set.extend(parts.iter().map(|p| PartitionRef::new(&spec.topic, *p))),
                    Some(wanted) => {
                        for p in wanted {
                            if !parts.contains(p) {
                                return Err(unknown_partition(&spec.topic, *p, ""));
                            }
                            set.insert(PartitionRef::new(&spec.topic, *p));
                        }
                    }
                }
            }
        }
        (Scope::FromMode, ResetMode::File { source, rows }) => {
            for r in rows {
                match known.get(&r.topic) {
                    Some(Some(_)) => {}
                    _ => {
                        return Err(Error::NotFound(format!(
                            "unknown topic '{}' (on line {} of {source})",
                            &r.topic, r.line
                        )))
                    }
                }
                if !exists(&r.topic, r.partition) {
                    return Err(unknown_partition(
                        &r.topic,
                        r.partition,
                        &format!(" (on line {} of {source})", r.line),
                    ));
                }
                set.insert(PartitionRef::new(&r.topic, r.partition));
            }
        }
        (Scope::AllTopics, _) | (Scope::FromMode, _) => {
            let from = if req.scope == Scope::AllTopics {
                committed
            } else {
                other
            };
            if from.is_empty() {
                return Err(match (&req.scope, &req.mode) {
                    (Scope::FromMode, ResetMode::Group(o)) => Error::NotFound(format!(
                        "group '{}' has no committed offsets to copy",
                        o
                    )),
                    _ => Error::NotFound(format!(
                        "group '{}' has no committed offsets, so --all-topics names nothing; use --topic",
                        &req.group
                    )),
                });
            }
            for tp in from.keys() {
                if exists(&tp.topic, tp.partition) {
                    set.insert(tp.clone());
                } else {
                    gone.insert(tp.clone());
                }
            }
        }
    }
    Ok(ResolvedScope {
        partitions: set.into_iter().collect(),
        gone: gone.into_iter().collect(),
    })
}

/// What the broker said, for every partition in scope.
#[derive(Debug, Clone, Default)]
pub struct PlanInputs {
    pub scope: ResolvedScope,
    /// The group's committed offsets (partitions without one are absent).
    pub committed: HashMap<PartitionRef, i64>,
    pub watermarks: HashMap<PartitionRef, Watermarks>,
    /// ListOffsets for the mode's time; -1 where no record is at or after it.
    pub times: HashMap<PartitionRef, i64>,
    /// The other group's committed offsets (`--to-group`).
    pub other: HashMap<PartitionRef, i64>,
    pub group: GroupStatus,
    /// Partitions a broker could not answer for (a leader or the coordinator was away), with
    /// the reason naming it. They are skipped, and an apply that skips them is partial.
    pub unavailable: HashMap<PartitionRef, String>,
}

/// One partition of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionPlan {
    pub topic: String,
    pub partition: i32,
    /// The committed offset now; `None` when the group has none on this partition.
    pub current: Option<i64>,
    /// The offset the mode asked for, before clamping.
    pub requested: Option<i64>,
    /// The offset to commit; `None` when this partition is skipped (the note says why).
    pub target: Option<i64>,
    pub log_start: Option<i64>,
    pub log_end: Option<i64>,
    /// `target - current`: negative = records to replay, positive = records skipped.
    /// `None` when either is unknown.
    pub delta: Option<i64>,
    /// Set when the requested offset was outside [log start, log end] and was moved to the edge.
    pub clamped: Option<String>,
    pub note: Option<String>,
    /// Skipped because a broker could not answer for it (not because of the mode): applying
    /// the plan leaves it out, so the result is partial.
    pub unavailable: bool,
}

impl PartitionPlan {
    pub fn changes(&self) -> bool {
        self.target.is_some() && self.target != self.current
    }
}

/// The columns a plan is shown in, by the CLI and the console alike: their order, titles and
/// values are defined here once; each formats the values its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanColumn {
    Topic,
    Partition,
    Current,
    Target,
    LogStart,
    LogEnd,
    Delta,
    Note,
}

/// What a plan's cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanValue<'a> {
    Topic(&'a str),
    Partition(i32),
    /// The committed offset now; `None`: the group has none.
    Current(Option<i64>),
    /// The offset to commit; `None`: skipped.
    Target(Option<i64>),
    /// A watermark.
    Offset(Option<i64>),
    /// Target minus current: negative replays, positive skips.
    Delta(Option<i64>),
    /// Why the target is what it is: moved to the edge of the log, or skipped and why.
    Note {
        clamped: Option<&'a str>,
        note: Option<&'a str>,
    },
}

impl PlanColumn {
    pub const ALL: [PlanColumn; 8] = [
        PlanColumn::Topic,
        PlanColumn::Partition,
        PlanColumn::Current,
        PlanColumn::Target,
        PlanColumn::LogStart,
        PlanColumn::LogEnd,
        PlanColumn::Delta,
        PlanColumn::Note,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PlanColumn::Topic => "TOPIC",
            PlanColumn::Partition => "PARTITION",
            PlanColumn::Current => "CURRENT",
            PlanColumn::Target => "TARGET",
            PlanColumn::LogStart => "LOG-START",
            PlanColumn::LogEnd => "LOG-END",
            PlanColumn::Delta => "DELTA",
            PlanColumn::Note => "NOTE",
        }
    }

    /// The title where room is short (the console).
    pub fn short_title(self) -> &'static str {
        match self {
            PlanColumn::Partition => "PART",
            c => c.title(),
        }
    }

    pub fn value(self, p: &PartitionPlan) -> PlanValue<'_> {
        match self {
            PlanColumn::Topic => PlanValue::Topic(&p.topic),
            PlanColumn::Partition => PlanValue::Partition(p.partition),
            PlanColumn::Current => PlanValue::Current(p.current),
            PlanColumn::Target => PlanValue::Target(p.target),
            PlanColumn::LogStart => PlanValue::Offset(p.log_start),
            PlanColumn::LogEnd => PlanValue::Offset(p.log_end),
            PlanColumn::Delta => PlanValue::Delta(p.delta),
            PlanColumn::Note => PlanValue::Note {
                clamped: p.clamped.as_deref(),
                note: p.note.as_deref(),
            },
        }
    }
}

/// Sums over the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanTotals {
    pub partitions: usize,
    /// Partitions with a target (what `--execute` commits).
    pub to_commit: usize,
    /// Partitions whose target differs from the committed offset (or that have none).
    pub changing: usize,
    pub unchanged: usize,
    /// Partitions with no target (see their note).
    pub skipped: usize,
    /// Of the skipped, those a broker could not answer for (their leader or the coordinator
    /// was away): an apply leaves them out and is partial.
    pub unavailable: usize,
    pub clamped: usize,
    pub without_commit: usize,
    /// Records that will be read again (sum of negative deltas, as a positive number).
    pub replay_records: i64,
    /// Records that will not be read (sum of positive deltas).
    pub skip_records: i64,
    /// Sum of all known deltas.
    pub net_delta: i64,
}

/// A reset, planned: plain data for the CLI, the console and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetPlan {
    pub group: String,
    pub mode: String,
    /// The time the targets were looked up for (`--to-datetime`, `--by-duration`), ms.
    pub timestamp: Option<i64>,
    pub planned_at: String,
    pub group_state: Option<String>,
    /// Active members (`client_id@host`): `--execute` is refused while there are any.
    pub active_members: Vec<String>,
    /// Why the group's members could not be checked.
    pub group_check_error: Option<Failure>,
    pub partitions: Vec<PartitionPlan>,
    pub totals: PlanTotals,
}

impl ResetPlan {
    /// The `(topic, partition, offset)` rows to commit.
    pub fn commits(&self) -> Vec<(String, i32, i64)> {
        self.partitions
            .iter()
            .filter_map(|p| p.target.map(|t| (p.topic.clone(), p.partition, t)))
            .collect()
    }

    /// Whether what an operator typed to confirm names this plan's group (the console asks for
    /// the group name before it applies a plan).
    pub fn confirmed_by(&self, typed: &str) -> bool {
        !self.group.is_empty() && typed.trim() == self.group
    }

    /// The plan as Kafka's CSV (partitions with a target).
    pub fn to_csv(&self) -> String {
        crate::offsets::csv::write(
            self.partitions
                .iter()
                .filter_map(|p| p.target.map(|t| (p.topic.as_str(), p.partition, t))),
        )
    }
}

fn join(notes: Vec<String>) -> Option<String> {
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// Decides every partition's target.
pub fn build_plan(req: &ResetRequest, inputs: &PlanInputs, now: DateTime<Utc>) -> ResetPlan {
    let file: HashMap<PartitionRef, i64> = match &req.mode {
        ResetMode::File { rows, .. } => rows
            .iter()
            .map(|r| (PartitionRef::new(&r.topic, r.partition), r.offset))
            .collect(),
        _ => HashMap::new(),
    };
    let timestamp = req.mode.timestamp_ms(now);
    let mut partitions: Vec<PartitionPlan> = Vec::with_capacity(inputs.scope.partitions.len());
    for tp in &inputs.scope.partitions {
        if let Some(why) = inputs.unavailable.get(tp) {
            let w = inputs.watermarks.get(tp).copied().unwrap_or_default();
            partitions.push(PartitionPlan {
                topic: tp.topic.clone(),
                partition: tp.partition,
                current: inputs.committed.get(tp).copied(),
                requested: None,
                target: None,
                log_start: w.low,
                log_end: w.high,
                delta: None,
                clamped: None,
                note: Some(format!("skipped: {why}")),
                unavailable: true,
            });
            continue;
        }
        let current = inputs.committed.get(tp).copied();
        let w = inputs.watermarks.get(tp).copied().unwrap_or_default();
        let mut notes: Vec<String> = Vec::new();
        if current.is_none() {
            notes.push("no committed offset".into());
        }
        let requested: std::result::Result<i64, String> = match &req.mode {
            ResetMode::Earliest => w
                .low
                .ok_or_else(|| "the log start offset is unknown".into()),
            ResetMode::Latest => w.high.ok_or_else(|| "the log end offset is unknown".into()),
            ResetMode::Current => {
                current.ok_or_else(|| "skipped: there is no committed offset to keep".into())
            }
            ResetMode::Offset(o) => Ok(*o),
            ResetMode::ShiftBy(n) => current
                .map(|c| c.saturating_add(*n))
                .ok_or_else(|| "skipped: there is no committed offset to shift".into()),
            ResetMode::Datetime(_) | ResetMode::Duration(_) => match inputs.times.get(tp) {
                Some(o) if *o >= 0 => Ok(*o),
                Some(_) => match w.high {
                    Some(h) => {
                        notes.push("no record at or after the time: the log end".into());
                        Ok(h)
                    }
                    None => Err("no record at or after the time and the log end is unknown".into()),
                },
                None => Err("the broker gave no offset for the time".into()),
            },
            ResetMode::File { .. } => file
                .get(tp)
                .copied()
                .ok_or_else(|| "not in the file".into()),
            ResetMode::Group(other) => inputs
                .other
                .get(tp)
                .copied()
                .ok_or_else(|| format!("group '{}' has no committed offset here", other)),
        };
        let requested_offset = requested.as_ref().ok().copied();
        let mut clamped = None;
        let target = match requested {
            Err(why) => {
                notes.push(format!("skipped: {why}"));
                None
            }
            Ok(r) => match (w.low, w.high) {
                (Some(lo), Some(_)) if r < lo => {
                    clamped = Some(format!("{r} is before the log start {lo}: clamped to {lo}"));
                    Some(lo)
                }
                (Some(_), Some(hi)) if r > hi => {
                    clamped = Some(format!("{r} is past the log end {hi}: clamped to {hi}"));
                    Some(hi)
                }
                (Some(_), Some(_)) => Some(r),
                _ => {
                    notes.push(
                        "skipped: the log start or end offset is unknown, so the target cannot be checked"
                            .into(),
                    );
                    None
                }
            },
        };
        let delta = match (target, current) {
            (Some(t), Some(c)) => Some(t - c),
            _ => None,
        };
        partitions.push(PartitionPlan {
            topic: tp.topic.clone(),
            partition: tp.partition,
            current,
            requested: requested_offset,
            target,
            log_start: w.low,
            log_end: w.high,
            delta,
            clamped,
            note: join(notes),
            unavailable: false,
        });
    }
    for tp in &inputs.scope.gone {
        partitions.push(PartitionPlan {
            topic: tp.topic.clone(),
            partition: tp.partition,
            current: inputs.committed.get(tp).copied(),
            requested: None,
            target: None,
            log_start: None,
            log_end: None,
            delta: None,
            clamped: None,
            note: Some("skipped: the topic or partition no longer exists".into()),
            unavailable: false,
        });
    }
    partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    let totals = totals(&partitions);
    ResetPlan {
        group: req.group.clone(),
        mode: req.mode.describe(now),
        timestamp,
        planned_at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        group_state: inputs.group.state.clone(),
        active_members: inputs.group.members.clone(),
        group_check_error: inputs.group.error.clone(),
        partitions,
        totals,
    }
}

fn totals(partitions: &[PartitionPlan]) -> PlanTotals {
    let mut t = PlanTotals {
        partitions: partitions.len(),
        ..PlanTotals::default()
    };
    for p in partitions {
        match p.target {
            Some(target) => {
                t.to_commit += 1;
                if Some(target) == p.current {
                    t.unchanged += 1;
                } else {
                    t.changing += 1;
                }
            }
            None => t.skipped += 1,
        }
        if p.unavailable {
            t.unavailable += 1;
        }
        if p.clamped.is_some() {
            t.clamped += 1;
        }
        if p.current.is_none() && !p.unavailable {
            t.without_commit += 1;
        }
        if let Some(d) = p.delta {
            t.net_delta = t.net_delta.saturating_add(d);
            if d < 0 {
                t.replay_records = t.replay_records.saturating_add(-d);
            } else {
                t.skip_records = t.skip_records.saturating_add(d);
            }
        }
    }
    t
}
