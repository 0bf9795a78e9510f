//! The pure part of an offset reset: no IO and no clock. Given what the broker said (committed
//! offsets, watermarks, offsets for a time, another group's offsets) it decides the target of
//! every partition, clamps it to the log, and explains each decision; given what happened when
//! committing, it says which partitions changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::csv::CsvRow;
use super::spec::TopicSpec;
use crate::error::{Error, Result};
use crate::model::{PartitionRef, Watermarks};
use crate::record::position::{checked_time, time_ago, too_long_ago, TIME_RANGE};

/// Where the new offsets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetMode {
    /// The log start offset.
    Earliest,
    /// The log end offset.
    Latest,
    /// The current committed offset (to export it, or commit it again).
    Current,
    /// The same offset in every partition.
    Offset(i64),
    /// The current committed offset plus N (negative N replays).
    ShiftBy(i64),
    /// The first offset at or after this time (ms since the epoch).
    Datetime(i64),
    /// The first offset at or after `now` minus this.
    Duration(Duration),
    /// Offsets from a plan file; `source` names the file.
    File { source: String, rows: Vec<CsvRow> },
    /// Another group's committed offsets.
    Group(String),
}

impl ResetMode {
    /// A short description for the plan, the audit log and messages.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        match self {
            ResetMode::Earliest => "to-earliest".into(),
            ResetMode::Latest => "to-latest".into(),
            ResetMode::Current => "to-current".into(),
            ResetMode::Offset(o) => format!("to-offset {o}"),
            ResetMode::ShiftBy(n) => format!("shift-by {n:+}"),
            ResetMode::Datetime(ms) => format!("to-datetime {}", rfc3339_ms(*ms)),
            ResetMode::Duration(d) => format!(
                "by-duration {} (since {})",
                humantime::format_duration(*d),
                self.timestamp_ms(now).map_or("?".into(), rfc3339_ms)
            ),
            ResetMode::File { source, .. } => format!("from-file {source}"),
            ResetMode::Group(g) => format!("to-group {g}"),
        }
    }

    /// The time the targets are looked up for, in the time modes (`None` too for a duration
    /// that reaches back before the epoch, which [`ResetMode::check_time`] refuses).
    pub fn timestamp_ms(&self, now: DateTime<Utc>) -> Option<i64> {
        match self {
            ResetMode::Datetime(ms) => Some(*ms),
            ResetMode::Duration(d) => time_ago(*d, now),
            _ => None,
        }
    }

    /// Refuses a time mode whose time cannot be looked up at `now`: a usage error naming it.
    pub fn check_time(&self, now: DateTime<Utc>) -> Result<()> {
        match self {
            ResetMode::Duration(d) if time_ago(*d, now).is_none() => Err(too_long_ago(
                &format!("duration '{}'", humantime::format_duration(*d)),
                Some(now),
            )),
            ResetMode::Datetime(ms) if checked_time(*ms).is_none() => Err(Error::usage(format!(
                "invalid time '{ms}': expected a time from {TIME_RANGE}"
            ))),
            _ => Ok(()),
        }
    }

    /// Modes that move from the committed offset, which a partition without one cannot do.
    pub fn is_relative(&self) -> bool {
        matches!(self, ResetMode::Current | ResetMode::ShiftBy(_))
    }
}

/// Which partitions a reset touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `--topic T` (every partition) or `--topic T:0,2` (those), repeatable.
    Topics(Vec<TopicSpec>),
    /// `--all-topics`: every partition the group has a committed offset on.
    AllTopics,
    /// The mode names the partitions: the lines of a plan file, or every partition the other
    /// group of `--to-group` has committed.
    FromMode,
}

/// Everything needed to plan a reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    pub group: String,
    pub scope: Scope,
    pub mode: ResetMode,
}

