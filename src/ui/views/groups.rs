//! The consumer groups screen: every group with its state, status, members, lag and trend.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::columns::GROUPS;
use crate::app::{State, Table};
use crate::ui::widgets::list_panel;
use crate::ui::Theme;

pub fn groups(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    list_panel(
        frame,
        area,
        &state.groups,
        "consumer groups",
        &GROUPS,
        table,
        state,
        theme,
    );
}
