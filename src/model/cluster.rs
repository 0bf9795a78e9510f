//! What a broker reports about the cluster, its topics and its consumer groups.

use serde::Serialize;

use super::{Failure, Gaps};

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

/// A config as DescribeConfigs gives it, with whether the broker can change it while running.
#[derive(Debug, Clone, Serialize)]
pub struct DescribedConfig {
    pub name: String,
    /// `None` when the broker hides it (sensitive) or has none.
    pub value: Option<String>,
    /// `broker` (this broker's dynamic value), `broker-default` (the cluster-wide dynamic
    /// default), `static-broker` (server.properties), `default`, ... as the broker said.
    pub source: String,
    pub sensitive: bool,
    /// Not changeable while the broker runs (only in its properties file).
    pub read_only: bool,
}

impl DescribedConfig {
    pub fn value(&self) -> ConfigValue {
        ConfigValue {
            name: self.name.clone(),
            value: self.value.clone(),
            source: self.source.clone(),
            sensitive: self.sensitive,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicDetail {
    pub name: String,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
    pub configs: Vec<ConfigValue>,
    /// Why configs are missing (for example DescribeConfigs unsupported by the broker).
    pub configs_error: Option<Failure>,
    /// Consumer groups with committed offsets on this topic or members assigned to it.
    pub groups: Vec<String>,
    pub groups_error: Option<Failure>,
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
    /// The worst partition's time lag: now minus the timestamp of the record at its committed
    /// offset (0 with nothing to read).
    pub time_lag_ms: Option<i64>,
    /// `exact`, or `lower_bound` when some lagging partition's record could not be read.
    pub time_lag_method: Option<super::TimeLagMethod>,
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
    /// KIP-848 consumer groups: the assignment the coordinator's assignor targets for this
    /// member (the current `assignment` converges to it); `None` for classic groups, whose
    /// assignment the group leader computes.
    pub target_assignment: Option<Vec<TopicPartitions>>,
    /// KIP-848 consumer groups: the member's epoch, the target assignment epoch it has
    /// reconciled to (below the group's `assignment_epoch` while it still moves to its target;
    /// -2 for a static member away for a while); `None` for classic groups.
    pub member_epoch: Option<i32>,
}

impl Member {
    /// A KIP-848 member not yet at the group's current target assignment (its epoch is below
    /// the target assignment epoch). `false` when either epoch is unknown, and for a static
    /// member away for a while (epoch -2, see [`Member::away`]).
    pub fn reconciling(&self, assignment_epoch: Option<i32>) -> bool {
        match (self.member_epoch, assignment_epoch) {
            (Some(m), Some(a)) => m >= 0 && m < a,
            _ => false,
        }
    }

    /// A KIP-848 static member that left for a while (epoch -2): it keeps its assignment
    /// until its session times out.
    pub fn away(&self) -> bool {
        self.member_epoch == Some(-2)
    }
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
    /// Now minus the timestamp of the record at the committed offset (0 when `lag` is 0);
    /// `None` when the record could not be read.
    pub time_lag_ms: Option<i64>,
    /// `exact` whenever `time_lag_ms` is set.
    pub time_lag_method: Option<super::TimeLagMethod>,
    /// The committed offset is below the log start: the time lag is the first kept record's.
    pub time_lag_from_log_start: bool,
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
    /// KIP-848 consumer groups: the group epoch (bumped when members or subscriptions
    /// change) and the epoch of the target assignment the coordinator last computed; `None`
    /// for classic groups.
    pub group_epoch: Option<i32>,
    pub assignment_epoch: Option<i32>,
    pub members: Vec<Member>,
    pub partitions: Vec<PartitionLag>,
    pub total_lag: Option<i64>,
    /// The worst partition's time lag, `exact` or `lower_bound` (see `GroupSummary`).
    pub time_lag_ms: Option<i64>,
    pub time_lag_method: Option<super::TimeLagMethod>,
    /// Why the group description is missing (for example DescribeGroups unsupported).
    pub describe_error: Option<Failure>,
    /// What could not be read: partitions whose log end is unknown (their leader is named),
    /// members when the coordinator did not answer. `total_lag` is then a lower bound.
    #[serde(flatten)]
    pub gaps: Gaps,
}

/// One partition's leadership against its preferred replica (the first of its replicas).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartitionLeader {
    pub topic: String,
    pub partition: i32,
    /// `None` when the partition is offline.
    pub leader: Option<i32>,
    /// The first replica; `None` for a partition without replicas.
    pub preferred: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

impl PartitionLeader {
    /// Led by a replica other than the preferred one (or offline).
    pub fn not_preferred(&self) -> bool {
        self.preferred.is_some() && self.leader != self.preferred
    }

    /// A preferred election can move the leadership: the preferred replica is in sync.
    pub fn electable(&self) -> bool {
        self.preferred.is_some_and(|p| self.isr.contains(&p))
    }
}