impl ResetRequest {
    /// Checks that scope and mode fit together.
    pub fn new(group: impl Into<String>, scope: Scope, mode: ResetMode) -> Result<Self> {
        let group = group.into();
        if group.is_empty() {
            return Err(Error::usage("the group name is empty"));
        }
        match (&scope, &mode) {
            (Scope::FromMode, ResetMode::File { .. } | ResetMode::Group(_)) => {}
            (Scope::FromMode, _) => {
                return Err(Error::usage(
                    "say which partitions to reset: --topic TOPIC[:PARTITIONS] or --all-topics",
                ))
            }
            (_, ResetMode::File { .. }) => {
                return Err(Error::usage(
                    "--from-file takes its partitions from the file; drop --topic and --all-topics",
                ))
            }
            (Scope::Topics(t), _) if t.is_empty() => {
                return Err(Error::usage("--topic needs a topic name"))
            }
            _ => {}
        }
        if let ResetMode::Group(other) = &mode {
            if other == &group {
                return Err(Error::usage(format!(
                    "--to-group names the group being reset ('{group}'); use --to-current to commit its offsets again"
                )));
            }
        }
        Ok(ResetRequest { group, scope, mode })
    }
}

/// What DescribeGroups said about the group, for the guard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupStatus {
    /// `None` when the group does not exist (yet) on the broker.
    pub state: Option<String>,
    /// Active members as `client_id@host`.
    pub members: Vec<String>,
    /// Why the group's members could not be checked (for example DescribeGroups unsupported).
    pub error: Option<String>,
}

/// The group must have no members, and its state must be one where a commit from outside is
/// allowed: Empty, Dead, or no group at all (like Kafka's tool).
pub fn check_group_idle(group: &str, status: &GroupStatus) -> Result<()> {
    if let Some(e) = &status.error {
        // Say why, unless the error is just "DescribeGroups is not supported" again.
        let why = if e.starts_with("DescribeGroups is not supported") {
            String::new()
        } else {
            format!(" ({})", e)
        };
        return Err(Error::unsupported(
            "DescribeGroups",
            Some(format!(
                "kscope cannot check that group '{}' has no active members, so it does not reset its offsets{why}",
                group,
            )),
        ));
    }
    if !status.members.is_empty() {
        let names = &status.members;
        return Err(Error::GroupActive(format!(
            "group '{}' has {} active member(s): {}; stop them (the group must be Empty) and run the reset again",
            group,
            names.len(),
            names.join(", ")
        )));
    }
    match status.state.as_deref() {
        None | Some("Empty") | Some("Dead") => Ok(()),
        // Some Kafka-protocol brokers do not report group states at all.
        Some("Unknown") => Err(Error::unsupported(
            "DescribeGroups",
            Some(format!(
                "it reports the state of group '{}' as Unknown, so kscope cannot check that it has no active members and does not reset its offsets",
                group
            )),
        )),
        Some(state) => Err(Error::GroupActive(format!(
            "group '{}' is {} (members are joining); wait until it is Empty",
            group,
            state
        ))),
    }
}

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
    pub group_check_error: Option<String>,
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
        super::csv::write(
            self.partitions
                .iter()
                .filter_map(|p| p.target.map(|t| (p.topic.as_str(), p.partition, t))),
        )
    }
}

pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
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
            ResetMode::Group(other) => {
                inputs.other.get(tp).copied().ok_or_else(|| {
                    format!("skipped: group '{}' has no committed offset here", other)
                })
            }
        };
        let requested_offset = requested.as_ref().ok().copied();
        let mut clamped = None;
        let target = match requested {
            Err(why) => {
                if why.starts_with("skipped") {
                    notes.push(why);
                } else {
                    notes.push(format!("skipped: {why}"));
                }
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

/// What happened to one partition when the reset was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartitionStatus {
    /// Read back at the target, which differs from before.
    Changed,
    /// Read back at the target, which is what it was before.
    Unchanged,
    /// Not at the target when read back.
    Failed,
    /// The commit was sent but the offsets could not be read back.
    Unverified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedPartition {
    pub topic: String,
    pub partition: i32,
    /// The committed offset right before the commit.
    pub before: Option<i64>,
    pub target: i64,
    /// The committed offset read back after the commit.
    pub after: Option<i64>,
    pub status: PartitionStatus,
    pub error: Option<String>,
}

/// The outcome of the whole reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplyResult {
    /// Every partition is at its target.
    Applied,
    /// Some partitions are at their target and some are not.
    Partial,
    /// No partition reached its target.
    Failed,
    /// The commit was sent but the result could not be read back.
    Unverified,
}

impl ApplyResult {
    pub fn as_str(&self) -> &'static str {
        match self {
            ApplyResult::Applied => "applied",
            ApplyResult::Partial => "partial",
            ApplyResult::Failed => "failed",
            ApplyResult::Unverified => "unverified",
        }
    }
}

