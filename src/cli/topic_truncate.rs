//! `kscope topic truncate T --before OFFSET|@TIME | --group G [--partition P] [--execute --yes]`:
//! deletes a topic's records before a point, for every reader (DeleteRecords). The plan shows per
//! partition how many records go and the new log start, and names the groups whose committed
//! offsets fall below it (they would skip to the new start). Deleted records cannot come back, so
//! applying takes --execute and --yes. A partition whose offsets could not be read is not
//! planned blind: the command refuses (exit 8).

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::kafka::native::OffsetSpec;
use crate::model::PartitionRef;
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

#[derive(Debug, Serialize)]
struct PartitionPlan {
    partition: i32,
    log_start: i64,
    log_end: i64,
    /// The log start after the deletion.
    new_log_start: i64,
    records_deleted: i64,
    /// After an execute: the log start the broker reported, or its error.
    result_log_start: Option<i64>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct BehindGroup {
    group: String,
    /// Partitions where the group's committed offset is below the new log start.
    partitions: Vec<i32>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    topic: &'a str,
    executed: bool,
    records_deleted: i64,
    partitions: Vec<PartitionPlan>,
    /// Groups that have not read what goes: they will skip to the new log start.
    groups_behind: Vec<BehindGroup>,
    /// Groups whose offsets could not be read (so they may be behind too).
    groups_unknown: Vec<String>,
}

pub async fn run(g: &GlobalArgs, a: TruncateArgs) -> Result<i32> {
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let detail = client.topic(&a.name).await?;
    let chosen: Vec<&crate::model::PartitionInfo> = detail
        .partitions
        .iter()
        .filter(|p| a.partitions.is_empty() || a.partitions.contains(&p.partition))
        .collect();
    for p in &a.partitions {
        if !detail.partitions.iter().any(|i| i.partition == *p) {
            return Err(Error::NotFound(format!(
                "topic '{}' has no partition {p} (it has 0 to {})",
                a.name,
                detail.partitions.len().saturating_sub(1)
            )));
        }
    }
    let refs: Vec<PartitionRef> = chosen
        .iter()
        .map(|p| PartitionRef::new(&a.name, p.partition))
        .collect();
    // Where each partition's deletion ends, before clamping to what the log holds.
    let targets: Vec<(i32, i64)> = match (&a.before, &a.group) {
        (Some(before), _) => match before.parse::<StartPosition>()? {
            StartPosition::Offset(o) => chosen.iter().map(|p| (p.partition, o)).collect(),
            pos @ (StartPosition::Time(_) | StartPosition::Ago(_)) => {
                let now = chrono::Utc::now();
                let Some(ms) = pos.timestamp_ms(now)? else {
                    return Err(Error::usage(format!("invalid --before '{before}'")));
                };
                let found = client
                    .list_offsets(refs.clone(), OffsetSpec::Timestamp(ms))
                    .await?;
                if let Some(m) = found.missing.values().next() {
                    return Err(Error::Incomplete(format!(
                        "not planned: {} ({} partition(s) could not be looked up)",
                        m.message,
                        found.missing.len()
                    )));
                }
                chosen
                    .iter()
                    .map(|p| {
                        let o = found
                            .values
                            .get(&PartitionRef::new(&a.name, p.partition))
                            .copied()
                            .unwrap_or(-1);
                        // -1: no record at or after the time, so every record is before it.
                        (p.partition, if o < 0 { i64::MAX } else { o })
                    })
                    .collect()
            }
            _ => {
                return Err(Error::usage(format!(
                    "invalid --before '{before}': an offset or @TIME (e.g. @-2h), not a named \
                     position"
                )))
            }
        },
        (None, Some(group)) => {
            let committed = client.committed_offsets(group, Some(refs.clone())).await?;
            if let Some(m) = committed.missing.values().next() {
                return Err(Error::Incomplete(format!("not planned: {}", m.message)));
            }
            chosen
                .iter()
                .filter_map(|p| {
                    committed
                        .values
                        .get(&PartitionRef::new(&a.name, p.partition))
                        .map(|o| (p.partition, *o))
                })
                .collect()
        }
        (None, None) => return Err(Error::usage("give --before OFFSET|@TIME or --group GROUP")),
    };
    let mut plan = Vec::new();
    for (partition, target) in targets {
        let Some(info) = chosen.iter().find(|p| p.partition == partition) else {
            continue;
        };
        let (Some(start), Some(end)) = (info.low_watermark, info.high_watermark) else {
            return Err(Error::Incomplete(format!(
                "not planned: the log start and end of {}/{partition} are unknown (its leader did \
                 not answer)",
                a.name
            )));
        };
        let new_start = target.clamp(start, end);
        plan.push(PartitionPlan {
            partition,
            log_start: start,
            log_end: end,
            new_log_start: new_start,
            records_deleted: new_start - start,
            result_log_start: None,
            error: None,
        });
    }
    plan.sort_by_key(|p| p.partition);
    // The groups that have not read what goes.
    let mut behind = Vec::new();
    let mut unknown = Vec::new();
    for group in detail
        .groups
        .iter()
        .filter(|g| Some(*g) != a.group.as_ref())
    {
        match client.committed_offsets(group, Some(refs.clone())).await {
            Ok(c) => {
                let parts: Vec<i32> = plan
                    .iter()
                    .filter(|p| {
                        p.records_deleted > 0
                            && c.values
                                .get(&PartitionRef::new(&a.name, p.partition))
                                .is_some_and(|o| *o < p.new_log_start)
                    })
                    .map(|p| p.partition)
                    .collect();
                if !parts.is_empty() {
                    behind.push(BehindGroup {
                        group: group.clone(),
                        partitions: parts,
                    });
                }
                if !c.missing.is_empty() {
                    unknown.push(group.clone());
                }
            }
            Err(_) => unknown.push(group.clone()),
        }
    }
    let to_delete: Vec<(String, i32, i64)> = plan
        .iter()
        .filter(|p| p.records_deleted > 0)
        .map(|p| (a.name.clone(), p.partition, p.new_log_start))
        .collect();
    let mut report = Report {
        topic: &a.name,
        executed: false,
        records_deleted: plan.iter().map(|p| p.records_deleted).sum(),
        partitions: plan,
        groups_behind: behind,
        groups_unknown: unknown,
    };
    if !a.execute || to_delete.is_empty() {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say(if to_delete.is_empty() {
                "nothing to delete: every partition's log already starts there"
            } else {
                "dry run: nothing was deleted (add --execute --yes)"
            });
        }
        return Ok(exit::OK);
    }
    let writer = client.writer(&format!("delete records of topic '{}'", a.name))?;
    if !a.yes {
        return Err(Error::usage(format!(
            "deleting {} record(s) of '{}' cannot be undone: add --yes to confirm",
            report.records_deleted, a.name
        )));
    }
    let audit = crate::offsets::change::Audit::new(&settings, "topic-truncate")?;
    let fields = |r: &Report<'_>| serde_json::json!({"topic": a.name, "partitions": r.partitions});
    audit.intent(&fields(&report))?;
    let results = match writer.delete_records(to_delete).await {
        Ok(r) => r,
        Err(e) => {
            let _ = audit.line("outcome", Some("failed"), &fields(&report));
            return Err(e);
        }
    };
    let mut failed = 0;
    for p in report
        .partitions
        .iter_mut()
        .filter(|p| p.records_deleted > 0)
    {
        match results.iter().find(|r| r.partition == p.partition) {
            Some(r) if r.error.is_none() => p.result_log_start = Some(r.offset),
            Some(r) => {
                failed += 1;
                p.error = r.error.as_ref().map(|(_, m)| m.clone());
            }
            None => {
                failed += 1;
                p.error = Some("no answer for this partition".to_string());
            }
        }
    }
    report.executed = true;
    let result = if failed == 0 { "applied" } else { "partial" };
    audit
        .line("outcome", Some(result), &fields(&report))
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    print(g.output, &report)?;
    if failed > 0 {
        return Err(Error::PartiallyApplied(format!(
            "{failed} partition(s) of '{}' were not truncated (see the table); the others were",
            a.name
        )));
    }
    Ok(exit::OK)
}

fn print(output: Output, r: &Report<'_>) -> Result<()> {
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
