//! The brokers screen: the cluster's brokers, the controller marked.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use crate::app::columns::BROKERS;
use crate::app::fmt::opt_num;
use crate::app::{State, Table};
use crate::ui::widgets::{data_table, panel_block, ready};
use crate::ui::{safe, Theme};

pub fn brokers(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let block = panel_block("brokers".into(), &state.cluster, state, theme);
    let Some((info, block)) = ready(frame, area, &state.cluster, block, state, theme, "brokers")
    else {
        return;
    };
    let block = block.title(Line::from(format!(
        " cluster {} · controller {} ",
        safe(info.cluster_id.as_deref().unwrap_or("-")),
        opt_num(info.controller_id.map(i64::from))
    )));
    let controller = info.controller_id;
    data_table(
        frame,
        area,
        block,
        theme,
        &BROKERS,
        &info.brokers,
        table,
        state,
        &controller,
    );
}
