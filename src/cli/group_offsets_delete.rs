//! `kscope group delete-offsets G --topic T... [--partition P] [--execute]`: deletes a group's
//! committed offsets of some topics (OffsetDelete), for a group that stopped reading them. The
//! dry run shows the offsets that would go; a group with members is refused (exit 6), since
//! its consumers would commit again. `--execute` first writes those offsets to an undo file in
//! the form `kscope offsets reset --from-file` reads, audits the intent, deletes, reads the
//! group's offsets back to verify, and audits the outcome. A partition the coordinator refused
//! makes it partial (exit 7).

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::model::PartitionRef;
use crate::offsets::shell_quote;

#[derive(Debug, Args)]
#[command(after_help = "\
Dry run by default. The group must have no active members (exit 6 otherwise). --execute writes
the committed offsets that go to an undo file first; `kscope offsets reset GROUP --from-file UNDO
--execute` commits them again. Audited; refused read-only (exit 4); a partition the coordinator
refused makes it partial (exit 7).")]
pub struct DeleteOffsetsArgs {
    /// The group
    pub group: String,
    /// A topic whose committed offsets go (repeatable)
    #[arg(short, long = "topic", required = true, value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Only these partitions (repeatable; with one --topic)
    #[arg(short, long = "partition", value_name = "P")]
    pub partitions: Vec<i32>,
    /// Delete them (without it, only the plan is shown)
    #[arg(long)]
    pub execute: bool,
}

#[derive(Debug, Serialize)]
struct PartitionPlan {
    topic: String,
    partition: i32,
    committed: i64,
    /// After an execute: the coordinator's refusal for this partition.
    error: Option<String>,
}

#[derive(Serialize)]
struct Report<'a> {
    group: &'a str,
    state: &'a str,
    members: usize,
    partitions: Vec<PartitionPlan>,
    /// Topics named that the group has no committed offsets for.
    not_committed: Vec<String>,
    executed: bool,
    /// After an execute: partitions whose offsets are still there when read back.
    still_committed: Vec<String>,
    undo_file: Option<String>,
    undo_command: Option<String>,
}

