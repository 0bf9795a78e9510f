//! One consumer group: its state, coordinator, members, lag and how fast it catches up, then
//! each partition's offsets, lag, time lag and status.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::columns::{self, GROUP_PARTITIONS};
use crate::app::fmt;
use crate::app::state::GROUP_INFO_ROWS;
use crate::app::{State, Table};
use crate::model::Severity;
use crate::ui::widgets::{data_table, ready_named, status_span};
use crate::ui::{safe, Theme};

pub fn group(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    name: &str,
    table: &Table,
) {
    let Some((d, block)) = ready_named(
        frame,
        area,
        &state.group,
        "group",
        name,
        state,
        theme,
        |d| d.group == name,
    ) else {
        return;
    };
    let [info, body] = Layout::vertical([
        Constraint::Length(GROUP_INFO_ROWS as u16),
        Constraint::Min(3),
    ])
    .areas(area);
    let sev = fmt::lag_severity(d.total_lag, &state.options);
    let m = state.metrics_view.group(name);
    let eta = match (
        d.total_lag,
        m.and_then(|m| m.eta_seconds),
        m.and_then(|m| m.lag_growth),
    ) {
        _ if !d.gaps.is_complete() || m.is_some_and(|m| m.incomplete.is_some()) => {
            "catch-up: unknown (incomplete)".to_string()
        }
        (Some(0), _, _) => "caught up".to_string(),
        (_, Some(secs), _) => format!(
            "catches up in ~{}",
            fmt::duration(std::time::Duration::from_secs_f64(secs.max(0.0)))
        ),
        (_, None, Some(_)) => "not catching up".to_string(),
        _ => "catch-up: measuring…".to_string(),
    };
    let pace = m.map_or(String::new(), |m| {
        format!(
            "  consumes {}/s · lag {}{}/s · time lag {}",
            fmt::rate(m.consume_rate),
            if m.lag_growth.is_some_and(|g| g > 0.0) {
                "+"
            } else {
                ""
            },
            fmt::rate(m.lag_growth),
            m.lag_seconds.map_or("-".to_string(), |s| format!(
                "{}{}",
                m.time_lag_method.map_or("", |t| t.mark()),
                fmt::duration(std::time::Duration::from_secs_f64(s.max(0.0)))
            ))
        )
    });
    let coordinator = d.coordinator.as_ref().map_or("-".to_string(), |c| {
        format!("{} ({})", c.id, safe(&c.address()))
    });
    let members: Vec<String> = d
        .members
        .iter()
        .map(|m| {
            let parts: usize = m.assignment.iter().map(|a| a.partitions.len()).sum();
            format!(
                "{}@{} ({parts} partitions)",
                safe(&m.client_id),
                safe(&m.host)
            )
        })
        .collect();
    let mut lines = vec![
        Line::from(vec![
            Span::styled("state ", theme.muted()),
            Span::raw(format!("{}  ", d.state)),
            Span::styled("protocol ", theme.muted()),
            Span::raw(format!(
                "{}  ",
                if d.protocol.is_empty() {
                    "-"
                } else {
                    &d.protocol
                }
            )),
            Span::styled("coordinator ", theme.muted()),
            Span::raw(coordinator),
            Span::styled("  status ", theme.muted()),
            if m.is_some_and(|m| m.inactive) {
                Span::styled("inactive", theme.muted())
            } else {
                status_span(m.and_then(|m| m.status), m.and_then(|m| m.measuring), theme)
            },
        ]),
        Line::from(vec![
            Span::styled("lag ", theme.muted()),
            Span::styled(
                fmt::at_least(d.total_lag, d.gaps.is_complete()),
                theme.severity(sev),
            ),
            Span::raw("  "),
            Span::styled(eta, Style::new().fg(theme.accent)),
            Span::styled(pace, theme.muted()),
        ]),
        Line::from(vec![
            Span::styled(format!("members {} ", d.members.len()), theme.muted()),
            Span::raw(fmt::cut(&members.join(", "), 400)),
        ]),
    ];
    if let Some(e) = &d.describe_error {
        lines.push(Line::styled(
            format!("members unavailable: {}", safe(&e.message)),
            theme.severity(Severity::Warn),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), info);
    let x = columns::group_partitions(state, name);
    data_table(
        frame,
        body,
        block,
        theme,
        &GROUP_PARTITIONS,
        &d.partitions,
        table,
        state,
        &x,
    );
}
