//! The broker side of a reset: `plan` reads what the pure engine needs in a few batched
//! requests; `apply` guards, writes the undo file, commits every partition in one request, reads
//! them all back in one request, verifies and appends to the audit log. Neither prints: the CLI
//! and the console render the returned data.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::engine::{
    build_plan, check_group_idle, check_unchanged_since_plan, resolve_scope, topics_needed, verify,
    AppliedPartition, ApplyResult, GroupStatus, PartitionStatus, PlanInputs, ResetMode, ResetPlan,
    ResetRequest, Scope, TopicPartitionsKnown,
};
use crate::config::{self, ConnectionSettings};
use crate::error::{Error, ErrorKind, Result};
use crate::kafka::{KafkaClient, OffsetSpec};
use crate::model::{PartitionOffsets, PartitionRef};
use crate::private_file;

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
    let scope = resolve_scope(req, &known, &all_committed, &other_all)?;
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
    let intent = AuditIntent {
        id: &audit_id,
        phase: "intent",
        time: &opts.now.to_rfc3339_opts(SecondsFormat::Millis, true),
        user: &opts.actor.user,
        host: &opts.actor.host,
        context: audit_context(&settings),
        bootstrap: &settings.bootstrap,
        group: &plan.group,
        mode: &plan.mode,
        undo_file: undo_file.as_deref().and_then(Path::to_str),
        partitions: commits
            .iter()
            .map(|(t, p, target)| AuditTarget {
                topic: t,
                partition: *p,
                before: before.get(&PartitionRef::new(t, *p)).copied(),
                target: *target,
            })
            .collect(),
    };
    if let Err(e) = append_audit_line(&audit_path, &intent) {
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

/// A group name as a file name: letters, digits, `.`, `_` and `-` kept, the rest `_`.
pub fn file_safe(group: &str) -> String {
    let mut s: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

/// Writes `<data_dir>/undo/<group>-<UTC time><suffix>.csv`, never over an existing file, and
/// flushes it to disk before returning.
fn write_undo(
    opts: &ApplyOptions,
    group: &str,
    suffix: &str,
    rows: &[(&str, i32, i64)],
) -> std::result::Result<PathBuf, String> {
    let dir = opts.data_dir.join("undo");
    private_file::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the undo directory {}: {e}", dir.display()))?;
    let stamp = opts.now.format("%Y%m%dT%H%M%S%.3fZ");
    let base = format!("{}-{stamp}{suffix}", file_safe(group));
    let text = super::csv::write(rows.iter().copied());
    for n in 1..100 {
        let name = if n == 1 {
            format!("{base}.csv")
        } else {
            format!("{base}-{n}.csv")
        };
        let path = dir.join(name);
        // Never over an existing file, and never through a link planted at the name.
        match private_file::create_new(&path, "undo file") {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| format!("cannot write the undo file {}: {e}", path.display()))?;
                return Ok(path);
            }
            Err(private_file::OpenError::Exists(_)) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "cannot find a free undo file name in {}",
        dir.display()
    ))
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:@,+=-".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn connection_args(settings: &ConnectionSettings) -> String {
    match &settings.context {
        Some(c) => format!("--context {}", shell_quote(c)),
        None => format!("-b {}", shell_quote(&settings.bootstrap)),
    }
}

/// `kscope ... offsets reset GROUP --from-file FILE --execute`
pub fn undo_command(settings: &ConnectionSettings, group: &str, file: &Path) -> String {
    format!(
        "kscope {} offsets reset {} --from-file {} --execute",
        connection_args(settings),
        shell_quote(group),
        shell_quote(&file.display().to_string())
    )
}

/// Kafka's tool removes a group's offsets; a commit cannot.
fn delete_offsets_hint(
    settings: &ConnectionSettings,
    group: &str,
    parts: &[PartitionRef],
) -> String {
    let mut by_topic: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for p in parts {
        by_topic
            .entry(p.topic.as_str())
            .or_default()
            .push(p.partition.to_string());
    }
    let topics: Vec<String> = by_topic
        .iter()
        .map(|(t, ps)| format!("--topic {}", shell_quote(&format!("{t}:{}", ps.join(",")))))
        .collect();
    format!(
        "these partitions had no committed offset before, and a commit cannot remove one; to remove them: kafka-consumer-groups --bootstrap-server {} --delete-offsets --group {} {}",
        shell_quote(&settings.bootstrap),
        shell_quote(group),
        topics.join(" ")
    )
}

#[derive(Serialize)]
struct AuditPartition<'a> {
    topic: &'a str,
    partition: i32,
    before: Option<i64>,
    after: Option<i64>,
    target: i64,
    status: PartitionStatus,
}

/// The first line of a reset in the audit log, written before the commit is sent.
#[derive(Serialize)]
struct AuditIntent<'a> {
    id: &'a str,
    phase: &'a str,
    time: &'a str,
    user: &'a str,
    host: &'a str,
    context: String,
    bootstrap: &'a str,
    group: &'a str,
    mode: &'a str,
    undo_file: Option<&'a str>,
    partitions: Vec<AuditTarget<'a>>,
}

