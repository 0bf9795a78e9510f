//! The console's pure core: `update(&mut State, Action) -> Vec<Effect>`. No IO and no clock
//! reads (time arrives in `Action::Tick`), so every behaviour can be tested with keys and
//! canned broker answers.

pub mod action;
pub mod columns;
pub mod incomplete;
pub mod keymap;
pub mod metrics;
pub mod reset;
pub mod state;
pub mod tail;

use std::time::Duration;

pub use action::{Action, Effect, Key, KeyCode, PanelKey, Payload};
pub use keymap::{Command, Keymap};
pub use state::{Flash, Freshness, Level, Mode, Options, Panel, State, Table, TopicTab, View};

use crate::record::StartPosition;
use reset::{ResetChoice, ResetFlow, ResetStep};
use tail::{DetailTab, TailFilter, TailState};

/// Longest wait between retries of a failing panel.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a status-line message stays.
const FLASH_FOR: Duration = Duration::from_secs(6);

/// Command-mode words, with their aliases, for dispatch and completion.
pub const COMMANDS: &[(&str, &[&str], &str)] = &[
    ("overview", &["o", "home"], "cluster overview"),
    ("topics", &["tp", "t"], "topics"),
    ("topic", &[], "topic NAME: one topic"),
    ("tail", &[], "tail TOPIC [FROM]: live records"),
    (
        "from",
        &[],
        "from POSITION: restart the tail (beginning, end, -N, OFFSET, @TIME, @-15m)",
    ),
    ("groups", &["g", "cg", "consumergroups"], "consumer groups"),
    ("group", &[], "group NAME: one consumer group"),
    ("brokers", &["b", "nodes"], "brokers"),
    ("reset", &[], "reset GROUP: reset a group's offsets"),
    ("ctx", &["context"], "ctx NAME: switch to another context"),
    ("refresh", &["r"], "refresh now"),
    ("freeze", &[], "freeze / unfreeze live panels"),
    ("help", &["h", "?"], "keys and commands"),
    ("quit", &["q", "q!", "exit"], "quit"),
];

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
            schedule(state, &mut fx);
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
            clamp_selection(state);
        }
        Action::Key(key) => on_key(state, key, &mut fx),
        Action::Loaded {
            key,
            req,
            at,
            result,
        } => on_loaded(state, key, req, at, result),
        Action::TailRecords { session, records } => {
            let now = state.now;
            let page = state.page_rows();
            let now_ms = state.now_ms();
            if let Some(t) = state.tail.as_mut().filter(|t| t.session == session) {
                t.ingest(records, now, now_ms);
                if t.follow {
                    let n = t.visible_len();
                    t.selected = n.saturating_sub(1);
                    t.offset = n.saturating_sub(page);
                }
            }
        }
        Action::TailFailed { session, error } => {
            if let Some(t) = state.tail.as_mut().filter(|t| t.session == session) {
                t.error = Some(error.clone());
                flash(state, Level::Error, error);
            }
        }
        Action::Sampled { req, at, result } => on_sampled(state, req, at, result),
        Action::ResetPlanned { req, result } => {
            if let Some(flow) = state.reset.as_mut() {
                if flow.step == (ResetStep::Planning { req }) {
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
                            flow.error = Some(e);
                            flow.step = ResetStep::Choose;
                        }
                    }
                }
            }
        }
        Action::ResetApplied { req, result } => {
            if let Some(flow) = state.reset.as_mut() {
                if flow.step == (ResetStep::Applying { req }) {
                    flow.offset = 0;
                    match result {
                        Ok(report) => flow.step = ResetStep::Done { report },
                        Err(e) => {
                            flow.error = Some(e);
                            flow.step = ResetStep::Choose;
                        }
                    }
                    // The group's offsets moved (or may have): show them fresh.
                    state.group.due = None;
                }
            }
        }
        Action::TailStarted { session, notes } => {
            if let Some(t) = state.tail.as_mut().filter(|t| t.session == session) {
                t.error = None;
                t.notes = notes;
            }
        }
        Action::TaskPanicked { task, message } => flash(
            state,
            Level::Error,
            format!("internal error: {task} panicked: {message} (details in kscope.log)"),
        ),
    }
    fx
}

