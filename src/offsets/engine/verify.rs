//! After a commit: what was read back against the targets, partition by partition, and the
//! report of the whole reset.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::PartitionRef;

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

/// A partition a reset left out because a broker could not answer for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedPartition {
    pub topic: String,
    pub partition: i32,
    pub reason: String,
}

/// What `apply` did: plain data for the CLI, the console and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub group: String,
    pub mode: String,
    pub applied_at: String,
    pub result: ApplyResult,
    pub changed: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub unverified: usize,
    pub partitions: Vec<AppliedPartition>,
    /// The committed offsets from right before the commit, as a plan file.
    pub undo_file: Option<String>,
    /// The command that puts back what this reset changed (after a partial reset: only the
    /// partitions that were applied).
    pub undo_command: Option<String>,
    /// Partitions that had no committed offset before: a commit cannot take an offset away.
    pub not_restorable: Vec<PartitionRef>,
    /// How to remove the offsets of `not_restorable` partitions, if that is wanted.
    pub not_restorable_hint: Option<String>,
    /// Partitions of the plan that were not reset because a broker could not answer for them
    /// when planning (their leader or the coordinator was away); they make the result partial.
    pub skipped: Vec<SkippedPartition>,
    /// The error of the commit request as a whole, if it failed.
    pub commit_error: Option<String>,
    /// The error of reading the offsets back, if it failed.
    pub verify_error: Option<String>,
    pub audit_file: Option<String>,
    /// The audit entry could not be written (the reset itself is done).
    pub audit_error: Option<String>,
}
