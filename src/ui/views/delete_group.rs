//! Deleting a group from the console: the plan (state, the committed offsets that go), the
//! typed confirmation, the result with its undo command.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{DeleteStep, State};
use crate::ui::{safe, Severity, Theme};

pub fn delete_group(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(flow) = state.delete_group.as_ref() else {
        frame.render_widget(Paragraph::new("no deletion in progress"), area);
        return;
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused))
        .title(Span::styled(
            match &flow.topic {
                None => format!(" delete group {} ", safe(&flow.group)),
                Some(t) => format!(
                    " delete offsets of topic {} in group {} ",
                    safe(t),
                    safe(&flow.group)
                ),
            },
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [body, message] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(inner);
    let mut lines = vec![Line::raw(match &flow.topic {
        None => format!(
            "state {} · no members · {} committed offset(s) go with it",
            safe(&flow.state),
            flow.committed.len()
        ),
        Some(t) => format!(
            "state {} · no members · {} committed offset(s) of {} go; the group and its other \
             offsets stay",
            safe(&flow.state),
            flow.committed.len(),
            safe(t)
        ),
    })];
    match &flow.step {
        DeleteStep::Confirm { confirm } => {
            lines.push(Line::styled(
                "They are written to an undo file first (kscope offsets reset --from-file \
                 restores them).",
                theme.muted(),
            ));
            lines.push(Line::raw(""));
            let shown = body.height.saturating_sub(6) as usize;
            for (t, p, o) in flow.committed.iter().take(shown) {
                lines.push(Line::raw(format!("  {}/{p}  committed {o}", safe(t))));
            }
            if flow.committed.len() > shown {
                lines.push(Line::styled(
                    format!("  … {} more", flow.committed.len() - shown),
                    theme.muted(),
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::styled(
                    "type the group's name to confirm (enter), esc cancels: ",
                    theme.severity(Severity::Warn),
                ),
                Span::raw(safe(confirm)),
                Span::styled("▏", theme.muted()),
            ]));
        }
        DeleteStep::Applying { .. } => lines.push(Line::styled(
            "deleting: undo file, audit, DeleteGroups, read back…",
            theme.severity(Severity::Warn),
        )),
        DeleteStep::Done { result } => {
            lines.push(Line::raw(""));
            let ok = result.verified && result.failed.is_empty();
            lines.push(Line::styled(
                if !result.failed.is_empty() && result.failed.len() >= result.partitions {
                    format!(
                        "nothing deleted: all {} partition(s) kept their offsets",
                        result.partitions
                    )
                } else if !result.failed.is_empty() {
                    format!(
                        "partly deleted: {} of {} partition(s) kept their offsets",
                        result.failed.len(),
                        result.partitions
                    )
                } else if result.verified {
                    format!(
                        "deleted; {} committed offset(s) kept in the undo file",
                        result.partitions
                    )
                } else {
                    "deleted, but reading back still shows committed offsets".to_string()
                },
                theme.severity(if ok { Severity::Ok } else { Severity::Crit }),
            ));
            for f in &result.failed {
                lines.push(Line::styled(
                    format!("  kept: {}", safe(f)),
                    theme.severity(Severity::Crit),
                ));
            }
            lines.push(Line::raw(format!("undo file: {}", safe(&result.undo_file))));
            lines.push(Line::raw(format!("undo: {}", safe(&result.undo_command))));
            lines.push(Line::raw(""));
            lines.push(Line::styled("enter or esc: back", theme.muted()));
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    if let Some(e) = &flow.error {
        frame.render_widget(
            Paragraph::new(Line::styled(safe(e), theme.severity(Severity::Crit)))
                .wrap(Wrap { trim: true }),
            message,
        );
    }
}
