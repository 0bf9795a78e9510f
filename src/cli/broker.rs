//! `kscope broker N configs`: one broker's configs with their source and whether they can change
//! while it runs (DescribeConfigs BROKER, answered by that broker); with `--set`/`--delete`/
//! `--from-file` its dynamic configs change like a topic's (plan, broker validation, execute,
//! read-back, undo file, audit), through `topic_config::change`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::output::{emit, emit_json, table, Stream};
use super::topic_config::{change, Asked};
use super::{GlobalArgs, Output};
use crate::error::{exit, Result};
use crate::kafka::native::ConfigResource;

#[derive(Debug, Args)]
pub struct BrokerArgs {
    /// The broker id (as `kscope cluster` lists them)
    pub id: i32,
    #[command(subcommand)]
    pub action: BrokerAction,
}

#[derive(Debug, Subcommand)]
pub enum BrokerAction {
    /// Show the broker's configs; with --set/--delete, change its dynamic ones (plan and broker
    /// validation first, --execute applies, verifies and writes an undo file)
    Configs(ConfigsArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Without --set, --delete or --from-file: the configs the broker does not leave at Kafka's
default (--all: every config), each with its source (broker: this broker's dynamic value,
broker-default: the cluster-wide dynamic default, static-broker: its properties file, default)
and whether it can change while the broker runs (DYNAMIC). A change is a dry run by default,
validated by the broker; --execute applies it as this broker's dynamic value, reads it back and
writes an undo file (`kscope broker N configs --from-file UNDO --execute`). Audited; refused
read-only (exit 4); a static-only config is refused in the broker's words (exit 2).")]
pub struct ConfigsArgs {
    /// Every config, also those at Kafka's default
    #[arg(long)]
    pub all: bool,
    /// Set this broker's dynamic value of a config, e.g. --set log.cleaner.threads=2
    /// (repeatable)
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Remove this broker's dynamic value, so the cluster-wide default, the properties file or
    /// Kafka's default applies (repeatable)
    #[arg(long = "delete", value_name = "KEY")]
    pub delete: Vec<String>,
    /// Apply the changes of an undo file written by an earlier --execute
    #[arg(long, value_name = "UNDO", conflicts_with_all = ["set", "delete"])]
    pub from_file: Option<PathBuf>,
    /// Apply the change (without it, only the plan is shown and validated)
    #[arg(long)]
    pub execute: bool,
}

pub async fn run(g: &GlobalArgs, a: BrokerArgs) -> Result<i32> {
    let BrokerAction::Configs(c) = a.action;
    // A broker that is not in the cluster would only time out: name it instead.
    let cluster = g.client()?.cluster().await?;
    if !cluster.brokers.iter().any(|b| b.id == a.id) {
        let ids: Vec<String> = cluster.brokers.iter().map(|b| b.id.to_string()).collect();
        return Err(crate::error::Error::NotFound(format!(
            "unknown broker {} (the cluster's brokers: {})",
            a.id,
            ids.join(", ")
        )));
    }
    let resource = ConfigResource::Broker(a.id);
    if !c.set.is_empty() || !c.delete.is_empty() || c.from_file.is_some() {
        return change(
            g,
            crate::model::ConfigTarget::Broker(a.id),
            &Asked {
                set: &c.set,
                delete: &c.delete,
                from_file: c.from_file.as_deref(),
                execute: c.execute,
            },
        )
        .await;
    }
    if c.execute {
        return Err(crate::error::Error::usage(
            "nothing to change: give --set KEY=VALUE, --delete KEY or --from-file UNDO",
        ));
    }
    let client = g.client()?;
    let configs = client.configs(resource).await?;
    let shown: Vec<_> = configs
        .into_iter()
        .filter(|c2| c.all || c2.source != "default")
        .collect();
    match g.output {
        Output::Json | Output::Jsonl => emit_json(
            Stream::Stdout,
            &serde_json::json!({"broker": a.id, "configs": shown}),
            g.output == Output::Json,
        )?,
        Output::Table => {
            let mut text = format!("Broker: {}\n\n", a.id);
            text.push_str(&table(
                &["NAME", "VALUE", "SOURCE", "DYNAMIC"],
                shown
                    .iter()
                    .map(|c| {
                        vec![
                            c.name.clone(),
                            if c.sensitive {
                                "<sensitive>".to_string()
                            } else {
                                c.value.clone().unwrap_or_else(|| "-".to_string())
                            },
                            c.source.clone(),
                            if c.read_only { "no" } else { "yes" }.to_string(),
                        ]
                    })
                    .collect(),
            ));
            emit(&text)?;
        }
    }
    Ok(exit::OK)
}
