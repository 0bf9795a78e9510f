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
    let members = member_spans(d, theme);
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
        Line::from(
            [Span::styled(
                format!("members {} ", d.members.len()),
                theme.muted(),
            )]
            .into_iter()
            .chain(members)
            .collect::<Vec<_>>(),
        ),
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

/// Characters of the members line (it wraps onto the spare info row).
const MEMBERS_WIDTH: usize = 400;

/// The members line after its count: for KIP-848 groups first the group epoch, the target
/// assignment epoch and how many members are not at it, then per member
/// `client@host (N partitions)`, with its target's size when that differs and its epoch:
/// marked `epoch 5 < 7` while the member is below the target assignment epoch (still
/// reconciling), `epoch -2 away` for a static member that left for a while. Marked members
/// come first, so that the cut at `MEMBERS_WIDTH` characters (or the info rows' end) keeps
/// them.
fn member_spans<'a>(d: &crate::model::GroupDetail, theme: &Theme) -> Vec<Span<'a>> {
    let count = |a: &[crate::model::TopicPartitions]| -> usize {
        a.iter().map(|tp| tp.partitions.len()).sum()
    };
    let plural = |n: usize| if n == 1 { "partition" } else { "partitions" };
    let warn = theme.severity(Severity::Warn);
    let marked = |m: &crate::model::Member| m.away() || m.reconciling(d.assignment_epoch);
    let mut spans: Vec<(String, Style)> = Vec::new();
    if d.group_epoch.is_some() || d.assignment_epoch.is_some() {
        spans.push(("epoch ".into(), theme.muted()));
        spans.push((epoch(d.group_epoch), Style::new()));
        spans.push((" target ".into(), theme.muted()));
        spans.push((epoch(d.assignment_epoch), Style::new()));
        let reconciling = d
            .members
            .iter()
            .filter(|m| m.reconciling(d.assignment_epoch))
            .count();
        let away = d.members.iter().filter(|m| m.away()).count();
        if reconciling > 0 {
            spans.push((format!("  {reconciling} reconciling"), warn));
        }
        if away > 0 {
            spans.push((format!("  {away} away"), warn));
        }
        spans.push(("  ".into(), Style::new()));
    }
    let mut members: Vec<&crate::model::Member> = d.members.iter().collect();
    members.sort_by_key(|m| !marked(m));
    for (i, m) in members.into_iter().enumerate() {
        let parts = count(&m.assignment);
        let mut text = format!(
            "{}{}@{} ({parts} {}",
            if i > 0 { ", " } else { "" },
            safe(&m.client_id),
            safe(&m.host),
            plural(parts)
        );
        if let Some(t) = m.target_assignment.as_ref().filter(|t| **t != m.assignment) {
            let n = count(t);
            text.push_str(&format!(", target {n}"));
        }
        match m.member_epoch {
            Some(e) if m.away() => {
                spans.push((text + ", ", Style::new()));
                spans.push((format!("epoch {e} away"), warn));
                spans.push((")".into(), Style::new()));
            }
            Some(e) if m.reconciling(d.assignment_epoch) => {
                spans.push((text + ", ", Style::new()));
                spans.push((format!("epoch {e} < {}", epoch(d.assignment_epoch)), warn));
                spans.push((")".into(), Style::new()));
            }
            Some(e) => spans.push((format!("{text}, epoch {e})"), Style::new())),
            None => spans.push((text + ")", Style::new())),
        }
    }
    let mut left = MEMBERS_WIDTH;
    let mut out = Vec::with_capacity(spans.len());
    let last = spans.len().saturating_sub(1);
    for (i, (text, style)) in spans.into_iter().enumerate() {
        let n = text.chars().count();
        if n < left || (n == left && i == last) {
            left -= n;
            out.push(Span::styled(text, style));
        } else {
            // `…` says that more is cut off.
            out.push(Span::styled(fmt::cut(&format!("{text}…"), left), style));
            break;
        }
    }
    out
}

fn epoch(e: Option<i32>) -> String {
    e.map_or_else(|| "-".to_string(), |e| e.to_string())
}
