//! The pure part of an offset reset: no IO and no clock (`now` is a parameter). One file per
//! verb: the [`request`] an operator makes, the [`plan`] that decides every partition's target
//! from what the broker said, the [`guard`] checks before a commit, and [`verify`], which says
//! what a commit did and holds the report of the whole reset.

mod guard;
mod plan;
mod request;
mod verify;

pub use guard::{check_group_idle, check_unchanged_since_plan, GroupStatus};
pub use plan::{
    build_plan, resolve_scope, topics_needed, PartitionPlan, PlanColumn, PlanInputs, PlanTotals,
    PlanValue, ResetPlan, ResolvedScope, TopicPartitionsKnown,
};
pub use request::{rfc3339_ms, ResetMode, ResetRequest, Scope};
pub use verify::{
    verify, AppliedPartition, ApplyReport, ApplyResult, PartitionStatus, SkippedPartition,
};

#[cfg(test)]
mod tests;
