//! The offset reset flow: choose, preview, confirm by typing the group's name, result.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, BorderType, Borders, Cell, Paragraph, Row, Table as TableWidget, Wrap,
};
use ratatui::Frame;

use crate::app::fmt::{num, opt_num};
use crate::app::reset::{ResetChoice, ResetFlow, ResetStep};
use crate::app::State;
use crate::offsets::engine::{
    ApplyReport, ApplyResult, PartitionStatus, PlanColumn, PlanValue, ResetPlan,
};
use crate::ui::{safe, Severity, Theme};

pub fn reset(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, group: &str) {
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused))
        .title(Span::styled(
            format!(" reset offsets of group {} ", safe(group)),
            theme.title(),
        ));
    let Some(flow) = state.reset.as_ref() else {
        frame.render_widget(Paragraph::new("no reset in progress").block(block), area);
        return;
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [body, message] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(inner);
    match &flow.step {
        ResetStep::Choose => choose(frame, body, theme, flow),
        ResetStep::Argument { input } => prompt(
            frame,
            body,
            theme,
            flow,
            flow.choice().prompt().unwrap_or("argument"),
            input,
        ),
        ResetStep::Topics { input } => prompt(
            frame,
            body,
            theme,
            flow,
            "topics: blank for every topic the group has committed, or T, T:0,2 (several with spaces)",
            input,
        ),
        ResetStep::Planning { .. } => {
            frame.render_widget(Paragraph::new(Line::styled("planning… (nothing changes yet)", theme.muted())), body)
        }
        ResetStep::Preview { plan, confirm } => preview(frame, body, theme, flow, plan, confirm),
        ResetStep::Applying { .. } => frame.render_widget(
            Paragraph::new(Line::styled("applying: undo file, commit, read back…", theme.severity(Severity::Warn))),
            body,
        ),
        ResetStep::Done { report } => done(frame, body, theme, flow, report),
    }
    if let Some(e) = &flow.error {
        frame.render_widget(
            Paragraph::new(Line::styled(safe(e), theme.severity(Severity::Crit)))
                .wrap(Wrap { trim: true }),
            message,
        );
    }
}

fn choose(frame: &mut Frame, area: Rect, theme: &Theme, flow: &ResetFlow) {
    let mut lines = vec![
        Line::styled(
            "Move the group's committed offsets: choose how (enter), esc goes back.",
            theme.muted(),
        ),
        Line::raw(""),
    ];
    for (i, c) in ResetChoice::ALL.iter().enumerate() {
        let style = if i == flow.selected {
            theme.selection()
        } else {
            Style::new()
        };
        lines.push(Line::styled(format!("  {}  ", c.label()), style));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Nothing changes until you have seen the plan and typed the group's name.",
        theme.muted(),
    ));
    frame.render_widget(Paragraph::new(lines), area);
}

