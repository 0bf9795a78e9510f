//! `kscope topic partitions T --count N [--execute --yes]`: adds partitions to a topic. The dry
//! run shows the change and has the broker validate it; adding partitions cannot be undone and
//! moves keyed records to other partitions from then on, so applying it takes both --execute
//! and --yes. Audited like every change.

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, Stream};
use super::{GlobalArgs, Output};
use crate::error::{exit, Error, Result};

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
    topic: &'a str,
    partitions_before: usize,
    partitions_after: usize,
    executed: bool,
    validated: bool,
    /// What the change means for producers and consumers.
    note: &'static str,
}

const NOTE: &str = "keyed records map to other partitions from now on (the default partitioner \
    hashes the key over the partition count); per-key order across the change is lost, and \
    partitions cannot be removed again";

pub async fn run(g: &GlobalArgs, a: PartitionsArgs) -> Result<i32> {
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let before = client.partitions(&a.name).await?.len();
    if a.count <= before {
        return Err(Error::usage(format!(
            "topic '{}' has {before} partitions; --count must be more than that (partitions \
             can only be added)",
            a.name
        )));
    }
    client.validate_partitions(&a.name, a.count).await?;
    let mut report = Report {
        topic: &a.name,
        partitions_before: before,
        partitions_after: a.count,
        executed: false,
        validated: true,
        note: NOTE,
    };
    if !a.execute {
        print(g.output, &report)?;
        if g.output == Output::Table {
            say("dry run: the broker validated the change; nothing was applied (add --execute --yes)");
        }
        return Ok(exit::OK);
    }
    let writer = client.writer(&format!("add partitions to topic '{}'", a.name))?;
    if !a.yes {
        return Err(Error::usage(format!(
            "adding partitions to '{}' cannot be undone: add --yes to confirm",
            a.name
        )));
    }
    let audit = crate::offsets::change::Audit::new(&settings, "topic-partitions")?;
    let fields = serde_json::json!({"topic": a.name, "before": before, "after": a.count});
    audit.intent(&fields)?;
    if let Err(e) = writer.create_partitions(&a.name, a.count).await {
        let _ = audit.line("outcome", Some("failed"), &fields);
        return Err(e);
    }
    // Read back: metadata may lag the controller for a moment.
    let mut now_count = 0;
    for _ in 0..20 {
        now_count = client
            .partitions(&a.name)
            .await
            .map(|p| p.len())
            .unwrap_or(0);
        if now_count == a.count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let verified = now_count == a.count;
    audit
        .line(
            "outcome",
            Some(if verified { "applied" } else { "unverified" }),
            &fields,
        )
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    report.executed = true;
    print(g.output, &report)?;
    if !verified {
        return Err(Error::kafka(format!(
            "applied, but the metadata shows {now_count} partitions, not {}",
            a.count
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
            r.topic,
            r.partitions_before,
            r.partitions_after,
            if r.executed {
                " (applied)"
            } else {
                " (planned)"
            },
            r.note
        )),
    }
}