/// What the commit request said for each partition: `Ok(per-partition errors)` or the error of
/// the whole request.
pub type CommitOutcome<'a> = std::result::Result<&'a HashMap<PartitionRef, String>, &'a str>;

/// Compares what was read back with the targets. `readback` is `Err` when the read failed.
pub fn verify(
    commits: &[(String, i32, i64)],
    before: &HashMap<PartitionRef, i64>,
    commit: CommitOutcome<'_>,
    readback: std::result::Result<&HashMap<PartitionRef, i64>, &str>,
) -> (Vec<AppliedPartition>, ApplyResult) {
    let mut out = Vec::with_capacity(commits.len());
    for (topic, partition, target) in commits {
        let tp = PartitionRef::new(topic, *partition);
        let before_v = before.get(&tp).copied();
        let commit_error: Option<String> = match commit {
            Ok(errors) => errors.get(&tp).cloned(),
            Err(e) => Some(e.to_string()),
        };
        let (after, status, error) = match readback {
            Err(e) => (
                None,
                PartitionStatus::Unverified,
                Some(match &commit_error {
                    Some(c) => format!("{c}; read back failed: {e}"),
                    None => format!("read back failed: {e}"),
                }),
            ),
            Ok(read) => {
                let after = read.get(&tp).copied();
                if after == Some(*target) {
                    let status = if before_v == Some(*target) {
                        PartitionStatus::Unchanged
                    } else {
                        PartitionStatus::Changed
                    };
                    (after, status, None)
                } else {
                    let why = match (&commit_error, after == before_v) {
                        (Some(c), _) => c.clone(),
                        (None, true) => "the commit did not take effect".to_string(),
                        (None, false) => format!(
                            "read back {}, expected {target}",
                            after.map_or("no offset".into(), |a| a.to_string())
                        ),
                    };
                    (after, PartitionStatus::Failed, Some(why))
                }
            }
        };
        out.push(AppliedPartition {
            topic: topic.clone(),
            partition: *partition,
            before: before_v,
            target: *target,
            after,
            status,
            error,
        });
    }
    let ok = out
        .iter()
        .filter(|p| {
            matches!(
                p.status,
                PartitionStatus::Changed | PartitionStatus::Unchanged
            )
        })
        .count();
    let unverified = out.iter().any(|p| p.status == PartitionStatus::Unverified);
    let result = if unverified {
        ApplyResult::Unverified
    } else if ok == out.len() {
        ApplyResult::Applied
    } else if ok == 0 {
        ApplyResult::Failed
    } else {
        ApplyResult::Partial
    };
    (out, result)
}

