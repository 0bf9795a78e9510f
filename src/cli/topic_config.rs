//! `kscope topic config T --set k=v --delete k [--execute]`: a topic's configs changed with the
//! offset reset's safety. The dry run (the default) shows each key's old value and source and
//! the new one, checked by the broker itself (validate-only); `--execute` writes the undo file
//! and an audit intent line, applies the change (IncrementalAlterConfigs: only the keys named
//! change), reads the configs back to verify, and audits the outcome: `offsets::config_change`, which
//! the console's `e` on a topic uses too. `kscope broker N configs` changes a broker's dynamic
//! configs through the same path ([`change`]).

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::config::parse_property;
use crate::error::{exit, Error, Result};
use crate::model::{ConfigAction, ConfigEdit, ConfigKeyPlan, ConfigTarget};
use crate::offsets::config_change;

#[derive(Debug, Args)]
#[command(after_help = "\
Dry run by default: the plan shows each key's value and source now and after, and the broker
validates the change without applying it. --execute applies it, reads it back, and writes an
undo file that restores the previous values (a key that had no topic-level value goes back to
the default), applied with `kscope topic config T --from-file UNDO --execute`. Every execute is
audited (audit.jsonl in the data dir: intent before, outcome after). Refused read-only (exit 4).")]
pub struct ConfigArgs {
    /// The topic
    pub name: String,
    /// Set a config, e.g. --set retention.ms=86400000 (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Remove the topic's own value of a config, so the broker's or Kafka's default applies
    /// (repeatable)
    #[arg(long = "delete", value_name = "KEY")]
    pub delete: Vec<String>,
    /// Apply the changes of an undo file written by an earlier --execute
    #[arg(long, value_name = "UNDO", conflicts_with_all = ["set", "delete"])]
    pub from_file: Option<PathBuf>,
    /// Apply the change (without it, only the plan is shown and validated)
    #[arg(long)]
    pub execute: bool,
}

/// What a config change is asked to do: `--set`, `--delete` and `--from-file UNDO`.
pub(super) struct Asked<'a> {
    pub set: &'a [String],
    pub delete: &'a [String],
    pub from_file: Option<&'a std::path::Path>,
    pub execute: bool,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broker: Option<i32>,
    executed: bool,
    /// The broker validated the change (always, dry run or not).
    validated: bool,
    changes: &'a [ConfigKeyPlan],
    /// After an execute: keys whose read-back value is not what was asked.
    mismatched: Vec<String>,
    undo_file: Option<String>,
    undo_command: Option<String>,
}

fn edits_of(a: &Asked<'_>, target: &ConfigTarget) -> Result<Vec<ConfigEdit>> {
    let mut edits = match a.from_file {
        Some(path) => config_change::edits_from_undo_file(path, target)?,
        None => Vec::new(),
    };
    for s in a.set {
        let (key, v) = parse_property(s)?;
        edits.push(ConfigEdit {
            key,
            value: Some(v),
        });
    }
    edits.extend(a.delete.iter().map(|k| ConfigEdit {
        key: k.trim().to_string(),
        value: None,
    }));
    config_change::check_edits(&edits)?;
    Ok(edits)
}

pub async fn run(g: &GlobalArgs, a: ConfigArgs) -> Result<i32> {
    change(
        g,
        ConfigTarget::Topic(a.name.clone()),
        &Asked {
            set: &a.set,
            delete: &a.delete,
            from_file: a.from_file.as_deref(),
            execute: a.execute,
        },
    )
    .await
}

/// Plans, validates and (with `execute`) applies a config change of a topic or broker
/// (`offsets::config_change`, shared with the console).
pub(super) async fn change(g: &GlobalArgs, target: ConfigTarget, a: &Asked<'_>) -> Result<i32> {
    let edits = edits_of(a, &target)?;
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let (plan, verdict) = config_change::plan(&client, &target, edits).await?;
    verdict?;
    let (topic, broker) = match &target {
        ConfigTarget::Topic(t) => (Some(t.as_str()), None),
        ConfigTarget::Broker(id) => (None, Some(*id)),
    };
    if !a.execute {
        print(
            g.output,
            &Report {
                topic,
                broker,
                executed: false,
                validated: true,
                changes: &plan.keys,
                mismatched: Vec::new(),
                undo_file: None,
                undo_command: None,
            },
        )?;
        if g.output == Output::Table {
            say("dry run: the broker validated the change; nothing was applied (add --execute)");
        }
        return Ok(exit::OK);
    }
    let done = config_change::apply(&client, &settings, &plan).await?;
    print(
        g.output,
        &Report {
            topic,
            broker,
            executed: true,
            validated: true,
            changes: &plan.keys,
            mismatched: done.mismatched.clone(),
            undo_command: Some(done.undo_command.clone()),
            undo_file: Some(done.undo_file.clone()),
        },
    )?;
    if let Some(e) = done.read_back_error {
        return Err(Error::Incomplete(format!(
            "applied, but the configs could not be read back to verify: {e}"
        )));
    }
    if !done.mismatched.is_empty() {
        return Err(Error::kafka(format!(
            "applied, but reading back shows other values for: {}",
            done.mismatched.join(", ")
        )));
    }
    Ok(exit::OK)
}

fn print(output: Output, r: &Report<'_>) -> Result<()> {
    match output {
        Output::Json => emit_json(Stream::Stdout, r, true),
        Output::Jsonl => emit_json(Stream::Stdout, r, false),
        Output::Table => {
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
            let rows = r
                .changes
                .iter()
                .map(|k| {
                    vec![
                        k.key.clone(),
                        format!("{} ({})", opt(&k.before), k.before_source),
                        match k.action {
                            ConfigAction::Set => opt(&k.after),
                            ConfigAction::Delete => "(default)".to_string(),
                        },
                        if k.unchanged {
                            "unchanged".to_string()
                        } else if r.executed && r.mismatched.contains(&k.key) {
                            "NOT VERIFIED".to_string()
                        } else if r.executed {
                            "applied".to_string()
                        } else {
                            "planned".to_string()
                        },
                    ]
                })
                .collect();
            let mut text = match (r.topic, r.broker) {
                (Some(t), _) => format!("Topic: {t}\n\n"),
                (None, Some(b)) => format!("Broker: {b}\n\n"),
                (None, None) => String::new(),
            };
            text.push_str(&table(&["KEY", "NOW (SOURCE)", "AFTER", "STATUS"], rows));
            if let Some(cmd) = &r.undo_command {
                text.push_str(&format!("\nundo: {cmd}\n"));
            }
            emit(&text)
        }
    }
}
