//! `kscope topic truncate T --before OFFSET|@TIME | --group G [--partition P] [--execute --yes]`:
//! deletes a topic's records before a point, for every reader (DeleteRecords). The plan shows per
//! partition how many records go and the new log start, and names the groups whose committed
//! offsets fall below it (they would skip to the new start). Deleted records cannot come back, so
//! applying takes --execute and --yes. A partition whose offsets could not be read is not
//! planned blind: the command refuses (exit 8).

use clap::Args;

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::model::{TruncatePlan, TruncatePoint};
use crate::offsets::topic_change;
use crate::record::StartPosition;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("point").required(true).args(["before", "group"])))]
pub struct TruncateArgs {
    /// The topic
    pub name: String,
    /// Delete the records before this offset (in each partition), or before this time:
    /// @2026-12-01T10:00:00Z, @1764583200000 (ms) or @-2h
    #[arg(long, value_name = "OFFSET|@TIME")]
    pub before: Option<String>,
    /// Delete the records this group has already committed past (its committed offsets)
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Only this partition (repeatable) [default: all]
    #[arg(long = "partition", value_name = "P")]
    pub partitions: Vec<i32>,
    /// Apply (irreversible: needs --yes too)
    #[arg(long)]
    pub execute: bool,
    /// Confirm an irreversible change
    #[arg(long)]
    pub yes: bool,
}

pub async fn run(g: &GlobalArgs, a: TruncateArgs) -> Result<i32> {
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let point = match (&a.before, &a.group) {
        (Some(before), _) => match before.parse::<StartPosition>()? {
            StartPosition::Offset(o) => TruncatePoint::Offset(o),
            pos @ (StartPosition::Time(_) | StartPosition::Ago(_)) => {
                let Some(ms) = pos.timestamp_ms(chrono::Utc::now())? else {
                    return Err(Error::usage(format!("invalid --before '{before}'")));
                };
                TruncatePoint::Time(ms)
            }
            _ => {
                return Err(Error::usage(format!(
                    "invalid --before '{before}': an offset or @TIME (e.g. @-2h), not a named \
                     position"
                )))
            }
        },
        (None, Some(group)) => TruncatePoint::Group(group.clone()),
        (None, None) => return Err(Error::usage("give --before OFFSET|@TIME or --group GROUP")),
    };
    let plan = topic_change::plan_truncate(&client, &a.name, &point, &a.partitions).await?;
    let nothing = plan.records_deleted == 0;
    if !a.execute || nothing {
        print(g.output, &plan)?;
        if g.output == Output::Table {
            say(if nothing {
                "nothing to delete: every partition's log already starts there"
            } else {
                "dry run: nothing was deleted (add --execute --yes)"
            });
        }
        return Ok(exit::OK);
    }
    client.writer(&format!("delete records of topic '{}'", a.name))?;
    if !a.yes {
        return Err(Error::usage(format!(
            "deleting {} record(s) of '{}' cannot be undone: add --yes to confirm",
            plan.records_deleted, a.name
        )));
    }
    let report = topic_change::truncate(&client, &settings, &plan).await?;
    print(g.output, &report)?;
    let failed = report.failed();
    match report.result() {
        "partial" => Err(Error::PartiallyApplied(format!(
            "{failed} partition(s) of '{}' were not truncated (see the table); the others were",
            a.name
        ))),
        "failed" => {
            let why = report
                .partitions
                .iter()
                .find_map(|p| p.error.clone())
                .unwrap_or_default();
            Err(Error::kafka(format!(
                "no partition of '{}' was truncated: {why}",
                a.name
            )))
        }
        _ => Ok(exit::OK),
    }
}

fn print(output: Output, r: &TruncatePlan) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => {
            let rows = r
                .partitions
                .iter()
                .map(|p| {
                    vec![
                        p.partition.to_string(),
                        p.log_start.to_string(),
                        p.new_log_start.to_string(),
                        p.log_end.to_string(),
                        p.records_deleted.to_string(),
                        match (&p.error, p.result_log_start) {
                            (Some(e), _) => format!("failed: {e}"),
                            (None, Some(_)) => "deleted".to_string(),
                            _ if p.records_deleted == 0 => "unchanged".to_string(),
                            _ => "planned".to_string(),
                        },
                    ]
                })
                .collect();
            let mut text = format!("Topic: {}\n\n", r.topic);
            text.push_str(&table(
                &[
                    "PARTITION",
                    "LOG START",
                    "NEW LOG START",
                    "LOG END",
                    "DELETED",
                    "STATUS",
                ],
                rows,
            ));
            text.push_str(&format!("\nrecords deleted: {}\n", r.records_deleted));
            for b in &r.groups_behind {
                text.push_str(&format!(
                    "group {} has not read what goes on partition(s) {:?}: it will skip to the new log start\n",
                    b.group, b.partitions
                ));
            }
            for u in &r.groups_unknown {
                text.push_str(&format!(
                    "group {u}: its offsets could not be read (it may be behind)\n"
                ));
            }
            emit(&text)
        }
    }
}
