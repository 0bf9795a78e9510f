//! The checks before a commit: the group must be idle, and its offsets where the plan found them.

use std::collections::HashMap;

use serde::Serialize;

use super::plan::ResetPlan;
use crate::error::{Error, Result};
use crate::model::{ErrorKind, Failure, PartitionRef};

/// What DescribeGroups said about the group, for the guard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupStatus {
    /// `None` when the group does not exist (yet) on the broker.
    pub state: Option<String>,
    /// Active members as `client_id@host`.
    pub members: Vec<String>,
    /// Why the group's members could not be checked (for example DescribeGroups unsupported).
    pub error: Option<Failure>,
}

/// The group must have no members, and its state must be one where a commit from outside is
/// allowed: Empty, Dead, or no group at all (like Kafka's tool).
pub fn check_group_idle(group: &str, status: &GroupStatus) -> Result<()> {
    if let Some(e) = &status.error {
        // Say why, unless the error is just that DescribeGroups is not supported, again.
        let why = if e.kind == ErrorKind::Unsupported {
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
