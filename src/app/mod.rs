//! The console's pure core: `update(&mut State, Action) -> Vec<Effect>`. No IO and no clock
//! reads (time arrives in `Action::Tick`), so every behaviour can be tested with keys and
//! canned broker answers.
//!
//! One file per flow: the command table ([`commands`]) and the keymap built from it,
//! [`panels`] (requests and answers), [`nav`] (screens, selection, sort), [`filter`],
//! [`command_line`] (`:`), [`tail`] and [`reset`]. [`update`] is the single entry, and
//! [`run_command`] runs a command whether a key or a `:` line asked for it.

pub mod action;
pub mod alerts;
pub mod change;
pub mod columns;
pub mod command_line;
pub mod commands;
pub mod config_columns;
pub mod filter;
pub mod fmt;
pub mod group_delete;
pub mod help;
pub mod incomplete;
pub mod keymap;
pub mod metrics;
pub mod nav;
pub mod panels;
pub mod reset;
pub mod state;
pub mod tail;

use std::time::Duration;

pub use action::{Action, Effect, Key, KeyCode, PanelKey, Payload};
pub use change::{ChangeFlow, ChangeKind, ChangeOutcome, ChangePlan, ChangeRequest, ChangeStep};
pub use command_line::{complete, suggestions};
pub use commands::Command;
pub use group_delete::{DeleteGroupFlow, DeleteStep, DeletedGroup};
pub use keymap::Keymap;
pub use nav::refresh_order;
pub use panels::{Freshness, Panel};
pub use state::{
    list_above_schema, Flash, Level, Mode, Options, State, Table, TopicTab, View, SCHEMA_BESIDE,
};

use crate::record::StartPosition;
use commands::Layer;

/// How long a status-line message stays.
const FLASH_FOR: Duration = Duration::from_secs(6);

/// Applies one action; returns what the runtime must do.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Tick(now) => {
            state.now = now;
            if state
                .flash
                .as_ref()
                .is_some_and(|f| now.duration_since(f.at) > FLASH_FOR)
            {
                state.flash = None;
            }
            let now_ms = state.now_ms();
            if let Some(t) = state.tail.as_mut() {
                t.windows.tick(now_ms);
            }
            panels::schedule(state, &mut fx);
            alerts::schedule_reload(state, &mut fx);
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            nav::clamp_selection(state);
        }
        Action::Key(key) => on_key(state, key, &mut fx),
        Action::Loaded {
            key,
            req,
            at,
            result,
        } => panels::on_loaded(state, key, req, at, result),
        Action::TailRecords { session, records } => tail::on_records(state, session, records),
        Action::TailFailed { session, error } => tail::on_failed(state, session, error),
        Action::TailStarted { session, notes } => tail::on_started(state, session, notes),
        Action::Sampled { req, at, result } => panels::on_sampled(state, req, at, result),
        Action::ResetPlanned { req, result } => reset::on_planned(state, req, result),
        Action::ResetApplied { req, result } => reset::on_applied(state, req, result),
        Action::SilencesSaved { result } => alerts::on_saved(state, result),
        Action::SilencesLoaded { generation, result } => {
            alerts::on_loaded(state, generation, result)
        }
        Action::GroupDeleted { req, result } => group_delete::on_deleted(state, req, result),
        Action::ChangePlanned { req, result } => change::on_planned(state, req, result),
        Action::ChangeApplied { req, result } => change::on_applied(state, req, result),
        Action::TaskPanicked { task, message } => flash(
            state,
            Level::Error,
            format!("internal error: {task} panicked: {message} (details in kscope.log)"),
        ),
    }
    tail::settle(state, &mut fx);
    fx
}

/// A message in the status line.
fn flash(state: &mut State, level: Level, text: impl Into<String>) {
    state.flash = Some(Flash {
        text: text.into(),
        level,
        at: state.now,
    });
}

/// A key, by the mode it arrives in.
fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    match state.mode.clone() {
        Mode::Normal => {
            let used = match state.view() {
                View::Reset { .. } => reset::on_key(state, key, fx),
                View::DeleteGroup { .. } => group_delete::on_key(state, key, fx),
                View::Change { .. } => change::on_key(state, key, fx),
                _ => false,
            };
            if !used {
                if let Some(cmd) = state.keymap.resolve(key) {
                    run_command(state, cmd, &[], fx);
                }
            }
        }
        Mode::Help { scroll } => {
            let input = state.keymap.input(Layer::Help, key);
            if !help::on_key(state, input, scroll) {
                run_command(state, Command::Quit, &[], fx);
            }
        }
        Mode::Command { input } => command_line::on_key(state, key, input, fx),
        Mode::Filter { input } => filter::on_key(state, key, input),
        Mode::Silence {
            rule,
            resource,
            input,
        } => alerts::on_key(state, key, rule, resource, input, fx),
    }
}

