//! What an operator asks for: the group, which partitions, and where their offsets go.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{Error, Result};
use crate::offsets::csv::CsvRow;
use crate::offsets::spec::TopicSpec;
use crate::record::position::{checked_time, time_ago, too_long_ago, TIME_RANGE};

/// Where the new offsets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetMode {
    /// The log start offset.
    Earliest,
    /// The log end offset.
    Latest,
    /// The current committed offset (to export it, or commit it again).
    Current,
    /// The same offset in every partition.
    Offset(i64),
    /// The current committed offset plus N (negative N replays).
    ShiftBy(i64),
    /// The first offset at or after this time (ms since the epoch).
    Datetime(i64),
    /// The first offset at or after `now` minus this.
    Duration(Duration),
    /// Offsets from a plan file; `source` names the file.
    File { source: String, rows: Vec<CsvRow> },
    /// Another group's committed offsets.
    Group(String),
}

impl ResetMode {
    /// A short description for the plan, the audit log and messages.
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        match self {
            ResetMode::Earliest => "to-earliest".into(),
            ResetMode::Latest => "to-latest".into(),
            ResetMode::Current => "to-current".into(),
            ResetMode::Offset(o) => format!("to-offset {o}"),
            ResetMode::ShiftBy(n) => format!("shift-by {n:+}"),
            ResetMode::Datetime(ms) => format!("to-datetime {}", rfc3339_ms(*ms)),
            ResetMode::Duration(d) => format!(
                "by-duration {} (since {})",
                humantime::format_duration(*d),
                self.timestamp_ms(now).map_or("?".into(), rfc3339_ms)
            ),
            ResetMode::File { source, .. } => format!("from-file {source}"),
            ResetMode::Group(g) => format!("to-group {g}"),
        }
    }

    /// The time the targets are looked up for, in the time modes (`None` too for a duration
    /// that reaches back before the epoch, which [`ResetMode::check_time`] refuses).
    pub fn timestamp_ms(&self, now: DateTime<Utc>) -> Option<i64> {
        match self {
            ResetMode::Datetime(ms) => Some(*ms),
            ResetMode::Duration(d) => time_ago(*d, now),
            _ => None,
        }
    }

    /// Refuses a time mode whose time cannot be looked up at `now`: a usage error naming it.
    pub fn check_time(&self, now: DateTime<Utc>) -> Result<()> {
        match self {
            ResetMode::Duration(d) if time_ago(*d, now).is_none() => Err(too_long_ago(
                &format!("duration '{}'", humantime::format_duration(*d)),
                Some(now),
            )),
            ResetMode::Datetime(ms) if checked_time(*ms).is_none() => Err(Error::usage(format!(
                "invalid time '{ms}': expected a time from {TIME_RANGE}"
            ))),
            _ => Ok(()),
        }
    }

    /// Modes that move from the committed offset, which a partition without one cannot do.
    pub fn is_relative(&self) -> bool {
        matches!(self, ResetMode::Current | ResetMode::ShiftBy(_))
    }
}

/// Which partitions a reset touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `--topic T` (every partition) or `--topic T:0,2` (those), repeatable.
    Topics(Vec<TopicSpec>),
    /// `--all-topics`: every partition the group has a committed offset on.
    AllTopics,
    /// The mode names the partitions: the lines of a plan file, or every partition the other
    /// group of `--to-group` has committed.
    FromMode,
}

/// Everything needed to plan a reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    pub group: String,
    pub scope: Scope,
    pub mode: ResetMode,
}

impl ResetRequest {
    /// Checks that scope and mode fit together.
    pub fn new(group: impl Into<String>, scope: Scope, mode: ResetMode) -> Result<Self> {
        let group = group.into();
        if group.is_empty() {
            return Err(Error::usage("the group name is empty"));
        }
        match (&scope, &mode) {
            (Scope::FromMode, ResetMode::File { .. } | ResetMode::Group(_)) => {}
            (Scope::FromMode, _) => {
                return Err(Error::usage(
                    "say which partitions to reset: --topic TOPIC[:PARTITIONS] or --all-topics",
                ))
            }
            (_, ResetMode::File { .. }) => {
                return Err(Error::usage(
                    "--from-file takes its partitions from the file; drop --topic and --all-topics",
                ))
            }
            (Scope::Topics(t), _) if t.is_empty() => {
                return Err(Error::usage("--topic needs a topic name"))
            }
            _ => {}
        }
        if let ResetMode::Group(other) = &mode {
            if other == &group {
                return Err(Error::usage(format!(
                    "--to-group names the group being reset ('{group}'); use --to-current to commit its offsets again"
                )));
            }
        }
        Ok(ResetRequest { group, scope, mode })
    }
}

/// A time in ms since the epoch as RFC 3339 (the ms themselves when out of range).
pub fn rfc3339_ms(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}
