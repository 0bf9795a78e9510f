//! The overview's alert list as a flow: its rows (sorted by severity, then by how long each
//! has fired, silenced ones last), the overview's filter over its lists, Enter on an alert
//! (its group or topic), and `a`: silencing the selected alert for a while, asked at a prompt
//! and written to the silences file by the runtime (`Effect::Silence`).

use crate::metrics::silence::{self, Silence, SilenceChange};
use crate::metrics::{ActiveAlert, AlertPhase, Millis, Silences};

use super::action::{Effect, Key};
use super::commands::{Input, Layer};
use super::nav::{group_view, push_view, refresh_order, topic_view};
use super::state::{Level, Mode, State, Table, View};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Group,
    Topic,
}

/// One row of the alert list.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub alert: ActiveAlert,
    pub subject: Subject,
    /// Silenced until then.
    pub silenced_until: Option<Millis>,
}

impl AlertRow {
    pub fn firing(&self) -> bool {
        self.alert.phase != AlertPhase::Pending
    }
}

/// Whether `text` passes the overview's filter (case-insensitive; `!` inverts).
pub fn shown(table: &Table, text: &str) -> bool {
    table.filter.is_empty()
        || (text.to_lowercase().contains(&table.filter.to_lowercase()) != table.invert)
}

fn overview_table(state: &State) -> Option<&Table> {
    match state.view() {
        View::Overview(t) => Some(t),
        _ => None,
    }
}

/// The alert list as the overview shows it: firing before pending, silenced last, worst
/// first, then the longest firing (the longest pending), filtered by the overview's filter
/// (on rule, resource and rule text).
pub fn rows(state: &State) -> Vec<AlertRow> {
    let Some(snap) = state.metrics.latest() else {
        return Vec::new();
    };
    let now = state.now_ms();
    let rules = state.metrics.rules();
    let mut out: Vec<AlertRow> = snap
        .alerts
        .iter()
        .filter(|a| {
            overview_table(state)
                .is_none_or(|t| shown(t, &format!("{} {} {}", a.rule, a.resource, a.expr)))
        })
        .map(|a| AlertRow {
            subject: match rules.iter().find(|r| r.name == a.rule) {
                Some(r) if r.condition.metric.of_topics() => Subject::Topic,
                _ => Subject::Group,
            },
            silenced_until: state
                .silences
                .active(&state.silence_scope, &a.rule, &a.resource, now)
                .map(|s| s.until),
            alert: a.clone(),
        })
        .collect();
    out.sort_by(|a, b| {
        a.silenced_until
            .is_some()
            .cmp(&b.silenced_until.is_some())
            .then(b.firing().cmp(&a.firing()))
            .then(b.alert.severity.cmp(&a.alert.severity))
            // Fired longest ago first; pending ones by how long their condition has held.
            .then(
                a.alert
                    .fired_at
                    .unwrap_or(a.alert.since)
                    .cmp(&b.alert.fired_at.unwrap_or(b.alert.since)),
            )
            .then(a.alert.rule.cmp(&b.alert.rule))
            .then(a.alert.resource.cmp(&b.alert.resource))
    });
    out
}

/// The row order of the overview's table: one per alert row.
pub fn order(state: &State) -> Vec<usize> {
    (0..rows(state).len()).collect()
}

/// The selected alert.
pub fn selected(state: &State) -> Option<AlertRow> {
    let t = overview_table(state)?;
    rows(state).into_iter().nth(t.selected)
}

/// Enter on an alert: its group's or topic's screen.
pub fn open_selected(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(row) = selected(state) else {
        return;
    };
    let name = row.alert.resource.clone();
    let view = match row.subject {
        Subject::Group => group_view(name),
        Subject::Topic => topic_view(name),
    };
    push_view(state, view, fx);
}

/// `a`: asks how long to silence the selected alert for.
pub fn open_prompt(state: &mut State) {
    if !matches!(state.view(), View::Overview(_)) {
        super::flash(
            state,
            Level::Info,
            "silence an alert from the overview's alert list",
        );
        return;
    }
    match selected(state) {
        Some(row) => {
            state.flash = None;
            state.mode = Mode::Silence {
                rule: row.alert.rule,
                resource: row.alert.resource,
                input: String::new(),
            }
        }
        None => super::flash(state, Level::Info, "no alert to silence"),
    }
}

