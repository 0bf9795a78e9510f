//! Plain data about a cluster, as the broker reported it. Serialized field names are part of the
//! documented JSON output: rename nothing without a note in README.md.
//!
//! Numbers a broker did not give (or that would be wrong, like a negative lag) are `None`, printed
//! as `-` in tables and `null` in JSON: never a made-up value that looks right.

use serde::Serialize;

pub use crate::error::ErrorKind;

/// What an answer lacks: one thing kscope asked a broker for and could not get, named (which
/// partition, group or broker), with the kind of failure and the broker's or client's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    #[serde(flatten)]
    pub subject: Subject,
    /// The kind of failure (`unavailable`, `timed_out`, `not_authorized`, ...).
    pub reason: ErrorKind,
    pub message: String,
}

/// What a [`Missing`] entry is about. In JSON, `kind` says which and the other fields name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A partition's offsets (log start, log end or an offset for a time), from its leader.
    Partition {
        topic: String,
        partition: i32,
        /// The partition's leader as the metadata said, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        leader: Option<i32>,
    },
    /// A group's committed offsets (OffsetFetch, from its coordinator).
    GroupOffsets { group: String },
    /// A group's state and members (DescribeGroups, from its coordinator).
    GroupMembers { group: String },
    /// A topic (its metadata).
    Topic { topic: String },
    /// A topic's configs (DescribeConfigs).
    TopicConfigs { topic: String },
    /// The groups reading a topic.
    TopicGroups { topic: String },
    /// One broker's list of groups (ListGroups is asked of every broker).
    GroupListing {
        #[serde(skip_serializing_if = "Option::is_none")]
        broker: Option<i32>,
    },
    /// A broker the answer needed.
    Broker { broker: i32 },
    /// Cluster-wide facts (DescribeCluster).
    Cluster,
}

impl Missing {
    pub fn new(subject: Subject, error: &crate::error::Error) -> Missing {
        Missing {
            subject,
            reason: error.kind(),
            message: error.to_string(),
        }
    }

    pub fn partition(
        topic: &str,
        partition: i32,
        leader: Option<i32>,
        reason: ErrorKind,
        message: String,
    ) -> Missing {
        Missing {
            subject: Subject::Partition {
                topic: topic.to_string(),
                partition,
                leader,
            },
            reason,
            message,
        }
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Partition {
                topic, partition, ..
            } => write!(f, "{topic}/{partition}"),
            Subject::GroupOffsets { group } => write!(f, "offsets of group '{group}'"),
            Subject::GroupMembers { group } => write!(f, "members of group '{group}'"),
            Subject::Topic { topic } => write!(f, "topic '{topic}'"),
            Subject::TopicConfigs { topic } => write!(f, "configs of topic '{topic}'"),
            Subject::TopicGroups { topic } => write!(f, "groups reading topic '{topic}'"),
            Subject::GroupListing { broker: Some(b) } => write!(f, "groups listed by broker {b}"),
            Subject::GroupListing { broker: None } => write!(f, "the group listing"),
            Subject::Broker { broker } => write!(f, "broker {broker}"),
            Subject::Cluster => write!(f, "the cluster description"),
        }
    }
}

/// What is missing from an answer, as `complete` and `missing` fields (flattened into the
/// answer's JSON object). Empty means complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gaps(pub Vec<Missing>);

impl Gaps {
    pub fn is_complete(&self) -> bool {
        self.0.is_empty()
    }

    pub fn push(&mut self, m: Missing) {
        if !self.0.contains(&m) {
            self.0.push(m);
        }
    }

    pub fn extend(&mut self, ms: impl IntoIterator<Item = Missing>) {
        for m in ms {
            self.push(m);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Missing> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Partitions among the missing entries.
    pub fn partitions(&self) -> usize {
        self.0
            .iter()
            .filter(|m| matches!(m.subject, Subject::Partition { .. }))
            .count()
    }

    /// One line for a person: what is missing and why, grouped by reason, e.g.
    /// `log end unknown for orders/2, orders/5: leader 1 unavailable`. Empty when complete.
    pub fn summary(&self) -> String {
        summarize(&self.0)
    }
}

impl Serialize for Gaps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("complete", &self.is_complete())?;
        m.serialize_entry("missing", &self.0)?;
        m.end()
    }
}

