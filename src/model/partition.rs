//! One partition named, and offsets of many partitions with what is missing.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Missing;

/// A partition of a topic: the one name for it in maps, plans, reports and metrics. In JSON
/// `{"topic": .., "partition": ..}`; on screen and in messages `topic/partition`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PartitionRef {
    pub topic: String,
    pub partition: i32,
}

impl PartitionRef {
    pub fn new(topic: impl Into<String>, partition: i32) -> PartitionRef {
        PartitionRef {
            topic: topic.into(),
            partition,
        }
    }
}

impl std::fmt::Display for PartitionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

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
    pub values: HashMap<PartitionRef, T>,
    pub missing: BTreeMap<PartitionRef, Missing>,
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
    pub fn get(&self, tp: &PartitionRef) -> Option<T> {
        self.values.get(tp).copied()
    }
}
