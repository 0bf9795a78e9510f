//! `kscope topic config T --set k=v --delete k [--execute]`: a topic's configs changed with the
//! offset reset's safety. The dry run (the default) shows each key's old value and source and
//! the new one, checked by the broker itself (validate-only); `--execute` writes the undo file
//! and an audit intent line, applies the change (IncrementalAlterConfigs: only the keys named
//! change), reads the configs back to verify, and audits the outcome. `kscope broker N configs`
//! changes a broker's dynamic configs through the same path ([`change`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::output::{emit, emit_json, say, table, Stream};
use super::{GlobalArgs, Output};
use crate::config::parse_property;
use crate::error::{exit, Error, Result};
use crate::kafka::native::{ConfigChange, ConfigResource};
use crate::model::ConfigValue;
use crate::offsets::shell_quote;

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

/// The undo file: what restores the configs as they were before an execute.
#[derive(Debug, Serialize, Deserialize)]
struct UndoFile {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    broker: Option<i32>,
    #[serde(default)]
    set: BTreeMap<String, String>,
    #[serde(default)]
    delete: Vec<String>,
}

const UNDO_KIND: &str = "kscope-topic-config-undo";
const BROKER_UNDO_KIND: &str = "kscope-broker-config-undo";

/// What differs between a topic's configs and a broker's.
struct Target {
    resource: ConfigResource,
}

impl Target {
    /// The source of a value the resource itself sets (what an undo puts back, a delete
    /// removes).
    fn own_source(&self) -> &'static str {
        match self.resource {
            ConfigResource::Topic(_) => "topic",
            ConfigResource::Broker(_) => "broker",
        }
    }

    fn undo_kind(&self) -> &'static str {
        match self.resource {
            ConfigResource::Topic(_) => UNDO_KIND,
            ConfigResource::Broker(_) => BROKER_UNDO_KIND,
        }
    }

    fn what(&self) -> &'static str {
        match self.resource {
            ConfigResource::Topic(_) => "topic config",
            ConfigResource::Broker(_) => "broker config",
        }
    }

    /// `topic-config` or `broker-config`: the audit action and the undo file's prefix.
    fn action(&self) -> &'static str {
        match self.resource {
            ConfigResource::Topic(_) => "topic-config",
            ConfigResource::Broker(_) => "broker-config",
        }
    }

    fn name(&self) -> String {
        match &self.resource {
            ConfigResource::Topic(t) => t.clone(),
            ConfigResource::Broker(id) => id.to_string(),
        }
    }

    fn undo_command(&self, file: &str) -> String {
        match &self.resource {
            ConfigResource::Topic(t) => format!(
                "kscope topic config {} --from-file {} --execute",
                shell_quote(t),
                shell_quote(file)
            ),
            ConfigResource::Broker(id) => format!(
                "kscope broker {id} configs --from-file {} --execute",
                shell_quote(file)
            ),
        }
    }

    fn matches(&self, undo: &UndoFile) -> bool {
        match &self.resource {
            ConfigResource::Topic(t) => undo.topic.as_ref() == Some(t),
            ConfigResource::Broker(id) => undo.broker == Some(*id),
        }
    }
}

/// One key of the plan.
#[derive(Debug, Serialize)]
struct KeyPlan {
    key: String,
    /// The value now (`null` when the broker hides it: a sensitive config).
    before: Option<String>,
    /// Where the value now comes from (`topic`, `default`, `broker`, ...).
    before_source: String,
    /// `set` or `delete` (back to the default).
    action: &'static str,
    /// The new topic-level value; `null` for a delete.
    after: Option<String>,
    /// Setting the value it already has, or deleting a value the topic does not set.
    unchanged: bool,
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
    changes: &'a [KeyPlan],
    /// After an execute: keys whose read-back value is not what was asked.
    mismatched: Vec<String>,
    undo_file: Option<String>,
    undo_command: Option<String>,
}

/// What a config change is asked to do: `--set`, `--delete` and `--from-file UNDO`.
pub(super) struct Asked<'a> {
    pub set: &'a [String],
    pub delete: &'a [String],
    pub from_file: Option<&'a std::path::Path>,
    pub execute: bool,
}

