//! One function per screen.

mod lists;
mod overview;
mod reset;
mod tail;

pub use lists::{brokers, group, groups, topic, topics};
pub use overview::overview;
pub use reset::reset;
pub use tail::tail;
