//! Plain data shared by every layer: what a broker reported about a cluster, what an answer
//! lacks, partitions and their offsets, severities. Serialized field names are part of the
//! documented JSON output: rename nothing without a note in README.md.
//!
//! Numbers a broker did not give (or that would be wrong, like a negative lag) are `None`, printed
//! as `-` in tables and `null` in JSON: never a made-up value that looks right.

mod acl;
mod change;
mod cluster;
mod failure;
mod gaps;
mod partition;
mod severity;
mod subjects;
mod timelag;

pub use crate::error::ErrorKind;
pub use acl::{Acl, AclAction, AclFilter, AclPlan, AclPlanned};
pub use change::{
    BehindGroup, ConfigAction, ConfigApplied, ConfigEdit, ConfigKeyPlan, ConfigPlan,
    ConfigReadBack, ConfigTarget, ElectAction, ElectPartition, ElectPlan, PartitionsAdded,
    PartitionsPlan, TruncatePartition, TruncatePlan, TruncatePoint, PARTITIONS_NOTE,
};
pub use cluster::{
    Broker, ClusterInfo, ConfigValue, DescribedConfig, GroupDetail, GroupSummary, Member,
    PartitionInfo, PartitionLag, PartitionLeader, TopicDetail, TopicPartitions, TopicSummary,
};
pub use failure::Failure;
pub use gaps::{summarize, Gaps, Listing, Missing, Subject};
pub use partition::{PartitionOffsets, PartitionRef, Watermarks};
pub use severity::Severity;
pub use subjects::{
    RegistrySubject, SubjectListing, SubjectSchema, SubjectVersionRow, SubjectVersions,
    SUBJECTS_READ, VERSIONS_READ,
};
pub use timelag::{time_lag_ms, worst_time_lag, RecordTime, TimeLagMethod};

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