/// Groups missing entries by their message's reason and lists up to a few subjects of each.
pub fn summarize(missing: &[Missing]) -> String {
    const SHOWN: usize = 4;
    let mut by_message: Vec<(String, Vec<String>)> = Vec::new();
    for m in missing {
        let key = reason_text(m);
        let subject = m.subject.to_string();
        match by_message.iter_mut().find(|(k, _)| *k == key) {
            Some((_, subjects)) => subjects.push(subject),
            None => by_message.push((key, vec![subject])),
        }
    }
    by_message
        .into_iter()
        .map(|(why, subjects)| {
            let n = subjects.len();
            let mut shown: Vec<String> = subjects.into_iter().take(SHOWN).collect();
            if n > SHOWN {
                shown.push(format!("and {} more", n - SHOWN));
            }
            format!("{}: {why}", shown.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The part of a missing entry's message that says why (its subject is listed separately).
fn reason_text(m: &Missing) -> String {
    match &m.subject {
        Subject::Partition {
            leader: Some(l), ..
        } => format!("leader {l} {}", reason_phrase(m.reason, &m.message)),
        _ => m.message.clone(),
    }
}

fn reason_phrase(kind: ErrorKind, message: &str) -> String {
    match kind {
        ErrorKind::TimedOut => format!("did not answer ({message})"),
        ErrorKind::Unavailable => format!("unavailable ({message})"),
        _ => format!("failed ({message})"),
    }
}

/// A partition of a topic.
pub type TopicPartition = (String, i32);

/// Watermarks of one partition; `None` where the broker gave no offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Watermarks {
    pub low: Option<i64>,
    pub high: Option<i64>,
}

/// Offsets of many partitions: each partition's value, or why it is missing. A partition is in
/// at most one of the two maps; one in neither was not asked about (or, for committed offsets,
/// has no commit).
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionOffsets<T> {
    pub values: std::collections::HashMap<TopicPartition, T>,
    pub missing: std::collections::BTreeMap<TopicPartition, Missing>,
}

impl<T> Default for PartitionOffsets<T> {
    fn default() -> Self {
        PartitionOffsets {
            values: Default::default(),
            missing: Default::default(),
        }
    }
}

impl<T: Copy> PartitionOffsets<T> {
    pub fn get(&self, tp: &TopicPartition) -> Option<T> {
        self.values.get(tp).copied()
    }
}

/// A list of items and what the list itself lacks (items it could not learn about); each item
/// says what it lacks itself. In JSON: `{"complete": .., "missing": [..], "<items>": [..]}`.
#[derive(Debug, Clone, Default)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub gaps: Gaps,
}

impl<T> From<Vec<T>> for Listing<T> {
    /// A complete list.
    fn from(items: Vec<T>) -> Self {
        Listing {
            items,
            gaps: Gaps::default(),
        }
    }
}

impl<T> Listing<T> {
    /// Whether the list and every item in it are complete.
    pub fn is_complete(&self, item_gaps: impl Fn(&T) -> &Gaps) -> bool {
        self.gaps.is_complete() && self.items.iter().all(|i| item_gaps(i).is_complete())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broker {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
}

impl Broker {
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterInfo {
    pub cluster_id: Option<String>,
    /// `None` when the broker reports no controller, one that is not among the brokers (the
    /// librdkafka mock reports controller 0), or the cluster runs in KRaft mode (where the
    /// controller clients are told of is a broker picked per answer, not the active controller).
    pub controller_id: Option<i32>,
    /// The brokers run in KRaft mode (they answer DescribeQuorum).
    pub kraft: bool,
    pub brokers: Vec<Broker>,
    pub topic_count: usize,
    pub partition_count: usize,
    pub under_replicated_partitions: usize,
    pub offline_partitions: usize,
    #[serde(flatten)]
    pub gaps: Gaps,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicSummary {
    pub name: String,
    pub internal: bool,
    pub partitions: usize,
    pub replication_factor: usize,
    pub under_replicated_partitions: usize,
    pub offline_partitions: usize,
    /// Sum over partitions of high minus low watermark; `None` if any partition's offsets are unknown.
    pub messages: Option<i64>,
    /// Sum over partitions of the high watermark (its growth is the produce rate).
    pub log_end_offsets: Option<i64>,
    #[serde(flatten)]
    pub gaps: Gaps,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionInfo {
    pub partition: i32,
    /// `None` when the partition is offline (no leader).
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub under_replicated: bool,
    pub low_watermark: Option<i64>,
    pub high_watermark: Option<i64>,
    /// High minus low watermark (an upper bound on compacted or transactional topics).
    pub messages: Option<i64>,
    /// An error the broker reported for this partition, if any.
    pub error: Option<String>,
}

impl PartitionInfo {
    pub fn is_offline(&self) -> bool {
        self.leader.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigValue {
    pub name: String,
    pub value: Option<String>,
    /// Where the value comes from: `topic`, `broker`, `default`, ... as the broker said.
    pub source: String,
    pub sensitive: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicDetail {
    pub name: String,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
    pub configs: Vec<ConfigValue>,
    /// Why configs are missing (for example DescribeConfigs unsupported by the broker).
    pub configs_error: Option<String>,
    /// Consumer groups with committed offsets on this topic or members assigned to it.
    pub groups: Vec<String>,
    pub groups_error: Option<String>,
    #[serde(flatten)]
    pub gaps: Gaps,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub group: String,
    /// As the broker reported it: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead,
    /// or Unknown.
    pub state: String,
    /// The partition assignor (e.g. `range`, `cooperative-sticky`); empty for simple groups.
    pub protocol: String,
    /// `classic` or `consumer` (KIP-848), when the broker says.
    pub kind: Option<String>,
    pub members: usize,
    /// Sum of lag over partitions with a committed offset and a known log end; `None` if
    /// unknown. When the group is not complete (`complete: false`) this is a lower bound.
    pub total_lag: Option<i64>,
    pub error: Option<String>,
    #[serde(flatten)]
    pub gaps: Gaps,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TopicPartitions {
    pub topic: String,
    pub partitions: Vec<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub instance_id: Option<String>,
    pub assignment: Vec<TopicPartitions>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// `None` when the group has no committed offset for this partition.
    pub committed: Option<i64>,
    pub log_start: Option<i64>,
    pub log_end: Option<i64>,
    /// `log_end - committed`; `None` when either is unknown or the difference would be negative.
    pub lag: Option<i64>,
    /// The member the partition is assigned to, if the group is active.
    pub member_id: Option<String>,
    pub client_id: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupDetail {
    pub group: String,
    pub state: String,
    pub protocol: String,
    pub kind: Option<String>,
    pub coordinator: Option<Broker>,
    pub members: Vec<Member>,
    pub partitions: Vec<PartitionLag>,
    pub total_lag: Option<i64>,
    /// Why the group description is missing (for example DescribeGroups unsupported).
    pub describe_error: Option<String>,
    /// What could not be read: partitions whose log end is unknown (their leader is named),
    /// members when the coordinator did not answer. `total_lag` is then a lower bound.
    #[serde(flatten)]
    pub gaps: Gaps,
}

/// Lag of one partition: `None` rather than a negative number when the broker's numbers disagree.
pub fn lag(committed: Option<i64>, log_end: Option<i64>) -> Option<i64> {
    match (committed, log_end) {
        (Some(c), Some(e)) if c >= 0 && e >= c => Some(e - c),
        _ => None,
    }
}

/// Sum of the known lags; `None` if no partition has a known lag.
pub fn total_lag<'a>(lags: impl IntoIterator<Item = &'a PartitionLag>) -> Option<i64> {
    lags.into_iter()
        .filter_map(|p| p.lag)
        .fold(None, |acc, l| Some(acc.unwrap_or(0) + l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_never_negative() {
        assert_eq!(lag(Some(5), Some(10)), Some(5));
        assert_eq!(lag(Some(10), Some(10)), Some(0));
        assert_eq!(lag(Some(11), Some(10)), None);
        assert_eq!(lag(None, Some(10)), None);
        assert_eq!(lag(Some(3), None), None);
        assert_eq!(lag(Some(-1001), Some(10)), None);
    }
}
