//! The metrics engine: turns samples of log-end and committed offsets into produce and consume
//! rates, lag trends, time lag, Burrow-style group status, alerts and leaderboards, and turns
//! the records a tail reads into event-time windows and sessions.
//!
//! Pure code: no IO, no clock reads, no tokio or rdkafka. Every function that depends on the
//! time takes `now` (milliseconds since the epoch) as a parameter, so the whole engine can be
//! driven by crafted samples in tests.
//!
//! The usual flow: the sampler (`kafka::sampler`) takes a [`Sample`]; [`MetricsState::ingest`]
//! takes it in and returns the alerts that fired or resolved; views such as
//! [`MetricsState::snapshot`] give plain `Clone + Serialize` data to render.

pub mod alerts;
pub mod event_time;
pub mod glob;
pub mod rules;
pub mod sample;
pub mod silence;
pub mod state;
pub mod status;
pub mod time;
pub mod timelag;
pub mod window;

pub use alerts::{ActiveAlert, AlertEvent, AlertPhase, EventState};
pub use event_time::{EventTimeConfig, EventTimeWindows, TailStats};
pub use rules::{default_rules, AlertRule};
pub use sample::{CommittedOffset, GroupSample, PartitionSample, Requests, Sample};
pub use silence::{Silence, SilenceChange, Silences};
pub use state::{
    ClusterMetrics, GroupMetrics, GroupPartitionMetrics, Leaderboards, MetricsConfig, MetricsState,
    PartitionMetrics, Ranked, Snapshot, TopicMetrics, WindowValue,
};
pub use status::Status;
pub use time::Millis;
pub use window::WindowSpec;
