//! One sampling cycle's worth of offsets, as the sampler hands it to the engine.

use serde::Serialize;

use super::time::Millis;

/// Log-end and committed offsets of the sampled topics and groups at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sample {
    /// When the offsets were asked for.
    #[serde(serialize_with = "super::time::serialize_ts")]
    pub at: Millis,
    pub partitions: Vec<PartitionSample>,
    pub groups: Vec<GroupSample>,
    /// Brokers the cluster's metadata listed (`None`: not read).
    pub brokers: Option<usize>,
    /// Requests the cycle sent.
    pub requests: Requests,
    /// Wall time of the cycle.
    pub took_ms: Millis,
    /// Parts of the cycle that failed without failing it (one broker's ListGroups, ...).
    pub errors: Vec<String>,
    /// What the cycle could not read, named: partitions whose offsets are unknown (their
    /// leader did not answer), groups whose offsets could not be fetched, listings that
    /// failed. The engine never treats what is missing as zero or as unchanged.
    pub missing: Vec<crate::model::Missing>,
    /// Timestamps of the records at the sampled groups' committed offsets (lagging
    /// partitions only), for exact time lag. A lagging partition without one gets an
    /// estimate from the log-end history.
    pub record_times: Vec<crate::model::RecordTime>,
}

/// One partition: its offsets and its replication health.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PartitionSample {
    pub topic: String,
    pub partition: i32,
    /// `None` where the broker gave no offset.
    pub log_start: Option<i64>,
    pub log_end: Option<i64>,
    /// `None` when the partition has no leader (offline).
    pub leader: Option<i32>,
    pub replicas: usize,
    pub isr: usize,
}

impl PartitionSample {
    pub fn under_replicated(&self) -> bool {
        self.isr < self.replicas
    }

    pub fn offline(&self) -> bool {
        self.leader.is_none()
    }
}

/// One consumer group: its state and committed offsets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupSample {
    pub group: String,
    /// The state the broker reported (`Stable`, `Empty`, ...), if it could be listed.
    pub state: Option<String>,
    pub offsets: Vec<CommittedOffset>,
    /// Partitions the coordinator gave an error for: their committed offset is unknown.
    pub unknown: Vec<crate::model::PartitionRef>,
    /// Why the offsets could not be read; the engine then keeps what it knew.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommittedOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Requests one cycle sent, by API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Requests {
    pub metadata: u32,
    pub list_groups: u32,
    pub list_offsets: u32,
    pub offset_fetch: u32,
    /// Fetches for the records at committed offsets (one per leader and round).
    pub fetch: u32,
}

impl Requests {
    pub fn total(&self) -> u32 {
        self.metadata + self.list_groups + self.list_offsets + self.offset_fetch + self.fetch
    }
}

/// Whether a group in this state has members (`None` when the state says nothing about it).
pub fn has_members(state: Option<&str>) -> Option<bool> {
    match state? {
        "Stable" | "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling" => {
            Some(true)
        }
        "Empty" | "Dead" => Some(false),
        _ => None,
    }
}
