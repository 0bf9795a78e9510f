//! Changing a topic's or a broker's configs, for `kscope topic config`, `kscope broker N
//! configs` and the console's `e` on a topic alike: the plan (each key's value and source now
//! and after) checked by the broker itself (IncrementalAlterConfigs, validate-only); applying
//! writes the undo file and the audit intent first, changes only the keys named, reads the
//! configs back until they show the change (or a few seconds pass), and audits the outcome.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::ConnectionSettings;
use crate::error::{Error, Result};
use crate::kafka::native::{ConfigChange, ConfigResource};
use crate::kafka::KafkaClient;
use crate::model::{
    ConfigAction, ConfigApplied, ConfigEdit, ConfigKeyPlan, ConfigPlan, ConfigReadBack,
    ConfigTarget, ConfigValue,
};

/// The undo file: what restores the configs as they were before a change.
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

fn resource(t: &ConfigTarget) -> ConfigResource {
    match t {
        ConfigTarget::Topic(n) => ConfigResource::Topic(n.clone()),
        ConfigTarget::Broker(id) => ConfigResource::Broker(*id),
    }
}

/// The source of a value the resource itself sets (what an undo puts back, a delete removes).
fn own_source(t: &ConfigTarget) -> &'static str {
    match t {
        ConfigTarget::Topic(_) => "topic",
        ConfigTarget::Broker(_) => "broker",
    }
}

fn undo_kind(t: &ConfigTarget) -> &'static str {
    match t {
        ConfigTarget::Topic(_) => UNDO_KIND,
        ConfigTarget::Broker(_) => BROKER_UNDO_KIND,
    }
}

fn what(t: &ConfigTarget) -> &'static str {
    match t {
        ConfigTarget::Topic(_) => "topic config",
        ConfigTarget::Broker(_) => "broker config",
    }
}

/// `topic-config` or `broker-config`: the audit action and the undo file's prefix.
fn action(t: &ConfigTarget) -> &'static str {
    match t {
        ConfigTarget::Topic(_) => "topic-config",
        ConfigTarget::Broker(_) => "broker-config",
    }
}

fn name(t: &ConfigTarget) -> String {
    match t {
        ConfigTarget::Topic(n) => n.clone(),
        ConfigTarget::Broker(id) => id.to_string(),
    }
}

/// The command that applies an undo file of `t`.
pub fn undo_command(t: &ConfigTarget, file: &str) -> String {
    use super::shell_quote;
    match t {
        ConfigTarget::Topic(n) => format!(
            "kscope topic config {} --from-file {} --execute",
            shell_quote(n),
            shell_quote(file)
        ),
        ConfigTarget::Broker(id) => format!(
            "kscope broker {id} configs --from-file {} --execute",
            shell_quote(file)
        ),
    }
}

/// The changes an undo file of an earlier change of `t` makes.
pub fn edits_from_undo_file(path: &Path, t: &ConfigTarget) -> Result<Vec<ConfigEdit>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("cannot read undo file {}: {e}", path.display())))?;
    let undo: UndoFile = serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "{} is not a {} undo file: {e}",
            path.display(),
            what(t)
        ))
    })?;
    if undo.kind != undo_kind(t) {
        return Err(Error::usage(format!(
            "{} is not a {} undo file (kind '{}')",
            path.display(),
            what(t),
            undo.kind
        )));
    }
    let matches = match t {
        ConfigTarget::Topic(n) => undo.topic.as_ref() == Some(n),
        ConfigTarget::Broker(id) => undo.broker == Some(*id),
    };
    if !matches {
        let of = match (&undo.topic, undo.broker) {
            (Some(n), _) => format!("topic '{n}'"),
            (None, Some(b)) => format!("broker {b}"),
            (None, None) => "nothing".to_string(),
        };
        return Err(Error::usage(format!(
            "{} is for {of}, not {t}",
            path.display()
        )));
    }
    let mut edits: Vec<ConfigEdit> = undo
        .set
        .into_iter()
        .map(|(key, v)| ConfigEdit {
            key,
            value: Some(v),
        })
        .collect();
    edits.extend(
        undo.delete
            .into_iter()
            .map(|key| ConfigEdit { key, value: None }),
    );
    Ok(edits)
}

