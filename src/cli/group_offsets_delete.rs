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
    super::group_delete::check_deletable(
        &detail,
        &format!("offsets of group '{}'", a.group),
        " (they would commit again)",
    )?;
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
    let committed: Vec<(String, i32, i64)> = report
        .partitions
        .iter()
        .map(|p| (p.topic.clone(), p.partition, p.committed))
        .collect();
    let done =
        crate::offsets::group_delete::delete_offsets(&client, &settings, &a.group, committed)
            .await?;
    for (t, p, e) in &done.failed {
        if let Some(plan) = report
            .partitions
            .iter_mut()
            .find(|x| &x.topic == t && x.partition == *p)
        {
            plan.error = Some(e.clone());
        }
    }
    let failed = done.failed.len();
    let verified = done.verified;
    report.executed = true;
    report.still_committed = done.still_committed.clone();
    report.undo_command = Some(done.undo_command.clone());
    report.undo_file = Some(done.undo_file.to_string_lossy().into_owned());
    print(g.output, &report)?;
    // Nothing was deleted: not a partial result.
    if let Some(first) = done
        .failed
        .first()
        .filter(|_| failed == report.partitions.len())
    {
        let why = format!(
            "no offset of group '{}' was deleted: {}/{}: {}",
            a.group, first.0, first.1, first.2
        );
        return Err(
            if done
                .failed
                .iter()
                .all(|(_, _, e)| e == crate::offsets::group_delete::SUBSCRIBED)
            {
                Error::GroupActive(why)
            } else {
                Error::kafka(why)
            },
        );
    }
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
