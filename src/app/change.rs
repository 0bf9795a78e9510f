//! The console's cluster changes other than resets and group deletions, one flow for all:
//! type what to change, see the plan (nothing changes yet), confirm, see the result read
//! back. `e` on a topic edits its configs (reversible: the plan is shown and Enter or `y`
//! applies it, an undo file is written first); `P` adds partitions and `T` truncates it
//! (irreversible: the topic's name is typed to confirm); `E` on the brokers screen runs a
//! preferred leader election of every topic (confirmed by typing `elect`); `c` and `x` on the
//! `:acls` screen create ACLs (reversible: Enter or `y`, an undo file first) and delete the
//! ACLs a filter selects (the selected one offered; confirmed by typing `delete`). The broker
//! side is the CLI's (`offsets::config_change`, `offsets::topic_change`,
//! `offsets::leader_election`, `offsets::acl_change`). The flow's keys are the reset's layers
//! (typing, the plan, the result).

use super::action::{Effect, Key};
use super::commands::{Input, Layer};
use super::nav::{back, push_view};
use super::state::{State, TopicTab, View};
use crate::model::{
    Acl, AclFilter, AclPlan, ConfigApplied, ConfigEdit, ConfigPlan, ConfigTarget, ElectPlan,
    Failure, PartitionsAdded, PartitionsPlan, TruncatePlan,
};
use crate::record::StartPosition;

/// Which change the flow makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A topic's configs (`e`).
    TopicConfig,
    /// A broker's dynamic configs (`e` on its configs screen).
    BrokerConfig,
    /// Partitions added to a topic (`P`).
    AddPartitions,
    /// A topic's records deleted before a point, all partitions (`T`).
    Truncate,
    /// A preferred leader election of every topic (`E` on the brokers screen).
    ElectLeaders,
    /// ACLs created (`c` on the `:acls` screen).
    CreateAcls,
    /// The ACLs a filter selects deleted (`x` on the `:acls` screen).
    DeleteAcls,
}

impl ChangeKind {
    /// What the screen's title says, of `target`.
    pub fn title(self, target: &str) -> String {
        match self {
            ChangeKind::TopicConfig => format!("edit configs of topic {target}"),
            ChangeKind::BrokerConfig => format!("edit dynamic configs of broker {target}"),
            ChangeKind::AddPartitions => format!("add partitions to topic {target}"),
            ChangeKind::Truncate => format!("truncate topic {target}"),
            ChangeKind::ElectLeaders => format!("preferred leader election of {target}"),
            ChangeKind::CreateAcls => "create ACLs".to_string(),
            ChangeKind::DeleteAcls => "delete ACLs".to_string(),
        }
    }

    /// The topic the change is of, if it is of one.
    pub fn topic(self, target: &str) -> Option<String> {
        match self {
            ChangeKind::TopicConfig | ChangeKind::AddPartitions | ChangeKind::Truncate => {
                Some(target.to_string())
            }
            ChangeKind::ElectLeaders
            | ChangeKind::BrokerConfig
            | ChangeKind::CreateAcls
            | ChangeKind::DeleteAcls => None,
        }
    }

    /// Whether anything is typed before the plan (an election plans at once).
    pub fn takes_input(self) -> bool {
        self != ChangeKind::ElectLeaders
    }

