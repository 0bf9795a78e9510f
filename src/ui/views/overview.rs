//! The overview: cluster health, the produce rate, leaderboards of the busiest topics and
//! the groups furthest behind, and the alert list (a selection: Enter opens an alert's group or
//! topic, `a` silences it). The overview's filter (`/`) applies to every list on it.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Sparkline};
use ratatui::Frame;

use crate::app::alerts::{self, shown};
use crate::app::fmt::{self, num, opt_num};
use crate::app::{State, Table};
use crate::metrics::AlertPhase;
use crate::ui::widgets::{panel_block, ready};
use crate::ui::{safe, Severity, Theme};

/// Rows in each leaderboard.
const TOP_N: usize = 5;

pub fn overview(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
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
    top_topics(frame, topics_area, state, theme, table);
    top_groups(frame, groups_area, state, theme, table);
    alert_list(frame, alerts, state, theme, table);
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

/// A panel's title, with the overview's filter when one is set.
fn filtered_title(title: &str, table: &Table) -> String {
    if table.filter.is_empty() {
        title.to_string()
    } else {
        format!(
            "{title} /{}{}",
            if table.invert { "!" } else { "" },
            safe(&table.filter)
        )
    }
}

fn top_topics(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let block = panel_block(
        filtered_title("top topics by rate", table),
        &state.sampling,
        state,
        theme,
    );
    let latest = state.metrics.latest();
    let board: Vec<_> = latest
        .map(|s| s.leaderboards.topics_by_rate.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| shown(table, &r.name))
        .collect();
    let width = area.width.saturating_sub(14) as usize;
    let lines: Vec<Line> = if board.is_empty() && latest.is_some() && !table.filter.is_empty() {
        vec![Line::styled("no topic matches the filter", theme.muted())]
    } else if board.is_empty() {
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

fn top_groups(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let block = panel_block(
        filtered_title("top groups by lag", table),
        &state.sampling,
        state,
        theme,
    );
    let board: Vec<_> = state
        .metrics
        .latest()
        .map(|s| s.leaderboards.groups_by_lag.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| shown(table, &r.name))
        .collect();
    let width = area.width.saturating_sub(26) as usize;
    let lines: Vec<Line> = if board.is_empty() && !table.filter.is_empty() {
        vec![Line::styled("no group matches the filter", theme.muted())]
    } else if board.is_empty() {
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

fn alert_list(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let rows = alerts::rows(state);
    let firing = rows
        .iter()
        .filter(|r| r.firing() && r.silenced_until.is_none())
        .count();
    let silenced = rows.iter().filter(|r| r.silenced_until.is_some()).count();
    let counts = if silenced > 0 {
        format!("{firing} firing, {silenced} silenced")
    } else {
        format!("{firing} firing")
    };
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border))
        .title(Span::styled(
            format!(" {} ", filtered_title(&format!("alerts ({counts})"), table)),
            theme.title(),
        ));
    let now = state.now_ms();
    let age = |ms: i64| fmt::age(std::time::Duration::from_millis(ms.max(0) as u64));
    // Keep the selection in view: the list scrolls under it.
    let height = area.height.saturating_sub(2).max(1) as usize;
    let first = table.selected.saturating_sub(height - 1);
    let mut lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(first)
        .take(height)
        .map(|(i, r)| {
            let a = &r.alert;
            let severity = a.severity.to_string().to_uppercase();
            let (label, style) = match (r.silenced_until, a.phase) {
                (Some(_), _) => ("silenced", theme.muted()),
                (None, AlertPhase::Pending) => ("pending", theme.muted()),
                (None, AlertPhase::Resolving) => (severity.as_str(), theme.muted()),
                (None, AlertPhase::Firing) => (severity.as_str(), theme.severity(a.severity)),
            };
            let value = a.value.as_ref().map_or("-".to_string(), |v| v.to_string());
            // How long it has fired (pending: how long its condition has held; silenced: how
            // long the silence still holds).
            let when = match (r.silenced_until, a.fired_at) {
                (Some(until), _) => format!("{} left", age(until - now)),
                (None, Some(t)) => format!("firing {}", age(now - t)),
                (None, None) => format!("pending {}", age(a.age(now))),
            };
            let line = Line::from(vec![
                Span::styled(format!("{label:<9}"), style),
                Span::raw(format!("{:<18} ", fmt::cut(&safe(&a.rule), 18))),
                Span::raw(format!("{:<24} ", fmt::cut(&safe(&a.resource), 24))),
                Span::raw(format!("{when:<12} ")),
                Span::styled(format!("{} = {value}", safe(&a.expr)), theme.muted()),
            ]);
            if i == table.selected {
                line.style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    if lines.is_empty() {
        let text = match state.metrics.latest() {
            None => "waiting for the first samples…".to_string(),
            Some(s) if !s.alerts.is_empty() => "no alert matches the filter".to_string(),
            Some(_) => format!("no alerts ({} rules)", state.metrics.rules().len()),
        };
        lines.push(Line::styled(text, theme.muted()));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
