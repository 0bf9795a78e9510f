//! `kscope group delete G [--execute]`: deletes a consumer group (DeleteGroups). The dry run
//! shows the group, its members and the committed offsets that would go; a group with members is
//! refused (exit 6). `--execute` first writes the committed offsets to an undo file in the form
//! `kscope offsets reset --from-file` reads (so the group can be recreated where it was), audits
//! the intent, deletes, checks the group is gone, and audits the outcome.

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The group
    pub group: String,
    /// Delete it (without it, only the plan is shown)
    #[arg(long)]
    pub execute: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    group: &'a str,
    state: &'a str,
    members: usize,
    /// Committed offsets that go with the group.
    committed_partitions: usize,
    executed: bool,
    undo_file: Option<String>,
    undo_command: Option<String>,
}

pub async fn run(g: &GlobalArgs, a: DeleteArgs) -> Result<i32> {
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let detail = client.group(&a.group, None).await?;
    check_deletable(&detail, &format!("group '{}'", a.group), "")?;
    let committed: Vec<(String, i32, i64)> = detail
        .partitions
        .iter()
        .filter_map(|p| p.committed.map(|c| (p.topic.clone(), p.partition, c)))
        .collect();
    let mut report = Report {
        group: &a.group,
        state: &detail.state,
        members: detail.members.len(),
        committed_partitions: committed.len(),
        executed: false,
        undo_file: None,
        undo_command: None,
    };
    if !a.execute {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say("dry run: nothing was deleted (add --execute)");
        }
        return Ok(exit::OK);
    }
    let done =
        crate::offsets::group_delete::delete_group(&client, &settings, &a.group, committed).await?;
    report.executed = true;
    report.undo_command = Some(done.undo_command.clone());
    report.undo_file = Some(done.undo_file.to_string_lossy().into_owned());
    print(g.output, &report)?;
    if !done.verified {
        return Err(Error::kafka(format!(
            "deleted, but group '{}' still shows committed offsets",
            a.group
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
                "Group:     {}\nState:     {}\nMembers:   {}\nCommitted: {} partition(s){}\n",
                r.group,
                r.state,
                r.members,
                r.committed_partitions,
                if r.executed {
                    " deleted"
                } else {
                    " would be deleted"
                }
            );
            if let Some(cmd) = &r.undo_command {
                text.push_str(&format!("\nundo: {cmd}\n"));
            }
            emit(&text)
        }
    }
}

/// Refuses to delete what a group holds while the answer is incomplete, the group unknown, or
/// its members active. `what` names what would go ("group 'G'", "offsets of group 'G'");
/// `active_note` follows the refusal of an active group.
pub(super) fn check_deletable(
    detail: &crate::model::GroupDetail,
    what: &str,
    active_note: &str,
) -> Result<()> {
    if !detail.gaps.is_complete() {
        return Err(Error::Incomplete(format!(
            "not deleting {what}: its members or offsets could not all be read ({})",
            detail.gaps.summary()
        )));
    }
    if detail.state == "Dead" && detail.partitions.is_empty() {
        return Err(Error::NotFound(format!("unknown group '{}'", detail.group)));
    }
    if !detail.members.is_empty() {
        return Err(Error::GroupActive(format!(
            "group '{}' has {} active member(s): stop its consumers first{active_note}",
            detail.group,
            detail.members.len()
        )));
    }
    Ok(())
}