/// Runs a command, from a key (`args` empty) or a `:` line (its words after the command's).
/// A command that changes the cluster is refused here when the context is read-only.
pub fn run_command(state: &mut State, cmd: Command, args: &[&str], fx: &mut Vec<Effect>) {
    if let Some(why) = commands::refusal(cmd, state.read_only, &state.context) {
        flash(state, Level::Warn, why);
        return;
    }
    let page = state.page_rows() as isize;
    let arg = args.first().map(|a| a.to_string());
    match cmd {
        Command::Quit => {
            state.quit = true;
            tail::stop_tail(state, fx);
            fx.push(Effect::Quit);
        }
        Command::Back => nav::back_or_clear(state, fx),
        Command::Up => nav::move_selection(state, -1),
        Command::Down => nav::move_selection(state, 1),
        Command::PageUp => nav::move_selection(state, -page),
        Command::PageDown => nav::move_selection(state, page),
        Command::Top => nav::move_selection(state, isize::MIN / 2),
        Command::Bottom => nav::move_selection(state, isize::MAX / 2),
        Command::Open => {
            if !nav::open_selected(state, fx) {
                tail::toggle_detail(state);
            }
        }
        Command::CommandMode => command_line::open(state),
        Command::Filter => filter::open(state),
        Command::Help => state.mode = Mode::Help { scroll: 0 },
        Command::Refresh => panels::refresh_now(state, fx),
        Command::Freeze => {
            state.frozen = !state.frozen;
            tail::pause(state, Some(state.frozen), fx);
            let text = if state.frozen {
                "frozen: live panels stopped (f to resume)"
            } else {
                "live"
            };
            flash(state, Level::Info, text);
            panels::schedule(state, fx);
        }
        Command::SortNext => nav::sort(state, true),
        Command::SortReverse => nav::sort(state, false),
        Command::Overview => nav::go_to(state, View::Overview(Table::default()), fx),
        Command::Topics => nav::go_to(state, View::Topics(columns::topics_table()), fx),
        Command::Groups => nav::go_to(state, View::Groups(columns::groups_table()), fx),
        Command::Brokers => nav::go_to(state, View::Brokers(Table::default()), fx),
        Command::Subjects => nav::go_to(state, View::Subjects(columns::subjects_table()), fx),
        Command::Acls => nav::go_to(state, View::Acls(Table::default()), fx),
        Command::ShowTopic => {
            if let Some(name) = arg {
                nav::push_view(state, nav::topic_view(name), fx);
            }
        }
        Command::ShowGroup => {
            if let Some(name) = arg {
                nav::push_view(state, nav::group_view(name), fx);
            }
        }
        Command::Tail => tail::tail_command(state, args, fx),
        Command::TailFrom => tail::from_command(state, args, fx),
        Command::TailSelected => {
            if let Some(topic) = nav::selected_topic(state) {
                tail::start_tail(state, topic, StartPosition::Last(100), fx);
            }
        }
        Command::Reset => {
            if let Some(group) = arg {
                reset::open(state, group, fx);
            }
        }
        Command::ResetSelected => {
            if let Some(group) = nav::selected_group(state) {
                reset::open(state, group, fx);
            }
        }
        Command::DeleteGroupSelected => {
            if let Err(why) = group_delete::open(state, fx) {
                flash(state, Level::Warn, why);
            }
        }
        Command::DeleteOffsetsSelected => {
            if let Err(why) = group_delete::open_offsets(state, fx) {
                flash(state, Level::Warn, why);
            }
        }
        Command::EditConfig => {
            if let Err(why) = change::open_config(state, fx) {
                flash(state, Level::Warn, why);
            }
        }
        Command::AddPartitions | Command::TruncateTopic => {
            let kind = if cmd == Command::AddPartitions {
                change::ChangeKind::AddPartitions
            } else {
                change::ChangeKind::Truncate
            };
            if let Err(why) = change::open_topic(state, kind, fx) {
                flash(state, Level::Warn, why);
            }
        }
        Command::ElectLeaders => {
            if let Err(why) = change::open_election(state, fx) {
                flash(state, Level::Warn, why);
            }
        }
        Command::CreateAcl | Command::DeleteAcl => {
            let kind = if cmd == Command::CreateAcl {
                change::ChangeKind::CreateAcls
            } else {
                change::ChangeKind::DeleteAcls
            };
            if let Err(why) = change::open_acls(state, kind, fx) {
                flash(state, Level::Warn, why);
            }
        }
        Command::SwitchContext => {
            if let Some(name) = arg {
                switch_context(state, name, fx);
            }
        }
        Command::Pause => tail::pause(state, None, fx),
        Command::Follow => tail::follow(state),
        Command::Detail => tail::toggle_detail(state),
        Command::Windows => tail::toggle_windows(state),
        Command::Silence => alerts::open_prompt(state),
        Command::NextTab => match state.view() {
            View::Topic { .. } => nav::next_topic_tab(state),
            View::Tail => tail::next_detail_tab(state),
            _ => {}
        },
    }
}

/// `:ctx NAME`: reconnects to another context of the config.
fn switch_context(state: &mut State, name: String, fx: &mut Vec<Effect>) {
    if state.contexts.contains(&name) {
        fx.push(Effect::SwitchContext(name));
    } else {
        let known = if state.contexts.is_empty() {
            "none in the config".to_string()
        } else {
            state.contexts.join(", ")
        };
        flash(
            state,
            Level::Warn,
            format!("unknown context '{name}'; known: {known}"),
        );
    }
}