/// Refuses no change at all, an empty key, and a key named twice.
pub fn check_edits(edits: &[ConfigEdit]) -> Result<()> {
    if edits.is_empty() {
        return Err(Error::usage(
            "nothing to change: give --set KEY=VALUE, --delete KEY or --from-file UNDO".to_string(),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in edits {
        if e.key.is_empty() {
            return Err(Error::usage("a config key is empty".to_string()));
        }
        if !seen.insert(e.key.as_str()) {
            return Err(Error::usage(format!(
                "config '{}' is changed twice; name each key once",
                e.key
            )));
        }
    }
    Ok(())
}

fn changes(edits: &[ConfigEdit]) -> Vec<ConfigChange> {
    edits
        .iter()
        .map(|e| match &e.value {
            Some(v) => ConfigChange::Set(e.key.clone(), v.clone()),
            None => ConfigChange::Delete(e.key.clone()),
        })
        .collect()
}

async fn read(client: &KafkaClient, t: &ConfigTarget) -> Result<Vec<ConfigValue>> {
    client
        .configs(resource(t))
        .await
        .map(|v| v.iter().map(|c| c.value()).collect())
}

fn keys_of(edits: &[ConfigEdit], current: &[ConfigValue], own: &str) -> Vec<ConfigKeyPlan> {
    edits
        .iter()
        .map(|e| {
            let now = current.iter().find(|v| v.name == e.key);
            let before = now.and_then(|v| v.value.clone());
            let before_source = now
                .map(|v| v.source.clone())
                .unwrap_or_else(|| "unknown key".to_string());
            let own_level = before_source == own;
            match &e.value {
                Some(v) => ConfigKeyPlan {
                    key: e.key.clone(),
                    unchanged: own_level && before.as_deref() == Some(v.as_str()),
                    before,
                    before_source,
                    action: ConfigAction::Set,
                    after: Some(v.clone()),
                },
                None => ConfigKeyPlan {
                    key: e.key.clone(),
                    unchanged: !own_level,
                    before,
                    before_source,
                    action: ConfigAction::Delete,
                    after: None,
                },
            }
        })
        .collect()
}

/// Plans `edits` of `t` from its configs now, and has the broker validate them (nothing is
/// applied). The broker's refusal is in the plan (`refused`) and returned as the error it was
/// (unknown key, bad value: a usage error), so the CLI exits with its kind.
pub async fn plan(
    client: &KafkaClient,
    t: &ConfigTarget,
    edits: Vec<ConfigEdit>,
) -> Result<(ConfigPlan, Result<()>)> {
    check_edits(&edits)?;
    let current = read(client, t).await?;
    let keys = keys_of(&edits, &current, own_source(t));
    // The broker's own check, also for a dry run: unknown keys, bad values, policies.
    let verdict = client.validate_configs(resource(t), changes(&edits)).await;
    let plan = ConfigPlan {
        target: t.clone(),
        edits,
        keys,
        refused: verdict.as_ref().err().map(|e| e.to_string()),
    };
    Ok((plan, verdict))
}

/// What restores the configs of `plan` as they were.
fn undo_of(plan: &ConfigPlan) -> Result<UndoFile> {
    let t = &plan.target;
    let mut undo = UndoFile {
        kind: undo_kind(t).to_string(),
        topic: match t {
            ConfigTarget::Topic(n) => Some(n.clone()),
            ConfigTarget::Broker(_) => None,
        },
        broker: match t {
            ConfigTarget::Topic(_) => None,
            ConfigTarget::Broker(id) => Some(*id),
        },
        set: BTreeMap::new(),
        delete: Vec::new(),
    };
    for k in plan.keys.iter().filter(|k| !k.unchanged) {
        if k.before_source == own_source(t) {
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

/// Whether `now` (what the broker says of the key) is what `e` asked for.
fn verified(e: &ConfigEdit, now: Option<&ConfigValue>, own: &str) -> bool {
    match &e.value {
        Some(v) => {
            now.is_some_and(|n| n.source == own && (n.sensitive || n.value.as_deref() == Some(v)))
        }
        None => now.is_none_or(|n| n.source != own),
    }
}

/// Applies a planned change: refused read-only (exit 4) before anything is written; then the
/// undo file, the audit intent, IncrementalAlterConfigs of only the keys named, the read-back
/// and the audit outcome (`applied`, or `unverified` with the keys that differ). A failed
/// apply is an error (audited `failed`); a read-back that differs or could not be made is in
/// the result.
pub async fn apply(
    client: &KafkaClient,
    settings: &ConnectionSettings,
    plan: &ConfigPlan,
) -> Result<ConfigApplied> {
    let t = &plan.target;
    let writer = client.writer(&format!("change configs of {}", resource(t)))?;
    if let Some(why) = &plan.refused {
        return Err(Error::usage(format!(
            "not applied: the broker refused the change: {why}"
        )));
    }
    let undo = undo_of(plan)?;
    let undo_text = serde_json::to_string_pretty(&undo)
        .map_err(|e| Error::Io(format!("cannot write JSON: {e}")))?;
    let undo_path = super::change::write_undo(action(t), &name(t), "json", &(undo_text + "\n"))?;
    let audit = super::change::Audit::new(settings, action(t))?;
    let (topic, broker) = match t {
        ConfigTarget::Topic(n) => (Some(n.as_str()), None),
        ConfigTarget::Broker(id) => (None, Some(*id)),
    };
    let fields = |mismatched: &[String]| {
        serde_json::json!({
            "topic": topic,
            "broker": broker,
            "changes": plan.keys,
            "undo_file": undo_path.to_str(),
            "mismatched": mismatched,
        })
    };
    audit.intent(&fields(&[]))?;
    if let Err(e) = writer
        .alter_configs(resource(t), changes(&plan.edits))
        .await
    {
        let _ = audit.line("outcome", Some("failed"), &fields(&[]));
        return Err(e);
    }
    // Read back: what the broker now says for each key. The change reaches the broker's config
    // cache through the metadata log, a moment after the answer: ask again for a few seconds.
    let own = own_source(t);
    let differs = |after: &[ConfigValue]| -> Vec<String> {
        plan.edits
            .iter()
            .filter(|e| !verified(e, after.iter().find(|v| v.name == e.key), own))
            .map(|e| e.key.clone())
            .collect()
    };
    let mut after = read(client, t).await;
    for _ in 0..20 {
        match &after {
            Ok(values) if differs(values).is_empty() => break,
            _ => {}
        }
        if client.budget_left() < std::time::Duration::from_millis(500) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        after = read(client, t).await;
    }
    let (mismatched, read_back, read_back_error) = match &after {
        Ok(values) => (
            differs(values),
            plan.edits
                .iter()
                .map(|e| {
                    let now = values.iter().find(|v| v.name == e.key);
                    ConfigReadBack {
                        key: e.key.clone(),
                        value: now.and_then(|n| n.value.clone()),
                        source: now.map(|n| n.source.clone()),
                        verified: verified(e, now, own),
                    }
                })
                .collect(),
            None,
        ),
        Err(e) => (
            plan.edits.iter().map(|e| e.key.clone()).collect(),
            Vec::new(),
            Some(e.to_string()),
        ),
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
    Ok(ConfigApplied {
        read_back,
        mismatched,
        read_back_error,
        undo_command: undo_command(t, &undo_file),
        undo_file,
    })
}
