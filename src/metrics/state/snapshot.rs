//! The read model: what the engine says about the cluster, its topics, partitions and groups,
//! and everything at once ([`Snapshot`]). Plain `Clone + Serialize` data for the console and
//! `kscope watch`.

use serde::Serialize;

use crate::metrics::alerts::ActiveAlert;
use crate::metrics::sample::Requests;
use crate::metrics::status::Status;
use crate::metrics::time::Millis;
use crate::metrics::window::WindowSpec;
use crate::model::PartitionRef;

/// A rate over one window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowValue {
    pub window: WindowSpec,
    /// Per second; `null` when no data covers the window.
    pub per_sec: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterMetrics {
    /// Brokers the last sample's metadata listed (`null` before one).
    pub brokers: Option<usize>,
    pub topics: usize,
    pub partitions: usize,
    pub under_replicated: usize,
    pub offline: usize,
    /// Produce rate over the rate window; `null` while a partition's log end is unknown.
    pub rate: Option<f64>,
    pub rates: Vec<WindowValue>,
    /// Partitions whose log end the last sample could not read (their leader did not answer).
    pub missing_partitions: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicMetrics {
    pub topic: String,
    pub partitions: usize,
    pub under_replicated: usize,
    pub offline: usize,
    /// Partitions whose log end the last sample could not read: while there are any, the
    /// topic's rates are unknown (`null`) rather than the rate of the partitions that answered.
    pub missing_partitions: usize,
    /// Produce rate over the rate window (what rules see as `rate`).
    pub rate: Option<f64>,
    pub rates: Vec<WindowValue>,
    /// Times a partition's log end went backwards (the topic was recreated).
    pub resets: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionMetrics {
    pub topic: String,
    pub partition: i32,
    pub leader: Option<i32>,
    pub under_replicated: bool,
    pub offline: bool,
    pub log_start: Option<i64>,
    pub log_end: Option<i64>,
    pub rates: Vec<WindowValue>,
    pub resets: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMetrics {
    pub group: String,
    /// The state the broker reported (`Stable`, `Empty`, ...).
    pub state: Option<String>,
    /// The worst partition's status over the status window; `null` until it can be told.
    pub status: Option<Status>,
    /// While `status` is `null` for want of samples: how many there are of how many it takes
    /// (the least advanced partition's).
    pub measuring: Option<crate::metrics::status::Measuring>,
    pub worst_partition: Option<PartitionRef>,
    /// Partitions with a committed offset (on sampled topics).
    pub partitions: usize,
    pub total_lag: Option<i64>,
    /// The worst partition's time lag.
    pub lag_seconds: Option<f64>,
    /// How it was found: `exact` only when every partition's is (see `TimeLagMethod`).
    pub time_lag_method: Option<crate::model::TimeLagMethod>,
    /// Lag growth per second over the rate window (negative: catching up).
    pub lag_growth: Option<f64>,
    pub lag_growths: Vec<WindowValue>,
    /// Records committed per second over the rate window.
    pub consume_rate: Option<f64>,
    pub consume_rates: Vec<WindowValue>,
    /// Seconds until the lag is gone at the current lag growth; `null` when it is not shrinking.
    pub eta_seconds: Option<f64>,
    /// Times a committed offset went backwards.
    pub rewinds: u64,
    /// No members, no commit movement seen, and every lagging partition's next record is older
    /// than `inactive_after`: an abandoned group. Rules that do not name it and the
    /// leaderboards leave it out.
    pub inactive: bool,
    /// Why the last OffsetFetch for the group failed (the numbers are from before).
    pub error: Option<String>,
    /// What the last sample could not read for this group (its offsets, or the log end of some
    /// of its partitions). While set, `total_lag` and `lag_seconds` are lower bounds, `status`
    /// and `eta_seconds` are unknown, the lag trend is not extended, and alert rules hold
    /// their state for the group instead of firing or resolving.
    pub incomplete: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPartitionMetrics {
    pub topic: String,
    pub partition: i32,
    pub committed: i64,
    pub log_end: Option<i64>,
    pub lag: Option<i64>,
    pub lag_seconds: Option<f64>,
    /// How the time lag was found: `exact` (from the record at the committed offset),
    /// `estimate` (interpolated from sampled log ends) or `lower_bound`.
    pub time_lag_method: Option<crate::model::TimeLagMethod>,
    /// The committed offset is below the log start; the time lag is the first kept record's.
    pub time_lag_from_log_start: bool,
    pub status: Option<Status>,
    /// While `status` is `null` for want of samples: `have` of `need`.
    pub measuring: Option<crate::metrics::status::Measuring>,
    pub eta_seconds: Option<f64>,
    pub rewinds: u64,
}

/// One entry of a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub name: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaderboards {
    /// Topics by produce rate over the rate window.
    pub topics_by_rate: Vec<Ranked>,
    pub groups_by_lag: Vec<Ranked>,
    /// Groups by lag growth per second over the rate window.
    pub groups_by_lag_growth: Vec<Ranked>,
}

/// Everything at once, for a console frame or a `watch --metrics` line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    #[serde(serialize_with = "crate::metrics::time::serialize_ts")]
    pub at: Millis,
    #[serde(serialize_with = "crate::metrics::time::serialize_opt_ts")]
    pub last_sample: Option<Millis>,
    pub samples: u64,
    /// Samples ignored because they were not newer than the last one.
    pub out_of_order: u64,
    pub requests: Requests,
    pub took_ms: Millis,
    pub errors: Vec<String>,
    /// What the last sample could not read, named.
    pub missing: Vec<crate::model::Missing>,
    pub cluster: ClusterMetrics,
    pub topics: Vec<TopicMetrics>,
    pub groups: Vec<GroupMetrics>,
    pub alerts: Vec<ActiveAlert>,
    pub leaderboards: Leaderboards,
}