fn flash(state: &mut State, level: Level, text: impl Into<String>) {
    state.flash = Some(Flash {
        text: text.into(),
        level,
        at: state.now,
    });
}

/// Panels the current view shows, plus the ones that feed rates and leaderboards.
fn wanted_panels(state: &State) -> Vec<PanelKey> {
    let mut keys = vec![PanelKey::Cluster, PanelKey::Topics, PanelKey::Groups];
    match state.view() {
        View::Topic { name, .. } => keys.push(PanelKey::Topic(name.clone())),
        View::Group { name, .. } | View::Reset { group: name } => {
            keys.push(PanelKey::Group(name.clone()))
        }
        _ => {}
    }
    keys
}

/// Sends requests for panels that are due, one in flight per panel.
fn schedule(state: &mut State, fx: &mut Vec<Effect>) {
    if state.frozen {
        return;
    }
    let now = state.now;
    if state.sampling.in_flight.is_none() && state.sampling.due.is_none_or(|d| now >= d) {
        let req = state.next_request;
        state.next_request += 1;
        state.sampling.in_flight = Some(req);
        fx.push(Effect::Sample { req });
    }
    for key in wanted_panels(state) {
        let req = state.next_request;
        let due = {
            let (in_flight, due) = panel_timing(state, &key);
            in_flight.is_none() && due.is_none_or(|d| now >= d)
        };
        if due {
            state.next_request += 1;
            set_in_flight(state, &key, Some(req));
            fx.push(Effect::Fetch { key, req });
        }
    }
}

fn panel_timing(state: &State, key: &PanelKey) -> (Option<u64>, Option<std::time::Instant>) {
    match key {
        PanelKey::Cluster => (state.cluster.in_flight, state.cluster.due),
        PanelKey::Topics => (state.topics.in_flight, state.topics.due),
        PanelKey::Topic(_) => (state.topic.in_flight, state.topic.due),
        PanelKey::Groups => (state.groups.in_flight, state.groups.due),
        PanelKey::Group(_) => (state.group.in_flight, state.group.due),
    }
}

fn set_in_flight(state: &mut State, key: &PanelKey, req: Option<u64>) {
    match key {
        PanelKey::Cluster => state.cluster.in_flight = req,
        PanelKey::Topics => state.topics.in_flight = req,
        PanelKey::Topic(_) => state.topic.in_flight = req,
        PanelKey::Groups => state.groups.in_flight = req,
        PanelKey::Group(_) => state.group.in_flight = req,
    }
}

/// Stores an answer if it is the one we are waiting for; failures keep the old data (shown
/// as stale) and back off exponentially.
fn finish<T>(
    panel: &mut Panel<T>,
    req: u64,
    at: std::time::Instant,
    result: Result<T, String>,
    refresh: Duration,
) -> bool {
    if panel.in_flight != Some(req) {
        return false;
    }
    panel.in_flight = None;
    match result {
        Ok(data) => {
            panel.data = Some(data);
            panel.updated = Some(at);
            panel.error = None;
            panel.failures = 0;
            panel.due = Some(at + refresh);
            true
        }
        Err(e) => {
            panel.error = Some(e);
            panel.failures = panel.failures.saturating_add(1);
            let backoff = refresh
                .saturating_mul(1u32 << panel.failures.min(6))
                .min(MAX_BACKOFF);
            panel.due = Some(at + backoff);
            false
        }
    }
}

fn on_loaded(
    state: &mut State,
    key: PanelKey,
    req: u64,
    at: std::time::Instant,
    result: Result<Payload, String>,
) {
    let refresh = state.options.refresh;
    // A late answer for a topic or group no longer on screen is dropped by the request id.
    match key {
        PanelKey::Cluster => store(&mut state.cluster, req, at, result, refresh, |p| match p {
            Payload::Cluster(c) => Some((incomplete::cluster(&c), c)),
            _ => None,
        }),
        PanelKey::Topics => store(&mut state.topics, req, at, result, refresh, |p| match p {
            Payload::Topics(t) => Some((incomplete::topics(&t), t.items)),
            _ => None,
        }),
        PanelKey::Topic(_) => store(&mut state.topic, req, at, result, refresh, |p| match p {
            Payload::Topic(t) => Some((incomplete::topic(&t), *t)),
            _ => None,
        }),
        PanelKey::Groups => store(&mut state.groups, req, at, result, refresh, |p| match p {
            Payload::Groups(g) => Some((incomplete::groups(&g), g.items)),
            _ => None,
        }),
        PanelKey::Group(_) => store(&mut state.group, req, at, result, refresh, |p| match p {
            Payload::Group(g) => Some((incomplete::group(&g), *g)),
            _ => None,
        }),
    }
    refresh_order(state);
}