    /// What to type first.
    pub fn prompt(self) -> &'static str {
        match self {
            ChangeKind::TopicConfig => {
                "KEY=VALUE sets a config, -KEY removes the topic's own value (back to the \
                 default); several with spaces"
            }
            ChangeKind::AddPartitions => {
                "the new partition count, more than it has now (partitions can only be added)"
            }
            ChangeKind::Truncate => {
                "delete every partition's records before OFFSET or @TIME (@2026-12-01T10:00:00Z, \
                 @-2h), for every reader"
            }
            ChangeKind::BrokerConfig => {
                "KEY=VALUE sets this broker's dynamic value, -KEY removes it (back to the \
                 cluster-wide or static value); several with spaces"
            }
            ChangeKind::CreateAcls => {
                "principal=User:NAME resource-type=topic|group|cluster|transactional-id \
                 resource=NAME operation=read,write (one ACL each); pattern=literal|prefixed, \
                 permission=allow|deny and host=* are the defaults"
            }
            ChangeKind::DeleteAcls => {
                "the ACLs to delete: every ACL these fields match (the selected one's; leave \
                 fields out to match more, pattern=match for every ACL that applies to a name)"
            }
            ChangeKind::ElectLeaders => "",
        }
    }

    /// The word to type before an irreversible change applies; `None`: reversible, Enter or
    /// `y` applies the plan on screen.
    pub fn confirm_word(self, target: &str) -> Option<String> {
        match self {
            ChangeKind::TopicConfig | ChangeKind::BrokerConfig | ChangeKind::CreateAcls => None,
            ChangeKind::AddPartitions | ChangeKind::Truncate => Some(target.to_string()),
            ChangeKind::ElectLeaders => Some("elect".to_string()),
            ChangeKind::DeleteAcls => Some("delete".to_string()),
        }
    }

    /// Why the word is typed, after "type 'WORD' to confirm: ".
    pub fn confirm_why(self) -> &'static str {
        match self {
            ChangeKind::DeleteAcls => "access changes at once",
            _ => "this cannot be undone",
        }
    }
}

/// What to plan, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeRequest {
    Config {
        target: ConfigTarget,
        edits: Vec<ConfigEdit>,
    },
    Partitions {
        topic: String,
        count: usize,
    },
    /// Before an offset or a time (`@TIME`, `@-2h`: resolved when planned).
    Truncate {
        topic: String,
        before: StartPosition,
    },
    /// A preferred election of every topic's partitions.
    Elect,
    /// ACLs to create, as typed.
    CreateAcls(Vec<Acl>),
    /// The filter whose ACLs (as listed when planned) go.
    DeleteAcls(AclFilter),
}

/// A change planned (nothing applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangePlan {
    Config(ConfigPlan),
    Partitions(PartitionsPlan),
    Truncate(TruncatePlan),
    Elect(ElectPlan),
    Acls(AclPlan),
}

impl ChangePlan {
    /// Why the plan cannot be applied (the broker refused it, nothing would change).
    pub fn blocked(&self) -> Option<String> {
        match self {
            ChangePlan::Config(p) => {
                if let Some(why) = &p.refused {
                    Some(format!(
                        "the broker refused the change: {why}; esc to edit it"
                    ))
                } else if p.keys.iter().all(|k| k.unchanged) {
                    Some("nothing would change: every key already has that value".into())
                } else {
                    None
                }
            }
            ChangePlan::Partitions(_) => None,
            ChangePlan::Truncate(p) => (p.records_deleted == 0).then(|| {
                "nothing to delete: every partition's log already starts there".to_string()
            }),
            ChangePlan::Elect(p) if p.partitions.is_empty() => {
                Some("nothing to elect: every partition is led by its preferred replica".into())
            }
            ChangePlan::Elect(p) => (p.electable() == 0).then(|| {
                "nothing can be elected now: no preferred replica of these partitions is in sync"
                    .to_string()
            }),
            ChangePlan::Acls(p) if p.acls.is_empty() => {
                Some("nothing to delete: no ACL matches; esc to edit the filter".into())
            }
            ChangePlan::Acls(p) => p
                .todo()
                .is_empty()
                .then(|| "nothing to create: every ACL exists already".to_string()),
        }
    }
}

