//! The overview: cluster health, the produce rate, and leaderboards of the busiest topics and
//! the groups furthest behind.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Sparkline};
use ratatui::Frame;

use crate::app::State;
use crate::ui::fmt::{self, num, opt_num};
use crate::ui::{panel_block, placeholder, safe, Severity, Theme};

/// Rows in each leaderboard.
const TOP_N: usize = 5;

pub fn overview(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [top, boards, alerts] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(TOP_N as u16 + 2),
        Constraint::Min(3),
    ])
    .areas(area);
    let [cluster_area, rate_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let [topics_area, groups_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(boards);
    cluster(frame, cluster_area, state, theme);
    rate(frame, rate_area, state, theme);
    top_topics(frame, topics_area, state, theme);
    top_groups(frame, groups_area, state, theme);
    alert_list(frame, alerts, state, theme);
}

fn cluster(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = panel_block("cluster".into(), &state.cluster, state, theme);
    if let Some(p) = placeholder(&state.cluster, state, theme, "the cluster") {
        frame.render_widget(p.block(block), area);
        return;
    }
    let Some(c) = &state.cluster.data else { return };
    let health = |n: usize| {
        if n == 0 {
            Span::styled("0", theme.severity(Severity::Ok))
        } else {
            Span::styled(n.to_string(), theme.severity(Severity::Crit))
        }
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("id          ", theme.muted()),
            Span::raw(safe(c.cluster_id.as_deref().unwrap_or("-"))),
        ]),
        Line::from(vec![
            Span::styled("controller  ", theme.muted()),
            Span::raw(format!("{:<6}", opt_num(c.controller_id.map(i64::from)))),
            Span::styled("brokers ", theme.muted()),
            Span::raw(c.brokers.len().to_string()),
        ]),
        Line::from(vec![
            Span::styled("topics      ", theme.muted()),
            Span::raw(format!("{:<6}", c.topic_count)),
            Span::styled("partitions ", theme.muted()),
            Span::raw(num(c.partition_count as i64)),
        ]),
        Line::from(vec![
            Span::styled("under-repl. ", theme.muted()),
            health(c.under_replicated_partitions),
            Span::styled("     offline ", theme.muted()),
            health(c.offline_partitions),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn rate(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let values = state.history.cluster_rate.values();
    let now = values.last().copied();
    let title = format!(
        "produce rate {}/s",
        now.map_or("-".to_string(), |v| num(v as i64))
    );
    let block = panel_block(title, &state.topics, state, theme);
    if values.len() < 2 {
        frame.render_widget(
            Paragraph::new(Line::styled("measuring…", theme.muted())).block(block),
            area,
        );
        return;
    }
    frame.render_widget(
        Sparkline::default()
            .block(block)
            .data(&values)
            .style(Style::new().fg(theme.sparkline)),
        area,
    );
}

fn top_topics(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = panel_block("top topics by rate".into(), &state.topics, state, theme);
    if let Some(p) = placeholder(&state.topics, state, theme, "topics") {
        frame.render_widget(p.block(block), area);
        return;
    }
    let mut rated: Vec<(&str, f64)> = state
        .topics
        .data
        .iter()
        .flatten()
        .filter_map(|t| {
            state
                .history
                .topic_rate(&t.name)
                .map(|r| (t.name.as_str(), r))
        })
        .collect();
    rated.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let width = area.width.saturating_sub(14) as usize;
    let lines: Vec<Line> = if rated.is_empty() {
        vec![Line::styled("measuring…", theme.muted())]
    } else {
        rated
            .iter()
            .take(TOP_N)
            .map(|(name, r)| {
                Line::from(vec![
                    Span::raw(format!("{:<width$}", fmt::cut(&safe(name), width))),
                    Span::styled(
                        format!("{:>10}/s", fmt::rate(Some(*r))),
                        Style::new().fg(theme.accent),
                    ),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn top_groups(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = panel_block("top groups by lag".into(), &state.groups, state, theme);
    if let Some(p) = placeholder(&state.groups, state, theme, "groups") {
        frame.render_widget(p.block(block), area);
        return;
    }
    let mut lagging: Vec<(&str, i64)> = state
        .groups
        .data
        .iter()
        .flatten()
        .filter_map(|g| g.total_lag.map(|l| (g.group.as_str(), l)))
        .collect();
    lagging.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let width = area.width.saturating_sub(26) as usize;
    let lines: Vec<Line> = if lagging.is_empty() {
        vec![Line::styled("no group lag known", theme.muted())]
    } else {
        lagging
            .iter()
            .take(TOP_N)
            .map(|(name, lag)| {
                let trend = state
                    .history
                    .group_lag
                    .get(*name)
                    .map(|t| fmt::spark(&t.values(), 10))
                    .unwrap_or_default();
                Line::from(vec![
                    Span::raw(format!("{:<width$}", fmt::cut(&safe(name), width))),
                    Span::styled(
                        format!("{:>12} ", num(*lag)),
                        theme.severity(fmt::lag_severity(Some(*lag), &state.options)),
                    ),
                    Span::styled(trend, Style::new().fg(theme.sparkline)),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn alert_list(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border))
        .title(Span::styled(" alerts ", theme.title()));
    // Lag thresholds stand in until alert rules arrive: the groups at or above them.
    let mut lines: Vec<Line> = Vec::new();
    for g in state.groups.data.iter().flatten() {
        let sev = fmt::lag_severity(g.total_lag, &state.options);
        if sev != Severity::Ok {
            let label = if sev == Severity::Crit {
                "CRIT"
            } else {
                "WARN"
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{label} "), theme.severity(sev)),
                Span::raw(format!(
                    "group {} lag {}",
                    safe(&g.group),
                    opt_num(g.total_lag)
                )),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            format!(
                "nothing above the lag thresholds (warn {}, crit {})",
                num(state.options.lag_warn),
                num(state.options.lag_crit)
            ),
            theme.muted(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
