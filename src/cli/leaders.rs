//! `kscope leaders [--topic T] [--all]`: the partitions not led by their preferred replica (the
//! first of their replicas), as after a broker came back; and `kscope topic elect-leaders
//! T|--all-topics [--execute]`: a preferred leader election (ElectLeaders) for them. The dry run
//! shows what would move and what cannot (the preferred replica is not in sync); `--execute`
//! audits the intent, elects, reads the metadata back until each partition is led by its
//! preferred replica (or the budget ends), and audits the outcome. A partition that did not
//! move makes it partial (exit 7).

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::model::{ElectAction, ElectPlan, PartitionLeader};
use crate::offsets::leader_election;

#[derive(Debug, Args)]
pub struct LeadersArgs {
    /// Only this topic
    #[arg(short, long)]
    pub topic: Option<String>,
    /// Every partition, also those led by their preferred replica
    #[arg(long)]
    pub all: bool,
    /// Also internal topics such as __consumer_offsets
    #[arg(long)]
    pub internal: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Dry run by default: the plan lists the partitions not led by their preferred replica (the first
replica) and those that cannot move (their preferred replica is not in sync). --execute asks the
controller for a preferred election, then reads the metadata back to verify each partition moved.
Audited; refused read-only (exit 4); a partition that did not move makes it partial (exit 7).")]
pub struct ElectArgs {
    /// The topic (or --all-topics)
    #[arg(required_unless_present = "all_topics", conflicts_with = "all_topics")]
    pub name: Option<String>,
    /// Every topic (internal ones included)
    #[arg(long)]
    pub all_topics: bool,
    /// Elect (without it, only the plan is shown)
    #[arg(long)]
    pub execute: bool,
}

#[derive(Debug, Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    leader: &'a PartitionLeader,
    not_preferred: bool,
    electable: bool,
}

fn rows(parts: &[PartitionLeader]) -> Vec<Row<'_>> {
    parts
        .iter()
        .map(|p| Row {
            leader: p,
            not_preferred: p.not_preferred(),
            electable: p.electable(),
        })
        .collect()
}

fn ids(v: &[i32]) -> String {
    v.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn opt(v: Option<i32>) -> String {
    v.map_or("-".to_string(), |v| v.to_string())
}

fn status(p: &PartitionLeader) -> String {
    if !p.not_preferred() {
        "preferred".to_string()
    } else if p.electable() {
        "not preferred".to_string()
    } else {
        format!("not preferred; replica {} not in sync", opt(p.preferred))
    }
}

fn leader_table(parts: &[&PartitionLeader], extra: impl Fn(&PartitionLeader) -> String) -> String {
    table(
        &[
            "TOPIC",
            "PARTITION",
            "LEADER",
            "PREFERRED",
            "REPLICAS",
            "ISR",
            "STATUS",
        ],
        parts
            .iter()
            .map(|p| {
                vec![
                    p.topic.clone(),
                    p.partition.to_string(),
                    opt(p.leader),
                    opt(p.preferred),
                    ids(&p.replicas),
                    ids(&p.isr),
                    extra(p),
                ]
            })
            .collect(),
    )
}

pub async fn run_list(g: &GlobalArgs, a: LeadersArgs) -> Result<i32> {
    let client = g.client()?;
    let parts = client.leadership(a.topic.as_deref(), a.internal).await?;
    let total = parts.len();
    let not_preferred = parts.iter().filter(|p| p.not_preferred()).count();
    let shown: Vec<&PartitionLeader> = parts
        .iter()
        .filter(|p| a.all || p.not_preferred())
        .collect();
    match g.output {
        Output::Json | Output::Jsonl => {
            let shown: Vec<PartitionLeader> = shown.into_iter().cloned().collect();
            emit_json(
                Stream::Stdout,
                &serde_json::json!({
                    "partitions": rows(&shown),
                    "total_partitions": total,
                    "not_preferred": not_preferred,
                }),
                g.output == Output::Json,
            )?;
        }
        Output::Table => {
            let mut text = if shown.is_empty() {
                String::new()
            } else {
                leader_table(&shown, status)
            };
            text.push_str(&format!(
                "{not_preferred} of {total} partition(s) not led by their preferred replica\n"
            ));
            emit(&text)?;
        }
    }
    Ok(exit::OK)
}

pub async fn run_elect(g: &GlobalArgs, a: ElectArgs) -> Result<i32> {
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let plan = leader_election::plan(&client, a.name.as_deref()).await?;
    let electable = plan.electable();
    if !a.execute || electable == 0 {
        print(g.output, &plan)?;
        if g.output == Output::Table {
            say(if plan.partitions.is_empty() {
                "nothing to elect: every partition is led by its preferred replica"
            } else if electable == 0 {
                "nothing can be elected now: no preferred replica of these partitions is in sync"
            } else {
                "dry run: no leader was moved (add --execute)"
            });
        }
        return Ok(exit::OK);
    }
    let report = leader_election::elect(&client, &settings, &plan).await?;
    print(g.output, &report)?;
    if let Some(e) = &report.read_back_error {
        return Err(Error::Incomplete(format!(
            "elected, but the leaders could not be read back to verify: {e}"
        )));
    }
    let not_moved = report.partitions.len() - report.moved;
    if not_moved > 0 && report.moved > 0 {
        return Err(Error::PartiallyApplied(format!(
            "{not_moved} of {} partition(s) are still not led by their preferred replica (see \
             the table); the others moved",
            report.partitions.len()
        )));
    }
    if not_moved > 0 {
        let why = report
            .partitions
            .iter()
            .find_map(|p| p.error.clone())
            .unwrap_or_default();
        return Err(Error::kafka(format!(
            "no leader moved to its preferred replica: {why}"
        )));
    }
    Ok(exit::OK)
}

fn print(output: Output, r: &ElectPlan) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => {
            let mut text = format!("Preferred leader election: {}\n\n", r.scope);
            text.push_str(&table(
                &[
                    "TOPIC",
                    "PARTITION",
                    "LEADER",
                    "PREFERRED",
                    "AFTER",
                    "STATUS",
                ],
                r.partitions
                    .iter()
                    .map(|p| {
                        vec![
                            p.topic.clone(),
                            p.partition.to_string(),
                            opt(p.leader),
                            opt(p.preferred),
                            opt(p.leader_after),
                            match (&p.error, p.action, r.executed) {
                                (Some(e), ElectAction::Skip, _) => format!("skipped: {e}"),
                                (Some(e), _, _) => format!("failed: {e}"),
                                (None, _, true) => "moved".to_string(),
                                (None, _, false) => "would move".to_string(),
                            },
                        ]
                    })
                    .collect(),
            ));
            if r.executed {
                text.push_str(&format!(
                    "\n{} of {} partition(s) now led by their preferred replica\n",
                    r.moved,
                    r.partitions.len()
                ));
            }
            emit(&text)
        }
    }
}
