//! One function per screen.

mod lists;
mod overview;
mod tail;

pub use lists::{brokers, group, groups, reset, topic, topics};
pub use overview::overview;
pub use tail::tail;