#[derive(Serialize)]
struct AuditTarget<'a> {
    topic: &'a str,
    partition: i32,
    before: Option<i64>,
    target: i64,
}

/// The second line of a reset, with the same `id`: what happened.
#[derive(Serialize)]
struct AuditEntry<'a> {
    id: &'a str,
    phase: &'a str,
    time: &'a str,
    user: &'a str,
    host: &'a str,
    context: String,
    bootstrap: &'a str,
    group: &'a str,
    mode: &'a str,
    result: ApplyResult,
    /// Partitions of the plan left out because a broker could not answer for them.
    skipped: usize,
    undo_file: Option<&'a str>,
    partitions: Vec<AuditPartition<'a>>,
}

/// An id that ties a reset's intent and outcome lines together.
fn new_audit_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn audit_context(settings: &ConnectionSettings) -> String {
    settings
        .context
        .clone()
        .unwrap_or_else(|| settings.bootstrap.clone())
}

/// Appends the outcome line of a reset to the audit log.
fn append_audit(
    path: &Path,
    id: &str,
    settings: &ConnectionSettings,
    opts: &ApplyOptions,
    report: &ApplyReport,
) -> std::result::Result<(), String> {
    let entry = AuditEntry {
        id,
        phase: "outcome",
        time: &report.applied_at,
        user: &opts.actor.user,
        host: &opts.actor.host,
        context: audit_context(settings),
        bootstrap: &settings.bootstrap,
        group: &report.group,
        mode: &report.mode,
        result: report.result,
        skipped: report.skipped.len(),
        undo_file: report.undo_file.as_deref(),
        partitions: report
            .partitions
            .iter()
            .map(|p| AuditPartition {
                topic: &p.topic,
                partition: p.partition,
                before: p.before,
                after: p.after,
                target: p.target,
                status: p.status,
            })
            .collect(),
    };
    append_audit_line(path, &entry)
}

/// Appends one JSON line to the audit log (0600, never through a link), flushed to disk.
fn append_audit_line(path: &Path, entry: &impl Serialize) -> std::result::Result<(), String> {
    let mut line =
        serde_json::to_string(entry).map_err(|e| format!("cannot encode the audit entry: {e}"))?;
    line.push('\n');
    let mut f = private_file::open_append(path, "audit log").map_err(|e| e.to_string())?;
    f.write_all(line.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("cannot write the audit log {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_safe("billing-v2.prod_1"), "billing-v2.prod_1");
        assert_eq!(file_safe("a/b c"), "a_b_c");
        assert_eq!(file_safe("../x"), "_.._x");
        assert_eq!(file_safe(""), "_");
        assert_eq!(file_safe(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("g-1"), "g-1");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn undo_files_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let opts = ApplyOptions {
            data_dir: dir.path().to_path_buf(),
            actor: Actor {
                user: "u".into(),
                host: "h".into(),
            },
            now: DateTime::parse_from_rfc3339("2024-01-02T03:04:05.678Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        let a = write_undo(&opts, "g/1", "", &[("t", 0, 5)]).unwrap();
        let b = write_undo(&opts, "g/1", "", &[("t", 0, 6)]).unwrap();
        assert_ne!(a, b);
        assert!(a.ends_with("undo/g_1-20240102T030405.678Z.csv"), "{a:?}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "t,0,5\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "t,0,6\n");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&a), 0o600);
            assert_eq!(mode(&dir.path().join("undo")), 0o700);
            // A link planted at the next free name is refused, not skipped or followed.
            let target = dir.path().join("target.csv");
            std::fs::write(&target, "keep\n").unwrap();
            let next = dir.path().join("undo/g_1-20240102T030405.678Z-3.csv");
            std::os::unix::fs::symlink(&target, &next).unwrap();
            let e = write_undo(&opts, "g/1", "", &[("t", 0, 7)]).unwrap_err();
            assert!(e.contains("symbolic link") && e.contains("-3.csv"), "{e}");
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
        }
    }

    #[cfg(unix)]
    #[test]
    fn audit_lines_are_private_and_never_follow_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/audit.jsonl");
        let line = serde_json::json!({"id": "1", "phase": "intent"});
        append_audit_line(&path, &line).unwrap();
        append_audit_line(&path, &serde_json::json!({"id": "1", "phase": "outcome"})).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"id\":\"1\",\"phase\":\"intent\"}\n{\"id\":\"1\",\"phase\":\"outcome\"}\n"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("data")), 0o700);

        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").unwrap();
        let planted = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        let e = append_audit_line(&planted, &line).unwrap_err();
        assert!(
            e.contains("symbolic link") && e.contains("audit log"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "");
    }

    #[test]
    fn audit_ids_differ() {
        assert_ne!(new_audit_id(), new_audit_id());
        assert_eq!(new_audit_id().len(), 16);
    }
}
