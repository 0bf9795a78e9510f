//! The topics screen: every topic with its partitions, messages, produce rate and health.

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::columns::TOPICS;
use crate::app::{State, Table};
use crate::ui::widgets::list_panel;
use crate::ui::Theme;

pub fn topics(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    list_panel(
        frame,
        area,
        &state.topics,
        "topics",
        &TOPICS,
        table,
        state,
        theme,
    );
}
