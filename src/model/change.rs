//! Cluster changes as the CLI prints them and the console shows them: a config change's plan
//! (each key's value and source now, and after) and what reading it back found. The broker side
//! is `offsets::config_change`.

use serde::Serialize;

/// One config change asked for: `value` `None` removes the resource's own value (back to the
/// default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigEdit {
    pub key: String,
    pub value: Option<String>,
}

impl ConfigEdit {
    /// The console's entries, separated by spaces: `KEY=VALUE` sets, `-KEY` removes the
    /// resource's own value. Each key once.
    pub fn parse_entries(text: &str) -> Result<Vec<ConfigEdit>, String> {
        let mut edits: Vec<ConfigEdit> = Vec::new();
        for entry in text.split_whitespace() {
            let edit = if let Some(key) = entry.strip_prefix('-') {
                ConfigEdit {
                    key: key.to_string(),
                    value: None,
                }
            } else if let Some((k, v)) = entry.split_once('=') {
                ConfigEdit {
                    key: k.to_string(),
                    value: Some(v.to_string()),
                }
            } else {
                return Err(format!(
                    "'{entry}' is neither KEY=VALUE (set) nor -KEY (back to the default)"
                ));
            };
            if edit.key.is_empty() {
                return Err(format!("'{entry}' names no config key"));
            }
            if edits.iter().any(|e| e.key == edit.key) {
                return Err(format!(
                    "config '{}' is changed twice; name each key once",
                    edit.key
                ));
            }
            edits.push(edit);
        }
        if edits.is_empty() {
            return Err("nothing to change: type KEY=VALUE or -KEY (several with spaces)".into());
        }
        Ok(edits)
    }
}

/// `set` or `delete` (back to the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigAction {
    Set,
    Delete,
}

/// One key of a config change's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigKeyPlan {
    pub key: String,
    /// The value now (`null` when the broker hides it: a sensitive config).
    pub before: Option<String>,
    /// Where the value now comes from (`topic`, `default`, `broker`, ...).
    pub before_source: String,
    pub action: ConfigAction,
    /// The new value; `null` for a delete.
    pub after: Option<String>,
    /// Setting the value it already has, or deleting a value the resource does not set.
    pub unchanged: bool,
}

/// Which resource a config change is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigTarget {
    Topic(String),
    Broker(i32),
}

impl std::fmt::Display for ConfigTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigTarget::Topic(t) => write!(f, "topic '{t}'"),
            ConfigTarget::Broker(b) => write!(f, "broker {b}"),
        }
    }
}

/// A config change planned: nothing applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPlan {
    pub target: ConfigTarget,
    pub edits: Vec<ConfigEdit>,
    pub keys: Vec<ConfigKeyPlan>,
    /// The broker's refusal of the change (validate-only), in its words; `None`: validated.
    pub refused: Option<String>,
}

/// One key read back after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigReadBack {
    pub key: String,
    pub value: Option<String>,
    pub source: Option<String>,
    /// What the broker now says is what was asked.
    pub verified: bool,
}

/// A config change applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigApplied {
    /// Each key as read back (empty when it could not be read back).
    pub read_back: Vec<ConfigReadBack>,
    /// Keys whose read-back value is not what was asked.
    pub mismatched: Vec<String>,
    /// The configs could not be read back at all: why.
    pub read_back_error: Option<String>,
    pub undo_file: String,
    pub undo_command: String,
}

/// Partitions to add to a topic, planned and validated by the broker (nothing applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionsPlan {
    pub topic: String,
    pub partitions_before: usize,
    pub partitions_after: usize,
    /// What the change means for producers and consumers.
    pub note: String,
}

/// What keyed producers and readers must know before partitions are added.
pub const PARTITIONS_NOTE: &str = "keyed records map to other partitions from now on (the \
    default partitioner hashes the key over the partition count); per-key order across the \
    change is lost, and partitions cannot be removed again";

/// Partitions added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionsAdded {
    /// The partition count the metadata shows after.
    pub partitions_now: usize,
    pub verified: bool,
}

