//! `/`: the filter of the table or tail on screen, applied as it is typed; a leading `!`
//! inverts it.

use super::action::Key;
use super::commands::{Input, Layer};
use super::nav::refresh_order;
use super::state::{Mode, State, View};
use super::tail::TailFilter;

/// Starts filtering, with the current filter to edit.
pub fn open(state: &mut State) {
    state.mode = Mode::Filter {
        input: current(state),
    };
}

/// A key while filtering.
pub fn on_key(state: &mut State, key: Key, mut input: String) {
    match state.keymap.input(Layer::Filter, key) {
        Some(Input::Cancel) => {
            state.mode = Mode::Normal;
            set(state, "");
        }
        Some(Input::Accept) => state.mode = Mode::Normal,
        Some(Input::Clear) => {
            set(state, "");
            state.mode = Mode::Filter {
                input: String::new(),
            };
        }
        Some(Input::Erase) => {
            input.pop();
            set(state, &input);
            state.mode = Mode::Filter { input };
        }
        _ => {
            if let Some(c) = key.typed() {
                input.push(c);
                set(state, &input);
                state.mode = Mode::Filter { input };
            }
        }
    }
}

/// Applies a filter as typed; a leading `!` inverts it.
pub fn set(state: &mut State, input: &str) {
    let (invert, text) = match input.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    if let View::Tail = state.view() {
        if let Some(t) = state.tail.as_mut() {
            t.filter = TailFilter::new(text, invert);
            // Following: the newest match; a view held at a jump's target: the first one.
            if t.follow {
                t.selected = t.visible_len().saturating_sub(1);
            } else {
                t.selected = 0;
                t.offset = 0;
            }
        }
    } else if let Some(t) = state.view_mut().table_mut() {
        t.filter = text.to_string();
        t.invert = invert;
        t.selected = 0;
        t.offset = 0;
    }
    refresh_order(state);
}

/// The filter on screen as it would be typed.
pub fn current(state: &State) -> String {
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
