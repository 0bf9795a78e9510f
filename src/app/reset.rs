//! The console's offset reset: choose a mode, give its argument and the topics, preview every
//! partition's move, type the group's name to confirm, see the verified result and the undo
//! file. Planning and applying are the same engine as `kscope offsets reset`. The flow's keys
//! are the reset layers of the command table; a key they do not bind is a normal-mode key.

use super::action::{Effect, Key};
use super::commands::{Input, Layer};
use super::nav::{back, push_view};
use super::state::{State, View};
use crate::model::Failure;
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

/// Opens the reset flow for `group`.
pub fn open(state: &mut State, group: String, fx: &mut Vec<Effect>) {
    push_view(state, View::Reset { group }, fx);
}

/// The layer of the flow's keys at its current step (`None` while waiting for the broker).
fn layer(step: &ResetStep) -> Option<Layer> {
    match step {
        ResetStep::Choose => Some(Layer::ResetChoose),
        ResetStep::Argument { .. } | ResetStep::Topics { .. } => Some(Layer::ResetText),
        ResetStep::Preview { .. } => Some(Layer::ResetPreview),
        ResetStep::Done { .. } => Some(Layer::ResetDone),
        ResetStep::Planning { .. } | ResetStep::Applying { .. } => None,
    }
}

/// A key in the reset view; returns whether the flow used it. Text steps take every printable
/// key, so typing a group name never quits or navigates.
pub fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) -> bool {
    let req = state.next_request;
    let page = state.page_rows();
    let Some(flow) = state.reset.as_mut() else {
        return false;
    };
    let Some(layer) = layer(&flow.step) else {
        return false;
    };
    let input = state.keymap.input(layer, key);
    let typed = |text: &mut String| match (input, key.typed()) {
        (Some(Input::Erase), _) => {
            text.pop();
            true
        }
        (Some(Input::Clear), _) => {
            text.clear();
            true
        }
        (None, Some(c)) => {
            text.push(c);
            true
        }
        _ => false,
    };
    match &mut flow.step {
        ResetStep::Choose => match input {
            Some(Input::Up) => flow.selected = flow.selected.saturating_sub(1),
            Some(Input::Down) => {
                flow.selected = (flow.selected + 1).min(ResetChoice::ALL.len() - 1)
            }
            Some(Input::Accept) => {
                flow.error = None;
                flow.argument.clear();
                flow.step = if flow.choice().prompt().is_some() {
                    ResetStep::Argument {
                        input: String::new(),
                    }
                } else {
                    ResetStep::Topics {
                        input: String::new(),
                    }
                };
            }
            _ => return false,
        },
        ResetStep::Argument { input: text } => match input {
            Some(Input::Cancel) => flow.step = ResetStep::Choose,
            Some(Input::Accept) => {
                flow.argument = text.clone();
                // Check the argument now, before asking for topics.
                match flow.request("") {
                    Err(e) => flow.error = Some(e.to_string()),
                    Ok(_) => {
                        flow.error = None;
                        flow.step = ResetStep::Topics {
                            input: String::new(),
                        };
                    }
                }
            }
            _ => return typed(text),
        },
        ResetStep::Topics { input: text } => match input {
            Some(Input::Cancel) => flow.step = ResetStep::Choose,
            Some(Input::Accept) => {
                let topics = text.clone();
                match flow.request(&topics) {
                    Ok(request) => {
                        flow.error = None;
                        flow.step = ResetStep::Planning { req };
                        state.next_request += 1;
                        fx.push(Effect::PlanReset {
                            req,
                            request: Box::new(request),
                        });
                    }
                    Err(e) => flow.error = Some(e.to_string()),
                }
            }
            _ => return typed(text),
        },
        ResetStep::Preview { plan, confirm } => match input {
            Some(Input::Cancel) => {
                flow.error = None;
                flow.step = ResetStep::Choose;
            }
            Some(Input::Down | Input::PageDown) => {
                let step = if input == Some(Input::Down) { 1 } else { page };
                flow.offset = (flow.offset + step).min(plan.partitions.len().saturating_sub(1));
            }
            Some(Input::Up | Input::PageUp) => {
                let step = if input == Some(Input::Up) { 1 } else { page };
                flow.offset = flow.offset.saturating_sub(step);
            }
            Some(Input::Accept) => {
                if !plan.active_members.is_empty() {
                    flow.error = Some(format!(
                        "refused: the group has active members ({}); stop them first",
                        plan.active_members.join(", ")
                    ));
                } else if plan.confirmed_by(confirm) {
                    let plan = plan.clone();
                    flow.error = None;
                    flow.step = ResetStep::Applying { req };
                    state.next_request += 1;
                    fx.push(Effect::ApplyReset { req, plan });
                } else {
                    // A wrong name is cleared, so the next try is not appended to it.
                    let typed = std::mem::take(confirm);
                    flow.error = Some(if typed.is_empty() {
                        format!("type the group's name, '{}', to apply", flow.group)
                    } else {
                        format!(
                            "'{typed}' is not the group's name; type '{}' to apply",
                            flow.group
                        )
                    });
                }
            }
            _ => return typed(confirm),
        },
        ResetStep::Done { report } => match input {
            Some(Input::Down) => {
                flow.offset = (flow.offset + 1).min(report.partitions.len().saturating_sub(1))
            }
            Some(Input::Up) => flow.offset = flow.offset.saturating_sub(1),
            Some(Input::Accept) => {
                state.reset = None;
                back(state, fx);
            }
            _ => return false,
        },
        ResetStep::Planning { .. } | ResetStep::Applying { .. } => return false,
    }
    true
}

/// The plan arrived (or could not be made): on to the preview, or back to the modes.
pub fn on_planned(state: &mut State, req: u64, result: Result<Box<ResetPlan>, Failure>) {
    let Some(flow) = state.reset.as_mut() else {
        return;
    };
    if flow.step != (ResetStep::Planning { req }) {
        return;
    }
    flow.offset = 0;
    match result {
        Ok(plan) => {
            flow.error = None;
            flow.step = ResetStep::Preview {
                plan,
                confirm: String::new(),
            };
        }
        Err(e) => {
            flow.error = Some(e.message);
            flow.step = ResetStep::Choose;
        }
    }
}

/// The reset was applied (or refused, changing nothing): the result, and fresh offsets.
pub fn on_applied(state: &mut State, req: u64, result: Result<Box<ApplyReport>, Failure>) {
    let Some(flow) = state.reset.as_mut() else {
        return;
    };
    if flow.step != (ResetStep::Applying { req }) {
        return;
    }
    flow.offset = 0;
    match result {
        Ok(report) => flow.step = ResetStep::Done { report },
        Err(e) => {
            flow.error = Some(e.message);
            flow.step = ResetStep::Choose;
        }
    }
    // The group's offsets moved (or may have): show them fresh.
    state.group.due = None;
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
