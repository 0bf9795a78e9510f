//! The Schema Registry's subjects: each with its type, latest version, id and versions, and the
//! selected subject's latest schema beside (below on a narrow terminal).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::columns::SUBJECTS;
use crate::app::{State, Table};
use crate::record::pretty_json;
use crate::ui::widgets::{data_table, panel_block, ready};
use crate::ui::{safe, Severity, Theme};

/// Most lines of a schema shown (a schema can be large; the rest is counted).
const TEXT_LINES: usize = 2000;

pub fn subjects(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, table: &Table) {
    let count = state
        .subjects
        .data
        .as_ref()
        .map_or(String::new(), |d| format!(" ({})", d.subjects.len()));
    let block = panel_block(format!("subjects{count}"), &state.subjects, state, theme);
    let Some((listing, block)) = ready(
        frame,
        area,
        &state.subjects,
        block,
        state,
        theme,
        "subjects",
    ) else {
        return;
    };
    let block = block.title(Line::from(format!(" {} ", safe(&listing.registry))));
    let (list_area, text_area) = if area.width >= 110 {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(area);
        (l, r)
    } else {
        let [l, r] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
        (l, r)
    };
    data_table(
        frame,
        list_area,
        block,
        theme,
        &SUBJECTS,
        &listing.subjects,
        table,
        state,
        &(),
    );
    let selected = table.selected_index().and_then(|i| listing.subjects.get(i));
    let mut pane = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused));
    let mut lines = Vec::new();
    match selected {
        None => lines.push(Line::styled("no subject selected", theme.muted())),
        Some(s) => {
            pane = pane.title(Span::styled(
                format!(" {} ", safe(&s.subject)),
                theme.title(),
            ));
            if let Some(e) = &s.error {
                lines.push(Line::styled(
                    "the registry did not give this subject",
                    theme.severity(Severity::Warn),
                ));
                lines.push(Line::raw(safe(e)));
            }
            match &s.latest {
                None if s.error.is_none() => lines.push(Line::styled(
                    "not read: the listing ran out of time or subjects (ctrl-r reads again)",
                    theme.muted(),
                )),
                None => {}
                Some(l) => {
                    let versions: Vec<String> = s.versions.iter().map(i32::to_string).collect();
                    lines.push(Line::from(vec![
                        Span::styled("type ", theme.muted()),
                        Span::raw(format!("{}  ", safe(&l.kind))),
                        Span::styled("version ", theme.muted()),
                        Span::raw(format!("{} (latest)  ", l.version)),
                        Span::styled("id ", theme.muted()),
                        Span::raw(l.id.to_string()),
                    ]));
                    lines.push(Line::from(vec![
                        Span::styled("versions ", theme.muted()),
                        Span::raw(versions.join(", ")),
                    ]));
                    for r in &l.references {
                        lines.push(Line::from(vec![
                            Span::styled("references ", theme.muted()),
                            Span::raw(safe(r)),
                        ]));
                    }
                    lines.push(Line::raw(""));
                    // Avro and JSON Schema are JSON: indented in the order written. Protobuf
                    // is shown as the registry keeps it.
                    let text = match serde_json::from_str::<serde_json::Value>(&l.text) {
                        Ok(_) => pretty_json(&l.text),
                        Err(_) => l.text.clone(),
                    };
                    let all = text.lines().count();
                    lines.extend(text.lines().take(TEXT_LINES).map(|l| Line::raw(safe(l))));
                    if all > TEXT_LINES {
                        lines.push(Line::styled(
                            format!("… {} more lines", all - TEXT_LINES),
                            theme.muted(),
                        ));
                    }
                }
            }
        }
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(pane),
        text_area,
    );
}
