//! Consumer group offset resets: plan, guard, apply, verify, undo.
//!
//! - [`spec`] parses what an operator types (`--topic T:0,2`, times, durations).
//! - [`csv`] reads and writes plans in the CSV form of Kafka's `kafka-consumer-groups`.
//! - The engine (pure: no IO, no clock; `now` is a parameter) turns a [`ResetRequest`] and what
//!   the broker said into a [`ResetPlan`], and compares what was read back after a commit with
//!   the targets.
//! - [`plan`] and [`apply`] talk to the broker. The CLI (`kscope offsets reset`) and the console
//!   both call them and render the plain data they return.

pub mod csv;
mod engine;
mod run;
pub mod spec;

pub use engine::{
    build_plan, check_group_idle, check_unchanged_since_plan, resolve_scope, rfc3339_ms,
    topics_needed, verify, AppliedPartition, ApplyResult, GroupStatus, PartitionPlan,
    PartitionStatus, PlanInputs, PlanTotals, ResetMode, ResetPlan, ResetRequest, ResolvedScope,
    Scope, TopicPartitionsKnown,
};
pub use run::{
    apply, file_safe, group_status, plan, shell_quote, undo_command, Actor, ApplyOptions,
    ApplyReport,
};
pub use spec::TopicSpec;