/// Stores an answer in its panel with what it lacks; a payload of the wrong kind counts as a
/// failure.
fn store<T>(
    panel: &mut Panel<T>,
    req: u64,
    at: std::time::Instant,
    result: Result<Payload, String>,
    refresh: Duration,
    extract: impl FnOnce(Payload) -> Option<(Option<incomplete::Incomplete>, T)>,
) {
    let result = result.and_then(|p| extract(p).ok_or_else(|| "unexpected answer".to_string()));
    let (result, lacks) = match result {
        Ok((lacks, data)) => (Ok(data), lacks),
        Err(e) => (Err(e), None),
    };
    if finish(panel, req, at, result, refresh) {
        panel.incomplete = lacks;
    }
}

/// Takes a metrics sample in: rates, trends, group status and alerts move on; alerts that
/// fire or resolve are announced in the status line.
fn on_sampled(
    state: &mut State,
    req: u64,
    at: std::time::Instant,
    result: Result<Box<crate::metrics::Sample>, String>,
) {
    let interval = Duration::from_millis(state.metrics.config().interval.max(1000) as u64);
    match result {
        Ok(sample) => {
            if !finish(&mut state.sampling, req, at, Ok(()), interval) {
                return;
            }
            let now_ms = state.now_ms();
            let events = state.metrics.ingest(&sample, now_ms);
            state.metrics_view.refresh(&state.metrics, now_ms);
            if let Some(e) = events.iter().max_by_key(|e| e.severity) {
                let level = match (e.state, e.severity) {
                    (crate::metrics::EventState::Resolved, _) => Level::Info,
                    (_, crate::metrics::Severity::Crit) => Level::Error,
                    (_, crate::metrics::Severity::Warn) => Level::Warn,
                    _ => Level::Info,
                };
                let verb = if e.state == crate::metrics::EventState::Resolved {
                    "resolved"
                } else {
                    "fired"
                };
                let more = if events.len() > 1 {
                    format!(" (+{} more)", events.len() - 1)
                } else {
                    String::new()
                };
                flash(
                    state,
                    level,
                    format!("alert {} on {} {verb}{more}", e.rule, e.resource),
                );
            }
            refresh_order(state);
        }
        Err(e) => {
            finish(&mut state.sampling, req, at, Err::<(), _>(e), interval);
        }
    }
}

/// Recomputes the row order of the current table after data, filter or sort changed.
pub fn refresh_order(state: &mut State) {
    let order = match state.view() {
        View::Topics(t) => state
            .topics
            .data
            .as_ref()
            .map(|d| columns::order_topics(d, t, &state.metrics_view)),
        View::Groups(t) => state
            .groups
            .data
            .as_ref()
            .map(|d| columns::order_groups(d, t, &state.metrics_view)),
        View::Brokers(t) => state
            .cluster
            .data
            .as_ref()
            .map(|d| columns::order_brokers(&d.brokers, t)),
        View::Topic { tab, table, .. } => state
            .topic
            .data
            .as_ref()
            .map(|d| columns::order_topic(d, *tab, table, &state.metrics, state.now_ms())),
        View::Group { table, .. } => state
            .group
            .data
            .as_ref()
            .map(|d| columns::order_group(d, table, &state.metrics, state.now_ms())),
        _ => None,
    };
    if let (Some(order), Some(t)) = (order, state.view_mut().table_mut()) {
        t.order = order;
    }
    clamp_selection(state);
}

fn clamp_selection(state: &mut State) {
    let page = state.page_rows();
    if let Some(t) = state.view_mut().table_mut() {
        let n = t.order.len();
        t.selected = t.selected.min(n.saturating_sub(1));
        scroll_into_view(&mut t.selected, &mut t.offset, n, page);
    }
    if let (Some(View::Tail), Some(t)) = (state.stack.last(), state.tail.as_mut()) {
        let n = t.visible_len();
        t.selected = t.selected.min(n.saturating_sub(1));
        scroll_into_view(&mut t.selected, &mut t.offset, n, page);
    }
}

