//! The consumer groups screen: every group with its state, status, members, lag and trend.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::columns::GROUPS;
use crate::app::{State, Table};
use crate::ui::widgets::{data_table, panel_block, ready};
use crate::ui::Theme;

pub fn groups(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let count = state.groups.data.as_ref().map_or(0, Vec::len);
    let block = panel_block(
        format!("consumer groups ({count})"),
        &state.groups,
        state,
        theme,
    );
    let Some((groups, block)) = ready(
        frame,
        area,
        &state.groups,
        block,
        state,
        theme,
        "consumer groups",
    ) else {
        return;
    };
    data_table(
        frame,
        area,
        block,
        theme,
        &GROUPS,
        groups,
        table,
        state,
        &(),
    );
}
