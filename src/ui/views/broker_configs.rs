//! One broker's configs that are not at Kafka's default, with their source and whether they can
//! change while it runs (`e` edits its dynamic ones).

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::columns::BROKER_CONFIGS;
use crate::app::{State, Table};
use crate::ui::widgets::{data_table, ready_named};
use crate::ui::Theme;

pub fn broker_configs(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    id: i32,
    table: &Table,
) {
    let Some(((_, configs), block)) = ready_named(
        frame,
        area,
        &state.broker_configs,
        "broker",
        &format!("{id} configs"),
        state,
        theme,
        |(of, _)| *of == id,
    ) else {
        return;
    };
    data_table(
        frame,
        area,
        block,
        theme,
        &BROKER_CONFIGS,
        configs,
        table,
        state,
        &(),
    );
}
