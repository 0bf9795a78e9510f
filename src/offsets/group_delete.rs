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
