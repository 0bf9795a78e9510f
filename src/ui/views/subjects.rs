//! The Schema Registry's subjects: each with its type, latest version, id and versions, and the
//! selected subject's latest schema beside (below on a narrow terminal). Enter on a subject
//! opens its versions (version, id, type), with the selected version's schema the same way.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::columns::{SUBJECTS, SUBJECT_VERSIONS};
use crate::app::{list_above_schema, Panel, State, Table, SCHEMA_BESIDE};
use crate::model::SubjectSchema;
use crate::record::pretty_json;
use crate::ui::widgets::{data_table, panel_block, ready, ready_named};
use crate::ui::{safe, Severity, Theme};

/// Most lines of a schema shown (a schema can be large; the rest is counted).
const TEXT_LINES: usize = 2000;

/// The list's area and the schema's: beside it on a wide terminal, below it on a narrow one
/// (the list's height is the one `State::page_rows` scrolls by).
fn split(area: Rect) -> (Rect, Rect) {
    if area.width >= SCHEMA_BESIDE {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(area);
        (l, r)
    } else {
        let [l, r] = Layout::vertical([
            Constraint::Length(list_above_schema(area.height)),
            Constraint::Fill(1),
        ])
        .areas(area);
        (l, r)
    }
}

/// The last refresh failed while older data is on screen (marked stale): the registry's
/// error, said first in the schema pane (the status line leaves the registry's panels to
/// their screens).
fn refresh_failed<T>(lines: &mut Vec<Line<'static>>, panel: &Panel<T>, theme: &Theme) {
    let Some(e) = &panel.error else {
        return;
    };
    lines.push(Line::styled(
        "the registry could not be read again (this is stale):",
        theme.severity(Severity::Warn),
    ));
    lines.push(Line::raw(safe(&e.message)));
    lines.push(Line::raw(""));
}

fn schema_pane<'a>(title: Option<String>, theme: &Theme) -> Block<'a> {
    let pane = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(theme.border_focused));
    match title {
        Some(t) => pane.title(Span::styled(format!(" {} ", safe(&t)), theme.title())),
        None => pane,
    }
}

/// A schema's type, version, id and references, then its text (Avro and JSON Schema
/// indented in the order written, Protobuf as the registry keeps it).
fn schema_lines(
    lines: &mut Vec<Line<'static>>,
    l: &SubjectSchema,
    latest: bool,
    versions: Option<&[i32]>,
    theme: &Theme,
) {
    lines.push(Line::from(vec![
        Span::styled("type ", theme.muted()),
        Span::raw(format!("{}  ", safe(&l.kind))),
        Span::styled("version ", theme.muted()),
        Span::raw(format!(
            "{}{}  ",
            l.version,
            if latest { " (latest)" } else { "" }
        )),
        Span::styled("id ", theme.muted()),
        Span::raw(l.id.to_string()),
    ]));
    if let Some(versions) = versions {
        let versions: Vec<String> = versions.iter().map(i32::to_string).collect();
        lines.push(Line::from(vec![
            Span::styled("versions ", theme.muted()),
            Span::raw(versions.join(", ")),
        ]));
    }
    for r in &l.references {
        lines.push(Line::from(vec![
            Span::styled("references ", theme.muted()),
            Span::raw(safe(r)),
        ]));
    }
    lines.push(Line::raw(""));
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

/// What the registry said instead of a schema.
fn failed_lines(lines: &mut Vec<Line<'static>>, what: &str, error: &str, theme: &Theme) {
    lines.push(Line::styled(
        format!("the registry did not give {what}"),
        theme.severity(Severity::Warn),
    ));
    lines.push(Line::raw(safe(error)));
}

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
    let (list_area, text_area) = split(area);
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
    let mut lines = Vec::new();
    refresh_failed(&mut lines, &state.subjects, theme);
    match selected {
        None => lines.push(Line::styled("no subject selected", theme.muted())),
        Some(s) => {
            if let Some(e) = &s.error {
                failed_lines(&mut lines, "this subject", e, theme);
            }
            match &s.latest {
                None if s.error.is_none() => lines.push(Line::styled(
                    "not read: the listing ran out of time or subjects (ctrl-r reads again)",
                    theme.muted(),
                )),
                None => {}
                Some(l) => {
                    schema_lines(&mut lines, l, true, Some(&s.versions), theme);
                }
            }
        }
    }
    let title = selected.map(|s| s.subject.clone());
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(schema_pane(title, theme)),
        text_area,
    );
}

/// One subject's versions, newest first, and the selected version's schema.
pub fn subject_versions(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    subject: &str,
    table: &Table,
) {
    let panel = &state.subject_versions;
    let Some((d, block)) = ready_named(
        frame,
        area,
        panel,
        "versions of",
        subject,
        state,
        theme,
        |d| d.subject == subject,
    ) else {
        return;
    };
    let block = block.title(Line::from(format!(
        " {} versions · {} ",
        d.versions.len(),
        safe(&d.registry)
    )));
    let (list_area, text_area) = split(area);
    data_table(
        frame,
        list_area,
        block,
        theme,
        &SUBJECT_VERSIONS,
        &d.versions,
        table,
        state,
        &(),
    );
    let selected = table.selected_index().and_then(|i| d.versions.get(i));
    let newest = d.versions.iter().map(|v| v.version).max();
    let mut lines = Vec::new();
    refresh_failed(&mut lines, panel, theme);
    match selected {
        None => lines.push(Line::styled("no version selected", theme.muted())),
        Some(v) => {
            if let Some(e) = &v.error {
                failed_lines(&mut lines, "this version", e, theme);
            }
            match &v.schema {
                None if v.error.is_none() => lines.push(Line::styled(
                    format!(
                        "not read: over {} versions or the time ran out (ctrl-r reads again)",
                        crate::model::VERSIONS_READ
                    ),
                    theme.muted(),
                )),
                None => {}
                Some(s) => schema_lines(&mut lines, s, Some(v.version) == newest, None, theme),
            }
        }
    }
    let title = selected.map(|v| format!("{subject} version {}", v.version));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(schema_pane(title, theme)),
        text_area,
    );
}
