//! Deleting a consumer group with its committed offsets kept in an undo file, for
//! `kscope group delete` and the console alike: the client layer refuses it read-only, the
//! undo file (the offsets, as `kscope offsets reset --from-file` reads them) and the audit
//! intent come first, then DeleteGroups, a read-back, and the audit outcome.

use std::path::PathBuf;

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::KafkaClient;

/// What a deletion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDeletion {
    pub group: String,
    /// The committed offsets that went, in the undo file.
    pub committed: Vec<(String, i32, i64)>,
    pub undo_file: PathBuf,
    /// `kscope offsets reset G --from-file UNDO --execute`.
    pub undo_command: String,
    /// Reading back found no committed offset left.
    pub verified: bool,
}

/// Deletes `group`, whose committed offsets (as planned) are `committed`. Refused read-only
/// (exit 4) before anything is written; a group with members is refused by the coordinator
/// (exit 6).
pub async fn delete_group(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    group: &str,
    committed: Vec<(String, i32, i64)>,
) -> Result<GroupDeletion> {
    let writer = client.writer(&format!("delete group '{group}'"))?;
    let mut csv = String::new();
    for (t, p, o) in &committed {
        csv.push_str(&format!("{t},{p},{o}\n"));
    }
    let undo_file = super::change::write_undo("group", group, "csv", &csv)?;
    let audit = super::change::Audit::new(settings, "group-delete")?;
    let fields = serde_json::json!({
        "group": group,
        "before": committed
            .iter()
            .map(|(t, p, o)| serde_json::json!({"topic": t, "partition": p, "committed": o}))
            .collect::<Vec<_>>(),
        "undo_file": undo_file.to_str(),
    });
    audit.intent(&fields)?;
    if let Err(e) = writer.delete_group(group).await {
        let _ = audit.line("outcome", Some("failed"), &fields);
        return Err(e);
    }
    // Verify: the group has no committed offsets left.
    let verified = match client.group(group, None).await {
        Ok(d) => d.partitions.iter().all(|p| p.committed.is_none()),
        Err(Error::NotFound(_)) => true,
        Err(_) => false,
    };
    audit
        .line(
            "outcome",
            Some(if verified { "applied" } else { "unverified" }),
            &fields,
        )
        .map_err(|e| Error::Io(format!("deleted, but {e}")))?;
    let undo_command = format!(
        "kscope offsets reset {} --from-file {} --execute",
        super::shell_quote(group),
        super::shell_quote(&undo_file.to_string_lossy())
    );
    Ok(GroupDeletion {
        group: group.to_string(),
        committed,
        undo_file,
        undo_command,
        verified,
    })
}

/// Why the coordinator kept a partition's offset: the group's members subscribe to its topic
/// (GROUP_SUBSCRIBED_TO_TOPIC).
pub const SUBSCRIBED: &str = "the group's members subscribe to this topic";

/// What deleting some of a group's committed offsets did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetsDeletion {
    /// Partitions the coordinator refused, with why (kept their offsets).
    pub failed: Vec<(String, i32, String)>,
    /// Partitions reported deleted that still show an offset when read back (`topic/p`).
    pub still_committed: Vec<String>,
    /// The read-back could be made.
    pub verified: bool,
    pub undo_file: PathBuf,
    pub undo_command: String,
}

/// Deletes `group`'s committed offsets of `committed`'s partitions (OffsetDelete), with the
/// offsets in an undo file first, audited (`group-delete-offsets`) and read back. Refused
/// read-only before anything is written.
pub async fn delete_offsets(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    group: &str,
    committed: Vec<(String, i32, i64)>,
) -> Result<OffsetsDeletion> {
    use crate::model::PartitionRef;
    let writer = client.writer(&format!("delete offsets of group '{group}'"))?;
    let mut csv = String::new();
    for (t, p, o) in &committed {
        csv.push_str(&format!("{t},{p},{o}\n"));
    }
    let undo_file = super::change::write_undo("group-offsets", group, "csv", &csv)?;
    let audit = super::change::Audit::new(settings, "group-delete-offsets")?;
    let fields = |failed: &[(String, i32, String)], still: &[String]| {
        serde_json::json!({
            "group": group,
            "before": committed
                .iter()
                .map(|(t, p, o)| serde_json::json!({"topic": t, "partition": p, "committed": o}))
                .collect::<Vec<_>>(),
            "failed": failed
                .iter()
                .map(|(t, p, e)| serde_json::json!({"topic": t, "partition": p, "error": e}))
                .collect::<Vec<_>>(),
            "still_committed": still,
            "undo_file": undo_file.to_str(),
        })
    };
    audit.intent(&fields(&[], &[]))?;
    let targets: Vec<(String, i32)> = committed.iter().map(|(t, p, _)| (t.clone(), *p)).collect();
    let results = match writer.delete_group_offsets(group, targets).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&[], &[]));
            return Err(e);
        }
    };
    let mut failed = Vec::new();
    for (t, p, _) in &committed {
        match results.iter().find(|r| &r.topic == t && r.partition == *p) {
            Some(r) => {
                if let Some((code, msg)) = &r.error {
                    failed.push((
                        t.clone(),
                        *p,
                        match code {
                            rdkafka::types::RDKafkaErrorCode::GroupSubscribedToTopic => {
                                SUBSCRIBED.to_string()
                            }
                            _ => msg.clone(),
                        },
                    ));
                }
            }
            None => failed.push((t.clone(), *p, "no answer for this partition".to_string())),
        }
    }
    // Verify: the deleted partitions have no committed offset left.
    let refs: Vec<PartitionRef> = committed
        .iter()
        .filter(|(t, p, _)| !failed.iter().any(|(ft, fp, _)| ft == t && fp == p))
        .map(|(t, p, _)| PartitionRef::new(t, *p))
        .collect();
    let mut still_committed = Vec::new();
    let verified = match client.committed_offsets(group, Some(refs.clone())).await {
        Ok(c) if c.missing.is_empty() => {
            still_committed = refs
                .iter()
                .filter(|r| c.values.contains_key(*r))
                .map(|r| format!("{}/{}", r.topic, r.partition))
                .collect();
            true
        }
        Err(Error::NotFound(_)) => true,
        _ => false,
    };
    let result = if !failed.is_empty() && failed.len() == committed.len() {
        "failed"
    } else if !failed.is_empty() {
        "partial"
    } else if !verified || !still_committed.is_empty() {
        "unverified"
    } else {
        "applied"
    };
    audit
        .line("outcome", Some(result), &fields(&failed, &still_committed))
        .map_err(|e| Error::Io(format!("deleted, but {e}")))?;
    let undo_command = format!(
        "kscope offsets reset {} --from-file {} --execute",
        super::shell_quote(group),
        super::shell_quote(&undo_file.to_string_lossy())
    );
    Ok(OffsetsDeletion {
        failed,
        still_committed,
        verified,
        undo_file,
        undo_command,
    })
}