/// Keeps the selection on screen, scrolling as little as possible.
fn scroll_into_view(selected: &mut usize, offset: &mut usize, len: usize, page: usize) {
    if len == 0 {
        *selected = 0;
        *offset = 0;
        return;
    }
    if *selected < *offset {
        *offset = *selected;
    } else if *selected >= *offset + page {
        *offset = *selected + 1 - page;
    }
    *offset = (*offset).min(len.saturating_sub(page));
}

fn push_view(state: &mut State, view: View, fx: &mut Vec<Effect>) {
    if *state.view() == view {
        return;
    }
    // Opening another topic or group starts its panel afresh.
    match &view {
        View::Topic { name, .. } if state.topic.data.as_ref().is_none_or(|d| &d.name != name) => {
            state.topic = Panel::default();
        }
        View::Group { name, .. } | View::Reset { group: name }
            if state.group.data.as_ref().is_none_or(|d| &d.group != name) =>
        {
            state.group = Panel::default();
        }
        _ => {}
    }
    if let View::Reset { group } = &view {
        state.reset = Some(ResetFlow::new(group));
    }
    state.stack.push(view);
    refresh_order(state);
    schedule(state, fx);
}

/// Goes to a top-level view, reusing it if it is already on the stack.
fn go_to(state: &mut State, view: View, fx: &mut Vec<Effect>) {
    let same_kind = |v: &View| std::mem::discriminant(v) == std::mem::discriminant(&view);
    if let Some(pos) = state.stack.iter().position(same_kind) {
        let leaving_tail = state.stack[pos + 1..].contains(&View::Tail);
        state.stack.truncate(pos + 1);
        if leaving_tail {
            stop_tail(state, fx);
        }
        refresh_order(state);
        schedule(state, fx);
    } else {
        push_view(state, view, fx);
    }
}

fn back(state: &mut State, fx: &mut Vec<Effect>) {
    if state.stack.len() > 1 {
        match state.stack.pop() {
            Some(View::Tail) => stop_tail(state, fx),
            Some(View::Reset { .. }) => state.reset = None,
            _ => {}
        }
        refresh_order(state);
        schedule(state, fx);
    }
}

/// Keys of the reset flow; returns whether the key was used. Text steps take every printable
/// key, so typing a group name never quits or navigates.
fn reset_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) -> bool {
    let req = state.next_request;
    let page = state.page_rows();
    let Some(flow) = state.reset.as_mut() else {
        return false;
    };
    let typed = |input: &mut String| match key.code {
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            input.push(c);
            true
        }
        KeyCode::Backspace => {
            input.pop();
            true
        }
        _ => false,
    };
    match &mut flow.step {
        ResetStep::Choose => match key.code {
            KeyCode::Up | KeyCode::Char('k') => flow.selected = flow.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                flow.selected = (flow.selected + 1).min(ResetChoice::ALL.len() - 1)
            }
            KeyCode::Enter => {
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
        ResetStep::Argument { input } => match key.code {
            KeyCode::Esc => flow.step = ResetStep::Choose,
            KeyCode::Enter => {
                flow.argument = input.clone();
                // Check the argument now, before asking for topics.
                match flow.request("") {
                    Err(e) if !e.to_string().contains("partitions") => {
                        flow.error = Some(e.to_string())
                    }
                    _ => {
                        flow.error = None;
                        flow.step = ResetStep::Topics {
                            input: String::new(),
                        };
                    }
                }
            }
            _ => return typed(input),
        },
        ResetStep::Topics { input } => match key.code {
            KeyCode::Esc => flow.step = ResetStep::Choose,
            KeyCode::Enter => {
                let topics = input.clone();
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
            _ => return typed(input),
        },
        ResetStep::Preview { plan, confirm } => match key.code {
            KeyCode::Esc => {
                flow.error = None;
                flow.step = ResetStep::Choose;
            }
            KeyCode::PageDown | KeyCode::Down => {
                let step = if key.code == KeyCode::Down { 1 } else { page };
                flow.offset = (flow.offset + step).min(plan.partitions.len().saturating_sub(1));
            }
            KeyCode::PageUp | KeyCode::Up => {
                let step = if key.code == KeyCode::Up { 1 } else { page };
                flow.offset = flow.offset.saturating_sub(step);
            }
            KeyCode::Enter => {
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
                    flow.error = Some(format!("type the group's name, '{}', to apply", flow.group));
                }
            }
            _ => return typed(confirm),
        },
        ResetStep::Planning { .. } | ResetStep::Applying { .. } => return false,
        ResetStep::Done { report } => match key.code {
            KeyCode::PageDown | KeyCode::Down => {
                flow.offset = (flow.offset + 1).min(report.partitions.len().saturating_sub(1))
            }
            KeyCode::PageUp | KeyCode::Up => flow.offset = flow.offset.saturating_sub(1),
            KeyCode::Esc | KeyCode::Enter => {
                state.reset = None;
                back(state, fx);
            }
            _ => return false,
        },
    }
    true
}