/// A key at the silence prompt.
pub fn on_key(
    state: &mut State,
    key: Key,
    rule: String,
    resource: String,
    mut input: String,
    fx: &mut Vec<Effect>,
) {
    match state.keymap.input(Layer::Silence, key) {
        Some(Input::Cancel) => state.mode = Mode::Normal,
        Some(Input::Accept) => match silence::parse_for(&input) {
            Ok(duration) => {
                state.mode = Mode::Normal;
                silence_for(state, rule, resource, duration, fx);
            }
            // Wrong input stays on the prompt, cleared, with what was wrong.
            Err(e) => {
                super::flash(state, Level::Warn, e);
                state.mode = Mode::Silence {
                    rule,
                    resource,
                    input: String::new(),
                };
            }
        },
        Some(Input::Erase) => {
            input.pop();
            state.mode = Mode::Silence {
                rule,
                resource,
                input,
            };
        }
        _ => {
            if let Some(c) = key.typed() {
                input.push(c);
            }
            state.mode = Mode::Silence {
                rule,
                resource,
                input,
            };
        }
    }
}

/// Sets (or, for `None`, lifts) the silence at once on screen and asks for it to be written.
fn silence_for(
    state: &mut State,
    rule: String,
    resource: String,
    duration: Option<Millis>,
    fx: &mut Vec<Effect>,
) {
    let now = state.now_ms();
    let scope = state.silence_scope.clone();
    let change = match duration {
        Some(d) => {
            let until = now.saturating_add(d);
            super::flash(
                state,
                Level::Info,
                format!(
                    "silenced {rule} on {resource} for {}",
                    crate::metrics::time::format_duration(d)
                ),
            );
            SilenceChange::Set(Silence {
                scope,
                rule,
                resource,
                until,
                created: now,
            })
        }
        None => {
            super::flash(
                state,
                Level::Info,
                format!("silence of {rule} on {resource} lifted"),
            );
            SilenceChange::Lift {
                scope,
                rule,
                resource,
            }
        }
    };
    state.silences.apply(&change);
    refresh_order(state);
    // A reading of the file that started before this change would undo it on screen.
    state.silences_sync.generation += 1;
    state.silences_sync.saving += 1;
    fx.push(Effect::Silence(change));
}

/// How often the console reads the silences file again, so a silence set by another console
/// (or removed from the file by hand) shows without a restart.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Re-reading the silences file while the console runs.
#[derive(Debug, Default, Clone)]
pub struct SilencesSync {
    /// Bumped by every change the console makes: a reading that started before it is stale.
    pub generation: u64,
    /// Changes written but not yet answered.
    pub saving: u32,
    /// When the last reading was asked for.
    pub asked: Option<std::time::Instant>,
    /// A reading is out.
    pub loading: bool,
    /// Why the file could not be read last time (said once, not at every reading).
    pub problem: Option<String>,
}

/// On a tick: asks for the file again [`RELOAD_EVERY`] after the last reading, one at a time, never
/// while a change of the console's own is being written.
pub fn schedule_reload(state: &mut State, fx: &mut Vec<Effect>) {
    let sync = &mut state.silences_sync;
    let due = sync
        .asked
        .is_none_or(|t| state.now.saturating_duration_since(t) >= RELOAD_EVERY);
    if !due || sync.loading || sync.saving > 0 {
        return;
    }
    sync.asked = Some(state.now);
    sync.loading = true;
    fx.push(Effect::LoadSilences {
        generation: sync.generation,
    });
}

/// The file as read again: it replaces what is on screen unless the console changed a
/// silence since the reading was asked for. A file that cannot be read keeps the silences
/// known so far and is said on the status line once.
pub fn on_loaded(
    state: &mut State,
    generation: u64,
    result: Result<Silences, crate::model::Failure>,
) {
    state.silences_sync.loading = false;
    // The next reading comes RELOAD_EVERY after this answer.
    state.silences_sync.asked = Some(state.now);
    if generation != state.silences_sync.generation {
        return;
    }
    match result {
        Ok(all) => {
            state.silences_sync.problem = None;
            if all != state.silences {
                state.silences = all;
                refresh_order(state);
            }
        }
        Err(e) => {
            if state.silences_sync.problem.as_deref() != Some(e.message.as_str()) {
                super::flash(
                    state,
                    Level::Error,
                    format!("silences not read again: {}", e.message),
                );
                state.silences_sync.problem = Some(e.message);
            }
        }
    }
}

/// The silences file was written (it now holds `result`), or could not be: then what is on
/// screen is not kept, and the status line says why.
pub fn on_saved(state: &mut State, result: Result<Silences, crate::model::Failure>) {
    state.silences_sync.saving = state.silences_sync.saving.saturating_sub(1);
    match result {
        Ok(all) => state.silences = all,
        Err(e) => super::flash(
            state,
            Level::Error,
            format!("silence not kept: {}", e.message),
        ),
    }
    refresh_order(state);
}