/// Where a truncation ends in each partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TruncatePoint {
    /// The same offset in every partition.
    Offset(i64),
    /// The first record at or after this time (ms since the epoch).
    Time(i64),
    /// The group's committed offsets.
    Group(String),
}

/// One partition of a truncation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TruncatePartition {
    pub partition: i32,
    pub log_start: i64,
    pub log_end: i64,
    /// The log start after the deletion.
    pub new_log_start: i64,
    pub records_deleted: i64,
    /// After an execute: the log start the broker reported, or its error.
    pub result_log_start: Option<i64>,
    pub error: Option<String>,
}

/// A group whose committed offsets fall below the new log start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BehindGroup {
    pub group: String,
    /// Partitions where the group's committed offset is below the new log start.
    pub partitions: Vec<i32>,
}

/// A truncation (DeleteRecords) planned, or (with `executed`) applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TruncatePlan {
    pub topic: String,
    pub executed: bool,
    pub records_deleted: i64,
    pub partitions: Vec<TruncatePartition>,
    /// Groups that have not read what goes: they will skip to the new log start.
    pub groups_behind: Vec<BehindGroup>,
    /// Groups whose offsets could not be read (so they may be behind too).
    pub groups_unknown: Vec<String>,
}

impl TruncatePlan {
    /// Partitions the broker did not truncate (after an execute).
    pub fn failed(&self) -> usize {
        self.partitions.iter().filter(|p| p.error.is_some()).count()
    }

    /// Partitions the broker truncated (after an execute).
    pub fn applied(&self) -> usize {
        self.partitions
            .iter()
            .filter(|p| p.result_log_start.is_some())
            .count()
    }

    /// After an execute, as the audit's outcome says it: `applied`, `partial` (some partitions
    /// truncated, some not) or `failed` (none).
    pub fn result(&self) -> &'static str {
        match (self.failed(), self.applied()) {
            (0, _) => "applied",
            (_, 0) => "failed",
            _ => "partial",
        }
    }
}

/// What a preferred leader election does with one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ElectAction {
    /// Its preferred replica is in sync: the election moves the leadership to it.
    Elect,
    /// Its preferred replica is not in sync: left as it is.
    Skip,
}

/// One partition not led by its preferred replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElectPartition {
    pub topic: String,
    pub partition: i32,
    pub leader: Option<i32>,
    pub preferred: Option<i32>,
    pub action: ElectAction,
    /// After an execute: the leader the metadata shows.
    pub leader_after: Option<i32>,
    pub error: Option<String>,
}

/// A preferred leader election planned, or (with `executed`) run and read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElectPlan {
    /// `topic T` or `all topics`.
    pub scope: String,
    pub executed: bool,
    pub partitions: Vec<ElectPartition>,
    /// After an execute: partitions now led by their preferred replica.
    pub moved: usize,
    /// After an execute: why the leaders could not be read back, if they could not.
    #[serde(skip)]
    pub read_back_error: Option<String>,
}

impl ElectPlan {
    /// Partitions the election would move.
    pub fn electable(&self) -> usize {
        self.partitions
            .iter()
            .filter(|p| p.action == ElectAction::Elect)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_entries_set_and_delete_each_key_once() {
        let e =
            ConfigEdit::parse_entries("  retention.ms=1=2   -cleanup.policy segment.ms= ").unwrap();
        assert_eq!(
            e,
            vec![
                ConfigEdit {
                    key: "retention.ms".into(),
                    value: Some("1=2".into())
                },
                ConfigEdit {
                    key: "cleanup.policy".into(),
                    value: None
                },
                ConfigEdit {
                    key: "segment.ms".into(),
                    value: Some(String::new())
                },
            ]
        );
        for (text, why) in [
            ("", "nothing to change"),
            ("retention.ms", "neither KEY=VALUE"),
            ("-", "names no config key"),
            ("=5", "names no config key"),
            ("a=1 -a", "changed twice"),
        ] {
            let err = ConfigEdit::parse_entries(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }
}