fn stop_tail(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(t) = state.tail.take() {
        fx.push(Effect::StopTail { session: t.session });
    }
}

fn start_tail(state: &mut State, topic: String, from: StartPosition, fx: &mut Vec<Effect>) {
    stop_tail(state, fx);
    let session = state.next_session;
    state.next_session += 1;
    state.tail = Some(TailState::new(
        topic.clone(),
        session,
        from,
        state.options.tail_capacity,
        state.options.tail_windows.clone(),
    ));
    fx.push(Effect::StartTail {
        session,
        topic,
        from,
        partitions: Vec::new(),
    });
    if *state.view() != View::Tail {
        state.stack.push(View::Tail);
    }
}

fn on_key(state: &mut State, key: Key, fx: &mut Vec<Effect>) {
    match state.mode.clone() {
        Mode::Normal if matches!(state.view(), View::Reset { .. }) && reset_key(state, key, fx) => {
        }
        Mode::Normal => {
            if let Some(cmd) = state.keymap.resolve(key) {
                run_command(state, cmd, fx);
            }
        }
        Mode::Help { scroll } => match key.code {
            KeyCode::Char('j') | KeyCode::Down => state.mode = Mode::Help { scroll: scroll + 1 },
            KeyCode::Char('k') | KeyCode::Up => {
                state.mode = Mode::Help {
                    scroll: scroll.saturating_sub(1),
                }
            }
            _ if key == Key::ctrl('c') => run_command(state, Command::Quit, fx),
            _ => state.mode = Mode::Normal,
        },
        Mode::Command { mut input } => match key.code {
            KeyCode::Esc => state.mode = Mode::Normal,
            KeyCode::Enter => {
                state.mode = Mode::Normal;
                run_line(state, input.trim(), fx);
            }
            KeyCode::Tab => {
                if let Some(done) = complete(state, &input) {
                    input = done;
                }
                state.mode = Mode::Command { input };
            }
            KeyCode::Backspace => {
                if input.pop().is_none() {
                    state.mode = Mode::Normal;
                } else {
                    state.mode = Mode::Command { input };
                }
            }
            KeyCode::Char('c') if key.ctrl => state.mode = Mode::Normal,
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                input.push(c);
                state.mode = Mode::Command { input };
            }
            _ => {}
        },
        Mode::Filter { mut input } => match key.code {
            KeyCode::Esc => {
                state.mode = Mode::Normal;
                set_filter(state, "");
            }
            KeyCode::Enter => state.mode = Mode::Normal,
            KeyCode::Backspace => {
                input.pop();
                set_filter(state, &input);
                state.mode = Mode::Filter { input };
            }
            KeyCode::Char('c') if key.ctrl => {
                state.mode = Mode::Normal;
                set_filter(state, "");
            }
            KeyCode::Char(c) if !key.ctrl && !key.alt => {
                input.push(c);
                set_filter(state, &input);
                state.mode = Mode::Filter { input };
            }
            _ => {}
        },
    }
}

/// Applies a filter as typed; a leading `!` inverts it.
fn set_filter(state: &mut State, input: &str) {
    let (invert, text) = match input.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    if let View::Tail = state.view() {
        if let Some(t) = state.tail.as_mut() {
            t.filter = TailFilter::new(text, invert);
            t.selected = t.visible_len().saturating_sub(1);
        }
    } else if let Some(t) = state.view_mut().table_mut() {
        t.filter = text.to_string();
        t.invert = invert;
        t.selected = 0;
        t.offset = 0;
    }
    refresh_order(state);
}

