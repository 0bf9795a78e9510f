//! The broker side of a reset: `plan` reads what the pure engine needs in a few batched
//! requests; `apply` guards, writes the undo file, commits every partition in one request, reads
//! them all back in one request, verifies and appends to the audit log. Neither prints: the CLI
//! and the console render the returned data.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::audit::{append_audit, append_intent, new_audit_id, Intent};
use super::engine::{
    build_plan, check_group_idle, check_unchanged_since_plan, resolve_scope, topics_needed, verify,
    ApplyReport, ApplyResult, GroupStatus, PartitionStatus, PlanInputs, ResetMode, ResetPlan,
    ResetRequest, Scope, SkippedPartition, TopicPartitionsKnown,
};
use super::undo::{delete_offsets_hint, undo_command, write_undo};
use crate::config;
use crate::error::{Error, ErrorKind, Result};
use crate::kafka::{KafkaClient, OffsetSpec};
use crate::model::{PartitionOffsets, PartitionRef};

/// Runs a read again while the group coordinator is unavailable (starting, moving, away), for
/// what is left of the client's budget. The client already asks again inside one call; this
/// covers a coordinator that stays away for longer than one call's wait.
async fn read_retrying<T, F, Fut>(client: &KafkaClient, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let deadline = client.call_deadline();
    let mut pause = std::time::Duration::from_millis(100);
    loop {
        match f().await {
            Err(e)
                if e.kind() == ErrorKind::Unavailable
                    && std::time::Instant::now() + pause < deadline =>
            {
                tracing::info!("group coordinator busy, asking again: {e}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(1));
            }
            r => return r,
        }
    }
}

/// The group's committed offsets (`None`: every partition it has), asked again while the
/// coordinator is busy; partitions the coordinator gave an error for are missing.
async fn committed(
    client: &KafkaClient,
    group: &str,
    parts: Option<&[PartitionRef]>,
) -> Result<PartitionOffsets<i64>> {
    read_retrying(client, || {
        client.committed_offsets(group, parts.map(|p| p.to_vec()))
    })
    .await
}

/// Plans a reset: reads the scope's partitions, the group's committed offsets, the watermarks,
/// and what the mode needs (offsets for a time, the other group's offsets), then lets the engine
/// decide. Changes nothing.
pub async fn plan(
    client: &KafkaClient,
    req: &ResetRequest,
    now: DateTime<Utc>,
) -> Result<ResetPlan> {
    req.mode.check_time(now)?;
    // Offsets that define the scope itself.
    let all_committed = if req.scope == Scope::AllTopics {
        committed(client, &req.group, None).await?
    } else {
        PartitionOffsets::default()
    };
    let other_all = match (&req.scope, &req.mode) {
        (Scope::FromMode, ResetMode::Group(other)) => committed(client, other, None).await?,
        _ => PartitionOffsets::default(),
    };
    // Partitions a broker could not answer for, with the reason (their leader or the group's
    // coordinator named).
    let mut unavailable: HashMap<PartitionRef, String> = HashMap::new();
    for (tp, m) in all_committed.missing.iter().chain(other_all.missing.iter()) {
        unavailable
            .entry(tp.clone())
            .or_insert_with(|| m.message.clone());
    }
    let (all_committed, other_all) = (all_committed.values, other_all.values);
    let topics = topics_needed(req, &all_committed, &other_all);
    let known = known_partitions(client, topics.into_iter().collect()).await?;
    let scope = match resolve_scope(req, &known, &all_committed, &other_all) {
        Ok(s) => s,
        // No committed offsets can also mean a broker that cannot say (the librdkafka mock
        // answers an OffsetFetch for all of a group's partitions with none): one that cannot
        // describe the group either says so (exit 5), as `--execute` with named topics does.
        Err(Error::NotFound(why)) if all_committed.is_empty() && other_all.is_empty() => {
            let status = group_status(client, &req.group).await?;
            if status.error.is_some() {
                return Err(Error::unsupported(
                    "DescribeGroups",
                    Some(format!(
                        "kscope cannot check group '{}', and the broker lists no committed                          offsets for it, so --all-topics names nothing; name the topics with                          --topic (a dry run shows the plan; --execute is refused on this broker)",
                        req.group
                    )),
                ));
            }
            return Err(Error::NotFound(why));
        }
        Err(e) => return Err(e),
    };
    let parts = scope.partitions.clone();

    let timestamp = req.mode.timestamp_ms(now);
    let empty = parts.is_empty();
    let committed_now = async {
        if empty {
            Ok(PartitionOffsets::default())
        } else if req.scope == Scope::AllTopics {
            Ok(PartitionOffsets {
                values: all_committed.clone(),
                missing: Default::default(),
            })
        } else {
            committed(client, &req.group, Some(&parts)).await
        }
    };
    let watermarks = async {
        if empty {
            Ok(PartitionOffsets::default())
        } else {
            client.watermarks(parts.clone()).await
        }
    };
    let times = async {
        match timestamp {
            Some(ms) if !empty => {
                client
                    .list_offsets(parts.clone(), OffsetSpec::Timestamp(ms))
                    .await
            }
            _ => Ok(PartitionOffsets::default()),
        }
    };
    let other = async {
        match &req.mode {
            ResetMode::Group(_) if req.scope == Scope::FromMode => Ok(PartitionOffsets {
                values: other_all.clone(),
                missing: Default::default(),
            }),
            ResetMode::Group(other) if !empty => committed(client, other, Some(&parts)).await,
            _ => Ok(PartitionOffsets::default()),
        }
    };
    let (committed_now, watermarks, times, other, group) = tokio::join!(
        committed_now,
        watermarks,
        times,
        other,
        group_status(client, &req.group)
    );
    let (committed_now, watermarks, times, other) = (committed_now?, watermarks?, times?, other?);
    for m in [&committed_now, &other, &times]
        .into_iter()
        .flat_map(|o| o.missing.iter())
        .chain(watermarks.missing.iter())
    {
        unavailable
            .entry(m.0.clone())
            .or_insert_with(|| m.1.message.clone());
    }
    let inputs = PlanInputs {
        scope,
        committed: committed_now.values,
        watermarks: watermarks.values,
        times: times.values,
        other: other.values,
        group: group?,
        unavailable,
    };
    Ok(build_plan(req, &inputs, now))
}

/// The partitions of each topic, asked concurrently; `None` for a topic that does not exist.
async fn known_partitions(
    client: &KafkaClient,
    topics: Vec<String>,
) -> Result<TopicPartitionsKnown> {
    let lookups = topics.iter().map(|t| client.partitions(t));
    let results = futures::future::join_all(lookups).await;
    let mut known = BTreeMap::new();
    for (topic, r) in topics.into_iter().zip(results) {
        match r {
            Ok(ps) => {
                known.insert(topic, Some(ps));
            }
            Err(Error::NotFound(_)) => {
                known.insert(topic, None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(known)
}

/// The group's state and members. A group that does not exist has neither.
pub async fn group_status(client: &KafkaClient, group: &str) -> Result<GroupStatus> {
    match read_retrying(client, || client.group(group, None)).await {
        Ok(d) => Ok(GroupStatus {
            state: d.describe_error.is_none().then_some(d.state),
            members: d
                .members
                .iter()
                .map(|m| format!("{}@{}", m.client_id, m.host))
                .collect(),
            error: d.describe_error,
        }),
        Err(Error::NotFound(_)) => Ok(GroupStatus::default()),
        Err(e) => Err(e),
    }
}

/// Who ran a reset, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user: String,
    pub host: String,
}

impl Actor {
    /// `$USER` (or `$LOGNAME`, or `id -un`) and the host name.
    pub fn current() -> Actor {
        let user = ["USER", "LOGNAME"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .map(|v| v.trim().to_string())
            .find(|v| !v.is_empty())
            .or_else(|| command_output("id", &["-un"]))
            .unwrap_or_else(|| "unknown".into());
        let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|v| v.trim().to_string())
            .find(|v| !v.is_empty())
            .or_else(|| command_output("hostname", &[]))
            .unwrap_or_else(|| "unknown".into());
        Actor { user, host }
    }
}

fn command_output(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// Where `apply` writes, who it says ran it, and when.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Undo files go to `data_dir/undo/`, the audit log is `data_dir/audit.jsonl`.
    pub data_dir: PathBuf,
    pub actor: Actor,
    pub now: DateTime<Utc>,
}

impl ApplyOptions {
    /// kscope's data dir (`KSCOPE_DATA_DIR` or the platform's) and the current user and host.
    pub fn current(now: DateTime<Utc>) -> Result<ApplyOptions> {
        Ok(ApplyOptions {
            data_dir: config::data_dir()?,
            actor: Actor::current(),
            now,
        })
    }
}

/// Applies a plan. Refuses (changing nothing) in a read-only context, when the group has active
/// members or cannot be checked, when nothing is to be committed, when the committed offsets
/// moved since the plan, or when the undo file cannot be written. Otherwise commits and returns
/// the report, whatever the outcome; `report.result` says whether all, some or none applied.
pub async fn apply(
    client: &KafkaClient,
    plan: &ResetPlan,
    opts: &ApplyOptions,
) -> Result<ApplyReport> {
    let settings = client.settings().clone();
    let writer = client.writer(&format!("reset offsets of group '{}'", plan.group))?;
    let commits = plan.commits();
    if commits.is_empty() {
        return Err(Error::usage(
            "nothing to commit: every partition of the plan was skipped (see the notes)",
        ));
    }
    let parts: Vec<PartitionRef> = commits
        .iter()
        .map(|(t, p, _)| PartitionRef::new(t, *p))
        .collect();

    // Right before committing: the group must still be idle, and its offsets where the plan
    // found them.
    let status = group_status(client, &plan.group).await?;
    check_group_idle(&plan.group, &status)?;
    let before = committed(client, &plan.group, Some(&parts)).await?;
    if let Some(m) = before.missing.values().next() {
        return Err(Error::Unavailable(format!(
            "cannot check the committed offsets right before the commit, so nothing was changed: {}",
            m.message
        )));
    }
    let before = before.values;
    check_unchanged_since_plan(plan, &before)?;

    let undo_rows: Vec<(&str, i32, i64)> = commits
        .iter()
        .filter_map(|(t, p, _)| {
            before
                .get(&PartitionRef::new(t, *p))
                .map(|b| (t.as_str(), *p, *b))
        })
        .collect();
    let undo_file = if undo_rows.is_empty() {
        None
    } else {
        Some(
            write_undo(opts, &plan.group, "", &undo_rows)
                .map_err(|e| Error::Io(format!("{e}; nothing was changed")))?,
        )
    };

    // The intent goes to the audit log before anything is sent, so a crash or a kill between
    // here and the outcome line still leaves a trace of what was about to happen. If it cannot
    // be written, nothing is changed.
    let audit_path = opts.data_dir.join("audit.jsonl");
    let audit_id = new_audit_id();
    let intent = Intent {
        id: &audit_id,
        settings: &settings,
        opts,
        plan,
        commits: &commits,
        before: &before,
        undo_file: undo_file.as_deref(),
    };
    if let Err(e) = append_intent(&audit_path, &intent) {
        if let Some(f) = &undo_file {
            let _ = std::fs::remove_file(f);
        }
        return Err(Error::Io(format!("{e}; nothing was changed")));
    }

    let commit = writer
        .alter_group_offsets(&plan.group, commits.clone())
        .await;
    let (commit_errors, commit_error): (HashMap<PartitionRef, String>, Option<String>) =
        match &commit {
            Ok(results) => (
                results
                    .iter()
                    .filter_map(|r| {
                        r.error.as_ref().map(|(code, desc)| {
                            let msg = if desc.is_empty() {
                                code.to_string()
                            } else {
                                desc.clone()
                            };
                            (PartitionRef::new(&r.topic, r.partition), msg)
                        })
                    })
                    .collect(),
                None,
            ),
            Err(e) => (HashMap::new(), Some(e.to_string())),
        };
    let readback = committed(client, &plan.group, Some(&parts))
        .await
        .map(|r| r.values);
    let verify_error = readback.as_ref().err().map(|e| e.to_string());
    let (partitions, result) = verify(
        &commits,
        &before,
        match &commit_error {
            Some(e) => Err(e.as_str()),
            None => Ok(&commit_errors),
        },
        match &readback {
            Ok(r) => Ok(r),
            Err(_) => Err(verify_error.as_deref().unwrap_or("unknown error")),
        },
    );
    // Partitions the plan had to skip because a broker could not answer for them were not
    // reset either: the reset as asked for is partial, not applied.
    let skipped: Vec<SkippedPartition> = plan
        .partitions
        .iter()
        .filter(|p| p.unavailable)
        .map(|p| SkippedPartition {
            topic: p.topic.clone(),
            partition: p.partition,
            reason: p.note.clone().unwrap_or_default(),
        })
        .collect();
    let result = match result {
        ApplyResult::Applied if !skipped.is_empty() => ApplyResult::Partial,
        r => r,
    };

    // What an undo must put back: everything, or after a partial reset only what was applied.
    let (undo_file, undo_command) = match (result, &undo_file) {
        (ApplyResult::Failed, _) | (_, None) => (undo_file, None),
        (ApplyResult::Partial, Some(full)) => {
            let applied: Vec<(&str, i32, i64)> = partitions
                .iter()
                .filter(|p| p.status == PartitionStatus::Changed)
                .filter_map(|p| p.before.map(|b| (p.topic.as_str(), p.partition, b)))
                .collect();
            if applied.is_empty() {
                (Some(full.clone()), None)
            } else {
                match write_undo(opts, &plan.group, ".applied", &applied) {
                    Ok(path) => {
                        let cmd = undo_command(&settings, &plan.group, &path);
                        (Some(full.clone()), Some(cmd))
                    }
                    // The full file also restores the partitions that failed (to where they
                    // still are), so it is a safe fallback.
                    Err(_) => (
                        Some(full.clone()),
                        Some(undo_command(&settings, &plan.group, full)),
                    ),
                }
            }
        }
        (_, Some(full)) => (
            Some(full.clone()),
            Some(undo_command(&settings, &plan.group, full)),
        ),
    };

    let not_restorable: Vec<PartitionRef> = partitions
        .iter()
        .filter(|p| p.before.is_none() && p.status != PartitionStatus::Failed)
        .map(|p| PartitionRef {
            topic: p.topic.clone(),
            partition: p.partition,
        })
        .collect();
    let not_restorable_hint = (!not_restorable.is_empty())
        .then(|| delete_offsets_hint(&settings, &plan.group, &not_restorable));

    let count = |s: PartitionStatus| partitions.iter().filter(|p| p.status == s).count();
    let mut report = ApplyReport {
        group: plan.group.clone(),
        mode: plan.mode.clone(),
        applied_at: opts.now.to_rfc3339_opts(SecondsFormat::Millis, true),
        result,
        changed: count(PartitionStatus::Changed),
        unchanged: count(PartitionStatus::Unchanged),
        failed: count(PartitionStatus::Failed),
        unverified: count(PartitionStatus::Unverified),
        partitions,
        undo_file: undo_file.map(|p| p.display().to_string()),
        undo_command,
        not_restorable,
        not_restorable_hint,
        skipped,
        commit_error,
        verify_error,
        audit_file: None,
        audit_error: None,
    };
    match append_audit(&audit_path, &audit_id, &settings, opts, &report) {
        Ok(()) => report.audit_file = Some(audit_path.display().to_string()),
        Err(e) => report.audit_error = Some(e),
    }
    Ok(report)
}
