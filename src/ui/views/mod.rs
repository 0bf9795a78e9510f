//! One file per screen (and per popup).

mod acl_change;
mod acls;
mod broker_configs;
mod brokers;
mod change;
mod command_line;
mod delete_group;
mod group;
mod groups;
mod help;
mod overview;
mod reset;
mod subjects;
mod tail;
mod topic;
mod topics;

pub use acls::acls;
pub use broker_configs::broker_configs;
pub use brokers::brokers;
pub use change::change;
pub use command_line::command_popup;
pub use delete_group::delete_group;
pub use group::group;
pub use groups::groups;
pub use help::help_popup;
pub use overview::overview;
pub use reset::reset;
pub use subjects::{subject_versions, subjects};
pub use tail::tail;
pub use topic::topic;
pub use topics::topics;