fn prompt(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    flow: &ResetFlow,
    label: &str,
    input: &str,
) {
    let lines = vec![
        Line::styled(format!("mode: {}", flow.choice().label()), theme.muted()),
        Line::raw(""),
        Line::styled(label.to_string(), theme.header()),
        Line::from(vec![
            Span::raw(format!("> {}", safe(input))),
            Span::styled("█", Style::new().fg(theme.accent)),
        ]),
        Line::raw(""),
        Line::styled("enter continues · esc goes back", theme.muted()),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

fn preview(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    flow: &ResetFlow,
    plan: &ResetPlan,
    confirm: &str,
) {
    let [head, table, foot] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(2),
    ])
    .areas(area);
    let t = &plan.totals;
    let mut lines = vec![
        Line::from(vec![
            Span::styled("plan ", theme.muted()),
            Span::raw(format!("{}  ", safe(&plan.mode))),
            Span::styled("group state ", theme.muted()),
            Span::raw(safe(plan.group_state.as_deref().unwrap_or("-"))),
        ]),
        Line::from(vec![
            Span::raw(format!(
                "{} partitions, {} change",
                t.partitions, t.changing
            )),
            Span::styled(
                format!(" · replay {} ", num(t.replay_records)),
                theme.severity(Severity::Warn),
            ),
            Span::styled(
                format!("· skip {} ", num(t.skip_records)),
                theme.severity(Severity::Crit),
            ),
            Span::raw(format!(
                "· {} clamped · {} without a commit · {} skipped",
                t.clamped, t.without_commit, t.skipped
            )),
        ]),
    ];
    if !plan.active_members.is_empty() {
        lines.push(Line::styled(
            format!(
                "refused: active members {}",
                safe(&plan.active_members.join(", "))
            ),
            theme.severity(Severity::Crit),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), head);
    let rows_on_screen = table.height.saturating_sub(1) as usize;
    let rows: Vec<Row> = plan
        .partitions
        .iter()
        .skip(flow.offset)
        .take(rows_on_screen)
        .map(|p| Row::new(PlanColumn::ALL.map(|c| plan_cell(c.value(p), theme))))
        .collect();
    frame.render_widget(
        TableWidget::new(rows, PlanColumn::ALL.map(width))
            .header(Row::new(PlanColumn::ALL.map(PlanColumn::short_title)).style(theme.header()))
            .column_spacing(1),
        table,
    );
    let prompt = if plan.active_members.is_empty() {
        Line::from(vec![
            Span::styled(
                format!("type '{}' and press enter to apply: ", safe(&flow.group)),
                theme.severity(Severity::Warn),
            ),
            Span::raw(safe(confirm)),
            Span::styled("█", Style::new().fg(theme.accent)),
            Span::styled("   esc cancels · ↑↓ pgup pgdn scroll", theme.muted()),
        ])
    } else {
        Line::styled(
            "the group must have no active members; esc goes back",
            theme.muted(),
        )
    };
    frame.render_widget(Paragraph::new(prompt), foot);
}

fn done(frame: &mut Frame, area: Rect, theme: &Theme, flow: &ResetFlow, report: &ApplyReport) {
    let sev = match report.result {
        ApplyResult::Applied => Severity::Ok,
        ApplyResult::Partial | ApplyResult::Unverified => Severity::Warn,
        ApplyResult::Failed => Severity::Crit,
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} ", report.result.as_str().to_uppercase()),
                theme.severity(sev).add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(
                "{} changed · {} unchanged · {} failed · {} unverified",
                report.changed, report.unchanged, report.failed, report.unverified
            )),
        ]),
        Line::from(vec![
            Span::styled("undo file ", theme.muted()),
            Span::raw(safe(report.undo_file.as_deref().unwrap_or("-"))),
        ]),
        Line::from(vec![
            Span::styled("undo with ", theme.muted()),
            Span::raw(safe(report.undo_command.as_deref().unwrap_or("-"))),
        ]),
    ];
    for e in [
        &report.commit_error,
        &report.verify_error,
        &report.audit_error,
    ]
    .into_iter()
    .flatten()
    {
        lines.push(Line::styled(safe(e), theme.severity(Severity::Crit)));
    }
    if let Some(h) = &report.not_restorable_hint {
        lines.push(Line::styled(safe(h), theme.muted()));
    }
    lines.push(Line::raw(""));
    for p in report.partitions.iter().skip(flow.offset) {
        let (mark, style) = match p.status {
            PartitionStatus::Changed => ("changed   ", theme.severity(Severity::Ok)),
            PartitionStatus::Unchanged => ("unchanged ", theme.muted()),
            PartitionStatus::Failed => ("FAILED    ", theme.severity(Severity::Crit)),
            PartitionStatus::Unverified => ("unverified", theme.severity(Severity::Warn)),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(format!(
                "{}/{}  {} → {}  (read back {})",
                safe(&p.topic),
                p.partition,
                p.before.map_or("none".to_string(), num),
                num(p.target),
                p.after.map_or("-".to_string(), num)
            )),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "enter or esc returns to the group",
        theme.muted(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// How wide a plan's column is on screen.
fn width(c: PlanColumn) -> Constraint {
    match c {
        PlanColumn::Topic | PlanColumn::Note => Constraint::Fill(2),
        PlanColumn::Partition => Constraint::Length(5),
        PlanColumn::Delta => Constraint::Length(14),
        _ => Constraint::Length(11),
    }
}

/// A plan's value as the console shows it: grouped digits, replay and skip in their colours,
/// the first note.
fn plan_cell(v: PlanValue<'_>, theme: &Theme) -> Cell<'static> {
    match v {
        PlanValue::Topic(t) => Cell::from(safe(t)),
        PlanValue::Partition(p) => Cell::from(p.to_string()),
        PlanValue::Current(c) => Cell::from(c.map_or("none".to_string(), num)),
        PlanValue::Target(t) => {
            Cell::from(opt_num(t)).style(Style::new().add_modifier(Modifier::BOLD))
        }
        PlanValue::Offset(o) => Cell::from(opt_num(o)),
        PlanValue::Delta(d) => match d {
            Some(d) if d < 0 => {
                Cell::from(format!("replay {}", num(-d))).style(theme.severity(Severity::Warn))
            }
            Some(d) if d > 0 => {
                Cell::from(format!("skip {}", num(d))).style(theme.severity(Severity::Crit))
            }
            Some(_) => Cell::from("-").style(theme.muted()),
            None => Cell::from("?").style(theme.muted()),
        },
        PlanValue::Note { clamped, note } => {
            Cell::from(safe(clamped.or(note).unwrap_or(""))).style(theme.severity(Severity::Warn))
        }
    }
}
