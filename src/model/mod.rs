//! Plain data about a cluster, as the broker reported it. Serialized field names are part of the
//! documented JSON output: rename nothing without a note in README.md.
//!
//! Numbers a broker did not give (or that would be wrong, like a negative lag) are `None`, printed
//! as `-` in tables and `null` in JSON: never a made-up value that looks right.

use serde::Serialize;

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
    /// `None` when the broker reports no controller or one that is not among the brokers
    /// (the librdkafka mock reports controller 0).
    pub controller_id: Option<i32>,
    pub brokers: Vec<Broker>,
    pub topic_count: usize,
    pub partition_count: usize,
    pub under_replicated_partitions: usize,
    pub offline_partitions: usize,
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
    /// Sum of lag over partitions with a committed offset; `None` if unknown.
    pub total_lag: Option<i64>,
    pub error: Option<String>,
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
