//! Consumer group offset resets: plan, guard, apply, verify, undo.
//!
//! - [`spec`] parses what an operator types (`--topic T:0,2`, times, durations).
//! - [`csv`] reads and writes plans in the CSV form of Kafka's `kafka-consumer-groups`.
//! - The engine (pure: no IO, no clock; `now` is a parameter) turns a [`ResetRequest`] and what
//!   the broker said into a [`ResetPlan`], and compares what was read back after a commit with
//!   the targets.
//! - [`plan`] and [`apply`] talk to the broker. The CLI (`kscope offsets reset`) and the console
//!   both call them and render the plain data they return.

pub mod acl_change;
mod audit;
pub mod change;
pub mod config_change;
pub(crate) use audit::{append_audit_line, new_audit_id};
pub mod csv;
pub mod engine;
pub mod group_delete;
pub mod leader_election;
mod run;
pub mod spec;
pub mod topic_change;
mod undo;

pub use engine::{
    build_plan, check_group_idle, check_unchanged_since_plan, resolve_scope, rfc3339_ms,
    topics_needed, verify, AppliedPartition, ApplyReport, ApplyResult, GroupStatus, PartitionPlan,
    PartitionStatus, PlanColumn, PlanInputs, PlanTotals, PlanValue, ResetMode, ResetPlan,
    ResetRequest, ResolvedScope, Scope, SkippedPartition, TopicPartitionsKnown,
};
pub use run::{apply, group_status, plan, Actor, ApplyOptions};
pub use spec::TopicSpec;
pub use undo::{file_safe, shell_quote, undo_command};
