//! One topic: its partitions, its configs and the groups reading it, one tab each.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::columns::{self, CONFIGS, PARTITIONS, TOPIC_GROUPS};
use crate::app::fmt::{self, opt_num};
use crate::app::{State, Table, TopicTab};
use crate::ui::widgets::{data_table, ready_named, tab, unavailable};
use crate::ui::Theme;

#[allow(clippy::too_many_arguments)]
pub fn topic(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    name: &str,
    current: TopicTab,
    table: &Table,
) {
    let Some((d, block)) = ready_named(
        frame,
        area,
        &state.topic,
        "topic",
        name,
        state,
        theme,
        |d| d.name == name,
    ) else {
        return;
    };
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let messages: Option<i64> = d.partitions.iter().map(|p| p.messages).sum();
    let t = |this, label| tab(this, current, label, theme, true);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            t(
                TopicTab::Partitions,
                format!("partitions {}", d.partitions.len()),
            ),
            t(TopicTab::Configs, format!("configs {}", d.configs.len())),
            t(TopicTab::Groups, format!("groups {}", d.groups.len())),
            Span::styled(
                format!(
                    "   messages {} · rate {}/s",
                    opt_num(messages),
                    fmt::rate(state.metrics_view.topic_rate(name))
                ),
                theme.muted(),
            ),
        ])),
        tabs,
    );
    match current {
        TopicTab::Partitions => {
            let rates = columns::partition_rates(state, name);
            data_table(
                frame,
                body,
                block,
                theme,
                &PARTITIONS,
                &d.partitions,
                table,
                state,
                &rates,
            );
        }
        TopicTab::Configs => match &d.configs_error {
            Some(e) => unavailable(frame, body, block, theme, "configs", &e.message),
            None => data_table(
                frame,
                body,
                block,
                theme,
                &CONFIGS,
                &d.configs,
                table,
                state,
                &(),
            ),
        },
        TopicTab::Groups => match &d.groups_error {
            Some(e) => unavailable(frame, body, block, theme, "groups", &e.message),
            None => data_table(
                frame,
                body,
                block,
                theme,
                &TOPIC_GROUPS,
                &d.groups,
                table,
                state,
                &(),
            ),
        },
    }
}
