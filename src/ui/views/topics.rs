//! The topics screen: every topic with its partitions, messages, produce rate and health.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::columns::TOPICS;
use crate::app::{State, Table};
use crate::ui::widgets::{data_table, panel_block, ready};
use crate::ui::Theme;

pub fn topics(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let count = state.topics.data.as_ref().map_or(0, Vec::len);
    let block = panel_block(format!("topics ({count})"), &state.topics, state, theme);
    let Some((topics, block)) = ready(frame, area, &state.topics, block, state, theme, "topics")
    else {
        return;
    };
    data_table(
        frame,
        area,
        block,
        theme,
        &TOPICS,
        topics,
        table,
        state,
        &(),
    );
}
