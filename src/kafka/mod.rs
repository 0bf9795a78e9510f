//! The only code that talks to brokers. `KafkaClient` is an async facade: every librdkafka call
//! blocks, so each runs on tokio's blocking pool and never on an executor thread. Requests over
//! many partitions are batched (one ListOffsets per leader, one OffsetFetch per group).
//!
//! One file per part: `config` builds every client's configuration, `client` is the async
//! facade, `call` one blocking call and what requests share, and the admin calls by area:
//! `cluster`, `topics`, `offsets`, `groups` (over `native`, librdkafka's admin API), with
//! `sampler` (the metrics sample), `tail`, `produce`, and `write`/`safety` (what may change the
//! cluster, refused when read-only).

mod acls;
mod call;
mod client;
mod cluster;
mod config;
mod context;
mod groups;
mod leaders;
pub mod msk_iam;
pub mod native;
pub mod oauth;
mod offsets;
pub mod produce;
pub mod record_times;
pub mod safety;
pub mod sampler;
pub mod tail;
mod topics;
mod write;

pub use client::KafkaClient;
pub use config::{client_config, create_client};
pub use context::{clean_reason, KscopeContext, RequestsSent};
pub use groups::SHARE_GROUPS;
pub use native::OffsetSpec;
pub use safety::{check_writable, ClientRole, WriteAccess};
pub use sampler::SampleFilter;
pub use write::Writer;

pub use crate::model::{PartitionOffsets, PartitionRef, Watermarks};

/// Topics whose names start with `__` are the broker's own (`__consumer_offsets`, ...).
pub fn is_internal_topic(name: &str) -> bool {
    name.starts_with("__")
}

/// Kafka protocol ApiKeys that some brokers lack.
pub mod api {
    pub const LIST_OFFSETS: i16 = 2;
    pub const OFFSET_FETCH: i16 = 9;
    pub const DESCRIBE_GROUPS: i16 = 15;
    pub const LIST_GROUPS: i16 = 16;
    pub const CREATE_TOPICS: i16 = 19;
    pub const DELETE_TOPICS: i16 = 20;
    pub const DELETE_RECORDS: i16 = 21;
    pub const DESCRIBE_ACLS: i16 = 29;
    pub const CREATE_ACLS: i16 = 30;
    pub const DELETE_ACLS: i16 = 31;
    pub const DESCRIBE_CONFIGS: i16 = 32;
    pub const INCREMENTAL_ALTER_CONFIGS: i16 = 44;
    pub const OFFSET_DELETE: i16 = 47;
    pub const ELECT_LEADERS: i16 = 43;
    pub const DESCRIBE_QUORUM: i16 = 55;
    pub const DESCRIBE_CLUSTER: i16 = 60;

    pub fn name(key: i16) -> &'static str {
        match key {
            LIST_OFFSETS => "ListOffsets",
            OFFSET_FETCH => "OffsetFetch",
            DESCRIBE_GROUPS => "DescribeGroups",
            LIST_GROUPS => "ListGroups",
            CREATE_TOPICS => "CreateTopics",
            DELETE_TOPICS => "DeleteTopics",
            DELETE_RECORDS => "DeleteRecords",
            DESCRIBE_ACLS => "DescribeAcls",
            CREATE_ACLS => "CreateAcls",
            DELETE_ACLS => "DeleteAcls",
            DESCRIBE_CONFIGS => "DescribeConfigs",
            INCREMENTAL_ALTER_CONFIGS => "IncrementalAlterConfigs",
            OFFSET_DELETE => "OffsetDelete",
            ELECT_LEADERS => "ElectLeaders",
            DESCRIBE_QUORUM => "DescribeQuorum",
            DESCRIBE_CLUSTER => "DescribeCluster",
            _ => "this API",
        }
    }
}

/// The configs `kscope topic` always shows.
pub const KEY_TOPIC_CONFIGS: &[&str] = &[
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "min.insync.replicas",
];