fn current_filter(state: &State) -> String {
    let (text, invert) = match state.view() {
        View::Tail => state
            .tail
            .as_ref()
            .map(|t| (t.filter.text.clone(), t.filter.invert))
            .unwrap_or_default(),
        v => v
            .table()
            .map(|t| (t.filter.clone(), t.invert))
            .unwrap_or_default(),
    };
    if invert {
        format!("!{text}")
    } else {
        text
    }
}

fn move_selection(state: &mut State, delta: isize) {
    let page = state.page_rows();
    if let View::Tail = state.view() {
        if let Some(t) = state.tail.as_mut() {
            let n = t.visible_len();
            t.selected = step(t.selected, delta, n);
            // Moving up stops following; reaching the end resumes it.
            t.follow = n > 0 && t.selected + 1 == n;
            scroll_into_view(&mut t.selected, &mut t.offset, n, page);
        }
        return;
    }
    if let Some(t) = state.view_mut().table_mut() {
        let n = t.order.len();
        t.selected = step(t.selected, delta, n);
        scroll_into_view(&mut t.selected, &mut t.offset, n, page);
    }
}

fn step(selected: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let max = len - 1;
    if delta < 0 {
        selected.saturating_sub(delta.unsigned_abs())
    } else {
        selected.saturating_add(delta as usize).min(max)
    }
}

fn run_command(state: &mut State, cmd: Command, fx: &mut Vec<Effect>) {
    if cmd.mutates() && state.read_only {
        flash(
            state,
            Level::Warn,
            format!("refused: context '{}' is read-only", state.context),
        );
        return;
    }
    let page = state.page_rows() as isize;
    match cmd {
        Command::Quit => {
            state.quit = true;
            stop_tail(state, fx);
            fx.push(Effect::Quit);
        }
        Command::Back => {
            // Esc first clears a filter, then goes back.
            if !current_filter(state).is_empty() {
                set_filter(state, "");
            } else if let (View::Tail, Some(t)) = (state.view(), state.tail.as_ref()) {
                if t.detail.is_some() || t.show_windows {
                    if let Some(t) = state.tail.as_mut() {
                        t.detail = None;
                        t.show_windows = false;
                    }
                } else {
                    back(state, fx);
                }
            } else {
                back(state, fx);
            }
        }
        Command::Up => move_selection(state, -1),
        Command::Down => move_selection(state, 1),
        Command::PageUp => move_selection(state, -page),
        Command::PageDown => move_selection(state, page),
        Command::Top => move_selection(state, isize::MIN / 2),
        Command::Bottom => move_selection(state, isize::MAX / 2),
        Command::Open => open_selected(state, fx),
        Command::CommandMode => {
            state.mode = Mode::Command {
                input: String::new(),
            }
        }
        Command::Filter => {
            state.mode = Mode::Filter {
                input: current_filter(state),
            }
        }
        Command::Help => state.mode = Mode::Help { scroll: 0 },
        Command::Refresh => {
            state.sampling.due = None;
            for key in wanted_panels(state) {
                match key {
                    PanelKey::Cluster => state.cluster.due = None,
                    PanelKey::Topics => state.topics.due = None,
                    PanelKey::Topic(_) => state.topic.due = None,
                    PanelKey::Groups => state.groups.due = None,
                    PanelKey::Group(_) => state.group.due = None,
                }
            }
            schedule(state, fx);
        }
        Command::Freeze => {
            state.frozen = !state.frozen;
            if let Some(t) = state.tail.as_mut() {
                t.paused = state.frozen;
                fx.push(Effect::PauseTail {
                    session: t.session,
                    paused: state.frozen,
                });
            }
            let text = if state.frozen {
                "frozen: live panels stopped (f to resume)"
            } else {
                "live"
            };
            flash(state, Level::Info, text);
            schedule(state, fx);
        }
        Command::SortNext | Command::SortReverse => {
            let columns = columns::sortable_columns(state.view());
            if let Some(t) = state.view_mut().table_mut() {
                if columns > 0 {
                    if cmd == Command::SortNext {
                        t.sort = (t.sort + 1) % columns;
                    } else {
                        t.descending = !t.descending;
                    }
                }
            }
            refresh_order(state);
        }
        Command::Overview => go_to(state, View::Overview, fx),
        Command::Topics => go_to(state, View::Topics(columns::topics_table()), fx),
        Command::Groups => go_to(state, View::Groups(columns::groups_table()), fx),
        Command::Brokers => go_to(state, View::Brokers(Table::default()), fx),
        Command::TailSelected => {
            if let Some(topic) = selected_topic(state) {
                start_tail(state, topic, StartPosition::Last(100), fx);
            }
        }
        Command::ResetSelected => {
            if let Some(group) = selected_group(state) {
                push_view(state, View::Reset { group }, fx);
            }
        }
        Command::Pause => {
            if let Some(t) = state.tail.as_mut() {
                t.paused = !t.paused;
                fx.push(Effect::PauseTail {
                    session: t.session,
                    paused: t.paused,
                });
            }
        }
        Command::Follow => {
            let page = state.page_rows();
            if let Some(t) = state.tail.as_mut() {
                t.follow = !t.follow;
                if t.follow {
                    let n = t.visible_len();
                    t.selected = n.saturating_sub(1);
                    scroll_into_view(&mut t.selected, &mut t.offset, n, page);
                }
            }
        }
        Command::Detail => {
            if let Some(t) = state.tail.as_mut() {
                t.show_windows = false;
                t.detail = match t.detail {
                    None => Some(DetailTab::Value),
                    Some(_) => None,
                };
            }
        }
        Command::Windows => {
            if let Some(t) = state.tail.as_mut() {
                t.detail = None;
                t.show_windows = !t.show_windows;
            }
        }
        Command::NextTab => match state.view_mut() {
            View::Topic { tab, table, .. } => {
                *tab = tab.next();
                *table = Table::default();
                refresh_order(state);
            }
            View::Tail => {
                if let Some(t) = state.tail.as_mut() {
                    t.detail = Some(t.detail.map_or(DetailTab::Value, DetailTab::next));
                }
            }
            _ => {}
        },
    }
}