/// What applying did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    Config(ConfigApplied),
    Partitions(PartitionsAdded),
    /// The plan as executed: each partition's new log start or error.
    Truncate(TruncatePlan),
    /// The election as run: each partition's leader after, or why it did not move.
    Elect(ElectPlan),
    /// The ACL change as executed: each ACL's result, the undo file.
    Acls(AclPlan),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeStep {
    /// Typing what to change.
    Input {
        text: String,
    },
    Planning {
        req: u64,
    },
    /// The plan is on screen; `confirm` is the typed confirmation (irreversible changes).
    Plan {
        plan: Box<ChangePlan>,
        confirm: String,
    },
    Applying {
        req: u64,
        plan: Box<ChangePlan>,
    },
    Done {
        plan: Box<ChangePlan>,
        outcome: Box<ChangeOutcome>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeFlow {
    pub kind: ChangeKind,
    /// The topic (or broker) changed.
    pub target: String,
    /// What was typed, kept when going back from the plan to edit it.
    pub text: String,
    pub step: ChangeStep,
    /// The last problem: a typo, a wrong name, the broker's refusal.
    pub error: Option<String>,
}

/// `e` on a topic's screen: edit its configs (on the configs tab the selected config is
/// offered as `KEY=VALUE` to edit); on a broker's configs screen, its dynamic configs.
pub fn open_config(state: &mut State, fx: &mut Vec<Effect>) -> Result<(), String> {
    if let View::BrokerConfigs { id, table } = state.view() {
        let (id, selected) = (*id, table.selected_index());
        let text = state
            .broker_configs
            .data
            .as_ref()
            .filter(|(of, _)| *of == id)
            .and_then(|(_, c)| selected.and_then(|i| c.get(i)))
            .filter(|c| !c.read_only)
            .map(|c| format!("{}={}", c.name, c.value.as_deref().unwrap_or("")))
            .unwrap_or_default();
        open(state, ChangeKind::BrokerConfig, id.to_string(), text, fx);
        return Ok(());
    }
    let View::Topic { name, tab, table } = state.view() else {
        return Err("open a topic or a broker's configs first (e there edits its configs)".into());
    };
    let (name, tab, selected) = (name.clone(), *tab, table.selected_index());
    let text = match (&state.topic.data, tab, selected) {
        (Some(d), TopicTab::Configs, Some(i)) if d.name == name => d
            .configs
            .get(i)
            .map(|c| format!("{}={}", c.name, c.value.as_deref().unwrap_or("")))
            .unwrap_or_default(),
        _ => String::new(),
    };
    open(state, ChangeKind::TopicConfig, name, text, fx);
    Ok(())
}

/// `P` or `T` on a topic's screen: add partitions or truncate it.
pub fn open_topic(state: &mut State, kind: ChangeKind, fx: &mut Vec<Effect>) -> Result<(), String> {
    let View::Topic { name, .. } = state.view() else {
        return Err("open a topic first".into());
    };
    let name = name.clone();
    open(state, kind, name, String::new(), fx);
    Ok(())
}

/// `E` on the brokers screen: plan a preferred leader election of every topic.
pub fn open_election(state: &mut State, fx: &mut Vec<Effect>) -> Result<(), String> {
    if !matches!(state.view(), View::Brokers(_)) {
        return Err("open the brokers screen first (E there elects preferred leaders)".into());
    }
    open(
        state,
        ChangeKind::ElectLeaders,
        "all topics".into(),
        String::new(),
        fx,
    );
    Ok(())
}

/// `c` on the `:acls` screen: create ACLs; `x`: delete the ACLs a filter selects, the
/// selected ACL offered as the filter.
pub fn open_acls(state: &mut State, kind: ChangeKind, fx: &mut Vec<Effect>) -> Result<(), String> {
    let View::Acls(table) = state.view() else {
        return Err(format!(
            "open the ACLs first (:acls; {} there {} ACLs)",
            state.keymap.label(if kind == ChangeKind::CreateAcls {
                super::Command::CreateAcl
            } else {
                super::Command::DeleteAcl
            }),
            if kind == ChangeKind::CreateAcls {
                "creates"
            } else {
                "deletes"
            }
        ));
    };
    let selected = table
        .selected_index()
        .and_then(|i| state.acls.data.as_ref().and_then(|a| a.get(i)));
    let text = match (kind, selected) {
        (ChangeKind::DeleteAcls, Some(acl)) => acl.entries(),
        (ChangeKind::DeleteAcls, None) => {
            return Err("no ACL selected: nothing to delete".into());
        }
        // A new ACL like the selected one: its principal and resource.
        (_, Some(acl)) => format!(
            "principal={} resource-type={} resource={} pattern={} operation=",
            acl.principal, acl.resource_type, acl.resource_name, acl.pattern_type
        ),
        (_, None) => String::new(),
    };
    open(state, kind, "acls".into(), text, fx);
    Ok(())
}

fn open(state: &mut State, kind: ChangeKind, target: String, text: String, fx: &mut Vec<Effect>) {
    let step = if kind.takes_input() {
        ChangeStep::Input { text: text.clone() }
    } else {
        let req = state.next_request;
        state.next_request += 1;
        fx.push(Effect::PlanChange {
            req,
            request: Box::new(ChangeRequest::Elect),
        });
        ChangeStep::Planning { req }
    };
    state.change = Some(ChangeFlow {
        kind,
        target: target.clone(),
        text,
        step,
        error: None,
    });
    state.flash = None;
    push_view(
        state,
        View::Change {
            title: kind.title(&target),
        },
        fx,
    );
}

/// What the typed text asks for, or why it asks for nothing.
fn request(kind: ChangeKind, target: &str, text: &str) -> Result<ChangeRequest, String> {
    match kind {
        ChangeKind::TopicConfig => Ok(ChangeRequest::Config {
            target: ConfigTarget::Topic(target.to_string()),
            edits: ConfigEdit::parse_entries(text)?,
        }),
        ChangeKind::BrokerConfig => Ok(ChangeRequest::Config {
            target: ConfigTarget::Broker(
                target
                    .parse()
                    .map_err(|_| format!("'{target}' is not a broker id"))?,
            ),
            edits: ConfigEdit::parse_entries(text)?,
        }),
        ChangeKind::AddPartitions => match text.trim().parse::<usize>() {
            Ok(count) if count > 0 => Ok(ChangeRequest::Partitions {
                topic: target.to_string(),
                count,
            }),
            _ => Err(format!(
                "'{}' is not a partition count: type the new total, e.g. 12",
                text.trim()
            )),
        },
        ChangeKind::Truncate => {
            let before = text
                .trim()
                .parse::<StartPosition>()
                .map_err(|e| e.to_string())?;
            match before {
                StartPosition::Offset(_) | StartPosition::Time(_) | StartPosition::Ago(_) => {
                    Ok(ChangeRequest::Truncate {
                        topic: target.to_string(),
                        before,
                    })
                }
                _ => Err(format!(
                    "'{}': give an offset or @TIME (e.g. 1500, @-2h), not a named position",
                    text.trim()
                )),
            }
        }
        ChangeKind::ElectLeaders => Ok(ChangeRequest::Elect),
        ChangeKind::CreateAcls => Ok(ChangeRequest::CreateAcls(Acl::parse_entries(text)?)),
        ChangeKind::DeleteAcls => Ok(ChangeRequest::DeleteAcls(AclFilter::parse_entries(text)?)),
    }
}

/// A key in the change view; returns whether the flow used it.
pub fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) -> bool {
    let req = state.next_request;
    let Some(flow) = state.change.as_mut() else {
        return false;
    };
    let layer = match flow.step {
        ChangeStep::Input { .. } => Layer::ResetText,
        ChangeStep::Plan { .. } => Layer::ResetPreview,
        ChangeStep::Done { .. } => Layer::ResetDone,
        ChangeStep::Planning { .. } => return false,
        // The change is being made: its result stays on screen (ctrl-c still quits).
        ChangeStep::Applying { .. } => return key != Key::ctrl('c'),
    };
    let input = state.keymap.input(layer, key);
    let confirm_word = flow.kind.confirm_word(&flow.target);
    match &mut flow.step {
        ChangeStep::Input { text } => match (input, key.typed()) {
            (Some(Input::Cancel), _) => {
                state.change = None;
                back(state, fx);
            }
            (Some(Input::Erase), _) => {
                text.pop();
            }
            (Some(Input::Clear), _) => text.clear(),
            (Some(Input::Accept), _) => match request(flow.kind, &flow.target, text) {
                Ok(request) => {
                    flow.text = text.clone();
                    flow.error = None;
                    flow.step = ChangeStep::Planning { req };
                    state.next_request += 1;
                    fx.push(Effect::PlanChange {
                        req,
                        request: Box::new(request),
                    });
                }
                Err(why) => flow.error = Some(why),
            },
            (Some(_), _) => return false,
            (None, Some(c)) => text.push(c),
            (None, None) => return false,
        },
        ChangeStep::Plan { plan, confirm } => {
            let apply = match (input, key.typed()) {
                (Some(Input::Cancel), _) if !flow.kind.takes_input() => {
                    state.change = None;
                    back(state, fx);
                    return true;
                }
                (Some(Input::Cancel), _) => {
                    flow.step = ChangeStep::Input {
                        text: flow.text.clone(),
                    };
                    flow.error = None;
                    return true;
                }
                (Some(Input::Erase), _) => {
                    confirm.pop();
                    false
                }
                (Some(Input::Clear), _) => {
                    confirm.clear();
                    false
                }
                (Some(Input::Accept), _) => true,
                (Some(_), _) => return false,
                (None, Some('y')) if confirm_word.is_none() => true,
                (None, Some(c)) if confirm_word.is_some() => {
                    confirm.push(c);
                    flow.error = None;
                    false
                }
                // Other letters do nothing here (they are not commands while a plan is up).
                (None, Some(_)) => return true,
                (None, None) => return false,
            };
            if apply {
                if let Some(why) = plan.blocked() {
                    flow.error = Some(why);
                } else if let Some(word) = confirm_word.filter(|w| w != confirm) {
                    flow.error = Some(format!(
                        "type '{word}' to confirm: {}",
                        flow.kind.confirm_why()
                    ));
                } else {
                    flow.error = None;
                    let plan = plan.clone();
                    fx.push(Effect::ApplyChange {
                        req,
                        plan: plan.clone(),
                    });
                    flow.step = ChangeStep::Applying { req, plan };
                    state.next_request += 1;
                }
            }
        }
        ChangeStep::Done { .. } => match input {
            Some(Input::Accept) => {
                state.change = None;
                back(state, fx);
            }
            _ => return false,
        },
        ChangeStep::Planning { .. } | ChangeStep::Applying { .. } => return false,
    }
    true
}

/// The plan came back (or could not be made: back to the typing, with why).
pub fn on_planned(state: &mut State, req: u64, result: Result<Box<ChangePlan>, Failure>) {
    let Some(flow) = state.change.as_mut() else {
        return;
    };
    if flow.step != (ChangeStep::Planning { req }) {
        return;
    }
    match result {
        Ok(plan) => {
            flow.error = plan.blocked();
            flow.step = ChangeStep::Plan {
                plan,
                confirm: String::new(),
            };
        }
        Err(e) => {
            flow.error = Some(e.message);
            flow.step = ChangeStep::Input {
                text: flow.text.clone(),
            };
        }
    }
}

/// The change was applied (or refused, changing nothing: back to the plan, with why).
pub fn on_applied(state: &mut State, req: u64, result: Result<Box<ChangeOutcome>, Failure>) {
    let Some(flow) = state.change.as_mut() else {
        return;
    };
    let ChangeStep::Applying { req: r, plan } = &flow.step else {
        return;
    };
    if *r != req {
        return;
    }
    let plan = plan.clone();
    match result {
        Ok(outcome) => flow.step = ChangeStep::Done { plan, outcome },
        Err(e) => {
            flow.error = Some(e.message);
            flow.step = ChangeStep::Plan {
                plan,
                confirm: String::new(),
            };
        }
    }
    // What changed is shown fresh when the flow closes.
    state.topic.due = None;
    state.broker_configs.due = None;
    state.topics.due = None;
    state.cluster.due = None;
    state.acls.due = None;
}
