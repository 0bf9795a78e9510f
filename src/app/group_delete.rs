//! The console's group deletion (`D` on a group's screen) and deletion of its offsets of one
//! topic (`X`, the topic of the selected row): the plan is the group as loaded (its state and
//! the committed offsets that go); a group with members is refused; typing the group's name
//! confirms; the result names the undo file and the command that restores the offsets. The
//! broker side is `kscope group delete`'s and `group delete-offsets`' (`offsets::group_delete`). The flow's
//! keys are the reset's preview and result layers (type the name, Enter, Esc).

use super::action::{Effect, Key};
use super::commands::{Input, Layer};
use super::nav::{back, push_view};
use super::state::{State, View};
use crate::model::Failure;

/// What the deletion did, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedGroup {
    pub partitions: usize,
    /// Partitions the coordinator refused (they kept their offsets), with why.
    pub failed: Vec<String>,
    pub undo_file: String,
    pub undo_command: String,
    /// Reading back found no committed offset left.
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteStep {
    /// The plan is on screen; typing the group's name confirms it.
    Confirm {
        confirm: String,
    },
    Applying {
        req: u64,
    },
    Done {
        result: DeletedGroup,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteGroupFlow {
    pub group: String,
    /// Only the group's offsets of this topic go (the group stays).
    pub topic: Option<String>,
    pub state: String,
    /// The committed offsets that go (and are written to the undo file).
    pub committed: Vec<(String, i32, i64)>,
    pub step: DeleteStep,
    /// The last problem (a wrong name, the broker's refusal).
    pub error: Option<String>,
}

/// Opens the deletion of the group on screen, from its loaded detail; refused (in the status
/// line, nothing opened) while the group has members or its detail is not complete.
pub fn open(state: &mut State, fx: &mut Vec<Effect>) -> Result<(), String> {
    open_for(state, false, fx)
}

/// Opens the deletion of the group's offsets of the selected row's topic.
pub fn open_offsets(state: &mut State, fx: &mut Vec<Effect>) -> Result<(), String> {
    open_for(state, true, fx)
}

fn open_for(state: &mut State, of_topic: bool, fx: &mut Vec<Effect>) -> Result<(), String> {
    let View::Group { name, table } = state.view() else {
        return Err("open a group first (its screen shows what would be deleted)".into());
    };
    let (name, selected) = (name.clone(), table.selected_index());
    let Some(d) = state.group.data.as_ref().filter(|d| d.group == name) else {
        return Err(format!("group '{name}' is not loaded yet"));
    };
    if state.group.incomplete.is_some() || !d.gaps.is_complete() {
        return Err(format!(
            "not deleting group '{name}': its members or offsets could not all be read"
        ));
    }
    if !d.members.is_empty() {
        return Err(format!(
            "refused: group '{name}' has {} active member(s); stop its consumers first",
            d.members.len()
        ));
    }
    let topic = if of_topic {
        let Some(p) = selected.and_then(|i| d.partitions.get(i)) else {
            return Err("select a partition of the topic whose offsets should go".into());
        };
        Some(p.topic.clone())
    } else {
        None
    };
    let committed: Vec<(String, i32, i64)> = d
        .partitions
        .iter()
        .filter(|p| topic.as_ref().is_none_or(|t| *t == p.topic))
        .filter_map(|p| p.committed.map(|c| (p.topic.clone(), p.partition, c)))
        .collect();
    if committed.is_empty() && topic.is_some() {
        return Err(format!(
            "group '{name}' has no committed offsets{} to delete",
            topic
                .as_ref()
                .map(|t| format!(" for topic '{t}'"))
                .unwrap_or_default()
        ));
    }
    state.delete_group = Some(DeleteGroupFlow {
        group: name.clone(),
        topic,
        state: d.state.clone(),
        committed,
        step: DeleteStep::Confirm {
            confirm: String::new(),
        },
        error: None,
    });
    // An earlier refusal no longer applies.
    state.flash = None;
    push_view(state, View::DeleteGroup { group: name }, fx);
    Ok(())
}

/// A key in the deletion view; returns whether the flow used it.
pub fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) -> bool {
    let req = state.next_request;
    let Some(flow) = state.delete_group.as_mut() else {
        return false;
    };
    let layer = match flow.step {
        DeleteStep::Confirm { .. } => Layer::ResetPreview,
        DeleteStep::Done { .. } => Layer::ResetDone,
        DeleteStep::Applying { .. } => return false,
    };
    let input = state.keymap.input(layer, key);
    match &mut flow.step {
        DeleteStep::Confirm { confirm } => match (input, key.typed()) {
            (Some(Input::Cancel), _) => {
                state.delete_group = None;
                back(state, fx);
            }
            (Some(Input::Erase), _) => {
                confirm.pop();
            }
            (Some(Input::Accept), _) => {
                if *confirm == flow.group {
                    flow.error = None;
                    let (group, committed) = (flow.group.clone(), flow.committed.clone());
                    let topic = flow.topic.clone();
                    flow.step = DeleteStep::Applying { req };
                    state.next_request += 1;
                    fx.push(Effect::DeleteGroup {
                        req,
                        group,
                        topic,
                        committed,
                    });
                } else {
                    flow.error = Some(format!(
                        "type the group's name, '{}', to delete it",
                        flow.group
                    ));
                }
            }
            (Some(_), _) => return false,
            (None, Some(c)) => confirm.push(c),
            (None, None) => return false,
        },
        DeleteStep::Done { .. } => match input {
            Some(Input::Accept) => {
                state.delete_group = None;
                back(state, fx);
            }
            _ => return false,
        },
        DeleteStep::Applying { .. } => return false,
    }
    true
}

/// The deletion finished (or was refused, changing nothing).
pub fn on_deleted(state: &mut State, req: u64, result: Result<DeletedGroup, Failure>) {
    let Some(flow) = state.delete_group.as_mut() else {
        return;
    };
    if flow.step != (DeleteStep::Applying { req }) {
        return;
    }
    match result {
        Ok(result) => flow.step = DeleteStep::Done { result },
        Err(e) => {
            flow.error = Some(e.message);
            flow.step = DeleteStep::Confirm {
                confirm: String::new(),
            };
        }
    }
    state.group.due = None;
    state.groups.due = None;
}
