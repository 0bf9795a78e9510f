//! `kscope offsets undo-files`: the undo files in the data dir, newest first, each with what it
//! undoes (an offsets reset, a group deletion, a topic config change), where, how it ended, and
//! the command that applies it. What a file undoes comes from the audit line that names it;
//! a file no audit line names is described from its name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::output::{print_list, table, Output};
use crate::config;
use crate::error::{Error, Result};
use crate::offsets::shell_quote;

/// One undo file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndoFile {
    pub file: String,
    /// When the change was made (the audit line's time, else the file's).
    pub time: Option<String>,
    /// `offsets-reset`, `offsets-reset-applied` (the part of a partial reset that was
    /// applied), `group-delete` or `topic-config`.
    pub kind: &'static str,
    /// The group or topic.
    pub name: String,
    /// How the reset was asked for (`to-earliest`, ...), for offset resets.
    pub mode: Option<String>,
    /// The context or bootstrap the change was made on.
    pub context: Option<String>,
    /// The change's outcome as the audit log has it (`applied`, `partial`, `failed`, ...);
    /// `None` when no audit line names the file.
    pub result: Option<String>,
    /// Partitions the file restores (offset files).
    pub partitions: Option<usize>,
    pub topics: Vec<String>,
    /// The command that applies the file.
    pub undo_command: String,
    /// Where the description comes from: `audit` or `file-name`.
    pub source: &'static str,
}

/// What the audit log says about each undo file it names (the last line wins: the outcome
/// comes after the intent).
fn audit_by_file(path: &Path) -> HashMap<String, Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    let mut out = HashMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(f) = v.get("undo_file").and_then(Value::as_str) {
            out.insert(f.to_string(), v);
        }
    }
    out
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `--context NAME` or `-b BOOTSTRAP`, as the audit line recorded the connection.
fn connection(audit: Option<&Value>) -> String {
    let Some(a) = audit else {
        return "-b BOOTSTRAP".to_string();
    };
    match (text(a, "context"), text(a, "bootstrap")) {
        (Some(c), Some(b)) if c != b => format!("--context {}", shell_quote(&c)),
        (_, Some(b)) => format!("-b {}", shell_quote(&b)),
        (Some(c), None) => format!("--context {}", shell_quote(&c)),
        (None, None) => "-b BOOTSTRAP".to_string(),
    }
}

/// Splits `NAME-<UTC time>` off a file's stem: the name as written (made file-safe).
fn name_of(stem: &str) -> String {
    // The time is `YYYYMMDDTHHMMSS.mmmZ`, maybe followed by `-N` for a second file.
    match stem.rfind('-').and_then(|i| {
        let (head, tail) = stem.split_at(i);
        let tail = &tail[1..];
        if tail.len() >= 16 && tail.as_bytes()[8] == b'T' {
            Some(head.to_string())
        } else if tail.chars().all(|c| c.is_ascii_digit()) {
            head.rfind('-').map(|j| head[..j].to_string())
        } else {
            None
        }
    }) {
        Some(n) if !n.is_empty() => n,
        _ => stem.to_string(),
    }
}

/// The partitions and topics an offsets file restores.
fn offsets_in(path: &Path) -> (Option<usize>, Vec<String>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (None, Vec::new());
    };
    // Undo files are `topic,partition,offset` lines: no group column to pick by.
    let rows = crate::offsets::csv::parse(&text, "", "undo file").unwrap_or_default();
    let mut topics: Vec<String> = rows.iter().map(|r| r.topic.clone()).collect();
    topics.sort();
    topics.dedup();
    (Some(rows.len()), topics)
}

/// Describes one file of the undo directory.
fn describe(path: &Path, audit: &HashMap<String, Value>) -> Option<UndoFile> {
    let file_name = path.file_name()?.to_str()?;
    let shown = path.display().to_string();
    let (stem, ext) = file_name.rsplit_once('.')?;
    let a = audit.get(&shown);
    // A partial reset's `.applied` file: described by the audit line of its full file.
    let (stem, applied) = match stem.strip_suffix(".applied") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let full = path.with_file_name(format!("{stem}.{ext}"));
    let a = a.or_else(|| audit.get(&full.display().to_string()));
    let action = a.and_then(|a| text(a, "action"));
    let (kind, name) = match (action.as_deref(), a) {
        (Some("topic-config"), Some(a)) => ("topic-config", text(a, "topic")),
        (Some("group-delete"), Some(a)) => ("group-delete", text(a, "group")),
        (None, Some(a)) => (
            if applied {
                "offsets-reset-applied"
            } else {
                "offsets-reset"
            },
            text(a, "group"),
        ),
        (Some(_), Some(_)) => return None,
        (_, None) => {
            if let Some(rest) = stem.strip_prefix("topic-config-") {
                ("topic-config", Some(name_of(rest)))
            } else if let Some(rest) = stem.strip_prefix("group-") {
                ("group-delete", Some(name_of(rest)))
            } else if applied {
                ("offsets-reset-applied", Some(name_of(stem)))
            } else {
                ("offsets-reset", Some(name_of(stem)))
            }
        }
    };
    let name = name.unwrap_or_else(|| name_of(stem));
    let (partitions, topics) = if kind == "topic-config" {
        (None, vec![name.clone()])
    } else {
        offsets_in(path)
    };
    let conn = connection(a);
    let quoted = shell_quote(&shown);
    let undo_command = if kind == "topic-config" {
        format!(
            "kscope {conn} topic config {} --from-file {quoted} --execute",
            shell_quote(&name)
        )
    } else {
        format!(
            "kscope {conn} offsets reset {} --from-file {quoted} --execute",
            shell_quote(&name)
        )
    };
    let time = a.and_then(|a| text(a, "time")).or_else(|| {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok()?;
        let t: chrono::DateTime<chrono::Utc> = modified.into();
        Some(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    });
    Some(UndoFile {
        file: shown,
        time,
        kind,
        name,
        mode: a.and_then(|a| text(a, "mode")),
        context: a.and_then(|a| text(a, "context")),
        result: a.and_then(|a| text(a, "result")),
        partitions,
        topics,
        undo_command,
        source: if a.is_some() { "audit" } else { "file-name" },
    })
}

/// Every undo file of `data_dir`, newest first.
pub fn list(data_dir: &Path) -> Result<Vec<UndoFile>> {
    let dir = data_dir.join("undo");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Io(format!("cannot read {}: {e}", dir.display()))),
    };
    let audit = audit_by_file(&data_dir.join("audit.jsonl"));
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    paths.sort();
    let mut files: Vec<UndoFile> = paths.iter().filter_map(|p| describe(p, &audit)).collect();
    files.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.file.cmp(&b.file)));
    Ok(files)
}