pub async fn run(g: &GlobalArgs, a: DeleteOffsetsArgs) -> Result<i32> {
    if !a.partitions.is_empty() && a.topics.len() != 1 {
        return Err(Error::usage(
            "--partition needs exactly one --topic (the partitions are that topic's)",
        ));
    }
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let detail = client.group(&a.group, None).await?;
    if !detail.gaps.is_complete() {
        return Err(Error::Incomplete(format!(
            "not deleting offsets of group '{}': its members or offsets could not all be read ({})",
            a.group,
            detail.gaps.summary()
        )));
    }
    if detail.state == "Dead" && detail.partitions.is_empty() {
        return Err(Error::NotFound(format!("unknown group '{}'", a.group)));
    }
    if !detail.members.is_empty() {
        return Err(Error::GroupActive(format!(
            "group '{}' has {} active member(s): stop its consumers first (they would commit again)",
            a.group,
            detail.members.len()
        )));
    }
    let chosen = |p: &crate::model::PartitionLag| {
        a.topics.contains(&p.topic)
            && (a.partitions.is_empty() || a.partitions.contains(&p.partition))
    };
    let mut plan: Vec<PartitionPlan> = detail
        .partitions
        .iter()
        .filter(|p| chosen(p))
        .filter_map(|p| {
            p.committed.map(|c| PartitionPlan {
                topic: p.topic.clone(),
                partition: p.partition,
                committed: c,
                error: None,
            })
        })
        .collect();
    plan.sort_by(|x, y| (&x.topic, x.partition).cmp(&(&y.topic, y.partition)));
    let not_committed: Vec<String> = a
        .topics
        .iter()
        .filter(|t| !plan.iter().any(|p| &p.topic == *t))
        .cloned()
        .collect();
    let mut report = Report {
        group: &a.group,
        state: &detail.state,
        members: detail.members.len(),
        partitions: plan,
        not_committed,
        executed: false,
        still_committed: Vec::new(),
        undo_file: None,
        undo_command: None,
    };
    if report.partitions.is_empty() {
        print(g.output, &report)?;
        return Err(Error::NotFound(format!(
            "group '{}' has no committed offsets for {}",
            a.group,
            a.topics.join(", ")
        )));
    }
    if !a.execute {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say("dry run: nothing was deleted (add --execute)");
        }
        return Ok(exit::OK);
    }
    let writer = client.writer(&format!("delete offsets of group '{}'", a.group))?;
    let mut csv = String::new();
    for p in &report.partitions {
        csv.push_str(&format!("{},{},{}\n", p.topic, p.partition, p.committed));
    }
    let undo_path = crate::offsets::change::write_undo("group-offsets", &a.group, "csv", &csv)?;
    let audit = crate::offsets::change::Audit::new(&settings, "group-delete-offsets")?;
    let fields = |r: &Report<'_>| {
        serde_json::json!({
            "group": a.group,
            "before": r.partitions,
            "still_committed": r.still_committed,
            "undo_file": undo_path.to_str(),
        })
    };
    audit.intent(&fields(&report))?;
    let targets: Vec<(String, i32)> = report
        .partitions
        .iter()
        .map(|p| (p.topic.clone(), p.partition))
        .collect();
    let results = match writer.delete_group_offsets(&a.group, targets).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&report));
            return Err(e);
        }
    };
    let mut failed = 0;
    for p in report.partitions.iter_mut() {
        match results
            .iter()
            .find(|r| r.topic == p.topic && r.partition == p.partition)
        {
            Some(r) => {
                if let Some((code, msg)) = &r.error {
                    failed += 1;
                    p.error = Some(match code {
                        rdkafka::types::RDKafkaErrorCode::GroupSubscribedToTopic => {
                            "the group's members subscribe to this topic".to_string()
                        }
                        _ => msg.clone(),
                    });
                }
            }
            None => {
                failed += 1;
                p.error = Some("no answer for this partition".to_string());
            }
        }
    }
    // Verify: the deleted partitions have no committed offset left.
    let refs: Vec<PartitionRef> = report
        .partitions
        .iter()
        .filter(|p| p.error.is_none())
        .map(|p| PartitionRef::new(&p.topic, p.partition))
        .collect();
    let verified = match client.committed_offsets(&a.group, Some(refs.clone())).await {
        Ok(c) if c.missing.is_empty() => {
            report.still_committed = refs
                .iter()
                .filter(|r| c.values.contains_key(*r))
                .map(|r| format!("{}/{}", r.topic, r.partition))
                .collect();
            true
        }
        Err(Error::NotFound(_)) => true,
        _ => false,
    };
    report.executed = true;
    let result = if failed > 0 {
        "partial"
    } else if !verified || !report.still_committed.is_empty() {
        "unverified"
    } else {
        "applied"
    };
    audit
        .line("outcome", Some(result), &fields(&report))
        .map_err(|e| Error::Io(format!("deleted, but {e}")))?;
    let undo_file = undo_path.to_string_lossy().into_owned();
    report.undo_command = Some(format!(
        "kscope offsets reset {} --from-file {} --execute",
        shell_quote(&a.group),
        shell_quote(&undo_file)
    ));
    report.undo_file = Some(undo_file);
    print(g.output, &report)?;
    if failed > 0 {
        return Err(Error::PartiallyApplied(format!(
            "{failed} of {} partition(s) of group '{}' kept their offsets (see the table); the \
             others were deleted",
            report.partitions.len(),
            a.group
        )));
    }
    if !verified {
        return Err(Error::Incomplete(format!(
            "deleted, but the offsets of group '{}' could not be read back to verify",
            a.group
        )));
    }
    if !report.still_committed.is_empty() {
        return Err(Error::kafka(format!(
            "deleted, but group '{}' still shows committed offsets for {}",
            a.group,
            report.still_committed.join(", ")
        )));
    }
    Ok(exit::OK)
}

fn print(output: Output, r: &Report<'_>) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => {
            let mut text = format!(
                "Group:     {}\nState:     {}\nMembers:   {}\n\n",
                r.group, r.state, r.members
            );
            text.push_str(&table(
                &["TOPIC", "PARTITION", "COMMITTED", "STATUS"],
                r.partitions
                    .iter()
                    .map(|p| {
                        vec![
                            p.topic.clone(),
                            p.partition.to_string(),
                            p.committed.to_string(),
                            match (&p.error, r.executed) {
                                (Some(e), _) => format!("kept: {e}"),
                                (None, true) => "deleted".to_string(),
                                (None, false) => "would be deleted".to_string(),
                            },
                        ]
                    })
                    .collect(),
            ));
            for t in &r.not_committed {
                text.push_str(&format!("group has no committed offsets for topic {t}\n"));
            }
            if let Some(cmd) = &r.undo_command {
                text.push_str(&format!("\nundo: {cmd}\n"));
            }
            emit(&text)
        }
    }
}
