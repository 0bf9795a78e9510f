//! The audit log: two JSON lines per reset, the intent before the commit is sent and the outcome
//! after, tied by one id; owner-only, never written through a link.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use chrono::SecondsFormat;
use serde::Serialize;

use super::engine::{ApplyReport, ApplyResult, PartitionStatus, ResetPlan};
use super::run::ApplyOptions;
use crate::config::ConnectionSettings;
use crate::model::PartitionRef;
use crate::private_file;

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

/// What the intent line records: written before the commit is sent.
pub(super) struct Intent<'a> {
    pub id: &'a str,
    pub settings: &'a ConnectionSettings,
    pub opts: &'a ApplyOptions,
    pub plan: &'a ResetPlan,
    pub commits: &'a [(String, i32, i64)],
    pub before: &'a HashMap<PartitionRef, i64>,
    pub undo_file: Option<&'a Path>,
}

/// Appends the intent line of a reset to the audit log.
pub(super) fn append_intent(path: &Path, i: &Intent<'_>) -> std::result::Result<(), String> {
    let line = AuditIntent {
        id: i.id,
        phase: "intent",
        time: &i.opts.now.to_rfc3339_opts(SecondsFormat::Millis, true),
        user: &i.opts.actor.user,
        host: &i.opts.actor.host,
        context: audit_context(i.settings),
        bootstrap: &i.settings.bootstrap,
        group: &i.plan.group,
        mode: &i.plan.mode,
        undo_file: i.undo_file.and_then(Path::to_str),
        partitions: i
            .commits
            .iter()
            .map(|(t, p, target)| AuditTarget {
                topic: t,
                partition: *p,
                before: i.before.get(&PartitionRef::new(t, *p)).copied(),
                target: *target,
            })
            .collect(),
    };
    append_audit_line(path, &line)
}

/// An id that ties a reset's intent and outcome lines together.
pub(crate) fn new_audit_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

fn audit_context(settings: &ConnectionSettings) -> String {
    settings
        .context
        .clone()
        .unwrap_or_else(|| settings.bootstrap.clone())
}

/// Appends the outcome line of a reset to the audit log.
pub(super) fn append_audit(
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
pub(crate) fn append_audit_line(
    path: &Path,
    entry: &impl Serialize,
) -> std::result::Result<(), String> {
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