/// What a row says the file undoes.
fn undoes(f: &UndoFile) -> String {
    let what = match f.kind {
        "topic-config" => format!("config change of topic {}", f.name),
        "group-delete" => format!("deletion of group {}", f.name),
        "offsets-reset-applied" => format!("offsets reset of {} (the applied part)", f.name),
        _ => format!("offsets reset of {}", f.name),
    };
    let mode = f.mode.as_ref().map(|m| format!(" {m}")).unwrap_or_default();
    let parts = match (f.partitions, f.topics.as_slice()) {
        (Some(n), []) => format!(", {n} partition(s)"),
        (Some(n), t) => format!(", {n} partition(s) of {}", t.join(" ")),
        (None, _) => String::new(),
    };
    format!("{what}{mode}{parts}")
}

pub fn run(output: Output) -> Result<i32> {
    let files = list(&config::data_dir()?)?;
    print_list(output, &files, || {
        if files.is_empty() {
            return "no undo files (kscope writes one before each change it makes)\n".to_string();
        }
        let rows = files
            .iter()
            .map(|f| {
                vec![
                    f.time.clone().unwrap_or_else(|| "-".into()),
                    undoes(f),
                    f.context.clone().unwrap_or_else(|| "-".into()),
                    f.result.clone().unwrap_or_else(|| "-".into()),
                    f.undo_command.clone(),
                ]
            })
            .collect();
        table(&["TIME", "UNDOES", "CONTEXT", "RESULT", "APPLY WITH"], rows)
    })?;
    Ok(crate::error::exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_described_from_the_audit_log_or_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let undo = dir.path().join("undo");
        std::fs::create_dir_all(&undo).unwrap();
        let reset = undo.join("billing-20261202T050102.123Z.csv");
        std::fs::write(&reset, "orders,0,5\norders,1,7\npayments,0,1\n").unwrap();
        let applied = undo.join("billing-20261202T050102.123Z.applied.csv");
        std::fs::write(&applied, "orders,0,5\n").unwrap();
        let config = undo.join("topic-config-orders-20261202T060000.000Z.json");
        std::fs::write(&config, "{}\n").unwrap();
        let deleted = undo.join("group-old-app-20261201T000000.000Z.csv");
        std::fs::write(&deleted, "orders,2,9\n").unwrap();
        let line = serde_json::json!({
            "id": "x", "phase": "outcome", "time": "2026-12-02T05:01:02.123Z",
            "context": "prod", "bootstrap": "k:9092", "group": "billing",
            "mode": "to-earliest", "result": "partial",
            "undo_file": reset.display().to_string(),
        });
        std::fs::write(
            dir.path().join("audit.jsonl"),
            format!("not json\n{line}\n"),
        )
        .unwrap();
        let files = list(dir.path()).unwrap();
        let by_kind = |k: &str| files.iter().find(|f| f.kind == k).unwrap();
        let r = by_kind("offsets-reset");
        assert_eq!((r.name.as_str(), r.partitions), ("billing", Some(3)));
        assert_eq!(r.topics, ["orders", "payments"]);
        assert_eq!(r.result.as_deref(), Some("partial"));
        assert_eq!(r.source, "audit");
        assert!(r
            .undo_command
            .starts_with("kscope --context prod offsets reset billing --from-file "));
        let a = by_kind("offsets-reset-applied");
        assert_eq!((a.name.as_str(), a.partitions), ("billing", Some(1)));
        assert_eq!(a.mode.as_deref(), Some("to-earliest"));
        let c = by_kind("topic-config");
        assert_eq!((c.name.as_str(), c.source), ("orders", "file-name"));
        assert!(c.undo_command.contains("topic config orders --from-file"));
        let d = by_kind("group-delete");
        assert_eq!(d.name, "old-app");
        assert!(d
            .undo_command
            .starts_with("kscope -b BOOTSTRAP offsets reset old-app"));
        assert!(undoes(r)
            .contains("offsets reset of billing to-earliest, 3 partition(s) of orders payments"));
        assert!(list(&dir.path().join("nothing")).unwrap().is_empty());
    }

    #[test]
    fn names_come_off_the_time_stamp() {
        assert_eq!(name_of("billing-20261202T050102.123Z"), "billing");
        assert_eq!(name_of("my-group-20261202T050102.123Z-2"), "my-group");
        assert_eq!(name_of("odd"), "odd");
    }
}
