//! The console's offset reset: choose a mode, give its argument and the topics, preview every
//! partition's move, type the group's name to confirm, see the verified result and the undo
//! file. Planning and applying are the same engine as `kscope offsets reset`.

use crate::offsets::engine::{ApplyReport, ResetMode, ResetPlan, ResetRequest, Scope};
use crate::offsets::spec;

/// The modes offered, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetChoice {
    Earliest,
    Latest,
    Duration,
    Datetime,
    Offset,
    ShiftBy,
    Group,
    Current,
}

impl ResetChoice {
    pub const ALL: &'static [ResetChoice] = &[
        ResetChoice::Earliest,
        ResetChoice::Latest,
        ResetChoice::Duration,
        ResetChoice::Datetime,
        ResetChoice::Offset,
        ResetChoice::ShiftBy,
        ResetChoice::Group,
        ResetChoice::Current,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ResetChoice::Earliest => "to earliest: replay everything still in the log",
            ResetChoice::Latest => "to latest: skip everything not yet read",
            ResetChoice::Duration => "by duration: replay the last ... (e.g. 15m, PT1H)",
            ResetChoice::Datetime => "to a time: the first record at or after (RFC 3339)",
            ResetChoice::Offset => "to an offset: the same offset in every partition",
            ResetChoice::ShiftBy => "shift by ±N from the committed offset",
            ResetChoice::Group => "to another group's committed offsets",
            ResetChoice::Current => "to current: commit the committed offsets again",
        }
    }

    /// What to ask for, if the mode takes an argument.
    pub fn prompt(self) -> Option<&'static str> {
        match self {
            ResetChoice::Duration => Some("how far back (15m, 2h, PT30M)"),
            ResetChoice::Datetime => Some("time (2026-11-24T03:00:00Z)"),
            ResetChoice::Offset => Some("offset"),
            ResetChoice::ShiftBy => Some("shift (-1000 replays, +500 skips)"),
            ResetChoice::Group => Some("other group"),
            _ => None,
        }
    }

    fn mode(self, arg: &str) -> crate::Result<ResetMode> {
        let arg = arg.trim();
        Ok(match self {
            ResetChoice::Earliest => ResetMode::Earliest,
            ResetChoice::Latest => ResetMode::Latest,
            ResetChoice::Current => ResetMode::Current,
            ResetChoice::Duration => ResetMode::Duration(spec::parse_duration(arg)?),
            ResetChoice::Datetime => ResetMode::Datetime(spec::parse_datetime(arg)?),
            ResetChoice::ShiftBy => ResetMode::ShiftBy(spec::parse_shift(arg)?),
            ResetChoice::Offset => ResetMode::Offset(arg.parse().map_err(|_| {
                crate::Error::usage(format!("invalid offset '{arg}': expected a whole number"))
            })?),
            ResetChoice::Group => {
                if arg.is_empty() {
                    return Err(crate::Error::usage("name the other group"));
                }
                ResetMode::Group(arg.to_string())
            }
        })
    }
}

/// Where the flow is.
#[derive(Debug, Clone, PartialEq)]
pub enum ResetStep {
    Choose,
    /// Typing the mode's argument.
    Argument {
        input: String,
    },
    /// Typing the topics: blank for every topic the group has committed, or `T`, `T:0,2`,
    /// several separated by spaces.
    Topics {
        input: String,
    },
    Planning {
        req: u64,
    },
    /// The plan is on screen; typing the group's name confirms it.
    Preview {
        plan: Box<ResetPlan>,
        confirm: String,
    },
    Applying {
        req: u64,
    },
    Done {
        report: Box<ApplyReport>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResetFlow {
    pub group: String,
    pub selected: usize,
    pub argument: String,
    pub step: ResetStep,
    /// The last problem (a bad argument, a refused plan); cleared by the next step.
    pub error: Option<String>,
    /// Scroll of the preview or result table.
    pub offset: usize,
}

impl ResetFlow {
    pub fn new(group: &str) -> Self {
        ResetFlow {
            group: group.to_string(),
            selected: 0,
            argument: String::new(),
            step: ResetStep::Choose,
            error: None,
            offset: 0,
        }
    }

    pub fn choice(&self) -> ResetChoice {
        ResetChoice::ALL[self.selected.min(ResetChoice::ALL.len() - 1)]
    }

    /// The request from the choices made, or why it cannot be made.
    pub fn request(&self, topics: &str) -> crate::Result<ResetRequest> {
        let mode = self.choice().mode(&self.argument)?;
        let scope = if topics.trim().is_empty() {
            match mode {
                ResetMode::Group(_) => Scope::FromMode,
                _ => Scope::AllTopics,
            }
        } else {
            Scope::Topics(
                topics
                    .split_whitespace()
                    .map(spec::parse_topic_spec)
                    .collect::<crate::Result<Vec<_>>>()?,
            )
        };
        ResetRequest::new(self.group.clone(), scope, mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_from_choices() {
        let mut f = ResetFlow::new("billing");
        assert_eq!(f.request("").unwrap().mode, ResetMode::Earliest);
        assert_eq!(f.request("").unwrap().scope, Scope::AllTopics);
        f.selected = 5;
        f.argument = "-100".into();
        let r = f.request("orders:0,2 payments").unwrap();
        assert_eq!(r.mode, ResetMode::ShiftBy(-100));
        assert!(matches!(r.scope, Scope::Topics(ref t) if t.len() == 2));
        f.argument = "lots".into();
        assert!(f.request("").is_err());
        f.selected = 6;
        f.argument = "billing".into();
        assert!(f
            .request("")
            .unwrap_err()
            .to_string()
            .contains("--to-current"));
        f.argument = "other".into();
        assert_eq!(f.request("").unwrap().scope, Scope::FromMode);
    }
}
