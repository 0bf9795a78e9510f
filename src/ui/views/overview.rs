//! The overview: cluster health, the produce rate, and leaderboards of the busiest topics and
//! the groups furthest behind.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Sparkline};
use ratatui::Frame;

use crate::app::fmt::{self, num, opt_num};
use crate::app::State;
use crate::metrics::AlertPhase;
use crate::ui::widgets::{panel_block, ready};
use crate::ui::{safe, Severity, Theme};

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
    let Some((c, block)) = ready(
        frame,
        area,
        &state.cluster,
        block,
        state,
        theme,
        "the cluster",
    ) else {
        return;
    };
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
    let values: Vec<u64> = state.metrics_view.cluster_rate.iter().copied().collect();
    let latest = state.metrics.latest();
    let now = latest.and_then(|s| s.cluster.rate);
    let missing = latest.map_or(0, |s| s.cluster.missing_partitions);
    let title = if missing > 0 {
        // The partitions that answered are not the cluster's rate.
        format!("produce rate unknown: {missing} partition(s) did not answer")
    } else {
        format!("produce rate {}/s", fmt::rate(now))
    };
    let block = panel_block(title, &state.sampling, state, theme);
    if values.len() < 2 {
        let text = match &state.sampling.error {
            Some(e) => format!("cannot sample: {}", safe(&e.message)),
            None => "measuring…".to_string(),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.muted())).block(block),
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
    let block = panel_block("top topics by rate".into(), &state.sampling, state, theme);
    let board = state
        .metrics
        .latest()
        .map(|s| s.leaderboards.topics_by_rate.clone())
        .unwrap_or_default();
    let width = area.width.saturating_sub(14) as usize;
    let lines: Vec<Line> = if board.is_empty() {
        vec![Line::styled("measuring…", theme.muted())]
    } else {
        board
            .iter()
            .take(TOP_N)
            .map(|r| {
                Line::from(vec![
                    Span::raw(format!("{:<width$}", fmt::cut(&safe(&r.name), width))),
                    Span::styled(
                        format!("{:>10}/s", fmt::rate(Some(r.value))),
                        Style::new().fg(theme.accent),
                    ),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn top_groups(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = panel_block("top groups by lag".into(), &state.sampling, state, theme);
    let board = state
        .metrics
        .latest()
        .map(|s| s.leaderboards.groups_by_lag.clone())
        .unwrap_or_default();
    let width = area.width.saturating_sub(26) as usize;
    let lines: Vec<Line> = if board.is_empty() {
        vec![Line::styled("no group lag known", theme.muted())]
    } else {
        board
            .iter()
            .take(TOP_N)
            .map(|r| {
                let lag = r.value.round() as i64;
                let complete = state
                    .metrics_view
                    .group(&r.name)
                    .is_none_or(|m| m.incomplete.is_none());
                let trend = state
                    .metrics_view
                    .lag_trend
                    .get(&r.name)
                    .map(|t| fmt::spark(t, 10))
                    .unwrap_or_default();
                Line::from(vec![
                    Span::raw(format!("{:<width$}", fmt::cut(&safe(&r.name), width))),
                    Span::styled(
                        format!("{:>12} ", fmt::at_least(Some(lag), complete)),
                        theme.severity(fmt::lag_severity(Some(lag), &state.options)),
                    ),
                    Span::styled(trend, Style::new().fg(theme.sparkline)),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn alert_list(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut alerts = state
        .metrics
        .latest()
        .map(|s| s.alerts.clone())
        .unwrap_or_default();
    let firing = alerts
        .iter()
        .filter(|a| a.phase != AlertPhase::Pending)
        .count();
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border))
        .title(Span::styled(
            format!(" alerts ({firing} firing) "),
            theme.title(),
        ));
    // Worst first, then the oldest.
    alerts.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.since.cmp(&b.since)));
    let now = state.now_ms();
    let mut lines: Vec<Line> = alerts
        .iter()
        .map(|a| {
            let (label, style) = match a.phase {
                AlertPhase::Pending => ("pending ".to_string(), theme.muted()),
                AlertPhase::Resolving => (
                    format!("{:<8}", a.severity.to_string().to_uppercase()),
                    theme.muted(),
                ),
                AlertPhase::Firing => (
                    format!("{:<8}", a.severity.to_string().to_uppercase()),
                    theme.severity(a.severity),
                ),
            };
            let value = a.value.as_ref().map_or("-".to_string(), |v| v.to_string());
            Line::from(vec![
                Span::styled(label, style),
                Span::raw(format!("{:<18} ", fmt::cut(&safe(&a.rule), 18))),
                Span::raw(format!("{:<24} ", fmt::cut(&safe(&a.resource), 24))),
                Span::styled(format!("{} = {value}  ", safe(&a.expr)), theme.muted()),
                Span::raw(format!(
                    "since {}",
                    fmt::age(std::time::Duration::from_millis(a.age(now).max(0) as u64))
                )),
            ])
        })
        .collect();
    if lines.is_empty() {
        let text = match state.metrics.latest() {
            None => "waiting for the first samples…".to_string(),
            Some(_) => format!("no alerts ({} rules)", state.metrics.rules().len()),
        };
        lines.push(Line::styled(text, theme.muted()));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