fn changes_of(a: &Asked<'_>, target: &Target) -> Result<Vec<ConfigChange>> {
    let mut changes = Vec::new();
    if let Some(path) = a.from_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read undo file {}: {e}", path.display())))?;
        let undo: UndoFile = serde_json::from_str(&text).map_err(|e| {
            Error::usage(format!(
                "{} is not a {} undo file: {e}",
                path.display(),
                target.what()
            ))
        })?;
        if undo.kind != target.undo_kind() {
            return Err(Error::usage(format!(
                "{} is not a {} undo file (kind '{}')",
                path.display(),
                target.what(),
                undo.kind
            )));
        }
        if !target.matches(&undo) {
            let of = match (&undo.topic, undo.broker) {
                (Some(t), _) => format!("topic '{t}'"),
                (None, Some(b)) => format!("broker {b}"),
                (None, None) => "nothing".to_string(),
            };
            return Err(Error::usage(format!(
                "{} is for {of}, not {}",
                path.display(),
                target.resource
            )));
        }
        changes.extend(undo.set.into_iter().map(|(k, v)| ConfigChange::Set(k, v)));
        changes.extend(undo.delete.into_iter().map(ConfigChange::Delete));
    }
    for s in a.set {
        let (k, v) = parse_property(s)?;
        changes.push(ConfigChange::Set(k, v));
    }
    changes.extend(
        a.delete
            .iter()
            .map(|k| ConfigChange::Delete(k.trim().to_string())),
    );
    if changes.is_empty() {
        return Err(Error::usage(
            "nothing to change: give --set KEY=VALUE, --delete KEY or --from-file UNDO".to_string(),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &changes {
        let key = key_of(c);
        if key.is_empty() {
            return Err(Error::usage("a config key is empty".to_string()));
        }
        if !seen.insert(key.to_string()) {
            return Err(Error::usage(format!(
                "config '{key}' is changed twice; name each key once"
            )));
        }
    }
    Ok(changes)
}

fn key_of(c: &ConfigChange) -> &str {
    match c {
        ConfigChange::Set(k, _) | ConfigChange::Delete(k) => k,
    }
}

fn plan(changes: &[ConfigChange], current: &[ConfigValue], own: &str) -> Vec<KeyPlan> {
    changes
        .iter()
        .map(|c| {
            let now = current.iter().find(|v| v.name == key_of(c));
            let before = now.and_then(|v| v.value.clone());
            let before_source = now
                .map(|v| v.source.clone())
                .unwrap_or_else(|| "unknown key".to_string());
            let topic_level = before_source == own;
            match c {
                ConfigChange::Set(k, v) => KeyPlan {
                    key: k.clone(),
                    unchanged: topic_level && before.as_deref() == Some(v.as_str()),
                    before,
                    before_source,
                    action: "set",
                    after: Some(v.clone()),
                },
                ConfigChange::Delete(k) => KeyPlan {
                    key: k.clone(),
                    unchanged: !topic_level,
                    before,
                    before_source,
                    action: "delete",
                    after: None,
                },
            }
        })
        .collect()
}

/// What restores the configs of `plan` as they were.
fn undo_of(target: &Target, plan: &[KeyPlan]) -> Result<UndoFile> {
    let mut undo = UndoFile {
        kind: target.undo_kind().to_string(),
        topic: match &target.resource {
            ConfigResource::Topic(t) => Some(t.clone()),
            ConfigResource::Broker(_) => None,
        },
        broker: match &target.resource {
            ConfigResource::Topic(_) => None,
            ConfigResource::Broker(id) => Some(*id),
        },
        set: BTreeMap::new(),
        delete: Vec::new(),
    };
    for k in plan.iter().filter(|k| !k.unchanged) {
        if k.before_source == target.own_source() {
            let Some(before) = &k.before else {
                return Err(Error::usage(format!(
                    "config '{}' is sensitive: the broker does not show its value, so no undo \
                     file could restore it; change it with a tool that knows the old value",
                    k.key
                )));
            };
            undo.set.insert(k.key.clone(), before.clone());
        } else {
            undo.delete.push(k.key.clone());
        }
    }
    Ok(undo)
}

pub async fn run(g: &GlobalArgs, a: ConfigArgs) -> Result<i32> {
    change(
        g,
        ConfigResource::Topic(a.name.clone()),
        &Asked {
            set: &a.set,
            delete: &a.delete,
            from_file: a.from_file.as_deref(),
            execute: a.execute,
        },
    )
    .await
}

/// Plans, validates and (with `execute`) applies a config change of a topic or broker.
pub(super) async fn change(g: &GlobalArgs, resource: ConfigResource, a: &Asked<'_>) -> Result<i32> {
    let target = Target { resource };
    let changes = changes_of(a, &target)?;
    let settings = g.settings()?;
    let client = super::budget_client(settings.clone())?;
    let read = |client: crate::kafka::KafkaClient, r: ConfigResource| async move {
        client
            .configs(r)
            .await
            .map(|v| v.iter().map(|c| c.value()).collect::<Vec<ConfigValue>>())
    };
    let current = read(client.clone(), target.resource.clone()).await?;
    let plan = plan(&changes, &current, target.own_source());
    // The broker's own check, also for a dry run: unknown keys, bad values, policies.
    client
        .validate_configs(target.resource.clone(), changes.clone())
        .await?;
    let (topic, broker) = match &target.resource {
        ConfigResource::Topic(t) => (Some(t.as_str()), None),
        ConfigResource::Broker(id) => (None, Some(*id)),
    };
    if !a.execute {
        print(
            g.output,
            &Report {
                topic,
                broker,
                executed: false,
                validated: true,
                changes: &plan,
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
    let writer = client.writer(&format!("change configs of {}", target.resource))?;
    let undo = undo_of(&target, &plan)?;
    let undo_text = serde_json::to_string_pretty(&undo)
        .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    let undo_path = crate::offsets::change::write_undo(
        target.action(),
        &target.name(),
        "json",
        &(undo_text + "\n"),
    )?;
    let audit = crate::offsets::change::Audit::new(&settings, target.action())?;
    let fields = |mismatched: &[String]| {
        serde_json::json!({
            "topic": topic,
            "broker": broker,
            "changes": plan,
            "undo_file": undo_path.to_str(),
            "mismatched": mismatched,
        })
    };
    audit.intent(&fields(&[]))?;
    if let Err(e) = writer
        .alter_configs(target.resource.clone(), changes.clone())
        .await
    {
        let _ = audit.line("outcome", Some("failed"), &fields(&[]));
        return Err(e);
    }
    // Read back: what the broker now says for each key. The change reaches the broker's config
    // cache through the metadata log, a moment after the answer: ask again for a few seconds.
    let own = target.own_source();
    let differs = |after: &[ConfigValue]| -> Vec<String> {
        changes
            .iter()
            .filter(|c| {
                let now = after.iter().find(|v| v.name == key_of(c));
                match c {
                    ConfigChange::Set(_, v) => now.is_none_or(|n| {
                        n.source != own || (!n.sensitive && n.value.as_deref() != Some(v))
                    }),
                    ConfigChange::Delete(_) => now.is_some_and(|n| n.source == own),
                }
            })
            .map(|c| key_of(c).to_string())
            .collect()
    };
    let mut after = read(client.clone(), target.resource.clone()).await;
    for _ in 0..20 {
        match &after {
            Ok(values) if differs(values).is_empty() => break,
            _ => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        after = read(client.clone(), target.resource.clone()).await;
    }
    let mismatched: Vec<String> = match &after {
        Ok(values) => differs(values),
        Err(_) => changes.iter().map(|c| key_of(c).to_string()).collect(),
    };
    let result = if mismatched.is_empty() {
        "applied"
    } else {
        "unverified"
    };
    audit
        .line("outcome", Some(result), &fields(&mismatched))
        .map_err(|e| Error::Io(format!("applied, but {e}")))?;
    let undo_file = undo_path.to_string_lossy().into_owned();
    print(
        g.output,
        &Report {
            topic,
            broker,
            executed: true,
            validated: true,
            changes: &plan,
            mismatched: mismatched.clone(),
            undo_command: Some(target.undo_command(&undo_file)),
            undo_file: Some(undo_file),
        },
    )?;
    if let Err(e) = after {
        return Err(Error::Incomplete(format!(
            "applied, but the configs could not be read back to verify: {e}"
        )));
    }
    if !mismatched.is_empty() {
        return Err(Error::kafka(format!(
            "applied, but reading back shows other values for: {}",
            mismatched.join(", ")
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
                            "set" => opt(&k.after),
                            _ => "(default)".to_string(),
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