/// Compares the committed offsets now with those the plan was made from. A difference means
/// someone else moved them, so a plan made from the old values must not be applied.
pub fn check_unchanged_since_plan(
    plan: &ResetPlan,
    now: &HashMap<PartitionRef, i64>,
) -> Result<()> {
    let moved: Vec<String> = plan
        .partitions
        .iter()
        .filter(|p| p.target.is_some())
        .filter_map(|p| {
            let n = now.get(&PartitionRef::new(&p.topic, p.partition)).copied();
            (n != p.current).then(|| {
                let show = |o: Option<i64>| o.map_or("none".into(), |o| o.to_string());
                format!(
                    "{}:{} {} -> {}",
                    &p.topic,
                    p.partition,
                    show(p.current),
                    show(n)
                )
            })
        })
        .collect();
    if moved.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = moved.iter().take(5).map(String::as_str).collect();
    Err(Error::kafka(format!(
        "the committed offsets of group '{}' changed since the plan was made ({}{}); nothing was changed: plan again",
        &plan.group,
        shown.join(", "),
        if moved.len() > 5 {
            format!(" and {} more", moved.len() - 5)
        } else {
            String::new()
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn tp(t: &str, p: i32) -> PartitionRef {
        PartitionRef::new(t, p)
    }

    fn req(mode: ResetMode) -> ResetRequest {
        ResetRequest::new("g", Scope::Topics(vec![TopicSpec::whole("t")]), mode).unwrap()
    }

    /// Topic t: three partitions with the log at [10, 100]; committed: p0 at 50, p1 none,
    /// p2 at 100.
    fn inputs() -> PlanInputs {
        let parts = vec![tp("t", 0), tp("t", 1), tp("t", 2)];
        PlanInputs {
            scope: ResolvedScope {
                partitions: parts.clone(),
                gone: vec![],
            },
            committed: [(tp("t", 0), 50), (tp("t", 2), 100)].into_iter().collect(),
            watermarks: parts
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        Watermarks {
                            low: Some(10),
                            high: Some(100),
                        },
                    )
                })
                .collect(),
            ..PlanInputs::default()
        }
    }

    fn targets(plan: &ResetPlan) -> Vec<Option<i64>> {
        plan.partitions.iter().map(|p| p.target).collect()
    }

    #[test]
    fn earliest_and_latest() {
        let plan = build_plan(&req(ResetMode::Earliest), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(10), Some(10), Some(10)]);
        assert_eq!(plan.partitions[0].delta, Some(-40));
        assert_eq!(plan.partitions[1].delta, None);
        assert_eq!(plan.partitions[1].current, None);
        assert_eq!(
            plan.partitions[1].note.as_deref(),
            Some("no committed offset")
        );
        assert_eq!(plan.partitions[2].delta, Some(-90));
        assert_eq!(plan.totals.replay_records, 130);
        assert_eq!(plan.totals.skip_records, 0);
        assert_eq!(plan.totals.net_delta, -130);
        assert_eq!(plan.totals.to_commit, 3);
        assert_eq!(plan.totals.changing, 3);
        assert_eq!(plan.totals.without_commit, 1);
        assert_eq!(plan.mode, "to-earliest");
        assert_eq!(plan.planned_at, "2024-01-02T03:04:05.000Z");

        let plan = build_plan(&req(ResetMode::Latest), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(100); 3]);
        assert_eq!(plan.partitions[0].delta, Some(50));
        assert_eq!(plan.partitions[2].delta, Some(0));
        assert_eq!(plan.totals.skip_records, 50);
        assert_eq!(plan.totals.unchanged, 1);
        assert_eq!(plan.totals.changing, 2);
    }

    #[test]
    fn current_and_shift_skip_partitions_without_a_commit() {
        let plan = build_plan(&req(ResetMode::Current), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(50), None, Some(100)]);
        assert!(plan.partitions[1]
            .note
            .as_deref()
            .unwrap()
            .contains("skipped: there is no committed offset to keep"));
        assert_eq!(plan.totals.skipped, 1);
        assert_eq!(plan.totals.unchanged, 2);

        let plan = build_plan(&req(ResetMode::ShiftBy(-20)), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(30), None, Some(80)]);
        assert_eq!(plan.mode, "shift-by -20");
        assert!(plan.partitions[1]
            .note
            .as_deref()
            .unwrap()
            .contains("no committed offset to shift"));
        assert_eq!(plan.totals.replay_records, 40);
        assert_eq!(plan.commits().len(), 2);
    }

    #[test]
    fn clamping_at_both_ends_says_so() {
        let plan = build_plan(&req(ResetMode::ShiftBy(-45)), &inputs(), now());
        let p0 = &plan.partitions[0];
        assert_eq!((p0.requested, p0.target), (Some(5), Some(10)));
        assert_eq!(
            p0.clamped.as_deref(),
            Some("5 is before the log start 10: clamped to 10")
        );
        let plan = build_plan(&req(ResetMode::ShiftBy(70)), &inputs(), now());
        let p0 = &plan.partitions[0];
        assert_eq!((p0.requested, p0.target), (Some(120), Some(100)));
        assert_eq!(
            p0.clamped.as_deref(),
            Some("120 is past the log end 100: clamped to 100")
        );
        assert_eq!(plan.totals.clamped, 2);

        let plan = build_plan(&req(ResetMode::Offset(1000)), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(100); 3]);
        assert_eq!(plan.totals.clamped, 3);
        let plan = build_plan(&req(ResetMode::Offset(0)), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(10); 3]);
        let plan = build_plan(&req(ResetMode::Offset(42)), &inputs(), now());
        assert_eq!(targets(&plan), vec![Some(42); 3]);
        assert_eq!(plan.totals.clamped, 0);
        assert!(plan.partitions.iter().all(|p| p.clamped.is_none()));
    }

    #[test]
    fn times_fall_back_to_the_log_end() {
        let mut i = inputs();
        i.times = [(tp("t", 0), 20), (tp("t", 1), -1)].into_iter().collect();
        let plan = build_plan(&req(ResetMode::Datetime(1_704_164_645_000)), &i, now());
        assert_eq!(targets(&plan), vec![Some(20), Some(100), None]);
        assert_eq!(plan.timestamp, Some(1_704_164_645_000));
        assert_eq!(plan.mode, "to-datetime 2024-01-02T03:04:05.000Z");
        assert!(plan.partitions[1]
            .note
            .as_deref()
            .unwrap()
            .contains("no record at or after the time: the log end"));
        assert!(plan.partitions[2]
            .note
            .as_deref()
            .unwrap()
            .contains("skipped: the broker gave no offset for the time"));

        let plan = build_plan(
            &req(ResetMode::Duration(Duration::from_secs(900))),
            &i,
            now(),
        );
        assert_eq!(plan.timestamp, Some(1_704_164_645_000 - 900_000));
        assert_eq!(
            plan.mode,
            "by-duration 15m (since 2024-01-02T02:49:05.000Z)"
        );
        assert_eq!(targets(&plan), vec![Some(20), Some(100), None]);
    }

    #[test]
    fn file_and_other_group() {
        let rows = vec![
            CsvRow {
                topic: "t".into(),
                partition: 0,
                offset: 60,
                line: 1,
            },
            CsvRow {
                topic: "t".into(),
                partition: 2,
                offset: 5,
                line: 2,
            },
        ];
        let mode = ResetMode::File {
            source: "plan.csv".into(),
            rows,
        };
        let r = ResetRequest::new("g", Scope::FromMode, mode).unwrap();
        let mut i = inputs();
        i.scope.partitions = vec![tp("t", 0), tp("t", 2)];
        let plan = build_plan(&r, &i, now());
        assert_eq!(targets(&plan), vec![Some(60), Some(10)]);
        assert!(plan.partitions[1].clamped.is_some());
        assert_eq!(plan.to_csv(), "t,0,60\nt,2,10\n");

        let r = ResetRequest::new(
            "g",
            Scope::Topics(vec![TopicSpec::whole("t")]),
            ResetMode::Group("h".into()),
        )
        .unwrap();
        let mut i = inputs();
        i.other = [(tp("t", 0), 70), (tp("t", 1), 11)].into_iter().collect();
        let plan = build_plan(&r, &i, now());
        assert_eq!(targets(&plan), vec![Some(70), Some(11), None]);
        assert!(plan.partitions[2]
            .note
            .as_deref()
            .unwrap()
            .contains("group 'h' has no committed offset here"));
    }

    #[test]
    fn unknown_watermarks_skip_rather_than_guess() {
        let mut i = inputs();
        i.watermarks.remove(&tp("t", 1));
        let plan = build_plan(&req(ResetMode::Offset(42)), &i, now());
        assert_eq!(targets(&plan), vec![Some(42), None, Some(42)]);
        let plan = build_plan(&req(ResetMode::Earliest), &i, now());
        assert!(plan.partitions[1]
            .note
            .as_deref()
            .unwrap()
            .contains("log start offset is unknown"));
    }

    #[test]
    fn requests_are_checked() {
        let file = ResetMode::File {
            source: "f".into(),
            rows: vec![],
        };
        assert!(ResetRequest::new("g", Scope::AllTopics, file.clone()).is_err());
        assert!(ResetRequest::new("g", Scope::FromMode, file).is_ok());
        assert!(ResetRequest::new("g", Scope::FromMode, ResetMode::Earliest).is_err());
        assert!(ResetRequest::new("g", Scope::FromMode, ResetMode::Group("h".into())).is_ok());
        assert!(ResetRequest::new("g", Scope::AllTopics, ResetMode::Group("g".into())).is_err());
        assert!(ResetRequest::new("", Scope::AllTopics, ResetMode::Earliest).is_err());
    }

    #[test]
    fn scope_resolution() {
        let known: TopicPartitionsKnown = [
            ("t".to_string(), Some(vec![0, 1, 2])),
            ("gone".to_string(), None),
        ]
        .into_iter()
        .collect();
        let none = HashMap::new();
        let r = ResetRequest::new(
            "g",
            Scope::Topics(vec![
                TopicSpec {
                    topic: "t".into(),
                    partitions: Some(vec![2, 0]),
                },
                TopicSpec {
                    topic: "t".into(),
                    partitions: Some(vec![0]),
                },
            ]),
            ResetMode::Earliest,
        )
        .unwrap();
        let s = resolve_scope(&r, &known, &none, &none).unwrap();
        assert_eq!(s.partitions, vec![tp("t", 0), tp("t", 2)]);

        let r = ResetRequest::new(
            "g",
            Scope::Topics(vec![TopicSpec {
                topic: "t".into(),
                partitions: Some(vec![5]),
            }]),
            ResetMode::Earliest,
        )
        .unwrap();
        let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::NOT_FOUND);
        assert!(e.to_string().contains("unknown partition t:5"), "{e}");

        let r = ResetRequest::new(
            "g",
            Scope::Topics(vec![TopicSpec::whole("gone")]),
            ResetMode::Earliest,
        )
        .unwrap();
        let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
        assert_eq!(e.to_string(), "unknown topic 'gone'");

        // --all-topics: the group's own offsets; a deleted topic is shown, not reset.
        let committed: HashMap<PartitionRef, i64> =
            [(tp("t", 1), 5), (tp("gone", 0), 3)].into_iter().collect();
        let r = ResetRequest::new("g", Scope::AllTopics, ResetMode::Earliest).unwrap();
        let s = resolve_scope(&r, &known, &committed, &none).unwrap();
        assert_eq!(s.partitions, vec![tp("t", 1)]);
        assert_eq!(s.gone, vec![tp("gone", 0)]);
        let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
        assert!(e.to_string().contains("no committed offsets"), "{e}");

        // A file naming a partition that does not exist: refused with its line.
        let r = ResetRequest::new(
            "g",
            Scope::FromMode,
            ResetMode::File {
                source: "p.csv".into(),
                rows: vec![CsvRow {
                    topic: "t".into(),
                    partition: 7,
                    offset: 1,
                    line: 3,
                }],
            },
        )
        .unwrap();
        let e = resolve_scope(&r, &known, &none, &none).unwrap_err();
        assert!(e.to_string().contains("t:7 (on line 3 of p.csv)"), "{e}");
    }

    #[test]
    fn gone_partitions_are_shown_and_skipped() {
        let mut i = inputs();
        i.scope.gone = vec![tp("old", 0)];
        i.committed.insert(tp("old", 0), 9);
        let plan = build_plan(&req(ResetMode::Earliest), &i, now());
        assert_eq!(plan.partitions[0].topic, "old");
        assert_eq!(plan.partitions[0].target, None);
        assert_eq!(plan.partitions[0].current, Some(9));
        assert_eq!(plan.totals.skipped, 1);
    }

    #[test]
    fn the_group_guard() {
        assert!(check_group_idle("g", &GroupStatus::default()).is_ok());
        for state in ["Empty", "Dead"] {
            let s = GroupStatus {
                state: Some(state.into()),
                ..GroupStatus::default()
            };
            assert!(check_group_idle("g", &s).is_ok());
        }
        let s = GroupStatus {
            state: Some("Stable".into()),
            members: vec!["app-1@/10.0.0.1".into(), "app-2@/10.0.0.2".into()],
            error: None,
        };
        let e = check_group_idle("g", &s).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::GROUP_ACTIVE);
        assert!(
            e.to_string()
                .contains("2 active member(s): app-1@/10.0.0.1, app-2@/10.0.0.2"),
            "{e}"
        );
        let s = GroupStatus {
            state: Some("PreparingRebalance".into()),
            ..GroupStatus::default()
        };
        assert_eq!(
            check_group_idle("g", &s).unwrap_err().exit_code(),
            crate::error::exit::GROUP_ACTIVE
        );
        let s = GroupStatus {
            state: Some("Unknown".into()),
            ..GroupStatus::default()
        };
        assert_eq!(
            check_group_idle("g", &s).unwrap_err().exit_code(),
            crate::error::exit::UNSUPPORTED
        );
        let s = GroupStatus {
            error: Some("DescribeGroups is not supported by this broker".into()),
            ..GroupStatus::default()
        };
        let e = check_group_idle("g", &s).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::UNSUPPORTED);
        assert!(
            e.to_string().starts_with("DescribeGroups is not supported"),
            "{e}"
        );
        // Client-chosen names stay exact in the error (JSON and the audit log carry them);
        // the one writer to stderr escapes them (cli::output::report).
        let s = GroupStatus {
            state: Some("Stable".into()),
            members: vec!["evil\x1b[2J@h".into()],
            error: None,
        };
        let e = check_group_idle("g", &s).unwrap_err().to_string();
        assert!(e.contains("evil\x1b[2J@h"), "{e}");
        assert!(crate::record::sanitize::escape_line(&e).contains("evil\\x1b[2J@h"));
    }

    #[test]
    fn verification_reports_each_partition() {
        let commits = vec![
            ("t".to_string(), 0, 10),
            ("t".to_string(), 1, 10),
            ("t".to_string(), 2, 10),
        ];
        let before: HashMap<PartitionRef, i64> =
            [(tp("t", 0), 50), (tp("t", 2), 10)].into_iter().collect();
        let no_errors = HashMap::new();

        let read: HashMap<PartitionRef, i64> =
            [(tp("t", 0), 10), (tp("t", 1), 10), (tp("t", 2), 10)]
                .into_iter()
                .collect();
        let (parts, result) = verify(&commits, &before, Ok(&no_errors), Ok(&read));
        assert_eq!(result, ApplyResult::Applied);
        let statuses: Vec<PartitionStatus> = parts.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            vec![
                PartitionStatus::Changed,
                PartitionStatus::Changed,
                PartitionStatus::Unchanged
            ]
        );
        assert_eq!(parts[1].before, None);

        // One partition refused by the broker: partial, with its error.
        let errors: HashMap<PartitionRef, String> =
            [(tp("t", 1), "Broker: Unknown member".to_string())]
                .into_iter()
                .collect();
        let read: HashMap<PartitionRef, i64> =
            [(tp("t", 0), 10), (tp("t", 2), 10)].into_iter().collect();
        let (parts, result) = verify(&commits, &before, Ok(&errors), Ok(&read));
        assert_eq!(result, ApplyResult::Partial);
        assert_eq!(parts[1].status, PartitionStatus::Failed);
        assert_eq!(parts[1].error.as_deref(), Some("Broker: Unknown member"));

        // The whole request failed and nothing moved.
        let (parts, result) = verify(&commits[..1], &before, Err("timed out"), Ok(&before));
        assert_eq!(result, ApplyResult::Failed);
        assert_eq!(parts[0].error.as_deref(), Some("timed out"));

        // Read back shows something else: failed, saying what it saw.
        let read: HashMap<PartitionRef, i64> = [(tp("t", 0), 33)].into_iter().collect();
        let (parts, _) = verify(&commits[..1], &before, Ok(&no_errors), Ok(&read));
        assert_eq!(parts[0].error.as_deref(), Some("read back 33, expected 10"));

        // The read back failed: nothing can be claimed.
        let (parts, result) = verify(&commits, &before, Ok(&no_errors), Err("timeout"));
        assert_eq!(result, ApplyResult::Unverified);
        assert!(parts
            .iter()
            .all(|p| p.status == PartitionStatus::Unverified));
    }

    #[test]
    fn confirmation_needs_the_exact_group_name() {
        let plan = build_plan(&req(ResetMode::Earliest), &inputs(), now());
        assert!(plan.confirmed_by("g"));
        assert!(plan.confirmed_by(" g\n"));
        assert!(!plan.confirmed_by("G"));
        assert!(!plan.confirmed_by(""));
        assert!(!plan.confirmed_by("yes"));
    }

    #[test]
    fn a_plan_is_stale_when_offsets_moved() {
        let plan = build_plan(&req(ResetMode::Earliest), &inputs(), now());
        let same: HashMap<PartitionRef, i64> =
            [(tp("t", 0), 50), (tp("t", 2), 100)].into_iter().collect();
        assert!(check_unchanged_since_plan(&plan, &same).is_ok());
        let moved: HashMap<PartitionRef, i64> =
            [(tp("t", 0), 51), (tp("t", 2), 100)].into_iter().collect();
        let e = check_unchanged_since_plan(&plan, &moved).unwrap_err();
        assert!(e.to_string().contains("t:0 50 -> 51"), "{e}");
    }
}
