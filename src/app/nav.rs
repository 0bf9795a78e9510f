//! Moving around: the stack of screens (open, go to, back), the selection and scroll of the
//! table on screen, its sort, and what the selected row names.

use super::action::Effect;
use super::columns;
use super::panels::{schedule, Panel};
use super::reset::ResetFlow;
use super::state::{State, Table, TopicTab, View};
use super::tail::stop_tail;

/// Recomputes the row order of the current table after data, filter or sort changed.
pub fn refresh_order(state: &mut State) {
    let order = match state.view() {
        View::Overview(_) => Some(super::alerts::order(state)),
        _ => columns::order(state),
    };
    if let (Some(order), Some(t)) = (order, state.view_mut().table_mut()) {
        t.order = order;
    }
    clamp_selection(state);
}

/// Keeps the selection within the rows and on screen (after a resize or new data).
pub fn clamp_selection(state: &mut State) {
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
pub fn scroll_into_view(selected: &mut usize, offset: &mut usize, len: usize, page: usize) {
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

/// Most screens on the stack (the breadcrumb trail): older ones after the first are
/// forgotten.
pub const MAX_DEPTH: usize = 6;

/// Whether two views are the same screen (the same topic, group or kind of list), whatever
/// their selection or tab.
fn same_screen(a: &View, b: &View) -> bool {
    match (a, b) {
        (View::Topic { name: x, .. }, View::Topic { name: y, .. })
        | (View::Group { name: x, .. }, View::Group { name: y, .. })
        | (View::Reset { group: x }, View::Reset { group: y }) => x == y,
        (View::BrokerConfigs { id: x, .. }, View::BrokerConfigs { id: y, .. }) => x == y,
        (View::SubjectVersions { subject: x, .. }, View::SubjectVersions { subject: y, .. }) => {
            x == y
        }
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Takes the screens from `at` off the stack, stopping what they ran.
fn drop_views(state: &mut State, at: std::ops::Range<usize>, fx: &mut Vec<Effect>) {
    for v in state.stack.drain(at) {
        match v {
            View::Tail => {
                if let Some(t) = state.tail.take() {
                    fx.push(Effect::StopTail { session: t.session });
                }
            }
            View::Reset { .. } => state.reset = None,
            View::Change { .. } => state.change = None,
            _ => {}
        }
    }
}

/// Shows the tail (just started) over the current screen: once in the trail, which keeps at
/// most [`MAX_DEPTH`] screens.
pub fn push_tail(state: &mut State, fx: &mut Vec<Effect>) {
    if *state.view() == View::Tail {
        return;
    }
    // An older place of the tail in the trail is the same tail.
    state.stack.retain(|v| *v != View::Tail);
    while state.stack.len() >= MAX_DEPTH {
        drop_views(state, 1..2, fx);
    }
    state.stack.push(View::Tail);
}

/// Opens a screen over the current one. Going to a screen already on the stack goes back to
/// it, so jumping between a topic and a group does not grow the trail; the trail keeps at
/// most [`MAX_DEPTH`] screens.
pub fn push_view(state: &mut State, view: View, fx: &mut Vec<Effect>) {
    if *state.view() == view {
        return;
    }
    if let Some(pos) = state
        .stack
        .iter()
        .skip(1)
        .position(|v| same_screen(v, &view))
    {
        let len = state.stack.len();
        drop_views(state, pos + 1..len, fx);
    }
    while state.stack.len() >= MAX_DEPTH {
        drop_views(state, 1..2, fx);
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
        View::BrokerConfigs { id, .. }
            if state
                .broker_configs
                .data
                .as_ref()
                .is_none_or(|d| d.0 != *id) =>
        {
            state.broker_configs = Panel::default();
        }
        View::SubjectVersions { subject, .. }
            if state
                .subject_versions
                .data
                .as_ref()
                .is_none_or(|d| &d.subject != subject) =>
        {
            state.subject_versions = Panel::default();
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
pub fn go_to(state: &mut State, view: View, fx: &mut Vec<Effect>) {
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

/// Closes the current screen (the first one stays).
pub fn back(state: &mut State, fx: &mut Vec<Effect>) {
    if state.stack.len() > 1 {
        match state.stack.pop() {
            Some(View::Tail) => stop_tail(state, fx),
            Some(View::Reset { .. }) => state.reset = None,
            Some(View::DeleteGroup { .. }) => state.delete_group = None,
            Some(View::Change { .. }) => state.change = None,
            _ => {}
        }
        refresh_order(state);
        schedule(state, fx);
    }
}

/// Esc: clears a filter first, then closes the tail's side pane, then goes back.
pub fn back_or_clear(state: &mut State, fx: &mut Vec<Effect>) {
    if !super::filter::current(state).is_empty() {
        super::filter::set(state, "");
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

/// Moves the selection of the table (or the tail) by `delta` rows.
pub fn move_selection(state: &mut State, delta: isize) {
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

/// The next sort column, or the other direction.
pub fn sort(state: &mut State, next_column: bool) {
    let columns = columns::sortable_columns(state.view());
    if let Some(t) = state.view_mut().table_mut() {
        if columns > 0 {
            if next_column {
                t.sort = (t.sort + 1) % columns;
            } else {
                t.descending = !t.descending;
            }
        }
    }
    refresh_order(state);
}

/// The topic screen's next tab.
pub fn next_topic_tab(state: &mut State) {
    if let View::Topic { tab, table, .. } = state.view_mut() {
        *tab = tab.next();
        *table = Table::default();
        refresh_order(state);
    }
}

/// The topic of the selected row, of the topic screen, or of the tail.
pub fn selected_topic(state: &State) -> Option<String> {
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

/// The group of the selected row, or of the group screen.
pub fn selected_group(state: &State) -> Option<String> {
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

/// The screen of a topic.
pub fn topic_view(name: String) -> View {
    View::Topic {
        name,
        tab: TopicTab::Partitions,
        table: Table::default(),
    }
}

/// The screen of a group.
pub fn group_view(name: String) -> View {
    View::Group {
        name,
        table: columns::group_table(),
    }
}

/// Enter: opens what the selected row names (in a tail: the record's detail).
pub fn open_selected(state: &mut State, fx: &mut Vec<Effect>) -> bool {
    match state.view() {
        View::Topics(_) => {
            if let Some(name) = selected_topic(state) {
                push_view(state, topic_view(name), fx);
            }
        }
        View::Groups(_)
        | View::Topic {
            tab: TopicTab::Groups,
            ..
        } => {
            if let Some(name) = selected_group(state) {
                push_view(state, group_view(name), fx);
            }
        }
        View::Overview(_) => super::alerts::open_selected(state, fx),
        View::Brokers(t) => {
            let id = t.selected_index().and_then(|i| {
                state
                    .cluster
                    .data
                    .as_ref()
                    .and_then(|c| c.brokers.get(i))
                    .map(|b| b.id)
            });
            if let Some(id) = id {
                push_view(
                    state,
                    View::BrokerConfigs {
                        id,
                        table: super::columns::config_table(),
                    },
                    fx,
                );
            }
        }
        View::Subjects(t) => {
            let subject = t.selected_index().and_then(|i| {
                let d = state.subjects.data.as_ref()?;
                d.subjects.get(i).map(|s| s.subject.clone())
            });
            if let Some(subject) = subject {
                push_view(
                    state,
                    View::SubjectVersions {
                        subject,
                        table: columns::subject_versions_table(),
                    },
                    fx,
                );
            }
        }
        View::Tail => return false,
        _ => {}
    }
    true
}
