//! `kscope topic partitions T --count N [--execute --yes]`: adds partitions to a topic. The dry
//! run shows the change and has the broker validate it; adding partitions cannot be undone and
//! moves keyed records to other partitions from then on, so applying it takes both --execute
//! and --yes. Audited like every change.

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};
use crate::model::PartitionsPlan;
use crate::offsets::topic_change;

#[derive(Debug, Args)]
pub struct PartitionsArgs {
    /// The topic
    pub name: String,
    /// The new total number of partitions (more than it has now)
    #[arg(long, value_name = "N")]
    pub count: usize,
    /// Apply the change (irreversible: needs --yes too)
    #[arg(long)]
    pub execute: bool,
    /// Confirm an irreversible change
    #[arg(long)]
    pub yes: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(flatten)]
    plan: &'a PartitionsPlan,
    executed: bool,
    validated: bool,
}

pub async fn run(g: &GlobalArgs, a: PartitionsArgs) -> Result<i32> {
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let plan = topic_change::plan_partitions(&client, &a.name, a.count).await?;
    let mut report = Report {
        plan: &plan,
        executed: false,
        validated: true,
    };
    if !a.execute {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say("dry run: the broker validated the change; nothing was applied (add --execute --yes)");
        }
        return Ok(exit::OK);
    }
    client.writer(&format!("add partitions to topic '{}'", a.name))?;
    if !a.yes {
        return Err(Error::usage(format!(
            "adding partitions to '{}' cannot be undone: add --yes to confirm",
            a.name
        )));
    }
    let added = topic_change::add_partitions(&client, &settings, &plan).await?;
    report.executed = true;
    print(g.output, &report)?;
    if !added.verified {
        return Err(Error::kafka(format!(
            "applied, but the metadata shows {} partitions, not {}",
            added.partitions_now, a.count
        )));
    }
    Ok(exit::OK)
}

fn print(output: Output, r: &Report<'_>) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => emit(&format!(
            "Topic:      {}\nPartitions: {} -> {}{}\nNote:       {}\n",
            r.plan.topic,
            r.plan.partitions_before,
            r.plan.partitions_after,
            if r.executed {
                " (applied)"
            } else {
                " (planned)"
            },
            r.plan.note
        )),
    }
}