fn selected_topic(state: &State) -> Option<String> {
    match state.view() {
        View::Topics(t) => {
            let i = t.selected_index()?;
            state.topics.data.as_ref()?.get(i).map(|t| t.name.clone())
        }
        View::Topic { name, .. } => Some(name.clone()),
        View::Tail => state.tail.as_ref().map(|t| t.topic.clone()),
        _ => None,
    }
}

fn selected_group(state: &State) -> Option<String> {
    match state.view() {
        View::Groups(t) => {
            let i = t.selected_index()?;
            state.groups.data.as_ref()?.get(i).map(|g| g.group.clone())
        }
        View::Group { name, .. } => Some(name.clone()),
        View::Topic {
            tab: TopicTab::Groups,
            table,
            ..
        } => {
            let i = table.selected_index()?;
            state.topic.data.as_ref()?.groups.get(i).cloned()
        }
        _ => None,
    }
}

fn open_selected(state: &mut State, fx: &mut Vec<Effect>) {
    match state.view().clone() {
        View::Topics(_) => {
            if let Some(name) = selected_topic(state) {
                push_view(
                    state,
                    View::Topic {
                        name,
                        tab: TopicTab::Partitions,
                        table: Table::default(),
                    },
                    fx,
                );
            }
        }
        View::Groups(_)
        | View::Topic {
            tab: TopicTab::Groups,
            ..
        } => {
            if let Some(name) = selected_group(state) {
                push_view(
                    state,
                    View::Group {
                        name,
                        table: columns::group_table(),
                    },
                    fx,
                );
            }
        }
        View::Tail => run_command(state, Command::Detail, fx),
        _ => {}
    }
}

/// Runs a `:` command line.
fn run_line(state: &mut State, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else { return };
    let arg = words.next().map(str::to_string);
    let rest: Vec<&str> = words.collect();
    let Some(command) = resolve_command(word) else {
        flash(
            state,
            Level::Warn,
            format!("unknown command ':{word}' (try :help)"),
        );
        return;
    };
    match (command, arg) {
        ("overview", _) => run_command(state, Command::Overview, fx),
        ("topics", _) => run_command(state, Command::Topics, fx),
        ("groups", _) => run_command(state, Command::Groups, fx),
        ("brokers", _) => run_command(state, Command::Brokers, fx),
        ("refresh", _) => run_command(state, Command::Refresh, fx),
        ("freeze", _) => run_command(state, Command::Freeze, fx),
        ("help", _) => run_command(state, Command::Help, fx),
        ("quit", _) => run_command(state, Command::Quit, fx),
        ("topic", Some(name)) => push_view(
            state,
            View::Topic {
                name,
                tab: TopicTab::Partitions,
                table: Table::default(),
            },
            fx,
        ),
        ("group", Some(name)) => push_view(
            state,
            View::Group {
                name,
                table: columns::group_table(),
            },
            fx,
        ),
        ("tail", Some(topic)) => {
            let from = match rest.first() {
                Some(f) => match f.parse::<StartPosition>() {
                    Ok(p) => p,
                    Err(e) => {
                        flash(state, Level::Warn, e.to_string());
                        return;
                    }
                },
                None => StartPosition::Last(100),
            };
            start_tail(state, topic, from, fx);
        }
        ("from", Some(pos)) => match (pos.parse::<StartPosition>(), state.tail.as_ref()) {
            (Ok(from), Some(t)) => {
                let topic = t.topic.clone();
                start_tail(state, topic, from, fx);
            }
            (Ok(_), None) => flash(
                state,
                Level::Warn,
                ":from works in a tail (start one with :tail TOPIC)",
            ),
            (Err(e), _) => flash(state, Level::Warn, e.to_string()),
        },
        ("reset", Some(group)) => {
            if state.read_only {
                flash(
                    state,
                    Level::Warn,
                    format!("refused: context '{}' is read-only", state.context),
                );
            } else {
                push_view(state, View::Reset { group }, fx);
            }
        }
        ("ctx", Some(name)) => {
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
        (c, None) => flash(state, Level::Warn, format!(":{c} needs an argument")),
        (c, Some(_)) => flash(state, Level::Warn, format!(":{c} takes no argument")),
    }
}

fn resolve_command(word: &str) -> Option<&'static str> {
    COMMANDS
        .iter()
        .find(|(name, aliases, _)| *name == word || aliases.contains(&word))
        .map(|(name, _, _)| *name)
}

/// Completes the command word, or its argument from the names on screen (topics, groups,
/// contexts). Returns the completed input.
pub fn complete(state: &State, input: &str) -> Option<String> {
    let (word, arg) = match input.split_once(' ') {
        Some((w, a)) => (w, Some(a)),
        None => (input, None),
    };
    match arg {
        None => {
            let matches: Vec<&str> = COMMANDS
                .iter()
                .map(|(n, _, _)| *n)
                .filter(|n| n.starts_with(word))
                .collect();
            common_prefix(&matches).map(|p| {
                if matches.len() == 1 {
                    format!("{p} ")
                } else {
                    p
                }
            })
        }
        Some(arg) => {
            let candidates: Vec<String> = match resolve_command(word)? {
                "tail" | "topic" => state
                    .topics
                    .data
                    .iter()
                    .flatten()
                    .map(|t| t.name.clone())
                    .collect(),
                "group" | "reset" => state
                    .groups
                    .data
                    .iter()
                    .flatten()
                    .map(|g| g.group.clone())
                    .chain(state.group.data.iter().map(|g| g.group.clone()))
                    .collect(),
                "ctx" => state.contexts.clone(),
                "from" => ["beginning", "end", "-100", "@-15m"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                _ => return None,
            };
            let matches: Vec<&str> = candidates
                .iter()
                .map(String::as_str)
                .filter(|c| c.starts_with(arg))
                .collect();
            common_prefix(&matches).map(|p| format!("{word} {p}"))
        }
    }
}

/// Suggestions shown under the command line.
pub fn suggestions(state: &State, input: &str) -> Vec<String> {
    match input.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|(n, a, _)| n.starts_with(input) || a.iter().any(|a| a.starts_with(input)))
            .map(|(n, _, d)| format!("{n}  {d}"))
            .collect(),
        Some(_) => complete(state, input).into_iter().collect(),
    }
}

fn common_prefix(words: &[&str]) -> Option<String> {
    let first = words.first()?;
    let mut len = first.len();
    for w in &words[1..] {
        len = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .count()
            .min(len);
    }
    Some(first.chars().take(len).collect())
}

#[cfg(test)]
mod tests;
